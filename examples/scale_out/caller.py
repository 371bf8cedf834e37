"""Split a large ``wait_for_imports`` into jobs for the workers and stream the results back as
they land::

    python -m examples.scale_out.caller refs.txt         # one workspace/project/asset per line
    python -m examples.scale_out.caller --from-emulator  # every import the emulator holds

Each result is printed as one JSON line the moment a worker pushes it (``item``, ``status`` or
``error``, ``worker``), then a summary line on standard error. ``stream`` is the reusable part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any, cast

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import Job, JobStatus

from .common import REDIS_URL, RESULTS_PREFIX, WORKERS_KEY, Item, Result, item_key, shards


async def stream(
    redis: ArqRedis,
    op: str,
    items: Sequence[Item],
    *,
    params: dict[str, Any] | None = None,
    shard_size: int = 100,
    poll: int = 1,
) -> AsyncIterator[Result]:
    """Enqueue ``items`` in shards of ``shard_size`` as ``op`` jobs, then yield one result per
    item as the workers push them (an item reported twice, by a job that ran again, is yielded
    once). A job that failed for good yields ``{"item", "error", "message"}`` for each of its
    items not reported. ``poll`` (seconds) is how long to wait for a result before looking at
    the jobs."""
    batch = uuid.uuid4().hex
    key = RESULTS_PREFIX + batch
    jobs: dict[str, tuple[Job, list[Item]]] = {}
    for number, shard in enumerate(shards(items, shard_size)):
        job = await redis.enqueue_job(op, batch, params or {}, shard, _job_id=f"{batch}-{number}")
        assert job is not None  # a fresh batch id: never a duplicate
        jobs[job.job_id] = (job, shard)
    pending = {item_key(item): item for item in items}
    try:
        while pending or jobs:
            if not pending:  # every result is in: let the jobs finish (their summaries)
                await _failed_jobs(jobs, pending)
                if jobs:
                    await asyncio.sleep(0.05)
                continue
            popped = await cast(Awaitable[Any], redis.blpop([key], timeout=poll))
            if popped is not None:
                result = json.loads(popped[1])
                if pending.pop(item_key(result["item"]), None) is not None:
                    yield result
                continue
            for failure in await _failed_jobs(jobs, pending):
                pending.pop(item_key(failure["item"]), None)
                yield failure
    finally:
        await redis.delete(key)


async def _failed_jobs(
    jobs: dict[str, tuple[Job, list[Item]]], pending: dict[str, Item]
) -> list[Result]:
    """Results for the pending items of jobs that ended without reporting them."""
    out: list[Result] = []
    for job_id, (job, shard) in list(jobs.items()):
        if await job.status() is not JobStatus.complete:
            continue
        del jobs[job_id]
        info = await job.result_info()
        if info is not None and info.success:
            why = {"error": "LostResult", "message": "the job ended without reporting it"}
        else:
            error = None if info is None else info.result
            why = {"error": type(error).__name__, "message": f"the job failed: {error}"}
        out += [{"item": item, **why} for item in shard if item_key(item) in pending]
    return out


def _refs_from(path: str | None, emulator: str | None) -> list[Item]:
    if emulator is not None:
        with urllib.request.urlopen(f"{emulator.rstrip('/')}/_emulator/info", timeout=10) as r:
            return [list(ref) for ref in json.load(r)["imports"]]
    assert path is not None
    with open(path, encoding="utf-8") as lines:
        return [line.strip().split("/") for line in lines if line.strip()]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.scale_out.caller")
    parser.add_argument("refs", nargs="?", help="file of workspace/project_id/asset_id lines")
    parser.add_argument("--from-emulator", metavar="URL", nargs="?", const="",
                        help="every import of the emulator at URL ($NCP_MEDIA_ENDPOINT)")
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    args = parser.parse_args(argv)
    emulator = args.from_emulator
    if emulator == "":
        import os

        emulator = os.environ["NCP_MEDIA_ENDPOINT"]
    if (args.refs is None) == (emulator is None):
        parser.error("give a file of refs or --from-emulator")
    items = _refs_from(args.refs, emulator)
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        workers = await cast(Awaitable[int], redis.scard(WORKERS_KEY))
        print(f"{len(items)} items, {workers} workers", file=sys.stderr)
        started, failed = time.monotonic(), 0
        params = {"interval": args.interval}
        async for result in stream(redis, "wait_for_imports", items, params=params,
                                   shard_size=args.shard_size):
            failed += "error" in result
            print(json.dumps(result), flush=True)
        took = time.monotonic() - started
        print(f"{len(items)} items in {took:.1f} s, {failed} failed", file=sys.stderr)
    finally:
        await redis.aclose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
