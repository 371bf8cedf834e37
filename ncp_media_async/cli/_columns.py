"""Table columns: ``Col`` (one column of a record table), the cell formatters (times, sizes,
durations, coloured states), ``fit_widths`` (narrowing a table to the terminal) and the column
set of each record type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import attrs
from rich.table import Column
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


def fmt_percent(status: EncodingStatus) -> str:
    """An encoding's percent done with one decimal (``-`` for none)."""
    return "-" if status.percent is None else f"{status.percent:.1f}"


# ----------------------------------------------------------------------------------- columns

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


# ------------------------------------------------------------------------ columns per record


ENCODING_COLUMNS: tuple[Col[EncodingStatus], ...] = (
    Col("status", lambda s: styled_state(s.status), width=9),
    Col("%", fmt_percent, "right", width=5),
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
