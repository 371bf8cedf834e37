"""VOD Station commands beyond the status reads: ``categories``, ``vod-channels`` and
``add-files`` (with ``--wait``: a progress bar per output, each file printed as its encodings
end). ``VOD_COMMANDS`` lists them for the group."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import IO, TypeVar

import attrs
import click
from rich.text import Text

from .. import _defaults
from ..client import MediaClient
from ..errors import AddFilesError, NcpError
from ..pagination import Pager
from ..polling import PollFailure, PollTimeoutError
from ..records import (
    Category,
    EncodingJob,
    EncodingState,
    OutputSettings,
    VodChannel,
)
from ._columns import Col, Kind, fmt_size, styled_state
from ._errors import EXIT_FAILED, error_json, short_reason
from ._output import Output, Rows, closing, counted
from ._params import (
    command,
    interval_option,
    journal_option,
    max_items_option,
    prefetch_option,
    progress_option,
    timeout_option,
)
from ._progress import ProgressDisplay, ProgressMode, Stage, fmt_seconds
from ._settings import Settings

__all__ = ["VOD_COMMANDS"]

T = TypeVar("T")


def _outputs_of(category: Category) -> str:
    if category.encoding_options:
        return ",".join(str(i) for i in category.encoding_options)
    if category.encoding_option_template_id is not None:
        return f"template {category.encoding_option_template_id}"
    return "-"


def _output_place(category: Category) -> str | None:
    out = category.output
    return None if out is None else f"{out.bucket_name or '-'}:{out.file_path or '-'}"


CATEGORY_COLUMNS: tuple[Col[Category], ...] = (
    Col("id", lambda c: c.id, Kind.ID),
    Col("name", lambda c: c.name, Kind.TEXT, priority=5),
    Col("options", _outputs_of, priority=4),
    Col("output", _output_place, Kind.TEXT, priority=2),
    Col("callback", lambda c: c.notification_url, Kind.TEXT, priority=0),
    Col("created", lambda c: c.create_time, Kind.TIME, priority=1),
    Col("last work", lambda c: c.last_work_start, Kind.TIME, priority=3),
)
VOD_CHANNEL_COLUMNS: tuple[Col[VodChannel], ...] = (
    Col("id", lambda c: c.id, Kind.ID),
    Col("name", lambda c: c.name, Kind.TEXT, priority=4),
    Col("status", lambda c: styled_state(c.channel_status), priority=5),
    Col("bucket", lambda c: c.storage_bucket_name, Kind.TEXT, priority=3),
    Col("protocols", lambda c: ",".join(c.protocol_list or ()) or None, priority=2),
    Col("segment s", lambda c: c.segment_duration, priority=0, justify="right"),
    Col("created", lambda c: c.create_time, Kind.TIME, priority=1),
)
JOB_COLUMNS: tuple[Col[EncodingJob], ...] = (
    Col("file id", lambda j: j.file_id, Kind.ID, justify="right", width=9),
    Col("category", lambda j: j.category_id, priority=1, justify="right"),
    Col("input", lambda j: j.input_path, Kind.ID, width=30),
)


@attrs.frozen
class _OutputRow:
    """One output of a finished job, as ``add-files --wait`` prints it."""

    job: EncodingJob
    index: int


OUTPUT_COLUMNS: tuple[Col[_OutputRow], ...] = (
    Col("file id", lambda r: r.job.file_id, Kind.ID, justify="right", width=9),
    Col("input", lambda r: r.job.input_path, Kind.ID, width=30),
    Col("output", lambda r: r.job.outputs[r.index].output_type, priority=5, width=20),
    Col("status", lambda r: styled_state(r.job.outputs[r.index].status), priority=5, width=9),
    Col(
        "size",
        lambda r: fmt_size(r.job.outputs[r.index].output_total_size),
        priority=2,
        justify="right",
        width=9,
    ),
    # A URL cut short is of no use: kept whole or dropped (--json has it).
    Col("link", lambda r: r.job.outputs[r.index].link, priority=1, width=40),
)


# ------------------------------------------------------------------------------- commands


_page_size_option = click.option(
    "--page-size",
    type=click.IntRange(1, _defaults.MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="Items per page (pageSizeNo).",
)


def _list(
    settings: Settings,
    columns: Sequence[Col[T]],
    walk: Callable[[MediaClient], Pager[T]],
    noun: str,
    plural: str | None = None,
) -> None:
    """Print every item a list method walks (a table, or JSON lines as pages arrive)."""
    output = settings.output()
    settings.call(lambda client: output.list(columns, walk(client), noun=noun, plural=plural))


@command("categories", summary="VOD Station categories (encoding profiles).")
@_page_size_option
@max_items_option
@prefetch_option
@click.pass_obj
def categories(settings: Settings, page_size: int, max_items: int | None, prefetch: int) -> None:
    """VOD Station categories: encoding profiles (GET /api/v2/category)."""
    _list(
        settings,
        CATEGORY_COLUMNS,
        lambda client: client.vod_station.categories(
            page_size=page_size, max_items=max_items, prefetch=prefetch
        ),
        "category",
        "categories",
    )


@command("vod-channels", summary="VOD Station channels.")
@_page_size_option
@max_items_option
@prefetch_option
@click.pass_obj
def vod_channels(settings: Settings, page_size: int, max_items: int | None, prefetch: int) -> None:
    """VOD Station channels (GET /api/v2/channels)."""
    _list(
        settings,
        VOD_CHANNEL_COLUMNS,
        lambda client: client.vod_station.channels(
            page_size=page_size, max_items=max_items, prefetch=prefetch
        ),
        "channel",
    )


@command("add-files", summary="Encode files with a VOD Station category's options.")
@click.argument("category_id")
@click.argument("inputs", nargs=-1)
@click.option(
    "--bucket",
    metavar="BUCKET",
    help="The bucket holding INPUTS (object paths); without it, INPUTS are http(s) URLs.",
)
@click.option(
    "--file",
    "input_file",
    type=click.File("rb"),
    metavar="PATH",
    help="Read more inputs from a file, one a line, UTF-8 (- for stdin; # comments).",
)
@click.option(
    "--notification", metavar="URL", help="Callback URL for these files (overrides the category's)."
)
@click.option("--output-bucket", metavar="BUCKET", help="Put the outputs in this bucket...")
@click.option("--output-path", metavar="PATH", help="...under this folder (give both).")
@click.option("--wait", is_flag=True, help="Wait until every output is finished; print each file.")
@interval_option(_defaults.ENCODING_WAIT_INTERVAL, "Pause between two walks of the status list.")
@timeout_option("wait_timeout", "With --wait: give up after this long (default: no limit).")
@journal_option
@progress_option
@click.pass_obj
def add_files(
    settings: Settings,
    category_id: str,
    inputs: tuple[str, ...],
    bucket: str | None,
    input_file: IO[bytes] | None,
    notification: str | None,
    output_bucket: str | None,
    output_path: str | None,
    wait: bool,
    interval: float,
    wait_timeout: float | None,
    journal: str | None,
    progress: ProgressMode,
) -> None:
    """Encode files with a category's options (PUT /api/v2/category/{id}/add-files).

    INPUTS are object paths in --bucket, or http(s) URLs without it; more than 100 go in
    several requests. A request that may have reached the service is never sent again: if one
    fails, the files submitted, those that may have been and those not sent are listed, and the
    command exits 1; interrupted (Ctrl-C) while submitting, it says where to look for the files
    that may have been. With --wait, a progress bar per output type, each file printed as all
    its outputs end; exits 1 unless every output is COMPLETE. Interrupted while waiting, it
    prints the files that had not ended (UNFINISHED): they encode on without it.

    With --journal FILE, run the same command again after a crash, a kill or a failure: the
    files submitted before are not sent again (nor those the status list shows were taken),
    and with --wait every file is reported once.
    """
    items = [*inputs, *(_read_lines(input_file) if input_file is not None else ())]
    if not items:
        raise click.UsageError("no inputs: give paths (with --bucket) or URLs, or --file")
    if (output_bucket is None) != (output_path is None):
        raise click.UsageError("give --output-bucket and --output-path together")
    where = (
        None
        if output_bucket is None
        else OutputSettings(bucket_name=output_bucket, file_path=output_path)
    )
    output = settings.output()

    async def run(client: MediaClient) -> bool:
        since = datetime.now(UTC).replace(microsecond=0)
        try:
            jobs = await client.vod_station.add_files(
                category_id,
                **({"bucket": bucket, "paths": items} if bucket is not None else {"urls": items}),
                notification=notification,
                output=where,
                journal=journal,
            )
        except AddFilesError as exc:
            _report_partial(output, exc, journal)
            raise
        except asyncio.CancelledError:  # Ctrl-C: the jobs are printed only once all are sent
            if journal is not None:
                output.note(f"interrupted: run again with --journal {journal} to resume")
                raise
            output.note(
                f"interrupted: the {len(items):,} files may have been submitted, some or all; "
                f"look for them (ncp-media encoding-status --start {since.isoformat()}) "
                "before sending them again",
                style="yellow",
            )
            raise
        if not wait:
            output.table(JOB_COLUMNS, jobs)
            output.note(f"{counted(len(jobs), 'file')} submitted")
            return True
        return await _wait(client, jobs, output, interval, wait_timeout, progress)

    try:
        all_good = settings.call(run)
    except NcpError:
        raise
    except (ValueError, TypeError) as exc:  # an argument the client refused before sending
        raise click.UsageError(str(exc)) from None
    if not all_good:
        raise click.exceptions.Exit(EXIT_FAILED)


VOD_COMMANDS: tuple[click.Command, ...] = (categories, vod_channels, add_files)


# -------------------------------------------------------------------------------- helpers


def _read_lines(file: IO[bytes]) -> list[str]:
    """Inputs from a file: one a line, blank lines and ``#`` comments skipped."""
    found = []
    for number, raw in enumerate(file, 1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            raise click.BadParameter(f"line {number}: not UTF-8", param_hint="'--file'") from None
        if text and not text.startswith("#"):
            found.append(text)
    return found


def _report_partial(
    output: Output, exc: AddFilesError, journal: str | None, limit: int = 10
) -> None:
    """What a stopped ``add_files`` did: the jobs submitted (on stdout), the rest on stderr."""
    output.table(JOB_COLUMNS, exc.jobs)
    if journal is not None:
        output.note(f"run again with --journal {journal} to resume", style="yellow")
    for title, items in (
        ("may have been submitted (look them up before sending them again)", exc.uncertain),
        ("refused", exc.rejected),
        ("not sent", exc.unsent),
    ):
        if not items:
            continue
        output.note(f"{len(items):,} {title}:", style="yellow")
        for item in items[:limit]:
            output.note(f"  {item}", style=None)
        if len(items) > limit:
            output.note(f"  ... and {len(items) - limit:,} more")


@attrs.define
class _Tally:
    """How the files of a wait ended."""

    total: int
    succeeded: int = 0
    failed: int = 0
    poll_errors: int = 0
    pending: int = 0

    @property
    def ok(self) -> bool:
        return self.succeeded == self.total


class _OutputBars:
    """A progress stage per output type (created as types appear), and one for files."""

    def __init__(self, display: ProgressDisplay, total: int) -> None:
        self.display = display
        self.total = total
        self.files = display.stage("files", total)
        self.stages: dict[str, Stage] = {}

    def update(self, jobs: Sequence[EncodingJob]) -> None:
        done: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for job in jobs:
            for out in job.outputs:
                kind = out.output_type or "?"
                if kind not in self.stages:
                    self.stages[kind] = self.display.stage(kind, self.total)
                if out.terminal:
                    done[kind] += 1
                    failed[kind] += out.status != EncodingState.COMPLETE
        for kind, stage in self.stages.items():
            stage.update(done=done[kind], failed=failed[kind])


async def _wait(
    client: MediaClient,
    jobs: Sequence[EncodingJob],
    output: Output,
    interval: float,
    timeout: float | None,
    progress: ProgressMode,
) -> bool:
    """Wait for ``jobs``, printing each file's outputs as it ends; True if all completed.
    Interrupted (Ctrl-C), the files that had not ended are printed too (``_report_unfinished``):
    they were submitted, and encode on without the command."""
    tally = _Tally(len(jobs))
    ended: set[int | None] = set()
    started = time.monotonic()
    rows = output.stream(OUTPUT_COLUMNS)
    with ProgressDisplay(output, progress) as display:
        bars = _OutputBars(display, len(jobs))
        rows.header()
        stream = client.vod_station.wait_for_encodings(
            jobs,
            interval=interval,
            timeout=timeout,
            return_exceptions=True,
            on_progress=bars.update,
        )
        try:
            async with closing(stream) as results:
                async for result in results:
                    _show(rows, result, tally)
                    job = result.target if isinstance(result, PollFailure) else result
                    ended.add(job.file_id)
                    bars.files.update(
                        done=tally.succeeded + tally.failed + tally.poll_errors,
                        failed=tally.failed + tally.poll_errors,
                    )
        except PollTimeoutError as exc:
            tally.pending = len(exc.pending)
        except asyncio.CancelledError:
            _report_unfinished(rows, [job for job in jobs if job.file_id not in ended])
            raise
    summary = f"{tally.succeeded:,} of {counted(tally.total, 'file')} encoded"
    if tally.failed:
        summary += f", {tally.failed:,} with failed outputs"
    if tally.poll_errors:
        summary += f", {tally.poll_errors:,} could not be followed"
    if tally.pending:
        summary += f", {tally.pending:,} still pending (timed out)"
    output.note(f"{summary} in {fmt_seconds(time.monotonic() - started)}", style="bold")
    return tally.ok


def _report_unfinished(rows: Rows[_OutputRow], jobs: Sequence[EncodingJob]) -> None:
    """On Ctrl-C, the files submitted that had not ended: a row each, lined up with the others
    (a JSON line ``{"job": ..., "interrupted": true}`` with ``--json``), and a note on stderr."""
    for job in jobs:
        if rows.output.as_json:
            rows.output.json_line({"job": job, "interrupted": True})
        else:
            unfinished = Text("UNFINISHED", "yellow")
            rows.cells([job.file_id, job.input_path, None, unfinished, None, None])
    if jobs:
        rows.output.note(
            f"interrupted: {counted(len(jobs), 'file')} submitted and still encoding (listed "
            "UNFINISHED on stdout): they go on without this command; do not submit them again",
            style="yellow",
        )


def _show(
    rows: Rows[_OutputRow], result: EncodingJob | PollFailure[EncodingJob], tally: _Tally
) -> None:
    """One file that ended: a row per output (or a JSON line), or why it could not be followed."""
    if isinstance(result, PollFailure):
        tally.poll_errors += 1
        job = result.target
        if rows.output.as_json:
            rows.output.json_line({"job": job, "error": error_json(result.error)})
        else:
            why = short_reason(result.error)
            rows.cells([job.file_id, job.input_path, None, Text("NOT FOLLOWED", "red"), None, why])
        return
    if result.succeeded:
        tally.succeeded += 1
    else:
        tally.failed += 1
    if rows.output.as_json:
        rows.output.json_line(result)
        return
    for index in range(len(result.outputs)):
        rows.row(_OutputRow(result, index))
