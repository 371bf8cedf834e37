"""A process that holds or writes a journal, for tests/test_journal.py.

``python tests/_journal_worker.py write PATH START``: 8 writers record keys ``k{START}``,
``k{START + 1}``, ... for ever, each an ``intent`` (``durable=True``, field ``n``) and then a
``created`` (not durable, with up to 20 KB of padding so that groups span pages and a kill can
land mid-write); after each intent returns, its number is printed on a line of its own. The
parent kills it.

``python tests/_journal_worker.py hold PATH``: opens the journal, prints ``locked`` and holds it
until its stdin closes.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys

from ncp_media_async._journal import Journal

TARGET = {"workspace": "ws", "project": "p", "bucket": "b"}


async def write(path: str, start: int) -> None:
    numbers = itertools.count(start)
    rng = random.Random(start)

    async def writer() -> None:
        for n in numbers:
            await journal.record(f"k{n}", "intent", durable=True, n=n)
            print(n, flush=True)
            await journal.record(f"k{n}", "created", id=str(n), pad="x" * rng.randrange(20_000))

    async with Journal.open(path, "test", TARGET) as journal:
        await asyncio.gather(*(writer() for _ in range(8)))


async def hold(path: str) -> None:
    async with Journal.open(path, "test", TARGET):
        print("locked", flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    mode, path, *rest = sys.argv[1:]
    asyncio.run(write(path, int(rest[0])) if mode == "write" else hold(path))
