"""The command line's vocabulary: parameter types (aware datetimes, asset refs), the global
options (accepted before the subcommand and after it), options shared by several subcommands,
checks across options, and ``command``, which makes a subcommand with the global options."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from .. import _defaults
from .._checks import segment
from ..client import Endpoints
from ..errors import ConfigurationError, shorten
from ..records import AssetRef
from ._columns import Zone
from ._progress import PROGRESS_MODES
from ._settings import Settings

if TYPE_CHECKING:
    # click >= 8.2 types ParamType by the value it converts to; older clicks are not generic.
    _DateTimeParam = click.ParamType[datetime, Any]
    _AssetRefParam = click.ParamType[AssetRef, Any]
    _ZoneParam = click.ParamType[Zone, Any]
    _TextParam = click.ParamType[str, Any]
else:
    _DateTimeParam = _AssetRefParam = _ZoneParam = _TextParam = click.ParamType

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: Environment variable read by ``--endpoint``.
ENDPOINT_ENV = "NCP_MEDIA_ENDPOINT"

#: Context settings of the group and of every subcommand.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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


def parse_asset_ref(text: str) -> AssetRef:
    """``workspace/project_id/asset_id`` → ``AssetRef``: exactly three non-blank
    parts (``a/b/c/d`` is refused, not read as workspace ``a/b``), none of them ``.`` or ``..``
    (see ``PathSegment``); ``ValueError`` if not."""
    parts = [part.strip() for part in text.strip().split("/")]
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{text.strip()!r} is not workspace/project_id/asset_id")
    for name, part in zip(("workspace", "project_id", "asset_id"), parts, strict=True):
        segment(name, part)
    return AssetRef(*parts)


class PathSegment(_TextParam):
    """An id that goes into a request's path (a channel id, a workspace, a bucket...): not
    empty, and not ``.`` or ``..``, which would change the path (the client's own rule,
    ``segment``). Checked with the command line, so that a bad id is a usage error (status 2)
    before any request, not a traceback."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return segment((param.name if param is not None else None) or "id", str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class NotBlank(_TextParam):
    """Text that must hold more than spaces (an object key, a bucket name sent in a body)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not text.strip():
            self.fail(f"must not be blank, got {text!r}", param, ctx)
        return text


class AssetRefType(_AssetRefParam):
    """A ``workspace/project_id/asset_id`` target."""

    name = "workspace/project/asset"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> AssetRef:
        if isinstance(value, AssetRef):
            return value
        try:
            return parse_asset_ref(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class ZoneType(_ZoneParam):
    """A time zone: ``UTC``, an offset (``+09:00``) or a name (``Asia/Seoul``)."""

    name = "zone"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Zone:
        if isinstance(value, Zone):
            return value
        try:
            return Zone.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class FiniteRange(click.FloatRange):
    """click's ``FloatRange`` that also refuses ``nan`` and the infinities (``FloatRange`` lets
    ``nan`` through, as every comparison with it is false, and the client or the demo then
    refuse it with a traceback): every number of the command line is a finite one."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


DATETIME = AwareDateTime()
ASSET_REF = AssetRefType()
ZONE = ZoneType()
SEGMENT = PathSegment()
NOT_BLANK = NotBlank()


# ------------------------------------------------------------------- checks across options


def check_window(start: datetime | None, end: datetime | None) -> None:
    """``--start`` must not be after ``--end``."""
    if start is not None and end is not None and start > end:
        raise click.BadParameter(
            f"--start ({start.isoformat()}) is after --end ({end.isoformat()})",
            param_hint="'--start'/'--end'",
        )


#: How many bad lines of a targets file the error names one by one (the rest are counted).
BAD_LINES_SHOWN = 20
#: The longest text said of one bad line (characters; the rest is cut with ``…``).
BAD_LINE_CHARS = 200


