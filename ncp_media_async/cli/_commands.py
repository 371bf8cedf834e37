"""The subcommands, one thin function each: check the options, call the client (or run the
emulator, the demo), render. ``COMMANDS`` lists them for the group."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import IO, Any

import click

from .. import _defaults
from .._ratelimit import RateLimit
from ..client import MediaClient
from ..records import AssetRef
from ._columns import (
    ENCODING_COLUMNS,
    EVENT_COLUMNS,
    IMPORT_COLUMNS,
    RECORD_COLUMNS,
    STATISTICS_COLUMNS,
)
from ._demo import Demo, DemoOptions
from ._emulator import emulator_command
from ._errors import EXIT_FAILED
from ._imports import report_imports, wait_imports
from ._live_station import COMMANDS as LIVE_STATION_COMMANDS
from ._media_ai import MEDIA_AI_COMMANDS
from ._output import closing, counted
from ._params import (
    ASSET_REF,
    SEGMENT,
    FiniteRange,
    check_window,
    command,
    concurrency_option,
    interval_option,
    max_items_option,
    prefetch_option,
    progress_option,
    read_targets,
    timeout_option,
    window_options,
)
from ._progress import ProgressMode
from ._settings import Settings
from ._vod_station import VOD_COMMANDS

# ------------------------------------------------------------------------- VOD Station


@command("encoding-status", summary="VOD Station encoding status of every output file.")
@window_options
@click.option(
    "--page-size",
    type=click.IntRange(_defaults.ENCODING_STATUS_MIN_PAGE_SIZE, _defaults.MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="Items per page (pageSizeNo, from 10).",
)
@max_items_option
@prefetch_option
@click.pass_obj
def encoding_status(
    settings: Settings,
    start: datetime | None,
    end: datetime | None,
    page_size: int,
    max_items: int | None,
    prefetch: int,
) -> None:
    """VOD Station encoding status of every output file (GET /api/v2/status)."""
    check_window(start, end)
    output = settings.output()
    settings.call(
        lambda client: output.list(
            ENCODING_COLUMNS,
            client.vod_station.encoding_statuses(
                start=start, end=end, page_size=page_size, max_items=max_items, prefetch=prefetch
            ),
            noun="encoding status",
            plural="encoding statuses",
        )
    )


@command("statistics", summary="VOD Station encoding job counts per state.")
@window_options
@click.pass_obj
def statistics(settings: Settings, start: datetime | None, end: datetime | None) -> None:
    """VOD Station encoding job counts per state (GET /api/v2/status/status-statistic)."""
    check_window(start, end)
    output = settings.output()
    counts = settings.call(
        lambda client: client.vod_station.status_statistics(start=start, end=end)
    )
    output.table(STATISTICS_COLUMNS, [counts])


@command("channel-events", summary="VOD Station events of a channel, newest first.")
@click.argument("channel_id", type=SEGMENT)
@click.option(
    "--page-size",
    type=click.IntRange(1, _defaults.MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="Items per page (pageSizeNo).",
)
@max_items_option
@prefetch_option
@click.pass_obj
def channel_events(
    settings: Settings, channel_id: str, page_size: int, max_items: int | None, prefetch: int
) -> None:
    """VOD Station events of a channel, newest first (GET /api/v2/channels/{id}/events)."""
    output = settings.output()
    settings.call(
        lambda client: output.list(
            EVENT_COLUMNS,
            client.vod_station.channel_events(
                channel_id, page_size=page_size, max_items=max_items, prefetch=prefetch
            ),
            noun="event",
        )
    )


@command("watch-encodings", summary="Print VOD Station encodings, then each change.")
@window_options
@interval_option(5.0, "Pause between two walks of the list.")
@timeout_option(
    "watch_timeout", "Give up after this long (default: wait until every encoding is finished)."
)
@click.pass_obj
def watch_encodings(
    settings: Settings,
    start: datetime | None,
    end: datetime | None,
    interval: float,
    watch_timeout: float | None,
) -> None:
    """Print every encoding status, then each change, until all are finished.

    Re-walks GET /api/v2/status every --interval seconds; exits 0 once every encoding in the
    window is COMPLETE, FAILURE or CANCELED, 1 if --timeout passes first. In a table, a
    "changes" line separates the first listing from the changes.
    """
    check_window(start, end)
    output = settings.output()

    async def watch(client: MediaClient) -> int:
        # The header only once the event loop runs: a reader that sees it and presses Ctrl-C
        # gets a clean 130 (not an interrupted import of the loop).
        rows = output.stream(ENCODING_COLUMNS)
        rows.header()
        printed = 0
        seen: set[Hashable] = set()
        stream = client.vod_station.watch_encoding_statuses(
            start=start, end=end, interval=interval, timeout=watch_timeout
        )
        async with closing(stream) as statuses:
            async for status in statuses:
                if status.output_key in seen and len(seen) == printed:
                    rows.mark("changes")  # the first listing is over
                seen.add(status.output_key)
                rows.row(status)
                printed += 1
        return printed

    changes = settings.call(watch)
    output.note(f"every encoding finished ({changes:,} statuses and changes printed)")


# ------------------------------------------------------------------------- Live Station


@command("records", summary="Live Station recordings of a channel.")
@click.argument("channel_id", type=SEGMENT)
@click.pass_obj
def records(settings: Settings, channel_id: str) -> None:
    """Live Station recordings of a channel (GET /api/v2/channels/{id}/records)."""
    output = settings.output()
    found = settings.call(lambda client: client.live_station.records(channel_id))
    output.table(RECORD_COLUMNS, found)
    output.note(counted(len(found), "recording"))


# -------------------------------------------------------------------- Media Intelligence


@command("import-status", summary="Media Intelligence import status of one asset.")
@click.argument("workspace", type=SEGMENT)
@click.argument("project_id", type=SEGMENT)
@click.argument("asset_id", type=SEGMENT)
@click.pass_obj
def import_status(settings: Settings, workspace: str, project_id: str, asset_id: str) -> None:
    """Media Intelligence import status of one asset
    (GET /api/v1/workspaces/{w}/projects/{p}/assets/{a}/import-status)."""
    output = settings.output()
    status = settings.call(
        lambda client: client.media_ai.import_status(workspace, project_id, asset_id)
    )
    output.table(IMPORT_COLUMNS, [status])


@command("wait-imports", summary="Wait for Media Intelligence imports to finish.")
@click.argument("targets", nargs=-1, type=ASSET_REF)
@click.option(
    "--file",
    "target_file",
    type=click.File("rb"),
    metavar="PATH",
    help="Read targets from a file, one workspace/project/asset per line, UTF-8 (- for stdin).",
)
@concurrency_option(_defaults.POLL_CONCURRENCY, "Requests in flight at most.")
@interval_option(_defaults.POLL_INTERVAL, "Pause between two polls of one asset.")
@timeout_option(
    "wait_timeout", "Give up on the assets still unfinished after this long (default: no limit)."
)
@click.option(
    "--rate-limit",
    type=click.IntRange(1),
    metavar="PER_MINUTE",
    help="Pace requests to at most this many a minute (the service documents 1000).",
)
@progress_option
@click.pass_obj
def wait_imports_command(
    settings: Settings,
    targets: tuple[AssetRef, ...],
    target_file: IO[bytes] | None,
    concurrency: int,
    interval: float,
    wait_timeout: float | None,
    rate_limit: int | None,
    progress: ProgressMode,
) -> None:
    """Wait until asset imports finish; print each final status as it lands.

    TARGETS are workspace/project_id/asset_id. Exits 1 unless every import COMPLETED
    (a failed state, an asset that could not be polled, or a --timeout); the failures are
    listed on stderr at the end.
    """
    refs = read_targets(targets, target_file)
    output = settings.output()
    tally = settings.call(
        lambda client: wait_imports(
            client,
            refs,
            output,
            concurrency=concurrency,
            interval=interval,
            timeout=wait_timeout,
            progress=progress,
        ),
        max_connections=concurrency,
        rate_limit=None if rate_limit is None else RateLimit.per_minute(rate_limit),
    )
    report_imports(output, tally)
    if not tally.ok:
        raise click.exceptions.Exit(EXIT_FAILED)


# ----------------------------------------------------------------------------------- demo


_DEMO = DemoOptions()


@command("demo", summary="Everything against a built-in emulator, offline.", connect=False)
@click.option(
    "--imports",
    type=click.IntRange(0, 100_000),
    default=_DEMO.imports,
    show_default=True,
    help="Video assets to import and wait for.",
)
@click.option(
    "--bad-refs",
    type=click.IntRange(0, 100),
    default=_DEMO.bad_refs,
    show_default=True,
    help="Extra refs that cannot be polled (not found, malformed).",
)
@click.option("--seed", type=int, default=_DEMO.seed, show_default=True, help="Seed of the data.")
@click.option(
    "--latency-ms",
    type=FiniteRange(0),
    default=_DEMO.latency_ms,
    show_default=True,
    help="Emulated latency; each request waits 0.5x to 2x this.",
)
@concurrency_option(_DEMO.concurrency, "Import polls in flight at most.")
@interval_option(_DEMO.interval, "Pause between two polls of one asset.")
@click.option(
    "--watch",
    type=FiniteRange(0),
    default=_DEMO.watch,
    show_default=True,
    metavar="SECONDS",
    help="How long to watch encodings progress (0: skip).",
)
@click.option(
    "--ingest",
    type=click.IntRange(0, 100_000),
    default=_DEMO.ingest,
    show_default=True,
    help="Files to ingest from a bucket: import, wait, index, wait (0: skip).",
)
@progress_option
@click.pass_obj
def demo(settings: Settings, /, **options: Any) -> None:
    """Run the client against an in-process emulator: no credentials, no network.

    Waits for thousands of imports concurrently (with a progress bar), walks the encoding list
    with and without prefetch, watches encodings progress, ingests thousands of files from a
    bucket (a bar per stage), and prints what it took.
    """
    # The options are DemoOptions' fields by name, each checked by its click type.
    runner = Demo(DemoOptions(**options), settings.output())
    runner.summary(settings.run(runner.run))


COMMANDS: tuple[click.Command, ...] = (
    encoding_status,
    statistics,
    channel_events,
    watch_encodings,
    *VOD_COMMANDS,
    records,
    *LIVE_STATION_COMMANDS,
    import_status,
    wait_imports_command,
    *MEDIA_AI_COMMANDS,
    emulator_command,
    demo,
)
