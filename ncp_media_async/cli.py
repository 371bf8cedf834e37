"""``ncp-media``: the command line of ncp_media_async.

One subcommand per endpoint, plus bulk waiting, watching, a local emulator and a self-contained
demo::

    ncp-media encoding-status --start 2025-08-01T00:00:00+09:00 --prefetch 8
    ncp-media --json channel-events vs-20250801-abc | jq .message
    ncp-media wait-imports --file refs.txt --concurrency 64 --rate-limit 1000
    ncp-media demo

Credentials come from ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY`` (else ``NCLOUD_*``) or from
``--access-key``/``--secret-key``; ``--endpoint URL`` (or ``NCP_MEDIA_ENDPOINT``) points every
service at one base URL (the emulator, a proxy). Output is a table by default and JSON lines
with ``--json`` (one object per record; datetimes in ISO 8601, enumerations as their values).

Exit status: 0 on success; 1 when the service said no, the request failed, or (``wait-imports``)
an import did not complete; 2 for a bad command line; 130 when interrupted. An expected failure
prints one ``error: ...`` line on stderr and no traceback; the secret key is never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import json
import logging
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Hashable,
    Iterable,
    Iterator,
    Sequence,
)
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar

import attrs
import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from . import _defaults
from .client import ConfigurationError, Credentials, Endpoints, MediaClient
from .errors import ApiError, NcpError
from .pagination import Pager
from .polling import PollFailure, PollTimeoutError, RateLimit
from .records import (
    ChannelEvent,
    EncodingStatus,
    ImportStatus,
    Recording,
    StatusStatistics,
    UploadStatus,
    VideoAssetRef,
)
from .vod_station import encoding_key

if TYPE_CHECKING:
    from .testing import Emulator

    # click >= 8.2 types ParamType by the value it converts to; older clicks are not generic.
    _DateTimeParam = click.ParamType[datetime, Any]
    _AssetRefParam = click.ParamType[VideoAssetRef, Any]
else:
    _DateTimeParam = _AssetRefParam = click.ParamType

__all__ = ["cli", "fit_widths", "main", "parse_asset_ref", "to_jsonable"]

T = TypeVar("T")

#: Where ``--verbose`` sends the package's log records.
LOGGER_NAME = "ncp_media_async"
#: Environment variable read by ``--endpoint``.
ENDPOINT_ENV = "NCP_MEDIA_ENDPOINT"
#: Exit statuses.
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130

#: Width of text other than tables written to a pipe or a file (unless $COLUMNS says).
PIPE_WIDTH = 200

ProgressMode = Literal["auto", "bar", "plain", "off"]
_PROGRESS_MODES: tuple[ProgressMode, ...] = ("auto", "bar", "plain", "off")


# ----------------------------------------------------------------------------------- settings


@attrs.define
class Settings:
    """What the global options asked for; ``ctx.obj`` of every command."""

    access_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    endpoint: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    json: bool = False
    verbose: int = 0

    def credentials(self) -> Credentials:
        """The flags' key pair if given, else ``Credentials.from_env()``."""
        if self.access_key is not None or self.secret_key is not None:
            if self.access_key is None or self.secret_key is None:
                raise click.UsageError("give both --access-key and --secret-key, or neither")
            return Credentials(self.access_key, self.secret_key)
        return Credentials.from_env()

    def client(self, *, max_connections: int = _defaults.MAX_CONNECTIONS) -> MediaClient:
        """A ``MediaClient`` as the options describe (create it inside the event loop)."""
        return MediaClient(
            self.credentials(),
            endpoints=Endpoints.at(self.endpoint) if self.endpoint else None,
            timeout=_defaults.TIMEOUT if self.timeout is None else self.timeout,
            max_retries=self.max_retries,
            max_connections=max_connections,
        )

    def output(self) -> Output:
        """The renderer for this invocation (table or JSON lines)."""
        return Output(as_json=self.json)

    def run(self, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run one coroutine in a fresh event loop (uvloop if importable), with logging set up
        as ``--verbose`` says. ``KeyboardInterrupt`` propagates (the group turns it into 130)."""
        with _logging(self.verbose), asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(main())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class _EchoHandler(logging.Handler):
    """Writes ``level[ logger]: message`` to whatever ``sys.stderr`` is at the time (so a live
    progress display, which redirects it, prints the line above the bar)."""

    def __init__(self, *, show_logger: bool) -> None:
        super().__init__()
        self.show_logger = show_logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            where = f" {record.name}" if self.show_logger else ""
            click.echo(f"{record.levelname.lower()}{where}: {record.getMessage()}", err=True)
        except Exception:  # logging must never break the command
            self.handleError(record)


@contextlib.contextmanager
def _logging(verbose: int) -> Iterator[None]:
    """Warnings of the package (retries, clock skew) always reach stderr; ``-v`` adds a line
    per request (DEBUG). The logger is restored afterwards."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _EchoHandler(show_logger=bool(verbose))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# --------------------------------------------------------------------------- parameter types


class AwareDateTime(_DateTimeParam):
    """An ISO 8601 date and time with a UTC offset (``2025-08-01T09:00:00+09:00``, ``...Z``)."""

    name = "datetime"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            when = value
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not an ISO 8601 date and time", param, ctx)
        if when.tzinfo is None or when.utcoffset() is None:
            self.fail(
                f"{value!r} has no UTC offset; add one, e.g. {when.isoformat()}+09:00 or "
                f"{when.isoformat()}Z",
                param,
                ctx,
            )
        return when


def parse_asset_ref(text: str) -> VideoAssetRef:
    """``workspace/project_id/video_asset_id`` → ``VideoAssetRef`` (``ValueError`` if not)."""
    parts = text.strip().rsplit("/", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ValueError(f"{text.strip()!r} is not workspace/project_id/video_asset_id")
    return VideoAssetRef(*(part.strip() for part in parts))


class AssetRefType(_AssetRefParam):
    """A ``workspace/project_id/video_asset_id`` target."""

    name = "workspace/project/asset"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> VideoAssetRef:
        if isinstance(value, VideoAssetRef):
            return value
        try:
            return parse_asset_ref(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATETIME = AwareDateTime()
ASSET_REF = AssetRefType()


# ------------------------------------------------------------------------------ JSON output


def to_jsonable(value: Any) -> Any:
    """Records as plain JSON values: attrs classes become objects (field names as keys),
    datetimes ISO 8601 text, enumerations their string values, tuples lists."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def error_json(error: BaseException) -> dict[str, Any]:
    """An exception as a JSON object (type, message and, for API errors, status and code)."""
    data: dict[str, Any] = {"type": type(error).__name__, "message": one_line(error)}
    if isinstance(error, ApiError):
        data["status"] = error.status
        data["code"] = error.code
    return data


def short_reason(error: BaseException) -> str:
    """Why one target failed, without the request line (the target is shown beside it)."""
    if isinstance(error, ApiError):
        code = f", code {error.code}" if error.code is not None else ""
        message = " ".join(error.message.split())
        return f"{type(error).__name__} (HTTP {error.status}{code}): {message}"
    return f"{type(error).__name__}: {one_line(error)}"


def describe(error: NcpError) -> str:
    """The ``error:`` line of a failed command: ``str(error)``, with an API error's ``details``
    before the request when they are a sentence (the gateway's reason, e.g. why a signature was
    refused), not a bare error name such as Live Station's ``EXCEPTION``."""
    details = getattr(error, "details", None)
    if (
        isinstance(error, ApiError)
        and details
        and " " in details.strip()
        and details != error.message
    ):
        code = f" code {error.code}" if error.code is not None else ""
        where = f" ({error.service}: {error.request})" if error.request else ""
        return one_line_text(f"HTTP {error.status}{code}: {error.message}: {details}{where}")
    return one_line(error)


def one_line_text(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def one_line(error: BaseException) -> str:
    """``str(error)`` on one line."""
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------------- table output

_GOOD = {"COMPLETE", "COMPLETED", "SUCCESS", "TRANSFER_FINISH"}
_BAD = {
    "FAILURE",
    "FAILED",
    "FILE_NOT_EXIST",
    "INVALID_METADATA",
    "PROCESSING_FAIL",
    "TRANSFER_FAIL",
    "ERROR",
}
_BUSY = {"RUNNING", "IN_PROGRESS", "RECORDING", "PROCESSING", "TRANSFER", "WAITING"}


def styled_state(value: object) -> Text:
    """A state name coloured by meaning: green done, red failed, yellow under way."""
    text = "-" if value is None else str(value)
    for states, style in ((_GOOD, "green"), (_BAD, "red"), (_BUSY, "yellow")):
        if text in states:
            return Text(text, style=style)
    return Text(text, style="magenta")  # a state the documents do not list


def fmt_time(when: datetime | None) -> str:
    """An aware datetime as ``2025-08-01 09:00:00+09:00`` (``-`` for none)."""
    return "-" if when is None else when.isoformat(sep=" ", timespec="seconds")


def fmt_size(size: int | None) -> str:
    """Bytes in a human unit (``12.3 MB``)."""
    if size is None:
        return "-"
    amount = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if amount < 1000 or unit == "TB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")


def fmt_ms(ms: int | None) -> str:
    """Milliseconds as ``h:mm:ss`` (``-`` for none)."""
    if ms is None:
        return "-"
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def fmt_opt(value: object) -> str:
    """``str(value)``, or ``-`` for ``None``."""
    return "-" if value is None else str(value)


Cell = str | Text
Justify = Literal["left", "right", "center"]


@attrs.frozen
class Col(Generic[T]):
    """One table column: header, how to render a cell, alignment, and the fixed width of rows
    printed one at a time. Cells stay on one line: a table too wide for the terminal narrows
    its ``flex`` columns (long text, cut with an ellipsis; ``--json`` has it all) and keeps the
    others whole."""

    header: str
    cell: Callable[[T], Cell]
    justify: Justify = "left"
    width: int | None = None
    flex: bool = False

    def text(self, item: T) -> Text:
        """The cell of ``item`` (data is never read as rich markup)."""
        cell = self.cell(item)
        return cell if isinstance(cell, Text) else Text(cell)

    def rich(self, *, fixed: bool, max_width: int | None = None) -> Column:
        """The rich column; ``fixed`` pins the width so separately printed rows line up."""
        return Column(
            self.header,
            justify=self.justify,
            width=self.width if fixed else None,
            max_width=max_width,
            no_wrap=True,
            overflow="ellipsis",
        )


#: The narrowest a flex column is made before the table is allowed to overflow.
FLEX_FLOOR = 5


def fit_widths(natural: Sequence[int], flex: Sequence[bool], budget: int) -> list[int]:
    """Column widths that fit ``budget`` by narrowing the widest flex columns first (none below
    ``FLEX_FLOOR``); other columns keep their natural width."""
    widths = list(natural)
    excess = sum(widths) - budget
    while excess > 0:
        candidates = [i for i, f in enumerate(flex) if f and widths[i] > FLEX_FLOOR]
        if not candidates:
            break
        widths[max(candidates, key=widths.__getitem__)] -= 1
        excess -= 1
    return widths


def _percent(s: EncodingStatus) -> str:
    return "-" if s.percent is None else f"{s.percent:.1f}"


ENCODING_COLUMNS: tuple[Col[EncodingStatus], ...] = (
    Col("status", lambda s: styled_state(s.status), width=9),
    Col("%", _percent, "right", width=5),
    Col("category", lambda s: fmt_opt(s.category_name), width=12, flex=True),
    Col("file", lambda s: fmt_opt(s.file_path), width=26, flex=True),
    Col("output", lambda s: fmt_opt(s.output_type), width=20, flex=True),
    Col("size", lambda s: fmt_size(s.output_total_size), "right", width=9),
    Col("last work", lambda s: fmt_time(s.last_work_time), width=25),
)
EVENT_COLUMNS: tuple[Col[ChannelEvent], ...] = (
    Col("time", lambda e: fmt_time(e.time)),
    Col("action", lambda e: fmt_opt(e.action_type)),
    Col("by", lambda e: fmt_opt(e.request_type)),
    Col("result", lambda e: styled_state(e.result_code)),
    Col("code", lambda e: fmt_opt(e.message_code), flex=True),
    Col("message", lambda e: fmt_opt(e.message), flex=True),
)
RECORD_COLUMNS: tuple[Col[Recording], ...] = (
    Col("record", lambda r: r.record_id),
    Col("type", lambda r: fmt_opt(r.record_type)),
    Col("status", lambda r: styled_state(r.status)),
    Col("began", lambda r: fmt_time(r.record_begin_time)),
    Col("duration", lambda r: fmt_ms(r.duration_ms), "right"),
    Col("resolution", lambda r: fmt_opt(r.resolution)),
    Col("file", lambda r: fmt_opt(r.file_name), flex=True),
    Col("object storage", lambda r: fmt_opt(r.object_storage_url), flex=True),
)


def _metadata(status: ImportStatus, get: Callable[[Any], Any], fmt: Callable[[Any], str]) -> str:
    return "-" if status.metadata is None else fmt(get(status.metadata))


IMPORT_COLUMNS: tuple[Col[ImportStatus], ...] = (
    Col("asset", lambda s: fmt_opt(s.asset), width=24, flex=True),
    Col("status", lambda s: styled_state(s.upload_status), width=16),
    Col("resolution", lambda s: _metadata(s, lambda m: m.resolution, fmt_opt), width=10),
    Col("duration", lambda s: _metadata(s, lambda m: m.duration_ms, fmt_ms), "right", width=8),
    Col("size", lambda s: _metadata(s, lambda m: m.size, fmt_size), "right", width=9),
    Col("format", lambda s: _metadata(s, lambda m: m.format, fmt_opt), width=6),
    Col("result", lambda s: fmt_opt(s.upload_result), width=40, flex=True),
)
STATISTICS_COLUMNS: tuple[Col[StatusStatistics], ...] = (
    Col("waiting", lambda s: str(s.waiting), "right"),
    Col("running", lambda s: str(s.running), "right"),
    Col("complete", lambda s: str(s.complete), "right"),
    Col("failure", lambda s: str(s.failure), "right"),
    Col("canceled", lambda s: str(s.canceled), "right"),
    Col("total", lambda s: str(s.total), "right"),
)


class Output:
    """Renders records: a rich table on stdout, or one JSON object per line with ``--json``.
    Notes and summaries for humans go to stderr, so stdout stays data only."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        # Both consoles resolve sys.stdout/sys.stderr when they write. A table written to a
        # pipe or a file is never narrowed (rich would assume 80 columns) unless $COLUMNS asks.
        self.unbounded = not sys.stdout.isatty() and "COLUMNS" not in os.environ
        self.console = Console(highlight=False, width=PIPE_WIDTH if self.unbounded else None)
        self.err = Console(stderr=True, highlight=False)
        #: Set while a live progress bar owns the terminal: rows are printed above it.
        self.live: Console | None = None

    def json_line(self, obj: Any) -> None:
        """One JSON line on stdout, flushed (for ``| jq`` as records land)."""
        click.echo(json.dumps(to_jsonable(obj), ensure_ascii=False, separators=(",", ":")))

    def note(self, message: str, *, style: str = "dim") -> None:
        """A line for humans on stderr."""
        self.err.print(message, style=style, soft_wrap=True, markup=False, highlight=False)

    def table(
        self, columns: Sequence[Col[T]], items: Iterable[T], *, title: str | None = None
    ) -> int:
        """A table of ``items`` (or JSON lines); returns how many were shown."""
        count = 0
        if self.as_json:
            for item in items:
                self.json_line(item)
                count += 1
            return count
        rows = [[c.text(item) for c in columns] for item in items]
        natural = [cell_len(c.header) for c in columns]
        for row in rows:
            for i, cell in enumerate(row):
                natural[i] = max(natural[i], cell.cell_len)
        # Between two columns: padding, a rule, padding (no outer edge).
        gaps = 3 * (len(columns) - 1)
        width = sum(natural) + gaps if self.unbounded else self.console.width
        widths = fit_widths(natural, [c.flex for c in columns], width - gaps)
        table = Table(
            *(
                c.rich(fixed=False, max_width=w if c.flex else None)
                for c, w in zip(columns, widths, strict=True)
            ),
            title=title,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        for row in rows:
            table.add_row(*row)
        console = Console(highlight=False, width=width) if self.unbounded else self.console
        console.print(table)
        return len(rows)

    async def list(
        self, columns: Sequence[Col[T]], pager: Pager[T], *, noun: str, title: str | None = None
    ) -> int:
        """Walk a pager: JSON lines stream as pages arrive; a table is printed at the end."""
        count = 0
        async with _closing(aiter(pager)) as items:
            if self.as_json:
                async for item in items:
                    self.json_line(item)
                    count += 1
            else:
                collected = [item async for item in items]
                count = self.table(columns, collected, title=title)
        self.note(f"{count:,} {noun}")
        return count

    def header(self, columns: Sequence[Col[Any]]) -> None:
        """The header line of a table whose rows are printed one at a time."""
        if not self.as_json:
            table = Table(*(c.rich(fixed=True) for c in columns), box=None, pad_edge=False)
            (self.live or self.console).print(table)

    def row(self, columns: Sequence[Col[T]], item: T) -> None:
        """One record at once: a table row lined up with ``header``, or a JSON line."""
        if self.as_json:
            self.json_line(item)
            return
        table = Table(
            *(c.rich(fixed=True) for c in columns), box=None, pad_edge=False, show_header=False
        )
        table.add_row(*(c.text(item) for c in columns))
        (self.live or self.console).print(table)


@contextlib.asynccontextmanager
async def _closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close an async generator on the way out, so its requests and tasks stop at once."""
    try:
        yield iterator
    finally:
        aclose: Callable[[], Awaitable[object]] | None = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


# --------------------------------------------------------------------------------- progress


class _RateColumn(ProgressColumn):
    """Completed items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class ProgressReporter:
    """Progress of a batch on stderr: a live rich bar when stderr is a terminal (``auto``),
    plain ``progress:`` lines at most every ``every`` seconds otherwise, or nothing (``off``)."""

    def __init__(
        self,
        output: Output,
        total: int,
        *,
        label: str,
        mode: ProgressMode = "auto",
        every: float = 1.0,
    ) -> None:
        if mode == "auto":
            mode = "bar" if output.err.is_terminal else "plain"
        self.mode = mode
        self.output = output
        self.total = total
        self.label = label
        self.every = every
        self.done = 0
        self.failed = 0
        self._start = time.monotonic()
        self._last_print = self._start
        self._printed = -1
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> ProgressReporter:
        self._start = self._last_print = time.monotonic()
        if self.mode == "bar":
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TimeElapsedColumn(),
                console=self.output.err,
                redirect_stdout=sys.stdout.isatty(),
                redirect_stderr=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, failed=0)
            if sys.stdout.isatty():  # one terminal: rows go above the bar
                self.output.live = self._bar.console
        return self

    def update(self, *, done: int, failed: int) -> None:
        """``done`` items finished so far, ``failed`` of them badly."""
        self.done, self.failed = done, failed
        if self._bar is not None:
            self._bar.update(self._task, completed=done, failed=failed)
        elif self.mode == "plain":
            now = time.monotonic()
            if now - self._last_print >= self.every:
                self._last_print = now
                self._print_line(now)

    def _print_line(self, now: float) -> None:
        self._printed = self.done
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        eta = (
            f"ETA {(self.total - self.done) / rate:.0f}s"
            if rate > 0 and self.done < self.total
            else f"in {elapsed:.1f}s"
        )
        click.echo(
            f"progress: {self.label} {self.done:,}/{self.total:,}{share}, {rate:,.1f}/s, "
            f"{self.failed:,} failed, {eta}",
            err=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self.output.live = None
        elif self.mode == "plain" and self._printed != self.done:
            self._print_line(time.monotonic())


# ----------------------------------------------------------------------------- wait imports


@attrs.define
class ImportTally:
    """How a batch of imports ended."""

    total: int
    #: Assets per terminal state reached.
    states: Counter[str] = attrs.field(factory=Counter)
    #: Assets that ended in a state other than COMPLETED, with the state and its message.
    failures: list[tuple[VideoAssetRef, str]] = attrs.field(factory=list)
    #: Assets whose polling itself failed (not found, bad request, repeated errors), with why.
    poll_errors: list[tuple[VideoAssetRef, str]] = attrs.field(factory=list)
    #: Assets still unfinished when the timeout passed.
    pending: tuple[VideoAssetRef, ...] = ()
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        """Assets that reached an end (a terminal state or a polling failure)."""
        return sum(self.states.values()) + len(self.poll_errors)

    @property
    def failed(self) -> int:
        """Assets that ended badly, either way."""
        return len(self.failures) + len(self.poll_errors)

    @property
    def ok(self) -> bool:
        """Every asset imported (COMPLETED) and nothing pending."""
        return not self.failed and not self.pending


async def wait_imports(
    client: MediaClient,
    refs: Sequence[VideoAssetRef],
    output: Output,
    *,
    concurrency: int,
    interval: float,
    timeout: float | None,
    rate_limit: RateLimit | None,
    progress: ProgressMode,
    print_each: bool = True,
) -> ImportTally:
    """Poll ``refs`` until each lands, printing each final status (and a progress display) as
    they do; a timeout ends the wait with ``pending`` set rather than an exception."""
    tally = ImportTally(total=len(refs))
    start = time.monotonic()
    widest = max((len(str(ref)) for ref in refs), default=0)
    columns = (attrs.evolve(IMPORT_COLUMNS[0], width=max(widest, 5)), *IMPORT_COLUMNS[1:])
    with ProgressReporter(output, len(refs), label="imports", mode=progress) as bar:
        if print_each:
            output.header(columns)
        stream = client.media_ai.wait_for_imports(
            refs,
            concurrency=concurrency,
            interval=interval,
            timeout=timeout,
            rate_limit=rate_limit,
            return_exceptions=True,
        )
        try:
            async with _closing(stream) as results:
                async for result in results:
                    if isinstance(result, PollFailure):
                        tally.poll_errors.append((result.target, short_reason(result.error)))
                        if print_each and output.as_json:
                            output.json_line(
                                {"asset": result.target, "error": error_json(result.error)}
                            )
                        elif print_each:
                            _print_poll_failure(output, columns, result)
                    else:
                        tally.states[result.upload_status.value] += 1
                        if result.upload_status != UploadStatus.COMPLETED and result.asset:
                            why = result.upload_status.value
                            if result.upload_result:
                                why += f": {result.upload_result}"
                            tally.failures.append((result.asset, why))
                        if print_each:
                            output.row(columns, result)
                    bar.update(done=tally.done, failed=tally.failed)
        except PollTimeoutError as exc:
            tally.pending = tuple(exc.pending)
    tally.elapsed = time.monotonic() - start
    return tally


def _print_poll_failure(
    output: Output, columns: Sequence[Col[ImportStatus]], failure: PollFailure[VideoAssetRef]
) -> None:
    """A target that could not be polled, lined up with the status rows."""
    table = Table.grid(padding=(0, 1), collapse_padding=False, pad_edge=False)
    table.add_column(width=columns[0].width, no_wrap=True, overflow="ellipsis")
    table.add_column(width=columns[1].width, no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_row(
        Text(str(failure.target)), Text("POLL FAILED", "red"), Text(short_reason(failure.error))
    )
    (output.live or output.console).print(table)


def report_imports(output: Output, tally: ImportTally, *, limit: int = 20) -> None:
    """The end of a batch on stderr: counts per state, then what failed (first ``limit``)."""
    parts = [f"{n:,} {state}" for state, n in sorted(tally.states.items())]
    if tally.poll_errors:
        parts.append(f"{len(tally.poll_errors):,} could not be polled")
    if tally.pending:
        parts.append(f"{len(tally.pending):,} still pending (timed out)")
    output.note(
        f"{tally.total:,} imports in {tally.elapsed:.1f}s: {', '.join(parts) or 'nothing to do'}",
        style="bold",
    )
    for title, items in (
        ("could not be polled", tally.poll_errors),
        ("did not complete", tally.failures),
    ):
        if not items:
            continue
        output.note(f"{len(items):,} {title}:", style="red")
        for ref, why in items[:limit]:
            output.err.print(f"  {ref}  {why}", soft_wrap=True, highlight=False, markup=False)
        if len(items) > limit:
            output.note(f"  ... and {len(items) - limit:,} more")
    if tally.pending:
        shown = ", ".join(str(r) for r in tally.pending[:5])
        more = " ..." if len(tally.pending) > 5 else ""
        output.note(f"still pending: {shown}{more}", style="yellow")


def read_targets(args: Sequence[VideoAssetRef], file: IO[str] | None) -> list[VideoAssetRef]:
    """Targets from the arguments and ``--file`` (one per line; blank lines and ``#`` comments
    skipped), duplicates dropped, order kept."""
    refs = list(args)
    if file is not None:
        for number, line in enumerate(file, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                refs.append(parse_asset_ref(text))
            except ValueError as exc:
                raise click.BadParameter(f"line {number}: {exc}", param_hint="'--file'") from None
    if not refs:
        raise click.UsageError("no targets: give workspace/project/asset arguments or --file")
    return list(dict.fromkeys(refs))


# ------------------------------------------------------------------------------ the group


class _Group(click.Group):
    """A group whose ``main`` turns every expected failure into one ``error:`` line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = _exit_code(
                super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            )
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            _error(f"{exc.format_message()}{hint}")
            code = EXIT_USAGE
        except click.ClickException as exc:
            _error(exc.format_message())
            code = exc.exit_code
        except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort)
            _error("interrupted")
            code = EXIT_INTERRUPTED
        except NcpError as exc:
            _error(describe(exc))
            code = EXIT_FAILED
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            code = EXIT_FAILED  # stdout closed early (| head): nothing more to say
            _silence_stdout()
        if standalone_mode:
            sys.exit(code)
        return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the flush at exit does not complain of a broken pipe
    (the recipe of Python's ``signal`` documentation)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _exit_code(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """An option callback storing a value that was given into ``Settings``."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        settings = ctx.ensure_object(Settings)
        if attribute == "verbose":
            settings.verbose += int(value)
        else:
            setattr(settings, attribute, value)

    return callback


def _check_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        try:
            Endpoints.at(value)
        except ConfigurationError:
            raise click.BadParameter(f"{value!r} is not an http(s) URL") from None
    _set("endpoint")(ctx, param, value)


def connection_params(*, envvar: bool = False) -> list[click.Parameter]:
    """``--access-key``, ``--secret-key``, ``--endpoint``, ``--max-retries``: accepted before
    the subcommand and after it."""
    return [
        click.Option(
            ["--access-key"],
            metavar="KEY",
            expose_value=False,
            callback=_set("access_key"),
            help="Access key id (default: $NCP_ACCESS_KEY, else $NCLOUD_ACCESS_KEY).",
        ),
        click.Option(
            ["--secret-key"],
            metavar="SECRET",
            expose_value=False,
            callback=_set("secret_key"),
            help="Secret key (default: $NCP_SECRET_KEY, else $NCLOUD_SECRET_KEY).",
        ),
        click.Option(
            ["--endpoint"],
            metavar="URL",
            expose_value=False,
            callback=_check_endpoint,
            envvar=ENDPOINT_ENV if envvar else None,
            show_envvar=envvar,
            help="Base URL for every service (the emulator, a proxy); "
            "default: the public NCP hosts.",
        ),
        click.Option(
            ["--max-retries"],
            type=click.IntRange(0),
            metavar="N",
            expose_value=False,
            callback=_set("max_retries"),
            help=f"Retries after a failed attempt (default {_defaults.MAX_RETRIES}).",
        ),
    ]


def output_params() -> list[click.Parameter]:
    """``--json`` and ``-v``: accepted before the subcommand and after it."""
    return [
        click.Option(
            ["--json", "json_"],
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set("json"),
            help="JSON lines on stdout, one object per record.",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_set("verbose"),
            help="Log every request of the client to stderr.",
        ),
    ]


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    cls=_Group,
    context_settings=CONTEXT,
    params=[
        *connection_params(envvar=True),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(0, min_open=True),
            metavar="SECONDS",
            expose_value=False,
            callback=_set("timeout"),
            help=f"Timeout of one request attempt (default {_defaults.TIMEOUT:g}).",
        ),
        *output_params(),
    ],
)
@click.version_option(package_name="ncp_media_async", prog_name="ncp-media")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Query the NAVER Cloud Platform media APIs (VOD Station, Live Station, Media AI).

    Credentials come from $NCP_ACCESS_KEY/$NCP_SECRET_KEY (else $NCLOUD_*) or the flags.
    Try `ncp-media demo` (no credentials, no network) or `ncp-media emulator` for a local
    server to point --endpoint at.
    """
    ctx.ensure_object(Settings)


def _command(name: str, *, connect: bool = True) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand with the options every subcommand accepts after its name."""

    def decorate(f: Callable[..., Any]) -> click.Command:
        command = cli.command(name, context_settings=CONTEXT)(f)
        command.params.extend(output_params())
        if connect:
            command.params.extend(connection_params())
        return command

    return decorate


# ------------------------------------------------------------------------- VOD Station


_start = click.option(
    "--start",
    type=DATETIME,
    help="Work start from (ISO 8601 with offset, e.g. 2025-08-01T00:00:00+09:00).",
)
_end = click.option("--end", type=DATETIME, help="Work start until (ISO 8601 with offset).")
_max_items = click.option(
    "--max-items", type=click.IntRange(0), metavar="N", help="Stop after N items."
)
_prefetch = click.option(
    "--prefetch",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Pages fetched concurrently (1: one after another).",
)


@_command("encoding-status")
@_start
@_end
@click.option(
    "--page-size",
    type=click.IntRange(_defaults.ENCODING_STATUS_MIN_PAGE_SIZE, _defaults.MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="Items per page (pageSizeNo, from 10).",
)
@_max_items
@_prefetch
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
    _check_window(start, end)
    output = settings.output()

    async def run() -> None:
        async with settings.client() as client:
            pager = client.vod_station.encoding_statuses(
                start=start, end=end, page_size=page_size, max_items=max_items, prefetch=prefetch
            )
            await output.list(ENCODING_COLUMNS, pager, noun="encoding statuses")

    settings.run(run)


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise click.BadParameter(
            f"--start ({start.isoformat()}) is after --end ({end.isoformat()})",
            param_hint="'--start'/'--end'",
        )


@_command("statistics")
@_start
@_end
@click.pass_obj
def statistics(settings: Settings, start: datetime | None, end: datetime | None) -> None:
    """VOD Station encoding job counts per state (GET /api/v2/status/status-statistic)."""
    _check_window(start, end)
    output = settings.output()

    async def run() -> StatusStatistics:
        async with settings.client() as client:
            return await client.vod_station.status_statistics(start=start, end=end)

    output.table(STATISTICS_COLUMNS, [settings.run(run)])


@_command("channel-events")
@click.argument("channel_id")
@click.option(
    "--page-size",
    type=click.IntRange(1, _defaults.MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="Items per page (pageSizeNo).",
)
@_max_items
@_prefetch
@click.pass_obj
def channel_events(
    settings: Settings, channel_id: str, page_size: int, max_items: int | None, prefetch: int
) -> None:
    """VOD Station events of a channel, newest first (GET /api/v2/channels/{id}/events)."""
    output = settings.output()

    async def run() -> None:
        async with settings.client() as client:
            pager = client.vod_station.channel_events(
                channel_id, page_size=page_size, max_items=max_items, prefetch=prefetch
            )
            await output.list(EVENT_COLUMNS, pager, noun="events")

    settings.run(run)


@_command("watch-encodings")
@_start
@_end
@click.option(
    "--interval",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Pause between two walks of the list.",
)
@click.option(
    "--timeout",
    "watch_timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="Give up after this long (default: wait until every encoding is finished).",
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
    window is COMPLETE, FAILURE or CANCELED, 1 if --timeout passes first.
    """
    _check_window(start, end)
    output = settings.output()

    async def run() -> int:
        changes = 0
        output.header(ENCODING_COLUMNS)
        async with settings.client() as client:
            stream = client.vod_station.watch_encoding_statuses(
                start=start, end=end, interval=interval, timeout=watch_timeout
            )
            async with _closing(stream) as statuses:
                async for status in statuses:
                    output.row(ENCODING_COLUMNS, status)
                    changes += 1
        return changes

    changes = settings.run(run)
    output.note(f"every encoding finished ({changes:,} statuses and changes printed)")


# ------------------------------------------------------------------------- Live Station


@_command("records")
@click.argument("channel_id")
@click.pass_obj
def records(settings: Settings, channel_id: str) -> None:
    """Live Station recordings of a channel (GET /api/v2/channels/{id}/records)."""
    output = settings.output()

    async def run() -> list[Recording]:
        async with settings.client() as client:
            return await client.live_station.records(channel_id)

    found = settings.run(run)
    output.table(RECORD_COLUMNS, found)
    output.note(f"{len(found):,} recordings")


# ------------------------------------------------------------------------------ Media AI


@_command("import-status")
@click.argument("workspace")
@click.argument("project_id")
@click.argument("asset_id")
@click.pass_obj
def import_status(settings: Settings, workspace: str, project_id: str, asset_id: str) -> None:
    """Media AI import status of one video asset
    (GET /api/v1/workspaces/{w}/projects/{p}/video-assets/{a}/import-status)."""
    output = settings.output()

    async def run() -> ImportStatus:
        async with settings.client() as client:
            return await client.media_ai.import_status(workspace, project_id, asset_id)

    output.table(IMPORT_COLUMNS, [settings.run(run)])


_progress_option = click.option(
    "--progress",
    "progress",
    type=click.Choice(_PROGRESS_MODES),
    default="auto",
    show_default=True,
    help="Progress on stderr: a live bar (auto: if stderr is a terminal), plain lines, or none.",
)


@_command("wait-imports")
@click.argument("targets", nargs=-1, type=ASSET_REF)
@click.option(
    "--file",
    "target_file",
    type=click.File("r"),
    metavar="PATH",
    help="Read targets from a file, one workspace/project/asset per line (- for stdin).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=_defaults.POLL_CONCURRENCY,
    show_default=True,
    help="Requests in flight at most.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0),
    default=_defaults.POLL_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="Pause between two polls of one asset.",
)
@click.option(
    "--timeout",
    "wait_timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="Give up on the assets still unfinished after this long (default: no limit).",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(1),
    metavar="PER_MINUTE",
    help="Pace requests to at most this many a minute (the service documents 1000).",
)
@_progress_option
@click.pass_obj
def wait_imports_command(
    settings: Settings,
    targets: tuple[VideoAssetRef, ...],
    target_file: IO[str] | None,
    concurrency: int,
    interval: float,
    wait_timeout: float | None,
    rate_limit: int | None,
    progress: ProgressMode,
) -> None:
    """Wait until video asset imports finish; print each final status as it lands.

    TARGETS are workspace/project_id/video_asset_id. Exits 1 unless every import COMPLETED
    (a failed state, an asset that could not be polled, or a --timeout); the failures are
    listed on stderr at the end.
    """
    refs = read_targets(targets, target_file)
    output = settings.output()

    async def run() -> ImportTally:
        async with settings.client(max_connections=max(concurrency, 1)) as client:
            return await wait_imports(
                client,
                refs,
                output,
                concurrency=concurrency,
                interval=interval,
                timeout=wait_timeout,
                rate_limit=None if rate_limit is None else RateLimit.per_minute(rate_limit),
                progress=progress,
            )

    tally = settings.run(run)
    report_imports(output, tally)
    if not tally.ok:
        raise click.exceptions.Exit(EXIT_FAILED)


# ------------------------------------------------------------------------------ emulator


SCENARIOS = ("default", "demo", "empty")


@_command("emulator", connect=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port (0: any free port).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the data.")
@click.option(
    "--latency-ms",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Delay of every request, milliseconds.",
)
@click.option(
    "--scenario",
    type=click.Choice(SCENARIOS),
    default="default",
    show_default=True,
    help="Data set: a few hundred of everything, the demo's thousands, or nothing.",
)
@click.pass_obj
def emulator_command(
    settings: Settings, host: str, port: int, seed: int, latency_ms: float, scenario: str
) -> None:
    """Serve the NCP media API emulator until Ctrl-C or SIGTERM (signatures are checked).

    Prints the URL and the emulator's (public, fake) key pair to use with --endpoint.
    """
    output = settings.output()

    async def serve() -> None:
        from .testing import Emulator, EmulatorServer, Scenario

        data = {"default": Scenario.default, "demo": Scenario.demo, "empty": Scenario.empty}
        emulator = Emulator(data[scenario](seed), latency=latency_ms / 1000)
        try:
            server = await EmulatorServer(emulator, host, port).start()
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        try:
            _announce(output, server.url, emulator)
            await stop.wait()
        finally:
            await server.close()

    # Ctrl-C or SIGTERM is how a server stops: exit 0.
    with contextlib.suppress(KeyboardInterrupt):
        settings.run(serve)
    output.note("emulator stopped")


def _announce(output: Output, url: str, emulator: Emulator) -> None:
    info = emulator.info()
    refs = info["imports"]
    if output.as_json:
        output.json_line(
            {
                "url": url,
                "access_key": emulator.access_key,
                "secret_key": emulator.secret_key,
                **{k: v for k, v in info.items() if k != "imports"},
                "imports": ["/".join(ref) for ref in refs],
            }
        )
        return
    lines = [
        f"listening on {url}",
        f"export {ENDPOINT_ENV}={url}",
        f"export NCP_ACCESS_KEY={emulator.access_key}",
        f"export NCP_SECRET_KEY={emulator.secret_key}  # the emulator's own fake key",
        f"vod channels: {' '.join(info['vod_channels']) or '-'}",
        f"live channels: {' '.join(info['live_channels']) or '-'}",
        f"encoding statuses: {info['encoding_statuses']}",
    ]
    if refs:
        lines.append(f"imports: {len(refs)}, {'/'.join(refs[0])} .. {'/'.join(refs[-1])}")
    lines.append("press Ctrl-C to stop")
    for line in lines:
        click.echo(line)


# ---------------------------------------------------------------------------------- demo


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
    requests: Counter[str] = attrs.field(factory=Counter)
    total_requests: int = 0
    peak_in_flight: int = 0
    polls_after_terminal: int = 0
    wall: float = 0.0

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
                "requests_per_second": round(self.import_requests / max(tally.elapsed, 1e-9), 1),
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
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "peak_in_flight": self.peak_in_flight,
            "polls_after_terminal": self.polls_after_terminal,
            "requests_per_second": round(self.total_requests / max(self.wall, 1e-9), 1),
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
        # Narration goes with the tables in table mode; with --json stdout is the report only.
        self.say: Callable[[str], None] = (
            (lambda text: output.err.print(text, highlight=False, soft_wrap=True))
            if output.as_json
            else (lambda text: output.console.print(text, highlight=False, soft_wrap=True))
        )

    async def run(self) -> DemoReport:
        """Start the emulator, run every phase, stop it; return the measurements."""
        from .testing import Emulator, EmulatorServer, Scenario

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
            stats = emulator.stats
            report.requests = Counter(stats.requests)
            report.total_requests = stats.total_requests
            report.peak_in_flight = stats.peak_in_flight
            report.polls_after_terminal = stats.total_polls_after_terminal
        report.wall = time.monotonic() - started
        return report

    async def _imports(self, client: MediaClient, emulator: Emulator) -> ImportTally:
        opts = self.options
        refs = [VideoAssetRef(*key) for key in emulator.import_refs()]
        scenario = emulator.scenario
        bad = [  # assets that do not exist, and one malformed id: they fail, the rest go on
            VideoAssetRef(scenario.workspace, scenario.project_id, str(9_000_000 + i))
            for i in range(max(opts.bad_refs - 1, 0))
        ]
        if opts.bad_refs:
            bad.append(VideoAssetRef(scenario.workspace, scenario.project_id, "not-a-number"))
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
            rate_limit=None,
            progress=opts.progress,
            print_each=False,
        )
        stats = emulator.stats
        self.say(
            f"   {tally.done:,} landed in {tally.elapsed:.1f}s: {stats.total_requests:,} "
            f"requests, {stats.total_requests / max(tally.elapsed, 1e-9):,.0f} req/s, peak "
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
            async with _closing(pager.pages()) as walk:
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
            emulator.add_progressing_encoding(
                queue_seconds=seconds * 0.05 * i,
                run_seconds=seconds * 0.4,
                outcome=outcome,
                fields={"filePath": f"upload/demo-{i}.mp4", "categoryName": "demo"},
            )
        interval = min(1.0, seconds / 3)
        self.say(f"\n[bold]3. Watching encodings for {seconds:g}s[/] (a walk every {interval:g}s)")
        seen: dict[Hashable, EncodingStatus] = {}
        shown = 0
        stream = client.vod_station.watch_encoding_statuses(
            interval=interval, timeout=seconds, page_size=100, prefetch=8
        )
        with contextlib.suppress(PollTimeoutError):
            async with _closing(stream) as statuses:
                async for status in statuses:
                    key = encoding_key(status)
                    before = seen.get(key)
                    seen[key] = status
                    if before is None:
                        continue
                    report.watch_changes += 1
                    if status.status.terminal:
                        report.watch_finished += 1
                    if shown < 8 and (status.status.terminal or before.status != status.status):
                        shown += 1
                        self.say(
                            f"   {escape(fmt_opt(status.file_path))} "
                            f"({escape(fmt_opt(status.output_type))}): {before.status} "
                            f"{_percent(before)}% -> {status.status} {_percent(status)}%"
                        )
        report.watch_unfinished = sum(1 for s in seen.values() if not s.status.terminal)
        self.say(
            f"   {report.watch_changes:,} changes seen, {report.watch_finished} finished, "
            f"{report.watch_unfinished} still under way when the watch stopped"
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
        states = "  ".join(f"{state} {n:,}" for state, n in sorted(tally.states.items()))
        table.add_row("imports", f"{tally.total:,}: {states}")
        for title, items in (
            ("could not poll", tally.poll_errors),
            ("did not complete", tally.failures),
        ):
            lines = [f"{ref}  {why}" for ref, why in items[:3]]
            if len(items) > 3:
                lines.append(f"... and {len(items) - 3:,} more")
            table.add_row(title, Text.assemble(f"{len(items):,}\n", ("\n".join(lines), "dim")))
        table.add_row(
            "import wait",
            f"{tally.elapsed:.1f}s, {report.import_requests:,} requests "
            f"({report.import_requests / max(tally.elapsed, 1e-9):,.0f} req/s)",
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
        table.add_row(
            "requests",
            f"{report.total_requests:,} ("
            + ", ".join(f"{route} {n:,}" for route, n in report.requests.most_common())
            + ")",
        )
        table.add_row("peak in flight", str(report.peak_in_flight))
        table.add_row("polls after terminal", str(report.polls_after_terminal))
        table.add_row("requests per second", f"{report.total_requests / report.wall:,.0f}")
        table.add_row("wall time", f"{report.wall:.1f}s")
        self.output.console.print()
        self.output.console.print(table)


_DEMO = DemoOptions()


@_command("demo", connect=False)
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
    type=click.FloatRange(0),
    default=_DEMO.latency_ms,
    show_default=True,
    help="Emulated latency; each request waits 0.5x to 2x this.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=_DEMO.concurrency,
    show_default=True,
    help="Import polls in flight at most.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0),
    default=_DEMO.interval,
    show_default=True,
    metavar="SECONDS",
    help="Pause between two polls of one asset.",
)
@click.option(
    "--watch",
    type=click.FloatRange(0),
    default=_DEMO.watch,
    show_default=True,
    metavar="SECONDS",
    help="How long to watch encodings progress (0: skip).",
)
@_progress_option
@click.pass_obj
def demo(
    settings: Settings,
    imports: int,
    bad_refs: int,
    seed: int,
    latency_ms: float,
    concurrency: int,
    interval: float,
    watch: float,
    progress: ProgressMode,
) -> None:
    """Run the client against an in-process emulator: no credentials, no network.

    Waits for thousands of imports concurrently (with a progress bar), walks the encoding list
    with and without prefetch, watches encodings progress, and prints what it took.
    """
    options = DemoOptions(
        imports=imports,
        bad_refs=bad_refs,
        seed=seed,
        latency_ms=latency_ms,
        concurrency=concurrency,
        interval=interval,
        watch=watch,
        progress=progress,
    )
    runner = Demo(options, settings.output())
    runner.summary(settings.run(runner.run))


# ---------------------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``ncp-media`` console script."""
    cli.main(args=argv, prog_name="ncp-media")
    raise AssertionError("unreachable: click exits")  # pragma: no cover
