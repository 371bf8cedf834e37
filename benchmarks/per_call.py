"""Per call: ``client.vod_station.status_statistics()`` against raw aiohttp doing the same call.

The raw baseline is what a careful hand-written caller would do: the URL built once with yarl
(``encoded=True``), a fresh timestamp and ``Signer`` signature per request, ``session.get``, a
status check and ``await resp.json()``. Both sides share nothing but the emulator (in its own
process, so its CPU is not counted) and use a connection pool of the same size. At each
concurrency, ``N`` requests are spread over that many workers; the client process's CPU time
(``time.process_time``) per request and the requests per second are measured, variants
alternating, the median of the rounds kept.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from statistics import median

import aiohttp
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async._signing import Signer

from ._common import EmulatorProcess, Measure, Options, Report, Table, measure, run_async

NAME = "per_call"
TITLE = "one signed GET: client vs raw aiohttp (CPU per request)"
LEVELS = (1, 10, 50, 200)
POOL = max(LEVELS)  # connections in both pools, so neither waits for a connection
PATH = "/api/v2/status/status-statistic"
TARGET_LEVEL = 50
TARGET = 0.85

Call = Callable[[], Awaitable[object]]


def _requests_at(concurrency: int, requests: int) -> int:
    """Requests per variant at a level: half as many (at least 200) one at a time."""
    return max(requests // 2, 200) if concurrency == 1 else requests


async def _drive(call: Call, requests: int, concurrency: int) -> Measure:
    """``requests`` calls over ``concurrency`` workers, after one warm-up call per worker."""
    await asyncio.gather(*(call() for _ in range(concurrency)))  # opens the connections
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < requests:
            await call()

    with measure() as m:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return m[0]


async def _bench(
    url: str, creds: ncp.Credentials, requests: int, rounds: int
) -> dict[tuple[str, int], list[Measure]]:
    results: dict[tuple[str, int], list[Measure]] = {}
    signer = Signer(creds.access_key, creds.secret_key)
    target = URL(url.rstrip("/") + PATH, encoded=True)
    path_qs = target.raw_path_qs

    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL)) as session,
        ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(url), max_connections=POOL) as client,
    ):

        async def raw() -> object:
            headers = signer.headers("GET", path_qs, int(time.time() * 1000))
            async with session.get(target, headers=headers) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
                return await resp.json()

        async def full() -> object:
            return await client.vod_station.status_statistics()

        await asyncio.gather(raw(), full())
        for concurrency in LEVELS:
            n = _requests_at(concurrency, requests)
            for _ in range(rounds):
                for variant, call in (("raw", raw), ("client", full)):
                    m = await _drive(call, n, concurrency)
                    results.setdefault((variant, concurrency), []).append(
                        Measure(m.wall / n, m.cpu / n)
                    )
    return results


def run(options: Options) -> Report:
    requests, rounds = (400, 1) if options.quick else (3000, 5)
    report = Report(
        NAME,
        TITLE,
        f"raw/client CPU per request ≥ {TARGET} at concurrency {TARGET_LEVEL}",
    )
    with EmulatorProcess() as emu:
        results = run_async(
            lambda: _bench(emu.url, emu.credentials, requests, rounds), use_uvloop=options.uvloop
        )
    table = Table(
        [
            "concurrency",
            "raw CPU µs/req",
            "client CPU µs/req",
            "raw/client CPU",
            "raw req/s",
            "client req/s",
            "client/raw req/s",
        ]
    )
    ratios: dict[int, float] = {}
    for concurrency in LEVELS:
        raw = results[("raw", concurrency)]
        full = results[("client", concurrency)]
        raw_cpu, full_cpu = median([m.cpu for m in raw]), median([m.cpu for m in full])
        raw_rps, full_rps = 1 / median([m.wall for m in raw]), 1 / median([m.wall for m in full])
        ratios[concurrency] = raw_cpu / full_cpu
        table.add(
            concurrency,
            f"{raw_cpu * 1e6:.0f}",
            f"{full_cpu * 1e6:.0f}",
            f"{ratios[concurrency]:.2f}",
            f"{raw_rps:,.0f}",
            f"{full_rps:,.0f}",
            f"{full_rps / raw_rps:.2f}",
        )
    report.tables.append(table)
    report.notes.append(
        f"{requests:,} requests per variant and level ({_requests_at(1, requests):,} at "
        f"concurrency 1), median of {rounds} alternating round(s); CPU is the client "
        "process's only (the emulator runs in its own process)."
    )
    report.notes.append(
        "req/s is bounded by the emulator process on this machine at high concurrency; the CPU "
        "ratio is the comparison that does not depend on it."
    )
    report.passed = ratios[TARGET_LEVEL] >= TARGET
    return report
