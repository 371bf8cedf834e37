"""``ncp-media demo``: the client against an in-process emulator, phase by phase (wait for
thousands of imports, walk the encoding list with and without prefetch, watch encodings
progress, ingest thousands of files from a bucket), then a summary of what it took
(``DemoReport``)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any

import attrs
from rich.markup import escape
from rich.table import Table

from .. import _defaults
from ..client import Endpoints, MediaClient
from ..media_ai import IndexOptions
from ..polling import PollTimeoutError
from ..records import AssetRef, EncodingStatus, StatusStatistics
from ._columns import fmt_opt, fmt_percent
from ._imports import ImportTally, wait_imports
from ._media_ai import IngestTally, run_ingest
from ._output import Output, closing, to_jsonable
from ._progress import ProgressMode, fmt_seconds

if TYPE_CHECKING:
    from ..testing import Emulator


def per_second(count: int, seconds: float) -> float:
    """``count`` over ``seconds`` (no division by zero)."""
    return count / max(seconds, 1e-9)


@attrs.frozen
class DemoOptions:
    """What ``ncp-media demo`` runs."""

    imports: int = 3000
    bad_refs: int = 3
    seed: int = 0
    latency_ms: float = 10.0
    concurrency: int = 64
    interval: float = 1.0
    watch: float = 3.0
    ingest: int = 2000
    progress: ProgressMode = "auto"


@attrs.define
class DemoReport:
    """What the demo measured."""

    imports: ImportTally
    import_requests: int = 0
    encodings: int = 0
    pages: int = 0
    walks: dict[int, float] = attrs.field(factory=dict)
    watch_changes: int = 0
    watch_finished: int = 0
    watch_unfinished: int = 0
    statistics: StatusStatistics | None = None
    ingest: IngestTally | None = None
    ingest_requests: int = 0
    requests: Counter[str] = attrs.field(factory=Counter)
    total_requests: int = 0
    peak_in_flight: int = 0
    polls_after_terminal: int = 0
    wall: float = 0.0

    @property
    def import_rate(self) -> float:
        """Requests per second while waiting for the imports."""
        return per_second(self.import_requests, self.imports.elapsed)

    @property
    def request_rate(self) -> float:
        """Requests per second over the whole demo."""
        return per_second(self.total_requests, self.wall)

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        tally = self.imports
        return {
            "imports": {
                "total": tally.total,
                "states": dict(tally.states),
                "pending": len(tally.pending),
                "poll_errors": [{"asset": str(r), "error": why} for r, why in tally.poll_errors],
                "failures": [{"asset": str(r), "reason": why} for r, why in tally.failures],
                "seconds": round(tally.elapsed, 3),
                "requests": self.import_requests,
                "requests_per_second": round(self.import_rate, 1),
            },
            "encoding_walk": {
                "items": self.encodings,
                "pages": self.pages,
                "seconds_by_prefetch": {str(k): round(v, 4) for k, v in self.walks.items()},
            },
            "watch": {
                "changes": self.watch_changes,
                "finished": self.watch_finished,
                "unfinished": self.watch_unfinished,
            },
            "statistics": to_jsonable(self.statistics),
            "ingest": None
            if self.ingest is None
            else {
                "keys": self.ingest.total,
                "ends": dict(self.ingest.ends),
                "seconds": round(self.ingest.elapsed, 3),
                "requests": self.ingest_requests,
                "requests_per_second": round(
                    per_second(self.ingest_requests, self.ingest.elapsed), 1
                ),
            },
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "peak_in_flight": self.peak_in_flight,
            "polls_after_terminal": self.polls_after_terminal,
            "requests_per_second": round(self.request_rate, 1),
            "wall_seconds": round(self.wall, 3),
        }


def _jittered_sleep(rng: random.Random) -> Callable[[float], Awaitable[None]]:
    """The emulator's latency sleep, spread from half to twice the configured delay."""

    async def sleep(delay: float) -> None:
        await asyncio.sleep(delay * rng.uniform(0.5, 2.0))

    return sleep


