"""One process of the shared-quota test: ``python tests/_quota_worker.py URL COUNT LIMIT``.

Sends ``COUNT`` requests (``status_statistics``, 8 at a time) to the emulator at ``URL`` with
the key pair in ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY`` under ``LIMIT``, a ``RateLimit`` spelt as
``calls|period|shared-url|name`` (``-`` for no Redis: this process paces itself alone), and
prints one JSON line: the epoch time (seconds) each request was answered, and how many 429s
the client saw (its ``on_attempt`` hook).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import ncp_media_async as ncp


async def main(url: str, count: int, spec: str) -> None:
    calls, period, shared, name = spec.split("|")
    limit = ncp.RateLimit(int(calls), float(period), None if shared == "-" else shared, name)
    answered: list[float] = []
    throttled = 0

    def on_attempt(event: ncp.AttemptEvent) -> None:
        nonlocal throttled
        throttled += event.status == 429

    async with ncp.MediaClient(
        endpoints=ncp.Endpoints.at(url), rate_limit=limit, on_attempt=on_attempt
    ) as client:
        left = iter(range(count))

        async def work() -> None:
            for _ in left:
                await client.vod_station.status_statistics()
                answered.append(time.time())

        await asyncio.gather(*(work() for _ in range(8)))
    print(json.dumps({"answered": answered, "throttled": throttled}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
