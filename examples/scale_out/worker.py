"""An arq worker that runs shards of a large ``wait_for_imports`` (or any operation of
``common.OPERATIONS``) with its own ``MediaClient``, every worker pacing itself on one quota
shared through Redis. Start as many as you like, on any machines that reach Redis::

    python -m examples.scale_out.worker          # or: arq examples.scale_out.worker.WorkerSettings

Settings come from the environment (see ``common``): ``REDIS_URL``, ``NCP_RATE_PER_MINUTE``,
``NCP_RATE_NAME``, ``NCP_WORKER_JOBS``, ``NCP_WORKER_GRACE``, ``NCP_JOB_TIMEOUT``,
``NCP_JOURNAL_DIR`` and the client's own ``NCP_ACCESS_KEY``, ``NCP_SECRET_KEY``,
``NCP_MEDIA_ENDPOINT``.

Every job may run again (arq's retries): a worker killed mid-job leaves its job to the next
worker, which resumes a write from the shard's journal (see ``common``).
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
    JOB_TIMEOUT,
    JOURNAL_DIR,
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
    it lands (again, when the job runs again: the caller keeps the first); the job returns a
    summary. A journaled operation gets its journal, named after the job."""
    operation = OPERATIONS[op]

    async def job(
        ctx: dict[str, Any], batch: str, params: dict[str, Any], items: list[Item]
    ) -> dict[str, Any]:
        redis, key = ctx["redis"], RESULTS_PREFIX + batch
        if operation.journaled:
            os.makedirs(JOURNAL_DIR, exist_ok=True)
            params = {**params, "journal": os.path.join(JOURNAL_DIR, f"{ctx['job_id']}.journal")}
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
    """arq's settings: one function per operation, each tried up to 5 times."""

    functions: ClassVar[list[Function]] = [
        func(shard_job(op), name=op, max_tries=5) for op in OPERATIONS
    ]
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    on_startup = startup
    on_shutdown = shutdown
    max_jobs = WORKER_JOBS
    job_completion_wait = WORKER_GRACE  # on SIGTERM/SIGINT: finish running jobs, then stop
    job_timeout = JOB_TIMEOUT  # and 10 s more, a dead worker's job waits to run again
    poll_delay = 0.1  # seconds between two looks at the queue


if __name__ == "__main__":
    run_worker(WorkerSettings)  # type: ignore[arg-type]