class Demo:
    """``ncp-media demo``: the client against an in-process emulator, phase by phase."""

    PAGE_SIZE = 20
    PREFETCHES = (1, 8)

    def __init__(self, options: DemoOptions, output: Output) -> None:
        self.options = options
        self.output = output

    def say(self, text: str) -> None:
        """Narration (rich markup): with the tables in table mode; on stderr with ``--json``,
        where stdout is the report only."""
        console = self.output.err if self.output.as_json else self.output.console
        console.print(text, highlight=False)

    async def run(self) -> DemoReport:
        """Start the emulator, run every phase, stop it; return the measurements."""
        from ..testing import Emulator, EmulatorServer, Scenario  # not needed by other commands

        opts = self.options
        started = time.monotonic()
        scenario = attrs.evolve(Scenario.demo(opts.seed), imports=opts.imports)
        emulator = Emulator(
            scenario,
            latency=opts.latency_ms / 1000,
            sleep=_jittered_sleep(random.Random(opts.seed)),
        )
        async with EmulatorServer(emulator) as server:
            lo, hi = opts.latency_ms / 2, opts.latency_ms * 2
            self.say(
                f"[bold]ncp-media demo[/]: emulator at {server.url} (seed {opts.seed}, "
                f"{opts.imports:,} imports, {emulator.info()['encoding_statuses']:,} encodings, "
                f"latency {lo:g}-{hi:g} ms per request)"
            )
            async with MediaClient(
                server.credentials,
                endpoints=Endpoints.at(server.url),
                max_connections=max(opts.concurrency, _defaults.MAX_CONNECTIONS),
            ) as client:
                report = DemoReport(imports=await self._imports(client, emulator))
                report.import_requests = emulator.stats.total_requests
                await self._walks(client, report)
                await self._watch(client, emulator, report)
                report.statistics = await client.vod_station.status_statistics()
                await self._ingest(client, emulator, report)
            stats = emulator.stats
            report.requests = Counter(stats.requests)
            report.total_requests = stats.total_requests
            report.peak_in_flight = stats.peak_in_flight
            report.polls_after_terminal = stats.total_polls_after_terminal
        report.wall = time.monotonic() - started
        return report

    async def _imports(self, client: MediaClient, emulator: Emulator) -> ImportTally:
        opts = self.options
        refs = [AssetRef(*key) for key in emulator.media_ai.import_refs()]
        scenario = emulator.scenario
        bad = [  # assets that do not exist, and one malformed id: they fail, the rest go on
            AssetRef(scenario.workspace, scenario.project_id, str(9_000_000 + i))
            for i in range(max(opts.bad_refs - 1, 0))
        ]
        if opts.bad_refs:
            bad.append(AssetRef(scenario.workspace, scenario.project_id, "not-a-number"))
        self.say(
            f"\n[bold]1. Waiting for {len(refs) + len(bad):,} imports[/] ({len(bad)} of them "
            f"bad refs) with wait_for_imports(concurrency={opts.concurrency}, "
            f"interval={opts.interval:g})"
        )
        emulator.reset_stats()
        tally = await wait_imports(
            client,
            refs + bad,
            self.output,
            concurrency=opts.concurrency,
            interval=opts.interval,
            timeout=60.0,
            progress=opts.progress,
            print_each=False,
        )
        stats = emulator.stats
        self.say(
            f"   {tally.done:,} landed in {tally.elapsed:.1f}s: {stats.total_requests:,} "
            f"requests, {per_second(stats.total_requests, tally.elapsed):,.0f} req/s, peak "
            f"{stats.peak_in_flight} in flight, {stats.total_polls_after_terminal} polls "
            "after a terminal state"
        )
        return tally

    async def _walks(self, client: MediaClient, report: DemoReport) -> None:
        self.say(f"\n[bold]2. Walking the encoding status list[/] ({self.PAGE_SIZE} per page)")
        for prefetch in self.PREFETCHES:
            began = time.monotonic()
            count = pages = 0
            pager = client.vod_station.encoding_statuses(
                page_size=self.PAGE_SIZE, prefetch=prefetch
            )
            async with closing(pager.pages()) as walk:
                async for page in walk:
                    pages += 1
                    count += len(page.items)
            report.walks[prefetch] = time.monotonic() - began
            report.encodings, report.pages = count, pages
            self.say(
                f"   prefetch={prefetch}: {count:,} items, {pages} pages in "
                f"{report.walks[prefetch]:.2f}s"
            )
        first, last = (report.walks[p] for p in self.PREFETCHES)
        self.say(f"   prefetch={self.PREFETCHES[-1]} was {first / max(last, 1e-9):.1f}x faster")

    async def _watch(self, client: MediaClient, emulator: Emulator, report: DemoReport) -> None:
        seconds = self.options.watch
        if seconds <= 0:
            return
        outcomes = ("COMPLETE", "COMPLETE", "FAILURE", "COMPLETE")
        for i, outcome in enumerate(outcomes):  # a few quick jobs, so something finishes
            emulator.vod_station.add_progressing_encoding(
                queue_seconds=seconds * 0.05 * i,
                run_seconds=seconds * 0.4,
                outcome=outcome,
                fields={"filePath": f"upload/demo-{i}.mp4", "categoryName": "demo"},
            )
        interval = min(1.0, seconds / 3)
        self.say(
            f"\n[bold]3. Watching encodings for {seconds:g}s[/] (a walk every {interval:.2g}s)"
        )
        seen: dict[Hashable, EncodingStatus] = {}
        shown = 0
        stream = client.vod_station.watch_encoding_statuses(
            interval=interval, timeout=seconds, page_size=100, prefetch=8
        )
        with contextlib.suppress(PollTimeoutError):
            async with closing(stream) as statuses:
                async for status in statuses:
                    key = status.output_key
                    before = seen.get(key)
                    seen[key] = status
                    if before is None:
                        continue
                    report.watch_changes += 1
                    if status.terminal:
                        report.watch_finished += 1
                    if shown < 8 and (status.terminal or before.status != status.status):
                        shown += 1
                        self.say(
                            f"   {escape(fmt_opt(status.file_path))} "
                            f"({escape(fmt_opt(status.output_type))}): {fmt_opt(before.status)} "
                            f"{fmt_percent(before)}% -> {fmt_opt(status.status)} "
                            f"{fmt_percent(status)}%"
                        )
        report.watch_unfinished = sum(1 for s in seen.values() if not s.terminal)
        self.say(
            f"   {report.watch_changes:,} changes seen, {report.watch_finished} finished, "
            f"{report.watch_unfinished} still under way when the watch stopped"
        )

    async def _ingest(self, client: MediaClient, emulator: Emulator, report: DemoReport) -> None:
        opts = self.options
        if opts.ingest <= 0:
            return
        store, scenario = emulator.media_ai, emulator.scenario
        store.import_failure_rate, store.index_failure_rate = 0.06, 0.04  # a few fail
        keys = [f"uploads/clip-{i:05d}.mp4" for i in range(opts.ingest)]
        self.say(
            f"\n[bold]4. Ingesting {len(keys):,} files[/] from a bucket: import, wait, index, "
            f"wait, each file on its own, with ingest(concurrency={opts.concurrency}, "
            f"interval={opts.interval:g}, index_interval={opts.interval:g})"
        )
        before = emulator.stats.total_requests
        report.ingest = tally = await run_ingest(
            client,
            self.output,
            workspace=scenario.workspace,
            project_id=scenario.project_id,
            bucket="demo-bucket",
            keys=keys,
            index=IndexOptions(),
            concurrency=opts.concurrency,
            interval=opts.interval,
            index_interval=opts.interval,
            timeout=120.0,
            if_running="raise",
            progress=opts.progress,
            print_each=False,
        )
        report.ingest_requests = emulator.stats.total_requests - before
        self.say(
            f"   {tally.outcome()} in {tally.elapsed:.1f}s: {report.ingest_requests:,} "
            f"requests, {per_second(report.ingest_requests, tally.elapsed):,.0f} req/s"
        )

    def summary(self, report: DemoReport) -> None:
        """The closing table (or the report as one JSON object with ``--json``)."""
        if self.output.as_json:
            self.output.json_line(report.as_json())
            return
        tally = report.imports
        table = Table(title="Summary", title_justify="left", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("imports", f"{tally.total:,}: {tally.outcome()}")
        table.add_row(
            "import wait",
            f"{fmt_seconds(tally.elapsed)}, {report.import_requests:,} requests "
            f"({report.import_rate:,.0f} req/s)",
        )
        table.add_row(
            "encoding walk",
            ", ".join(f"prefetch={p}: {s:.2f}s" for p, s in report.walks.items()),
        )
        if report.statistics is not None:
            st = report.statistics
            table.add_row(
                "encodings now",
                f"{st.complete:,} complete, {st.running} running, {st.waiting} waiting, "
                f"{st.failure} failed, {st.canceled} canceled",
            )
        if report.ingest is not None:
            ingest = report.ingest
            table.add_row(
                "ingest",
                f"{ingest.total:,} files in {fmt_seconds(ingest.elapsed)}: {ingest.outcome()}",
            )
        table.add_row(
            "requests",
            f"{report.total_requests:,} ("
            + ", ".join(f"{route} {n:,}" for route, n in report.requests.most_common())
            + ")",
        )
        table.add_row("peak in flight", str(report.peak_in_flight))
        table.add_row("polls after terminal", str(report.polls_after_terminal))
        table.add_row("requests per second", f"{report.request_rate:,.0f}")
        table.add_row("wall time", fmt_seconds(report.wall))
        self.output.console.print()
        self.output.console.print(table)
