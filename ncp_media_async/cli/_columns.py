"""Table columns: ``Col`` (one column of a record table, with its ``Kind`` and priority),
``fit_widths`` (fitting a table to the terminal whatever its values), ``Zone`` (the one
time zone of the tables), the cell formatters (sizes, durations, coloured states) and the
column set of each record type. A new command declares its columns here and renders them with
``Output.table`` or ``Output.stream``."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from operator import attrgetter
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from rich.cells import cell_len
from rich.text import Text

from ..records import ChannelEvent, EncodingStatus, ImportStatus, Recording, StatusStatistics

T = TypeVar("T")

# ------------------------------------------------------------------------------ cell formats

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


def printable(text: str) -> str:
    """``text`` with every control character (newline, tab, ESC, BEL, DEL, the C1 controls)
    written as its Python escape (``\\n``, ``\\x1b``): text the service sends (or an object
    key) can neither split a line of a table nor drive the terminal. Other text, Korean and
    its spaces included, is kept as it is."""
    if text.isprintable():
        return text
    return "".join(
        c.encode("unicode_escape").decode() if unicodedata.category(c) == "Cc" else c for c in text
    )


def styled_state(value: object) -> Text:
    """A state name coloured by meaning: green done, red failed, yellow under way."""
    text = "-" if value is None else printable(str(value))
    for states, style in ((_GOOD, "green"), (_BAD, "red"), (_BUSY, "yellow")):
        if text in states:
            return Text(text, style=style)
    return Text(text, style="magenta")  # a state the documents do not list


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


def fmt_percent(status: EncodingStatus) -> str:
    """An encoding's percent done with one decimal (``-`` for none)."""
    return "-" if status.percent is None else f"{status.percent:.1f}"


# ----------------------------------------------------------------------------- time zones


@attrs.frozen
class Zone:
    """The time zone of every time in the tables (``--tz``): ``name`` goes in the headers."""

    name: str
    tzinfo: tzinfo

    @classmethod
    def parse(cls, text: str) -> Zone:
        """``UTC`` (or ``Z``), an offset (``+09:00``, ``-0530``, ``+09``) or an IANA name
        (``Asia/Seoul``); ``ValueError`` with what is accepted otherwise."""
        text = text.strip()
        if text.upper() in {"UTC", "Z", "GMT"}:
            return UTC_ZONE
        offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
        if offset:
            sign, hours, minutes = offset.groups()
            if int(hours) > 23 or int(minutes or 0) > 59:
                raise ValueError(f"{text!r} is not a UTC offset (at most +23:59)")
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
            if not delta:
                return UTC_ZONE
            delta = -delta if sign == "-" else delta
            return cls(f"{sign}{hours}:{minutes or '00'}", timezone(delta))
        try:
            return cls(text, ZoneInfo(text))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {text!r}: give UTC, an offset such as +09:00, or a name "
                "such as Asia/Seoul"
            ) from None

    def format(self, when: datetime) -> str:
        """``when`` in this zone, to the second, without the offset (the header names it)."""
        return when.astimezone(self.tzinfo).strftime("%Y-%m-%d %H:%M:%S")


UTC_ZONE = Zone("UTC", UTC)


# ----------------------------------------------------------------------------------- columns

Justify = Literal["left", "right"]


class Kind(enum.Enum):
    """What a column holds, which says how it gives way when a table is too wide."""

    #: An identifier (record id, asset ref, file path, channel id): never dropped; narrowed
    #: after free text, an ellipsis in the middle of a long value (``in/2025/…/clip.mp4``).
    ID = "id"
    #: Free text (messages, names): narrowed first, cut with an ellipsis; dropped by priority.
    TEXT = "text"
    #: A time, shown in the table's zone (named in the header); kept whole, dropped by priority.
    TIME = "time"
    #: Anything else (states, counts, sizes, URLs): kept whole, dropped by priority.
    OTHER = "other"


@attrs.frozen
class Col(Generic[T]):
    """One table column: its header, the value of a cell, what it holds, how much it matters.

    ``cell`` returns a ``str`` (control characters escaped, see ``printable``; data is never
    read as markup) or rich ``Text`` (shown as is: made with ``styled_state``), a
    ``datetime`` (shown in the table's zone), ``None`` (``-``) or anything else (``str()``).
    When a table is too wide, whole columns are dropped, the lowest ``priority`` first (``ID``
    columns never), and ``TEXT`` then ``ID`` columns are narrowed (see ``fit_widths``).
    ``width`` is the width expected of cells when rows are printed one at a time, before they
    are known: a longer value is then cut to it, with an ellipsis, so that the columns stay
    where the header put them (except with ``--wide``, which shows every value whole).
    """

    header: str
    cell: Callable[[T], object]
    kind: Kind = Kind.OTHER
    priority: int = 0
    justify: Justify = "left"
    width: int | None = None

    def title(self, zone: Zone) -> str:
        """The header, with the zone for a time column (``last work (UTC)``)."""
        return f"{self.header} ({zone.name})" if self.kind is Kind.TIME else self.header

    def text(self, item: T, zone: Zone) -> Text:
        """The cell of ``item`` as rich ``Text``."""
        return cell_text(self.cell(item), zone)


