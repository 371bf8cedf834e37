"""Awaiting encodings: ``wait_for_encodings`` over 2,000 jobs costs one walk of the status list
per interval, not one request per job.

2,000 files are added to a category with three encoding options (20 add-files requests), so the
status list holds 6,000 rows of this batch; the emulator (own process, 20 ms latency) finishes
every output 10 to 14 s after submission. ``wait_for_encodings`` walks the list every 2 s from
the batch's submission on, with ``page_size`` 100 and 1,000 (``prefetch`` 4). Its cost per
interval is counted at the emulator (status-list requests ÷ walks) and timed (wall and client
CPU per walk). The baseline is what a poller asking about each job on its own would send every
interval: 2,000 requests, one ``GET /status/{fileId}`` per job (the only per-job endpoint),
measured as one such round at concurrency 64 in the same run.
"""

from __future__ import annotations

import asyncio
import math
from functools import partial

import ncp_media_async as ncp

from ._common import EmulatorProcess, Measure, Options, Report, Table, measure, run_async

NAME = "encodings"
TITLE = "wait_for_encodings: 2,000 jobs, one status-list walk per interval vs a request per job"
OUTPUTS = 3  # encoding options of the emulator's first seeded category
LATENCY_MS = 20
INTERVAL = 2.0
CONCURRENCY = 64
TARGET_SHARE = 0.05  # requests per interval, as a share of the baseline's


async def _submit(client: ncp.MediaClient, count: int) -> list[ncp.EncodingJob]:
    categories = await client.vod_station.categories().to_list()
    category = next(c for c in categories if c.encoding_options and len(c.encoding_options) == 3)
    paths = [f"bench/{i:05d}.mp4" for i in range(count)]
    return await client.vod_station.add_files(category.id or 0, bucket="in", paths=paths)


async def _wait(
    url: str, creds: ncp.Credentials, count: int, page_size: int
) -> tuple[Measure, int, int]:
    """Submit ``count`` files, wait for them: (measure of the wait, walks, jobs done)."""
    walks = 1

    async def sleep(seconds: float) -> None:
        nonlocal walks
        walks += 1
        await asyncio.sleep(seconds)

    # The client's sleep: every pause of the wait (between walks) goes through it.
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(url), sleep=sleep) as client:
        jobs = await _submit(client, count)
        done = 0
        with measure() as m:
            async for job in client.vod_station.wait_for_encodings(
                jobs, interval=INTERVAL, page_size=page_size, prefetch=4
            ):
                done += job.succeeded
    return m[0], walks, done


async def _per_job_round(url: str, creds: ncp.Credentials, count: int) -> Measure:
    """One interval of a per-job poller: ``GET /status/{fileId}`` for every job."""
    async with ncp.MediaClient(
        creds, endpoints=ncp.Endpoints.at(url), max_connections=CONCURRENCY
    ) as client:
        jobs = await _submit(client, count)
        ids = [job.file_id for job in jobs if job.file_id is not None]
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(file_id: int) -> None:
            async with semaphore:
                await client.vod_station.encoding_job(file_id)

        await asyncio.gather(*(one(i) for i in ids[:CONCURRENCY]))  # connections, untimed
        with measure() as m:
            await asyncio.gather(*(one(i) for i in ids))
    return m[0]


def run(options: Options) -> Report:
    count = 500 if options.quick else 2_000
    rows = count * OUTPUTS
    report = Report(
        NAME,
        TITLE,
        f"requests per interval = the window's pages, ≤ {TARGET_SHARE:.0%} of a request per job",
    )
    table = Table(
        [
            "poller",
            "requests / interval",
            "× baseline",
            "wall ms / interval",
            "client CPU ms / interval",
            "intervals",
            "requests in all",
        ],
        caption=(
            f"{count:,} jobs × {OUTPUTS} outputs = {rows:,} status rows, {LATENCY_MS} ms "
            f"latency, interval {INTERVAL:g} s; every output ends 10-14 s after submission"
        ),
    )
    with EmulatorProcess(latency_ms=LATENCY_MS, encodings=300) as emu:
        baseline = run_async(
            partial(_per_job_round, emu.url, emu.credentials, count), use_uvloop=options.uvloop
        )
    table.add(
        f"a request per job (GET /status/{{fileId}}, concurrency {CONCURRENCY})",
        f"{count:,}",
        "1.00×",
        f"{baseline.wall * 1000:,.0f}",
        f"{baseline.cpu * 1000:,.0f}",
        "-",
        "-",
    )
    passed = True
    for page_size in (100, 1000):
        with EmulatorProcess(latency_ms=LATENCY_MS, encodings=300) as emu:
            m, walks, done = run_async(
                partial(_wait, emu.url, emu.credentials, count, page_size),
                use_uvloop=options.uvloop,
            )
            stats = emu.stats()
        if done != count:
            raise RuntimeError(f"page_size={page_size}: {done} of {count} jobs completed")
        sent = stats["requests"].get("encoding_statuses", 0)
        per_walk = sent / walks
        pages = math.ceil(rows / page_size)
        busy = m.wall - (walks - 1) * INTERVAL  # the time spent walking, pauses left out
        table.add(
            f"wait_for_encodings (page_size={page_size})",
            f"{per_walk:,.1f}",
            f"{per_walk / count:.3f}×",
            f"{busy / walks * 1000:,.0f}",
            f"{m.cpu / walks * 1000:,.0f}",
            walks,
            f"{sent:,} + {stats['requests'].get('category', 0)} category",
        )
        passed &= per_walk <= pages + 1 and per_walk <= TARGET_SHARE * count
        report.notes.append(
            f"page_size={page_size}: {sent:,} status-list requests in {walks} walks = "
            f"{per_walk:,.1f} per walk (the window holds {rows:,} rows: {pages} pages); "
            f"{stats['requests'].get('encoding_job', 0)} per-job requests."
        )
    report.tables.append(table)
    report.notes.append(
        "wall ms / interval is the walk itself (pauses between walks left out); client CPU "
        "covers the walks and structuring every row of the window."
    )
    report.passed = passed
    return report
