"""The scale-out recipe runs (``examples/scale_out``): two real arq worker processes share the
emulator's quota through a real Redis, split a ``wait_for_imports`` of 60 imports between them,
and the caller gets every result once, as it lands, with no 429 and no import polled more than
it needs; an ``ingest`` is sharded the same way and imports each key exactly once, even when a
worker is killed mid-job and the job runs again on another (each shard keeps a journal)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _redis import RedisServer
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import in_progress_key_prefix

from examples.scale_out.caller import stream
from examples.scale_out.common import WORKERS_KEY
from ncp_media_async.testing import Emulator, EmulatorServer, Quota, Scenario

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ("COMPLETED", "COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA")


@pytest.fixture
async def arq_redis(own_redis: RedisServer) -> AsyncIterator[ArqRedis]:
    """A queue of the test's own (on its own Redis): it starts empty."""
    redis = await create_pool(RedisSettings.from_dsn(own_redis.url))
    try:
        yield redis
    finally:
        await redis.aclose()


async def start_workers(
    count: int, server: EmulatorServer, redis_url: str, journals: Path
) -> list[asyncio.subprocess.Process]:
    env = {
        "NCP_JOURNAL_DIR": str(journals),
        **os.environ,
        "REDIS_URL": redis_url,
        "NCP_RATE_PER_MINUTE": "5820",  # 97 a second, under the emulator's 100
        "NCP_RATE_NAME": f"recipe-{uuid.uuid4().hex[:8]}",
        "NCP_WORKER_JOBS": "2",
        "NCP_MEDIA_ENDPOINT": server.url,
        "NCP_ACCESS_KEY": server.emulator.access_key,
        "NCP_SECRET_KEY": server.emulator.secret_key,
    }
    return [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "examples.scale_out.worker", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]