def cell_text(value: object, zone: Zone) -> Text:
    """A cell's value as rich ``Text`` (see ``Col``)."""
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("-")
    if isinstance(value, datetime):
        return Text(zone.format(value))
    return Text(printable(str(value)))


#: Spaces between two columns.
GAP = 2
#: The narrowest a TEXT column is cut to before whole columns are dropped.
TEXT_FLOOR = 8
#: The narrowest an ID column is cut to before whole columns are dropped: this many cells, or
#: half the table's width if more (an id is cut only for columns that matter).
ID_FLOOR = 16
#: The narrowest an ID column is cut to when the ids alone do not fit at their floors.
ID_MIN = 5
#: The narrowest table: a terminal narrower than this gets tables this wide.
MIN_TABLE_WIDTH = 40


def fit_widths(
    natural: Sequence[int],
    kinds: Sequence[Kind],
    priorities: Sequence[int],
    budget: int | None,
    *,
    gap: int = GAP,
) -> list[int | None]:
    """The width of each column (``None``: dropped) for a table to fit ``budget`` cells.

    Every column keeps its ``natural`` width if the table fits (or ``budget`` is ``None``).
    Otherwise each column has a floor: a TEXT column ``TEXT_FLOOR``, an ID column ``ID_FLOOR``
    or half of ``budget`` (a column narrower than its floor keeps its width), the others
    their natural width (they are kept whole or dropped). The columns shown are chosen by
    importance: every ID column, then the others from the highest priority down (at equal
    priority, others before TEXT, then left to right), each one kept if the table still fits
    with every kept column at its floor. Last, the kept TEXT columns, then the ID columns, are
    narrowed from their natural widths, the widest first, until the table fits; if the ids
    alone do not fit at their floors, they are narrowed further, down to ``ID_MIN``.
    """
    widths: list[int | None] = list(natural)
    if budget is None or _total(widths, gap) <= budget:
        return widths
    id_floor = max(ID_FLOOR, budget // 2)
    floor = [
        min(n, TEXT_FLOOR if k is Kind.TEXT else id_floor if k is Kind.ID else n)
        for n, k in zip(natural, kinds, strict=True)
    ]
    kept = [k is Kind.ID for k in kinds]
    others = sorted(
        (i for i, k in enumerate(kinds) if k is not Kind.ID),
        key=lambda i: (-priorities[i], kinds[i] is Kind.TEXT, i),
    )
    for i in others:
        kept[i] = True
        if _total([f if keep else None for f, keep in zip(floor, kept, strict=True)], gap) > budget:
            kept[i] = False
    widths = [n if keep else None for n, keep in zip(natural, kept, strict=True)]
    lowest = [min(n, ID_MIN) for n in natural]
    for kind, low in ((Kind.TEXT, floor), (Kind.ID, floor), (Kind.ID, lowest)):
        excess = _total(widths, gap) - budget
        while excess > 0:
            narrowable = [
                i for i, w in enumerate(widths) if w is not None and kinds[i] is kind and w > low[i]
            ]
            if not narrowable:
                break
            widest = max(narrowable, key=lambda i: widths[i] or 0)
            widths[widest] = (widths[widest] or 0) - 1
            excess -= 1
    return widths


def _total(widths: Sequence[int | None], gap: int) -> int:
    shown = [w for w in widths if w is not None]
    return sum(shown) + gap * max(len(shown) - 1, 0)


def cut(text: Text, width: int, kind: Kind) -> Text:
    """``text`` in at most ``width`` cells: whole if it fits, else cut with an ellipsis, in the
    middle for an ID (a path keeps its first folders and its file name), at the end otherwise.
    Styles are kept; a wide character (Korean) is never split."""
    if text.cell_len <= width:
        return text
    if kind is not Kind.ID:
        short = text.copy()
        short.truncate(width, overflow="ellipsis")
        return short
    plain = text.plain
    head = tail = 0  # characters kept at each end
    room = width - 1  # the ellipsis takes one cell
    while cell_len(plain[: head + 1]) <= (room + 1) // 2:
        head += 1
    while cell_len(plain[:head] + plain[len(plain) - tail - 1 :]) <= room:
        tail += 1
    return text[:head] + Text("…") + text[len(plain) - tail :]


def layout_line(
    cells: Sequence[Text],
    widths: Sequence[int | None],
    columns: Sequence[Col[Any]],
    *,
    whole: bool = False,
) -> Text:
    """One line of a table: each shown cell padded (or cut with ``cut``) to its column's width,
    ``GAP`` spaces apart, so that no column moves whatever the values. With ``whole``
    (``--wide``), a cell longer than its width (rows printed one at a time) is kept whole and
    pushes the rest of its line right."""
    line = Text()
    shown = [
        (cell, width, col)
        for cell, width, col in zip(cells, widths, columns, strict=True)
        if width is not None
    ]
    for n, (cell, width, col) in enumerate(shown):
        piece = cell if whole else cut(cell, width, col.kind)
        last = n == len(shown) - 1
        pad = max(width - piece.cell_len, 0)
        if col.justify == "right":
            line.append(" " * pad)
            line.append_text(piece)
        else:
            line.append_text(piece)
            if not last:
                line.append(" " * pad)
        if not last:
            line.append(" " * GAP)
    return line


def rule_line(widths: Sequence[int | None]) -> Text:
    """The rule under a table's header."""
    return Text((" " * GAP).join("─" * w for w in widths if w is not None), style="dim")


# ------------------------------------------------------------------------ columns per record


ENCODING_COLUMNS: tuple[Col[EncodingStatus], ...] = (
    Col("status", lambda s: styled_state(s.status), priority=5, width=9),
    Col("%", fmt_percent, priority=4, justify="right", width=5),
    Col("category", lambda s: s.category_name, Kind.TEXT, priority=0, width=12),
    Col("file", lambda s: s.file_path, Kind.ID, width=26),
    Col("output", lambda s: s.output_type, priority=5, width=20),
    Col("size", lambda s: fmt_size(s.output_total_size), priority=1, justify="right", width=9),
    Col("last work", lambda s: s.last_work_time, Kind.TIME, priority=2, width=19),
)
EVENT_COLUMNS: tuple[Col[ChannelEvent], ...] = (
    Col("time", lambda e: e.time, Kind.TIME, priority=5),
    Col("action", lambda e: e.action_type, priority=4),
    Col("by", lambda e: e.request_type, priority=1),
    Col("result", lambda e: styled_state(e.result_code), priority=3),
    Col("code", lambda e: e.message_code, priority=0),
    Col("message", lambda e: e.message, Kind.TEXT, priority=2),
)
RECORD_COLUMNS: tuple[Col[Recording], ...] = (
    Col("record", lambda r: r.record_id, Kind.ID),
    Col("type", lambda r: r.record_type, priority=3),
    Col("status", lambda r: styled_state(r.status), priority=4),
    Col("began", lambda r: r.record_begin_time, Kind.TIME, priority=2),
    Col("duration", lambda r: fmt_ms(r.duration_ms), priority=1, justify="right"),
    Col("resolution", lambda r: r.resolution, priority=0),
    Col("file", lambda r: r.file_name, Kind.ID),
    # A URL cut short is of no use: the column is kept whole or dropped (--json has it).
    Col("object storage", lambda r: r.object_storage_url, priority=0),
)


def _metadata(status: ImportStatus, get: Callable[[Any], Any], fmt: Callable[[Any], str]) -> str:
    return "-" if status.metadata is None else fmt(get(status.metadata))


IMPORT_COLUMNS: tuple[Col[ImportStatus], ...] = (
    Col("asset", lambda s: s.asset, Kind.ID, width=24),
    Col("status", lambda s: styled_state(s.upload_status), priority=5, width=16),
    Col("resolution", lambda s: _metadata(s, lambda m: m.resolution, fmt_opt), width=10),
    Col("duration", lambda s: _metadata(s, lambda m: m.duration_ms, fmt_ms), justify="right"),
    Col("size", lambda s: _metadata(s, lambda m: m.size, fmt_size), justify="right", width=9),
    Col("format", lambda s: _metadata(s, lambda m: m.format, fmt_opt), width=6),
    Col("result", lambda s: s.upload_result, Kind.TEXT, priority=3, width=40),
)
STATISTICS_COLUMNS: tuple[Col[StatusStatistics], ...] = tuple(
    Col(name, attrgetter(name), priority=1, justify="right")
    for name in ("waiting", "running", "complete", "failure", "canceled", "total")
)
