"""An arq worker that runs shards of a large ``wait_for_imports`` (or any operation of
``common.OPERATIONS``) with its own ``MediaClient``, every worker pacing itself on one quota
shared through Redis. Start as many as you like, on any machines that reach Redis::

    python -m examples.scale_out.worker          # or: arq examples.scale_out.worker.WorkerSettings

Settings come from the environment (see ``common``): ``REDIS_URL``, ``NCP_RATE_PER_MINUTE``,
``NCP_RATE_NAME``, ``NCP_WORKER_JOBS``, ``NCP_WORKER_GRACE`` and the client's own
``NCP_ACCESS_KEY``, ``NCP_SECRET_KEY``, ``NCP_MEDIA_ENDPOINT``.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any, ClassVar

from arq import func
from arq.connections import RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Function, run_worker

from .common import (
    OPERATIONS,
    REDIS_URL,
    RESULTS_PREFIX,
    RESULTS_TTL,
    WORKER_GRACE,
    WORKER_JOBS,
    WORKERS_KEY,
    Item,
    client_from_env,
)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def shard_job(op: str) -> WorkerCoroutine:
    """The arq job that runs one shard of ``op``: each result goes onto the batch's list as
    it lands; the job returns a summary."""
    operation = OPERATIONS[op]

    async def job(
        ctx: dict[str, Any], batch: str, params: dict[str, Any], items: list[Item]
    ) -> dict[str, Any]:
        redis, key = ctx["redis"], RESULTS_PREFIX + batch
        failed = 0
        async for item, result in operation.run(ctx["client"], params, items):
            failed += "error" in result
            record = {"item": item, **result, "worker": WORKER_ID}
            async with redis.pipeline(transaction=False) as pipe:
                pipe.rpush(key, json.dumps(record))
                pipe.expire(key, RESULTS_TTL)
                await pipe.execute()
        return {"items": len(items), "failed": failed, "worker": WORKER_ID}

    job.__qualname__ = job.__name__ = f"{op}_shard"
    return job


async def startup(ctx: dict[str, Any]) -> None:
    ctx["client"] = client_from_env()
    await ctx["redis"].sadd(WORKERS_KEY, WORKER_ID)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["redis"].srem(WORKERS_KEY, WORKER_ID)
    await ctx["client"].close()


class WorkerSettings:
    """arq's settings: one function per operation (a write runs at most once)."""

    functions: ClassVar[list[Function]] = [
        func(shard_job(op), name=op, max_tries=5 if operation.retry_safe else 1)
        for op, operation in OPERATIONS.items()
    ]
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    on_startup = startup
    on_shutdown = shutdown
    max_jobs = WORKER_JOBS
    job_completion_wait = WORKER_GRACE  # on SIGTERM/SIGINT: finish running jobs, then stop
    job_timeout = 24 * 3600  # the client's own timeouts bound each request
    poll_delay = 0.1  # seconds between two looks at the queue


if __name__ == "__main__":
    run_worker(WorkerSettings)  # type: ignore[arg-type]
