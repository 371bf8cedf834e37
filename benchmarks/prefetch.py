"""Prefetch: walking 40 pages one by one against ``prefetch`` 2, 4, 8 and 16.

The emulator (own process) delays every request by 10, 30 or 80 ms, as a distant gateway would.
A sequential walk pays 40 round trips; with ``prefetch=N`` the first page is fetched alone (it
tells ``total``), then up to N pages are in flight while items come out in order, so the walk
ideally takes ``1 + ceil(39 / N)`` round trips. The table gives the wall time of a full walk
(best of the rounds), the speed-up over the sequential walk and how close it comes to that ideal.
"""

from __future__ import annotations

import math
import time
from functools import partial

import ncp_media_async as ncp

from ._common import EmulatorProcess, Options, Report, Table, run_async

NAME = "prefetch"
TITLE = "40-page walk: sequential vs prefetch 2/4/8/16 at 10, 30, 80 ms latency"
PAGES = 40
PAGE_SIZE = 100
PREFETCH = (1, 2, 4, 8, 16)
LATENCIES_MS = (10, 30, 80)
TARGET_LATENCY, TARGET_PREFETCH, TARGET = 30, 8, 6.0


def ideal_round_trips(prefetch: int) -> int:
    """Round trips of a walk of ``PAGES`` pages: the first alone, then ``prefetch`` at a time."""
    return 1 + math.ceil((PAGES - 1) / prefetch)


async def _walks(url: str, creds: ncp.Credentials, rounds: int) -> dict[int, float]:
    best: dict[int, float] = {}
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(url)) as client:
        await client.vod_station.status_statistics()  # connect once before timing
        for _ in range(rounds):
            for prefetch in PREFETCH:
                pager = client.vod_station.encoding_statuses(page_size=PAGE_SIZE, prefetch=prefetch)
                t0 = time.perf_counter()
                seen = 0
                async for _status in pager:
                    seen += 1
                elapsed = time.perf_counter() - t0
                if seen != PAGES * PAGE_SIZE:
                    raise RuntimeError(f"prefetch={prefetch} walked {seen} items")
                best[prefetch] = min(best.get(prefetch, math.inf), elapsed)
    return best


def run(options: Options) -> Report:
    latencies, rounds = ((TARGET_LATENCY,), 1) if options.quick else (LATENCIES_MS, 3)
    report = Report(
        NAME,
        TITLE,
        f"prefetch {TARGET_PREFETCH} at {TARGET_LATENCY} ms ≥ {TARGET:g}× faster than sequential",
    )
    table = Table(
        ["latency", "prefetch", "walk ms", "speed-up", "ideal speed-up", "of ideal"],
        caption=f"{PAGES} pages of {PAGE_SIZE} items, best of {rounds} round(s)",
    )
    target_speedup = 0.0
    for latency in latencies:
        with EmulatorProcess(latency_ms=latency, encodings=PAGES * PAGE_SIZE) as emu:
            best = run_async(
                partial(_walks, emu.url, emu.credentials, rounds), use_uvloop=options.uvloop
            )
        sequential = best[1]
        for prefetch in PREFETCH:
            speedup = sequential / best[prefetch]
            ideal = ideal_round_trips(1) / ideal_round_trips(prefetch)
            table.add(
                f"{latency} ms" if prefetch == 1 else "",
                "sequential" if prefetch == 1 else prefetch,
                f"{best[prefetch] * 1000:.0f}",
                f"{speedup:.2f}×",
                f"{ideal:.2f}×",
                f"{speedup / ideal:.0%}",
            )
            if latency == TARGET_LATENCY and prefetch == TARGET_PREFETCH:
                target_speedup = speedup
    report.tables.append(table)
    sequential_trips, target_trips = ideal_round_trips(1), ideal_round_trips(TARGET_PREFETCH)
    report.notes.append(
        f"prefetch {TARGET_PREFETCH} at {TARGET_LATENCY} ms: {target_speedup:.2f}× the "
        f"sequential walk (ideal {sequential_trips / target_trips:.2f}×: {sequential_trips} round "
        f"trips against {target_trips})."
    )
    report.passed = target_speedup >= TARGET
    return report