def parse_target_lines(
    lines: Iterable[bytes],
    parse: Callable[[str], T] = parse_asset_ref,  # type: ignore[assignment]
) -> tuple[list[T], list[str]]:
    """Targets from the lines of a file (UTF-8, a BOM allowed; blank lines and ``#`` comments
    skipped), each read by ``parse`` (a ``ValueError`` says why a line is not one), and one
    ``line N: why`` for every line that is not one (at most ``BAD_LINE_CHARS`` characters: a
    long line is not quoted whole)."""
    refs: list[T] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError as exc:
            problems.append(
                f"line {number}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            )
            continue
        if not text or text.startswith("#"):
            continue
        try:
            refs.append(parse(text))
        except ValueError as exc:
            problems.append(shorten(f"line {number}: {exc}", BAD_LINE_CHARS))
    return refs, problems


def read_targets(
    args: Sequence[T],
    file: IO[bytes] | None,
    parse: Callable[[str], T] = parse_asset_ref,  # type: ignore[assignment]
    what: str = "workspace/project/asset arguments",
) -> list[T]:
    """Targets from the arguments and ``--file`` (see ``parse_target_lines``), duplicates
    dropped, order kept. Bad lines are all reported in one ``BadParameter`` (the first
    ``BAD_LINES_SHOWN`` by number and reason, then how many more); no target at all is a
    ``UsageError`` asking for ``what``."""
    refs = list(args)
    if file is not None:
        found, problems = parse_target_lines(file, parse)
        if problems:
            shown = "; ".join(problems[:BAD_LINES_SHOWN])
            more = len(problems) - BAD_LINES_SHOWN
            count = f"{len(problems):,} bad line{'s' if len(problems) > 1 else ''}"
            raise click.BadParameter(
                f"{count}: {shown}" + (f"; ... and {more:,} more" if more > 0 else ""),
                param_hint="'--file'",
            )
        refs += found
    if not refs:
        raise click.UsageError(f"no targets: give {what} or --file")
    return list(dict.fromkeys(refs))


# ---------------------------------------------------------------------------- global options


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """An option callback storing a value that was given into ``Settings`` (an option left out,
    ``None`` or an unset flag, keeps what the same option before the subcommand stored)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            setattr(ctx.ensure_object(Settings), attribute, value)

    return callback


def _add_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """``-v`` before and after the subcommand add up."""
    ctx.ensure_object(Settings).verbose += value


def _check_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        try:
            Endpoints.at(value)
        except ConfigurationError:
            raise click.BadParameter(f"{value!r} is not an http(s) URL") from None
    _set("endpoint")(ctx, param, value)


#: What ``--secret-key SECRET`` prints on stderr (the secret shows in the process list).
SECRET_ON_COMMAND_LINE = (
    "warning: a secret key on the command line shows in the process list: use "
    "$NCP_SECRET_KEY, ~/.ncloud/configure or --secret-key - (one line on stdin)"
)


def _set_secret(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--secret-key -`` reads the secret from the first line of stdin (its line break
    dropped; read from the binary stream, so that ``--file -`` then reads the lines after it);
    any other value works too, with a warning."""
    if value == "-":
        with click.open_file("-", "rb") as stdin:  # kept open: ``--file -`` may read on
            line = stdin.readline().removesuffix(b"\n").removesuffix(b"\r")
        try:
            value = line.decode("utf-8")
        except UnicodeDecodeError:
            raise click.BadParameter("the line on stdin is not UTF-8 text") from None
        if not value:
            raise click.BadParameter("'-' reads the secret key from stdin, which gave none")
    elif value is not None:
        click.echo(SECRET_ON_COMMAND_LINE, err=True)
    _set("secret_key")(ctx, param, value)


#: The zones of ``--zone`` (``Endpoints.public()``, ``.gov()``, ``.fin()``).
NCP_ZONES = ("public", "gov", "fin")


def connection_params(*, envvar: bool = False) -> list[click.Parameter]:
    """``--access-key``, ``--secret-key``, ``--zone``, ``--endpoint``, ``--max-retries``,
    ``--request-timeout``: accepted before the subcommand and after it."""
    return [
        click.Option(
            ["--access-key"],
            metavar="KEY",
            expose_value=False,
            callback=_set("access_key"),
            help="Access key id (default: $NCP_ACCESS_KEY, else $NCLOUD_ACCESS_KEY, else "
            "~/.ncloud/configure).",
        ),
        click.Option(
            ["--secret-key"],
            metavar="SECRET",
            expose_value=False,
            callback=_set_secret,
            help="Secret key; - reads it from stdin (default: $NCP_SECRET_KEY, else "
            "$NCLOUD_SECRET_KEY, else ~/.ncloud/configure).",
        ),
        click.Option(
            ["--zone", "ncp_zone"],
            type=click.Choice(NCP_ZONES),
            expose_value=False,
            callback=_set("ncp_zone"),
            help="NCP zone: its hosts, paths and region (default: public); with --endpoint, "
            "its paths at that URL.",
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
        click.Option(
            ["--request-timeout"],
            type=FiniteRange(0, min_open=True),
            metavar="SECONDS",
            expose_value=False,
            callback=_set("request_timeout"),
            help=f"Timeout of one request attempt (default {_defaults.TIMEOUT:g}); a wait's own "
            "--timeout bounds the whole wait.",
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
            callback=_add_verbose,
            help="Log every request of the client to stderr.",
        ),
    ]


def table_params() -> list[click.Parameter]:
    """``--tz`` and ``--wide``, for commands that print tables: accepted before the subcommand
    and after it."""
    return [
        click.Option(
            ["--tz", "zone"],
            type=ZONE,
            metavar="ZONE",
            expose_value=False,
            callback=_set("zone"),
            help="Time zone of the times in tables: UTC (default), an offset such as +09:00, "
            "or a name such as Asia/Seoul.",
        ),
        click.Option(
            ["--wide"],
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set("wide"),
            help="Show every column of a table whole, however wide.",
        ),
    ]


def group_params() -> list[click.Parameter]:
    """The options of ``ncp-media`` itself: the connection (``--endpoint`` also from
    ``$NCP_MEDIA_ENDPOINT``) and the output."""
    return [*connection_params(envvar=True), *output_params(), *table_params()]


#: The longest summary of a subcommand: what ``ncp-media --help`` shows whole in 80 columns.
SUMMARY_CHARS = 56


def command(
    name: str, *, summary: str, connect: bool = True, tables: bool | None = None
) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand that also accepts the output options after its name; if it talks to the
    service (``connect``), the connection options; if it prints record tables (``tables``,
    by default as ``connect``: the commands that query the service), ``--tz`` and ``--wide``.
    ``summary`` is its line in the group's ``--help``: whole in 80 columns (at most
    ``SUMMARY_CHARS`` characters), where the docstring's first sentence would be cut.
    """
    if len(summary) > SUMMARY_CHARS:
        raise ValueError(f"the summary of {name} is longer than {SUMMARY_CHARS} characters")

    def decorate(f: Callable[..., Any]) -> click.Command:
        made = click.command(name, context_settings=CONTEXT, short_help=summary)(f)
        made.params.extend(output_params())
        if connect:
            made.params.extend(connection_params())
        if connect if tables is None else tables:
            made.params.extend(table_params())
        return made

    return decorate


# ---------------------------------------------------------------------------- shared options

_start = click.option(
    "--start",
    type=DATETIME,
    help="Work start from (ISO 8601 with offset, e.g. 2025-08-01T00:00:00+09:00).",
)
_end = click.option("--end", type=DATETIME, help="Work start until (ISO 8601 with offset).")


def window_options(f: F) -> F:
    """``--start`` and ``--end``: a window of work start times (see ``check_window``)."""
    return _start(_end(f))


def interval_option(default: float, help: str) -> Callable[[F], F]:
    """``--interval SECONDS``: a pause, in seconds, between two polls or walks."""
    return click.option(
        "--interval",
        type=FiniteRange(0),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=help,
    )


def concurrency_option(default: int, help: str) -> Callable[[F], F]:
    """``--concurrency N``: requests in flight at most (1 to 1000)."""
    return click.option(
        "--concurrency", type=click.IntRange(1, 1000), default=default, show_default=True, help=help
    )


def timeout_option(dest: str, help: str) -> Callable[[F], F]:
    """``--timeout SECONDS`` of a whole wait (``--request-timeout`` is per attempt)."""
    return click.option(
        "--timeout", dest, type=FiniteRange(0, min_open=True), metavar="SECONDS", help=help
    )


journal_option = click.option(
    "--journal",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Record each write in FILE before sending it; run again with the same FILE after a "
    "crash or a failure to resume: nothing done twice, nothing lost (created if new).",
)
max_items_option = click.option(
    "--max-items", type=click.IntRange(0), metavar="N", help="Stop after N items."
)
prefetch_option = click.option(
    "--prefetch",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Pages fetched concurrently (1: one after another).",
)
progress_option = click.option(
    "--progress",
    "progress",
    type=click.Choice(PROGRESS_MODES),
    default="auto",
    show_default=True,
    help="Progress on stderr: a live bar (auto: if stderr is a terminal), plain lines, or none.",
)
