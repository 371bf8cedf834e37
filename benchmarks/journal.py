"""The journal of a bulk write on its own: what 10,000 keys of an ``ingest`` cost it.

64 writers each take the next key and record what an ``ingest`` would: an ``intent``
(``durable=True``, its epoch time), then ``created`` (an asset id), ``imported``,
``index_requested`` (a time) and ``finished``, without waiting for them: 50,000 records, no
network. The baseline is the same writers recording nothing (``asyncio.sleep(0)`` where an
intent would wait). Measured: wall time, records/s, ``fsync`` calls (counted by wrapping
``os.fsync``) and durable records per ``fsync`` (group commit), the event loop thread's CPU per
record above the baseline (``time.thread_time``: the cost an ``ingest``'s loop would carry; the
writer thread's ``fsync`` waits are not CPU), how long a durable record waits (p50, p99), and
how long ``Journal.open`` takes to read the finished journal back (what a resume pays first).
The file lives under the repository (the disk a journal would be on), not in a tmpfs.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ncp_media_async._journal import Journal

from ._common import REPO_ROOT, Options, Report, Table, run_async

if TYPE_CHECKING:
    from _typeshed import HasFileno

NAME = "journal"
TITLE = "the journal alone: 10,000 keys × 5 records, 64 writers, an fsynced intent each"
WRITERS = 64
TARGET = {"workspace": "bench", "project": "p", "bucket": "b"}
#: Loop CPU the journal may add per record: 50,000 records × 9 µs = 0.45 s, 5 % of the 9.2 s
#: that ``ingest`` of 10,000 keys takes in RESULTS.md (its loop is about 90 % busy).
TARGET_US = 9.0
TARGET_PER_FSYNC = 8  # durable records per fsync at 64 writers, at least


class _Nothing:
    async def record(self, key: str, event: str, *, durable: bool = False, **_: object) -> None:
        if durable:
            await asyncio.sleep(0)


@dataclass
class _Round:
    wall: float  # seconds
    cpu: float  # seconds of the loop thread
    waits: list[float]  # seconds each intent waited
    fsyncs: int = 0


async def _run(journal: Journal | _Nothing, keys: int) -> _Round:
    left = iter(range(keys))
    waits: list[float] = []

    async def writer() -> None:
        for n in left:
            key = f"in/bench/{n:06d}.mp4"
            t0 = time.perf_counter()
            await journal.record(key, "intent", durable=True, at=time.time())
            waits.append(time.perf_counter() - t0)
            await journal.record(key, "created", asset_id=str(10_000_000 + n))
            await journal.record(key, "imported", status="COMPLETED")
            await journal.record(key, "index_requested", at=time.time())
            await journal.record(key, "finished", state="COMPLETED")

    wall0, cpu0 = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    if isinstance(journal, Journal):
        await journal.aclose()
    return _Round(time.perf_counter() - wall0, time.thread_time() - cpu0, waits)


def run(options: Options) -> Report:
    keys, rounds = (2_000, 1) if options.quick else (10_000, 5)
    loop = options.uvloop
    records = keys * 5
    report = Report(
        NAME,
        TITLE,
        f"loop CPU added ≤ {TARGET_US:g} µs per record and ≥ {TARGET_PER_FSYNC} durable "
        "records per fsync",
    )
    fsyncs = 0
    real_fsync = os.fsync

    def counting_fsync(fd: int | HasFileno) -> None:
        nonlocal fsyncs
        fsyncs += 1
        real_fsync(fd)

    results: dict[str, list[_Round]] = {"none": [], "journal": []}
    opens: list[float] = []
    with tempfile.TemporaryDirectory(dir=REPO_ROOT, prefix=".bench-journal-") as tmp:
        for i in range(rounds):
            results["none"].append(run_async(partial(_run, _Nothing(), keys), use_uvloop=loop))
            path = Path(tmp) / f"{i}.journal"
            journal = Journal.open(path, "ingest", TARGET)
            fsyncs = 0
            os.fsync = counting_fsync
            try:
                measured = run_async(partial(_run, journal, keys), use_uvloop=loop)
            finally:
                os.fsync = real_fsync
            measured.fsyncs = fsyncs
            results["journal"].append(measured)
            t0 = time.perf_counter()
            again = Journal.open(path, "ingest", TARGET)
            opens.append(time.perf_counter() - t0)
            assert len(again.entries) == keys
            run_async(again.aclose)

    table = Table(
        ["variant", "wall s", "records/s", "fsyncs", "fsyncs/s", "durable/fsync",
         "loop CPU µs/record", "durable wait p50 ms", "p99 ms"],
        caption=f"{keys:,} keys × 5 records ({records:,}), {WRITERS} writers, median of {rounds}",
    )
    medians: dict[str, _Round] = {}
    for name, runs in results.items():
        waits = sorted(w for r in runs for w in r.waits)
        m = medians[name] = _Round(
            statistics.median(r.wall for r in runs),
            statistics.median(r.cpu for r in runs),
            waits,
            round(statistics.median(r.fsyncs for r in runs)),
        )
        table.add(
            name, f"{m.wall:.2f}", f"{records / m.wall:,.0f}", f"{m.fsyncs:,}",
            f"{m.fsyncs / m.wall:,.0f}", f"{keys / m.fsyncs:.1f}" if m.fsyncs else "-",
            f"{m.cpu / records * 1e6:.2f}", f"{waits[len(waits) // 2] * 1e3:.2f}",
            f"{waits[len(waits) * 99 // 100] * 1e3:.2f}",
        )
    report.tables.append(table)
    added = (medians["journal"].cpu - medians["none"].cpu) / records * 1e6
    per_fsync = keys / medians["journal"].fsyncs
    report.notes += [
        f"the journal adds {added:.2f} µs of loop CPU per record "
        f"({added * records / 1e6:.2f} s for the {records:,}); {per_fsync:.1f} durable "
        "records per fsync",
        f"Journal.open reads the {records:,} records back in "
        f"{statistics.median(opens) * 1e3:.0f} ms (median)",
    ]
    report.passed = added <= TARGET_US and per_fsync >= TARGET_PER_FSYNC
    return report