async def until(what: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await what():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_two_workers_share_the_quota_and_stream_every_result_once(
    own_redis: RedisServer, arq_redis: ArqRedis, tmp_path: Path
) -> None:
    emulator = Emulator(Scenario.empty(), quota=Quota(100, 1.0))
    items = []
    for i in range(60):
        outcome = OUTCOMES[i % len(OUTCOMES)]
        emulator.media_ai.add_import("ws", "7", str(1000 + i), outcome=outcome, polls=3)
        items.append(["ws", "7", str(1000 + i)])
    async with EmulatorServer(emulator) as server:
        workers = await start_workers(2, server, own_redis.url, tmp_path)
        try:
            await until(lambda: _scard(arq_redis, 2))
            landed: list[tuple[float, dict[str, Any]]] = []
            params = {"interval": 0.3, "concurrency": 4}
            async for result in stream(arq_redis, "wait_for_imports", items, params=params,
                                       shard_size=10):  # fmt: skip
                landed.append((time.monotonic(), result))
            finished = time.monotonic()
        finally:
            for worker in workers:
                if worker.returncode is None:  # one that died early tells why below
                    worker.send_signal(signal.SIGTERM)
            errors = [(await w.communicate())[1].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    assert await arq_redis.scard(WORKERS_KEY) == 0  # both said goodbye
    results = [result for _, result in landed]
    assert sorted(r["item"] for r in results) == sorted(items)  # each once
    assert Counter(r["status"] for r in results) == Counter(
        OUTCOMES[i % len(OUTCOMES)] for i in range(60)
    )
    assert len({r["worker"] for r in results}) == 2  # both took shards
    # Streamed: the first results came long before the last.
    assert landed[0][0] < finished - 0.5
    # The shared quota held, and no import was polled more than its 3 polls.
    assert emulator.stats.statuses == {200: 180}
    assert set(emulator.stats.import_polls.values()) == {3}


async def _scard(redis: ArqRedis, wanted: int) -> bool:
    return bool(await redis.scard(WORKERS_KEY) == wanted)


async def test_an_ingest_is_sharded_and_each_key_is_imported_once(
    own_redis: RedisServer, arq_redis: ArqRedis, tmp_path: Path
) -> None:
    emulator = Emulator(Scenario.empty(), quota=Quota(100, 1.0))
    emulator.media_ai.add_project("ws", 7)
    keys = [f"in/{i:02d}.mp4" for i in range(20)]
    for key in keys[:3]:  # some fail, as real files do
        emulator.media_ai.plan_object(key, import_outcome="FILE_NOT_EXIST")
    async with EmulatorServer(emulator) as server:
        workers = await start_workers(1, server, own_redis.url, tmp_path)
        try:
            await until(lambda: _scard(arq_redis, 1))
            params = {"workspace": "ws", "project_id": "7", "bucket": "b", "interval": 0.1,
                      "index_interval": 0.1, "concurrency": 8}  # fmt: skip
            results = {
                key: result
                async for key, result in _keyed(stream(
                    arq_redis, "ingest", keys, params=params, shard_size=5
                ))
            }
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            errors = [(await w.communicate())[1].decode() for w in workers]
    assert [w.returncode for w in workers] == [0], errors
    assert sorted(results) == keys  # each key's result once
    assert sorted(k for k, r in results.items() if not r["ok"]) == keys[:3]
    assert all(r["index"] == "ANALYZE_COMPLETED" for k, r in results.items() if k not in keys[:3])
    # Every key was imported exactly once, and each shard kept its journal.
    assert all(len(emulator.media_ai.assets_for_key(key)) == 1 for key in keys)
    assert emulator.stats.statuses.get(429, 0) == 0
    assert len(os.listdir(tmp_path)) == 4


async def test_a_worker_asked_to_stop_finishes_its_running_ingest(
    own_redis: RedisServer, arq_redis: ArqRedis, tmp_path: Path
) -> None:
    emulator = Emulator(Scenario.empty())
    emulator.media_ai.add_project("ws", 7)
    keys = [f"in/{i:02d}.mp4" for i in range(6)]
    async with EmulatorServer(emulator) as server:
        (worker,) = await start_workers(1, server, own_redis.url, tmp_path)
        results: dict[str, dict[str, Any]] = {}
        try:
            await until(lambda: _scard(arq_redis, 1))
            params = {"workspace": "ws", "project_id": "7", "bucket": "b", "interval": 0.1,
                      "index_interval": 0.1, "concurrency": 1}  # fmt: skip
            emulator.latency = 0.05  # the job outlasts the signal
            async for key, result in _keyed(stream(arq_redis, "ingest", keys, params=params)):
                if not results:
                    worker.send_signal(signal.SIGTERM)  # a deploy stops it mid-job
                results[key] = result
        finally:
            # Stopped once only: a second SIGTERM may land after arq has put back the default
            # handler on its way out, and kill it.
            if not results:
                worker.send_signal(signal.SIGTERM)
            _, error = await worker.communicate()
    assert worker.returncode == 0, error.decode()
    assert sorted(results) == keys
    assert all(r["ok"] for r in results.values())  # none cut off by the stop
    assert all(len(emulator.media_ai.assets_for_key(key)) == 1 for key in keys)


async def test_a_worker_killed_mid_ingest_leaves_its_job_to_another_which_resumes(
    own_redis: RedisServer, arq_redis: ArqRedis, tmp_path: Path
) -> None:
    emulator = Emulator(Scenario.empty())
    emulator.media_ai.add_project("ws", 7)
    keys = [f"in/{i:02d}.mp4" for i in range(12)]
    async with EmulatorServer(emulator) as server:
        workers = await start_workers(1, server, own_redis.url, tmp_path)
        results: dict[str, dict[str, Any]] = {}
        try:
            await until(lambda: _scard(arq_redis, 1))
            params = {"workspace": "ws", "project_id": "7", "bucket": "b", "interval": 0.05,
                      "index_interval": 0.05, "concurrency": 2}  # fmt: skip
            emulator.latency = 0.02  # the job outlasts the first results
            async for key, result in _keyed(
                stream(arq_redis, "ingest", keys, params=params, shard_size=12)
            ):
                results[key] = result
                if len(results) == 3:  # mid-job: killed (OOM, a lost machine)
                    workers[0].kill()
                    await workers[0].wait()
                    # arq takes the job again once its in-progress mark expires (the job's
                    # timeout and 10 s after it started): here, at once.
                    for mark in await arq_redis.keys(in_progress_key_prefix + "*"):
                        await arq_redis.delete(mark)
                    workers += await start_workers(1, server, own_redis.url, tmp_path)
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            errors = [(await w.communicate())[1].decode() for w in workers]
    assert [w.returncode for w in workers] == [-signal.SIGKILL, 0], errors
    assert sorted(results) == keys  # each key once
    assert all(r["ok"] for r in results.values())
    assert len({r["worker"] for r in results.values()}) == 2  # the job ran again elsewhere
    assert all(len(emulator.media_ai.assets_for_key(key)) == 1 for key in keys)
    assert emulator.media_ai.analyses_requested("ws") == len(keys)


async def _keyed(
    stream: AsyncIterator[dict[str, Any]],
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async for result in stream:
        yield result["item"], result
