"""Several processes, one quota: the scale-out recipe (``examples/scale_out``) with 1, 2 and 4
arq worker processes sharing one rate limit through Redis.

Each run: a ``redis-server`` on a free port, the emulator in its own process holding the
imports (each ``COMPLETED`` at its 3rd poll), K worker processes (``python -m
examples.scale_out.worker``: one ``MediaClient`` each, ``RateLimit.per_minute(...,
shared=redis, name=...)``), and the caller in this process, which splits the batch into shards
of 100 imports and streams the results back (``examples.scale_out.caller.stream``). Throughput
is import-status requests a second over the batch (enqueue to last result); the emulator counts
the requests and its 429s.

* **A quota that binds**: the emulator admits 500 requests a second per access key (fixed
  windows); the workers share ``per_minute(29100)`` (485 a second, 3 % under it, the margin the
  ``RateLimit`` docstring recommends). Ideal: the quota, whatever the number of workers, with
  no 429. One more row shows what the quota costs when each of 4 workers paces itself alone at
  the same limit (a budget name per worker): 429s and back-offs.
* **A quota that does not bind**: no quota, a shared limit far above what the machine can send
  (every request still reserves its slot in Redis). Ideal: K times one worker's throughput,
  until the machine's cores (2 here, shared by the workers, the emulator and Redis) bind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from arq.connections import RedisSettings, create_pool

from examples.scale_out.caller import stream
from examples.scale_out.common import WORKERS_KEY
from ncp_media_async.testing._redis import RedisServer

from ._common import (
    REPO_ROOT,
    EmulatorProcess,
    Options,
    Report,
    Table,
    cpu_seconds,
    run_async,
)
from ._data import FIRST_ASSET_ID, PROJECT_ID, WORKSPACE

NAME = "processes"
TITLE = "1, 2 and 4 worker processes sharing one quota through Redis, against the ideal"
POLLS = 3
QUOTA = 500  # requests a second, per access key
SHARED_PER_MINUTE = 29_100  # 485 a second: 3 % under the quota
UNBOUND_PER_MINUTE = 60_000_000  # far above what the machine can send
WORKER_JOBS = 4
CONCURRENCY = 16  # per job: 64 requests in flight per worker
SHARD_SIZE = 100
TARGET = 0.90  # of the quota (3 % under it by design, the rest is queue start-up), ≤ 1 % 429s


@dataclass
class Run:
    """What one run measured: wall seconds from the first enqueue to the last result, the
    import-status requests the emulator saw and its 429s, the imports finished, and CPU
    seconds of the workers (together), the caller, the emulator and Redis over the batch."""

    workers: int
    wall: float
    requests: int
    throttled: int
    finished: int
    cpu: tuple[float, float, float, float]

    @property
    def rate(self) -> float:
        """Requests a second, 429s included."""
        return self.requests / self.wall

    @property
    def admitted(self) -> float:
        """Requests a second the emulator admitted."""
        return (self.requests - self.throttled) / self.wall

    def busy(self) -> str:
        """CPU busy of workers / caller / emulator / Redis (100 % = one CPU)."""
        return " / ".join(f"{cpu / self.wall:.0%}" for cpu in self.cpu)


async def _batch(redis_url: str, count: int) -> tuple[float, int, float]:
    """Stream one batch of ``count`` imports through the workers: (wall seconds, finished,
    CPU seconds of this process, the caller)."""
    items = [[WORKSPACE, PROJECT_ID, str(FIRST_ASSET_ID + i)] for i in range(count)]
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        started = last = time.perf_counter()
        cpu = time.process_time()
        finished = 0
        params = {"interval": 0, "concurrency": CONCURRENCY}
        async for result in stream(redis, "wait_for_imports", items, params=params,
                                   shard_size=SHARD_SIZE):  # fmt: skip
            finished += result.get("status") == "COMPLETED"
            last = time.perf_counter()
        return last - started, finished, time.process_time() - cpu
    finally:
        await redis.aclose()


async def _wait_for_workers(redis_url: str, count: int, procs: list[subprocess.Popen[Any]]) -> None:
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        deadline = time.monotonic() + 60
        while await redis.scard(WORKERS_KEY) < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the workers did not start")
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose()


def _run(
    options: Options, workers: int, count: int, *, quota: str | None, per_minute: int,
    shared: bool = True,
) -> Run:  # fmt: skip
    name = f"bench-{uuid.uuid4().hex[:8]}"
    with RedisServer() as redis, EmulatorProcess(
        imports=count, import_polls=POLLS, quota=quota
    ) as emu:
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "NCP_RATE_PER_MINUTE": str(per_minute),
            "NCP_WORKER_JOBS": str(WORKER_JOBS),
            "NCP_MEDIA_ENDPOINT": emu.url,
            "NCP_ACCESS_KEY": emu.credentials.access_key,
            "NCP_SECRET_KEY": emu.credentials.secret_key,
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "examples.scale_out.worker"],
                env={**env, "NCP_RATE_NAME": name if shared else f"{name}-{k}"},
                cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for k in range(workers)
        ]
        try:
            run_async(lambda: _wait_for_workers(redis.url, workers, procs))
            before, cpu_before = emu.stats(), _cpu(procs, emu, redis)
            wall, finished, caller = run_async(
                lambda: _batch(redis.url, count), use_uvloop=options.uvloop
            )
            after, cpu_after = emu.stats(), _cpu(procs, emu, redis)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
    sent = after["requests"].get("import_status", 0) - before["requests"].get("import_status", 0)
    throttled = after["statuses"].get("429", 0) - before["statuses"].get("429", 0)
    cpu = (
        cpu_after[0] - cpu_before[0], caller, cpu_after[1] - cpu_before[1],
        cpu_after[2] - cpu_before[2],
    )
    return Run(workers, wall, sent, throttled, finished, cpu)


def _cpu(
    procs: list[subprocess.Popen[Any]], emu: EmulatorProcess, redis: RedisServer
) -> tuple[float, float, float]:
    """CPU seconds so far of the workers (together), the emulator and Redis."""
    return sum(cpu_seconds(p.pid) for p in procs), emu.cpu_seconds(), cpu_seconds(redis.pid)


def _bound_row(label: str, r: Run, quota: float, limit: float) -> tuple[str, ...]:
    return (
        label, f"{r.wall:.2f}", f"{r.admitted:,.0f}", f"{r.admitted / quota:.2f}×",
        f"{r.admitted / limit:.2f}×", str(r.throttled), str(r.finished), r.busy(),
    )  # fmt: skip


def run(options: Options) -> Report:
    counts = (1, 2, 4)
    bound_count = 400 if options.quick else 1_500  # 1,200 / 4,500 requests at 485 a second
    free_count = 1_000 if options.quick else 4_000
    quota_rate = float(QUOTA)
    limit_rate = SHARED_PER_MINUTE / 60
    report = Report(
        NAME, TITLE,
        f"against the binding quota, every worker count admitted at {TARGET:.0%} to 100 % of "
        "it, with 429s ≤ 1 % of the requests",
    )  # fmt: skip

    bound = Table(
        ["workers", "wall s", "admitted/s", "× quota", "× shared limit", "429s", "completed",
         "CPU busy: workers / caller / emulator / Redis"],
        caption=(
            f"A quota that binds: {QUOTA} requests/s per access key (fixed windows); workers "
            f"share per_minute({SHARED_PER_MINUTE:,}) = {limit_rate:.0f}/s; {bound_count:,} "
            f"imports × {POLLS} polls, shards of {SHARD_SIZE}, {WORKER_JOBS} jobs per worker, "
            f"concurrency {CONCURRENCY} per job"
        ),
    )
    passed = True
    for workers in counts:
        r = _run(options, workers, bound_count, quota=f"{QUOTA}/1",
                 per_minute=SHARED_PER_MINUTE)  # fmt: skip
        ok = TARGET * quota_rate <= r.admitted <= quota_rate and r.throttled <= 0.01 * r.requests
        passed = passed and ok and r.finished == bound_count
        bound.add(*_bound_row(str(r.workers), r, quota_rate, limit_rate))
    alone = _run(options, 4, bound_count, quota=f"{QUOTA}/1", per_minute=SHARED_PER_MINUTE,
                 shared=False)  # fmt: skip
    bound.add(*_bound_row("4, each alone", alone, quota_rate, limit_rate))
    report.tables.append(bound)

    free = Table(
        ["workers", "wall s", "req/s", "× ideal (K × 1 worker)", "429s",
         "CPU busy: workers / caller / emulator / Redis"],
        caption=(
            f"A quota that does not bind: no quota; a shared limit of {UNBOUND_PER_MINUTE:,}/min "
            f"(every request still reserves a slot in Redis); {free_count:,} imports × {POLLS} "
            f"polls, interval 0"
        ),
    )
    single = 0.0
    for workers in counts:
        r = _run(options, workers, free_count, quota=None, per_minute=UNBOUND_PER_MINUTE)
        single = single or r.rate
        passed = passed and r.finished == free_count
        free.add(r.workers, f"{r.wall:.2f}", f"{r.rate:,.0f}",
                 f"{r.rate / (workers * single):.2f}×", r.throttled, r.busy())  # fmt: skip
    report.tables.append(free)
    report.notes.append(
        f"Binding: the ideal is the quota ({QUOTA}/s); the shared limit is 3 % under it on "
        "purpose, so ≈ 0.97× the quota is the best a run can show. Each worker alone at the "
        "same limit offers 4 × 485/s against 500/s: the 429s, the back-offs they force and the "
        "imports whose polling gave up after repeated 429s (completed < imports) are what an "
        "overrun costs."
    )
    report.notes.append(
        f"Not binding: the ideal is linear growth. On this machine ({os.cpu_count()} CPUs) "
        "the workers share CPU 0 with the caller (which pops every result from Redis) and the "
        "emulator has CPU 1 (the pinning above): when workers + caller near 100 %, CPU 0 binds "
        "and more workers only add switching. Every request also costs one Redis round trip "
        "(its slot)."
    )
    report.notes.append(
        "CPU busy = CPU seconds ÷ wall seconds of the batch (100 % = one CPU saturated); "
        "admitted/s = requests the emulator answered 200, per second of wall time from the "
        "first enqueue to the last result (worker start-up excluded, job pick-up included)."
    )
    report.passed = passed
    return report
