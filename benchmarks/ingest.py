"""Ingest: 10,000 Object Storage keys through import → wait → index → wait, concurrency 200, 20 ms
latency, against a bare aiohttp pipeline sending the same requests in the same run.

Every import completes at its second status poll and every analysis at its third (the
emulator's first answers BEFORE_ANALYZE: not picked up yet), so each key takes exactly seven
requests (one import, two import polls, one analysis request, three analysis polls) and the run
70,000, with no pause between polls (``interval=0``). The bare pipeline is what a careful
hand-written caller would do with the same pool: 200 workers, each taking the next key and
carrying it through its seven requests (signed with ``Signer``, the URL built once with yarl,
``json.loads``), no records, no retries. ``ingest`` is timed against it (target: ≤ 1.15× its wall
time).

Then what crash safety costs: ``ingest`` with a journal (``journal=PATH``, a file in a directory of
the repository: the disk a journal would be on, not a tmpfs) against ``ingest`` without, 10,000
keys each, on one client and one emulator, in ten rounds of 1,000 keys that take turns (without,
with; with, without; ...), so that a machine whose load changes over the minutes slows both
alike (target: ≤ 1.05× the wall time). Per key the journal takes six records, two of them (the
import's and the analysis's intents) fsynced before their request goes, in groups.

Then each is run again, instrumented (its timings are not the ones compared): every request's
start and end are recorded, per asset, and the gaps between the end of one step of a key and the
start of its next are reported. ``ingest`` moves each key on as soon as its step ended, so its
gaps are the event loop's own latency, as in the bare pipeline where each worker goes straight
on: no step of a key waits for another key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import partial
from statistics import quantiles
from typing import Any

import aiohttp
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async._signing import Signer, encode_path

from ._common import (
    REPO_ROOT,
    EmulatorProcess,
    Measure,
    Options,
    Report,
    Table,
    measure,
    run_async,
)
from ._data import PROJECT_ID, WORKSPACE

NAME = "ingest"
TITLE = "10,000 keys imported and indexed, concurrency 200, 20 ms latency, against bare aiohttp"
CONCURRENCY = 200
LATENCY_MS = 20
IMPORT_POLLS = 2
INDEX_POLLS = 2  # after the one BEFORE_ANALYZE answer: 3 analysis polls in all
REQUESTS_PER_KEY = 1 + IMPORT_POLLS + 1 + 1 + INDEX_POLLS
TARGET = 1.15
JOURNAL_TARGET = 1.05
ROUNDS = 10
BUCKET = "bench-bucket"
_ENDED = frozenset({"ANALYZE_COMPLETED", "ANALYZE_FAIL", "ANALYZE_CANCEL"})

#: Per asset id, the (start, end) of each of its requests, ``time.monotonic`` seconds.
Timeline = dict[str, list[tuple[float, float]]]


def _keys(count: int) -> list[str]:
    return [f"bench/clip-{i:05d}.mp4" for i in range(count)]


async def _warm_up(call: Callable[[], Any]) -> None:
    """Untimed: learn the clock, open the connections."""
    await call()
    await asyncio.gather(*(call() for _ in range(CONCURRENCY)))


# -- the client -------------------------------------------------------------------------------


async def _client_run(
    url: str, creds: ncp.Credentials, count: int, timeline: Timeline | None
) -> tuple[Measure, int]:
    hook: Callable[[ncp.AttemptEvent], None] | None = None
    on_progress: Callable[[ncp.IngestResult], None] | None = None
    if timeline is not None:

        def hook(event: ncp.AttemptEvent) -> None:
            if "/assets/" in event.path and event.path.endswith(("status", "index")):
                end = time.monotonic()
                asset = event.path.split("/assets/", 1)[1].split("/", 1)[0]
                timeline[asset].append((end - event.elapsed_ms / 1000, end))

        def on_progress(result: ncp.IngestResult) -> None:  # the import request just ended
            if result.stage is ncp.IngestStage.IMPORT_WAIT and result.ref is not None:
                now = time.monotonic()
                timeline[result.ref.asset_id].append((now, now))

    async with ncp.MediaClient(
        creds, endpoints=ncp.Endpoints.at(url), max_connections=CONCURRENCY, on_attempt=hook
    ) as client:
        await _warm_up(client.vod_station.status_statistics)
        indexed = 0
        with measure() as m:
            async for result in client.media_ai.ingest(
                WORKSPACE,
                PROJECT_ID,
                bucket=BUCKET,
                keys=_keys(count),
                concurrency=CONCURRENCY,
                interval=0,
                index_interval=0,
                on_progress=on_progress,
            ):
                indexed += result.ok
    return m[0], indexed


# -- the bare pipeline ------------------------------------------------------------------------


async def _bare_run(
    url: str, creds: ncp.Credentials, count: int, timeline: Timeline | None
) -> tuple[Measure, int]:
    signer = Signer(creds.access_key, creds.secret_key)
    base = url.rstrip("/")
    project = encode_path("api", "v1", "workspaces", WORKSPACE, "projects", PROJECT_ID)
    todo = deque(_keys(count))
    indexed = 0

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:

        async def call(method: str, path: str, body: Any = None) -> Any:
            headers = signer.headers(method, path, int(time.time() * 1000))
            data = None
            if body is not None:
                headers["Content-Type"] = "application/json"
                data = json.dumps(body).encode()
            async with session.request(
                method, URL(base + path, encoded=True), headers=headers, data=data
            ) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"{method} {path}: HTTP {resp.status}")
                return json.loads(await resp.read()).get("result")

        async def timed(asset: str, method: str, path: str, body: Any = None) -> Any:
            if timeline is None:
                return await call(method, path, body)
            start = time.monotonic()
            try:
                return await call(method, path, body)
            finally:
                timeline[asset].append((start, time.monotonic()))

        async def ingest(key: str) -> bool:
            created = await call(
                "POST",
                project + "/assets/import/object-storage",
                {"key": key, "bucketName": BUCKET},
            )
            asset_id = str(created["assetId"])
            if timeline is not None:
                now = time.monotonic()
                timeline[asset_id].append((now, now))
            asset = f"{project}/assets/{asset_id}"
            while True:
                status = (await timed(asset_id, "GET", asset + "/import-status"))["uploadStatus"]
                if status != "IN_PROGRESS":
                    break
            if status != "COMPLETED":
                return False
            await timed(asset_id, "POST", asset + "/index", {"analysisPersonCount": 6})
            while (state := (await timed(asset_id, "GET", asset + "/index/status"))["status"]) \
                    not in _ENDED:  # fmt: skip
                pass
            return state == "ANALYZE_COMPLETED"

        async def worker() -> None:
            nonlocal indexed
            while todo:
                done = await ingest(todo.popleft())
                indexed += done  # after the await: ``indexed += await ...`` would lose counts

        await _warm_up(partial(call, "GET", "/api/v2/status/status-statistic"))
        with measure() as m:
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return m[0], indexed


# -- the journal's cost -------------------------------------------------------------------------


async def _journal_rounds(url: str, creds: ncp.Credentials, count: int) -> dict[str, list[Measure]]:
    """``count`` keys with a journal and ``count`` without, in ``ROUNDS`` rounds taking turns;
    each round's wall and CPU seconds (the journal's writer thread included)."""
    runs: dict[str, list[Measure]] = {"without a journal": [], "with a journal": []}
    async with ncp.MediaClient(
        creds, endpoints=ncp.Endpoints.at(url), max_connections=CONCURRENCY
    ) as client:
        await _warm_up(client.vod_station.status_statistics)
        with tempfile.TemporaryDirectory(dir=REPO_ROOT) as folder:
            for n in range(ROUNDS):
                for name in list(runs)[:: 1 if n % 2 == 0 else -1]:
                    journal = f"{folder}/{n}.journal" if name == "with a journal" else None
                    keys = [f"{key}-{n}-{journal is not None}" for key in _keys(count // ROUNDS)]
                    indexed = 0
                    with measure() as m:
                        async for result in client.media_ai.ingest(
                            WORKSPACE, PROJECT_ID, bucket=BUCKET, keys=keys,
                            concurrency=CONCURRENCY, interval=0, index_interval=0,
                            journal=journal,
                        ):  # fmt: skip
                            indexed += result.ok
                    if indexed != len(keys):
                        raise RuntimeError(f"{name}: {indexed} of {len(keys)} keys indexed")
                    runs[name].append(m[0])
    return runs


def _journal_cost(count: int, options: Options) -> tuple[Table, float, list[float]]:
    with EmulatorProcess(
        latency_ms=LATENCY_MS, imports=1, import_polls=IMPORT_POLLS, index_polls=INDEX_POLLS
    ) as emu:
        runs = run_async(
            partial(_journal_rounds, emu.url, emu.credentials, count), use_uvloop=options.uvloop
        )
    table = Table(
        ["ingest", "wall s", "× without", "keys/s", "client CPU µs/key"],
        caption=f"{count:,} keys each, in {ROUNDS} rounds of {count // ROUNDS:,} taking turns, "
        f"concurrency {CONCURRENCY}, {LATENCY_MS} ms latency, one client, one emulator",
    )
    walls = {name: sum(m.wall for m in measures) for name, measures in runs.items()}
    base = walls["without a journal"]
    for name, measures in runs.items():
        cpu = sum(m.cpu for m in measures)
        table.add(
            name, f"{walls[name]:.2f}", f"{walls[name] / base:.3f}×",
            f"{count / walls[name]:,.0f}", f"{cpu / count * 1e6:.0f}",
        )  # fmt: skip
    pairs = zip(runs["with a journal"], runs["without a journal"], strict=True)
    return table, walls["with a journal"] / base, sorted(a.wall / b.wall for a, b in pairs)


# -- the report ---------------------------------------------------------------------------------


def _gaps(timeline: Timeline) -> list[float]:
    """Milliseconds between the end of each request of an asset and the start of its next."""
    gaps: list[float] = []
    for spans in timeline.values():
        spans.sort()
        gaps += [(b[0] - a[1]) * 1000 for a, b in itertools.pairwise(spans)]
    return gaps


def _spread(gaps: list[float]) -> tuple[str, str, str, str, str]:
    cuts = quantiles(gaps, n=100, method="inclusive")
    return (
        f"{len(gaps):,}",
        f"{cuts[49]:.2f}",
        f"{cuts[98]:.2f}",
        f"{max(gaps):.2f}",
        f"{sum(g >= LATENCY_MS for g in gaps) / len(gaps):.2%}",
    )


Run = Callable[[str, ncp.Credentials, int, Timeline | None], Any]


def _run_one(go: Run, count: int, options: Options, timeline: Timeline | None) -> tuple[
    Measure, int, float, dict[str, Any]
]:  # fmt: skip
    with EmulatorProcess(
        latency_ms=LATENCY_MS, imports=1, import_polls=IMPORT_POLLS, index_polls=INDEX_POLLS
    ) as emu:
        emu_cpu = emu.cpu_seconds()
        m, indexed = run_async(
            partial(go, emu.url, emu.credentials, count, timeline), use_uvloop=options.uvloop
        )
        emu_cpu = emu.cpu_seconds() - emu_cpu
        stats = emu.stats()
    if indexed != count:
        raise RuntimeError(f"{go.__name__}: {indexed} of {count} keys indexed")
    return m, indexed, emu_cpu, stats


def run(options: Options) -> Report:
    count = 2_000 if options.quick else 10_000
    requests = count * REQUESTS_PER_KEY
    ideal = requests * LATENCY_MS / 1000 / CONCURRENCY
    report = Report(
        NAME,
        TITLE,
        f"ingest wall time ≤ {TARGET}× the bare pipeline's; with a journal ≤ {JOURNAL_TARGET}× "
        "without",
    )
    table = Table(
        [
            "pipeline", "wall s", "× bare", "× ideal", "keys/s", "req/s", "client CPU µs/req",
            "client CPU busy", "emulator CPU busy", "peak in flight",
        ],
        caption=(
            f"{count:,} keys × {REQUESTS_PER_KEY} requests = {requests:,} requests, concurrency "
            f"{CONCURRENCY}, {LATENCY_MS} ms latency, no pause between polls; ideal = "
            f"{ideal:.2f} s"
        ),
    )  # fmt: skip
    runs: dict[str, Run] = {
        "bare aiohttp pipeline": _bare_run,
        "client.media_ai.ingest": _client_run,
    }
    walls: dict[str, float] = {}
    for name, go in runs.items():
        m, _, emu_cpu, stats = _run_one(go, count, options, None)
        sent = stats["total_requests"] - (1 + CONCURRENCY)  # less the warm-up
        if sent != requests:
            raise RuntimeError(f"{name}: {sent:,} requests, not {requests:,}")
        walls[name] = m.wall
        bare = walls["bare aiohttp pipeline"]
        table.add(
            name, f"{m.wall:.2f}", f"{m.wall / bare:.2f}×", f"{m.wall / ideal:.2f}×",
            f"{count / m.wall:,.0f}", f"{sent / m.wall:,.0f}", f"{m.cpu / sent * 1e6:.0f}",
            f"{m.cpu / m.wall:.0%}", f"{emu_cpu / m.wall:.0%}", stats["peak_in_flight"],
        )  # fmt: skip
    report.tables.append(table)

    spread = Table(
        ["pipeline (instrumented run)", "gaps", "p50 ms", "p99 ms", "max ms",
         f"≥ {LATENCY_MS} ms"],
        caption="Gaps between the end of a key's step and the start of its next step "
        "(import → first import poll, poll → poll, last import poll → analysis request, "
        "analysis request → first analysis poll, ...), per asset",
    )  # fmt: skip
    for name, go in runs.items():
        timeline: Timeline = defaultdict(list)
        _run_one(go, count, options, timeline)
        spread.add(name, *_spread(_gaps(timeline)))
    report.tables.append(spread)

    cost_table, cost, per_round = _journal_cost(count, options)
    report.tables.append(cost_table)
    ratio = walls["client.media_ai.ingest"] / walls["bare aiohttp pipeline"]
    report.notes.append(
        "CPU busy = CPU seconds ÷ wall seconds of the run, per process (100 % = one CPU "
        "saturated): near 100 %, that process, not the latency, sets the pace."
    )
    report.notes.append(
        f"ingest took {ratio:.2f}× the bare pipeline's wall time; a gap of a request's latency "
        f"({LATENCY_MS} ms) or more would be a key waiting for another key's step."
    )
    report.notes.append(
        f"With a journal, ingest took {cost:.3f}× the wall time without one (rounds: "
        f"{per_round[0]:.2f}× to {per_round[-1]:.2f}×, median "
        f"{per_round[len(per_round) // 2]:.2f}×)."
    )
    report.passed = ratio <= TARGET and cost <= JOURNAL_TARGET
    return report
