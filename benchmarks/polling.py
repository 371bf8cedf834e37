"""Bulk polling: 10,000 Media AI imports at concurrency 200, 20 ms latency, interval 0.

Every import turns ``COMPLETED`` at its third poll, so the batch needs exactly 30,000 requests.
With 200 in flight and 20 ms per request, no poller can finish before
``polls × latency ÷ concurrency`` = 3.0 s: that is the ideal. ``wait_for_imports`` is timed
against it, and against a plain raw-aiohttp poller (200 workers taking the next unfinished import,
signed GET, ``json.loads``), which shows what this machine allows: at 10,000 requests a second
the client process's CPU, not the latency, can become the limit on a small machine. The emulator
(own process) reports the peak of requests in flight and the polls sent after an import had
finished (a correct poller sends none).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from functools import partial
from typing import Any

import aiohttp
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async._signing import Signer, encode_path

from ._common import EmulatorProcess, Measure, Options, Report, Table, measure, run_async
from ._data import FIRST_ASSET_ID, PROJECT_ID, WORKSPACE

NAME = "polling"
TITLE = "wait_for_imports: 10,000 imports, concurrency 200, 20 ms latency, against the ideal"
POLLS = 3
CONCURRENCY = 200
LATENCY_MS = 20
TARGET = 1.25


def _refs(count: int) -> list[ncp.AssetRef]:
    return [ncp.AssetRef(WORKSPACE, PROJECT_ID, str(FIRST_ASSET_ID + i)) for i in range(count)]


async def _client_run(
    url: str, creds: ncp.Credentials, count: int, max_connections: int
) -> tuple[Measure, int]:
    async with ncp.MediaClient(
        creds, endpoints=ncp.Endpoints.at(url), max_connections=max_connections
    ) as client:
        # Untimed: learn the clock, open the connections.
        await client.vod_station.status_statistics()
        await asyncio.gather(*(client.vod_station.status_statistics() for _ in range(CONCURRENCY)))
        done = 0
        with measure() as m:
            async for status in client.media_ai.wait_for_imports(
                _refs(count), concurrency=CONCURRENCY, interval=0
            ):
                done += status.terminal
    return m[0], done


async def _raw_run(url: str, creds: ncp.Credentials, count: int) -> tuple[Measure, int]:
    signer = Signer(creds.access_key, creds.secret_key)
    base = url.rstrip("/")
    todo = deque(_refs(count))
    done = itertools.count()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:

        async def get_json(path: str) -> dict[str, Any]:
            headers = signer.headers("GET", path, int(time.time() * 1000))
            async with session.get(URL(base + path, encoded=True), headers=headers) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
                body: dict[str, Any] = json.loads(await resp.read())
                return body

        async def status(ref: ncp.AssetRef) -> str:
            body = await get_json(
                encode_path(
                    "api",
                    "v1",
                    "workspaces",
                    ref.workspace,
                    "projects",
                    ref.project_id,
                    "assets",
                    ref.asset_id,
                    "import-status",
                )
            )
            return str(body["result"]["uploadStatus"])

        async def worker() -> None:
            while todo:
                ref = todo.popleft()
                if await status(ref) == "IN_PROGRESS":
                    todo.append(ref)
                else:
                    next(done)

        # Untimed: open the connections.
        stats_path = "/api/v2/status/status-statistic"
        await asyncio.gather(*(get_json(stats_path) for _ in range(CONCURRENCY)))
        with measure() as m:
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return m[0], next(done)


def run(options: Options) -> Report:
    count = 2_000 if options.quick else 10_000
    requests = count * POLLS
    ideal = requests * LATENCY_MS / 1000 / CONCURRENCY
    report = Report(NAME, TITLE, f"wait_for_imports wall time ≤ {TARGET}× the ideal")
    table = Table(
        [
            "poller",
            "wall s",
            "× ideal",
            "req/s",
            "client CPU µs/req",
            "client CPU busy",
            "emulator CPU busy",
            "peak in flight",
            "polls after done",
        ],
        caption=(
            f"{count:,} imports × {POLLS} polls = {requests:,} requests, concurrency "
            f"{CONCURRENCY}, {LATENCY_MS} ms latency, interval 0; ideal = {ideal:.2f} s"
        ),
    )
    measured = f"wait_for_imports (max_connections={CONCURRENCY})"  # what the target is about
    runs = {
        measured: partial(_client_run, count=count, max_connections=CONCURRENCY),
        "raw aiohttp poller": partial(_raw_run, count=count),
        "wait_for_imports (default max_connections=100)": partial(
            _client_run, count=count, max_connections=100
        ),
    }
    ratios: dict[str, float] = {}
    for name, go in runs.items():
        with EmulatorProcess(latency_ms=LATENCY_MS, imports=count, import_polls=POLLS) as emu:
            emu_cpu = emu.cpu_seconds()
            m, finished = run_async(
                partial(go, emu.url, emu.credentials), use_uvloop=options.uvloop
            )
            emu_cpu = emu.cpu_seconds() - emu_cpu
            stats = emu.stats()
        if finished != count:
            raise RuntimeError(f"{name}: {finished} of {count} imports finished")
        sent = stats["requests"].get("import_status", 0)
        ratios[name] = m.wall / ideal
        table.add(
            name,
            f"{m.wall:.2f}",
            f"{ratios[name]:.2f}×",
            f"{sent / m.wall:,.0f}",
            f"{m.cpu / sent * 1e6:.0f}",
            f"{m.cpu / m.wall:.0%}",
            f"{emu_cpu / m.wall:.0%}",
            stats["peak_in_flight"],
            sum(stats["polls_after_terminal"].values()),
        )
    report.tables.append(table)
    report.notes.append(
        "CPU busy = CPU seconds ÷ wall seconds of the run, per process (100 % = one CPU "
        "saturated). Near 100 %, that process, not the latency, sets the pace: the ideal needs "
        f"{CONCURRENCY * 1000 // LATENCY_MS:,} requests a second from one client process and one "
        "emulator process."
    )
    ratio = ratios[measured]
    report.notes.append(
        f"wait_for_imports with max_connections={CONCURRENCY}: {ratio:.2f}× the ideal."
    )
    report.passed = ratio <= TARGET
    return report
