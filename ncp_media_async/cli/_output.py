"""Rendering: ``Output`` (a table on stdout, or one JSON object per line with ``--json``; notes
for humans on stderr), ``Rows`` (a table printed row by row), the JSON form of records, and
``closing`` for the streams it renders."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
import click
from rich.console import Console
from rich.text import Text

from ..pagination import Pager
from ..records import Secret
from ._columns import (
    GAP,
    MIN_TABLE_WIDTH,
    UTC_ZONE,
    Col,
    Zone,
    cell_text,
    fit_widths,
    layout_line,
    printable,
    rule_line,
)

T = TypeVar("T")

#: Width of text other than tables written to a pipe or a file (unless $COLUMNS says).
PIPE_WIDTH = 200


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 category``, ``2 categories`` (``plural``, by default ``noun`` + ``s``)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


# ------------------------------------------------------------------------------------- JSON


def to_jsonable(value: Any, *, reveal: bool = False) -> Any:
    """Records as plain JSON values: attrs classes become objects (field names as keys),
    datetimes ISO 8601 text, enumerations their string values, tuples lists, a ``Secret``
    ``"<hidden>"`` (its text only with ``reveal``)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Secret):
        return value.reveal() if reveal else str(value)
    if attrs.has(type(value)):
        return {
            f.name: to_jsonable(getattr(value, f.name), reveal=reveal)
            for f in attrs.fields(type(value))
        }
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, reveal=reveal) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, reveal=reveal) for v in value]
    return value


# ----------------------------------------------------------------------------------- output


class Output:
    """Renders records: a table on stdout, or one JSON object per line with ``--json``.
    Notes and summaries for humans go to stderr, so stdout stays data only.

    A table fits the terminal's width (``$COLUMNS`` if set, at least ``MIN_TABLE_WIDTH``)
    whatever its values, as ``fit_widths`` says: the columns that matter least are dropped,
    free text then ids give way, a long value is shortened with an ellipsis (``cut``). Written
    to a pipe or a file (without ``$COLUMNS``), or with ``wide``, a table shows every value
    whole. Every time is shown in ``zone``, named in the header."""

    def __init__(self, *, as_json: bool, zone: Zone = UTC_ZONE, wide: bool = False) -> None:
        self.as_json = as_json
        #: Whether JSON lines show the text of secrets (stream keys); set only when the user
        #: asked for it (``--show-stream-keys``).
        self.reveal_secrets = False
        self.zone = zone
        # Both consoles resolve sys.stdout/sys.stderr when they write.
        unbounded = wide or (not sys.stdout.isatty() and "COLUMNS" not in os.environ)
        self.console = Console(highlight=False, width=PIPE_WIDTH if unbounded else None)
        self.err = Console(stderr=True, highlight=False)
        #: The width tables fit, or ``None`` for no limit.
        self.budget: int | None = None if unbounded else max(self.console.width, MIN_TABLE_WIDTH)
        #: Set while a live progress bar owns the terminal: rows are printed above it.
        self.live: Console | None = None

    def json_line(self, obj: Any) -> None:
        """One JSON line on stdout, flushed (for ``| jq`` as records land)."""
        data = to_jsonable(obj, reveal=self.reveal_secrets)
        click.echo(json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def note(self, message: str, *, style: str | None = "dim") -> None:
        """A line for humans on stderr (never read as markup; control characters escaped)."""
        self.err.print(
            printable(message), style=style, soft_wrap=True, markup=False, highlight=False
        )

    def line(self, text: Text) -> None:
        """One line of a table on stdout (above the progress bar while one is live), neither
        wrapped nor cropped."""
        (self.live or self.console).print(text, soft_wrap=True)

    def table(self, columns: Sequence[Col[T]], items: Iterable[T]) -> int:
        """A table of ``items`` (or JSON lines); returns how many were shown."""
        if self.as_json:
            count = 0
            for item in items:
                self.json_line(item)
                count += 1
            return count
        headers = [Text(c.title(self.zone), style="bold") for c in columns]
        rows = [[c.text(item, self.zone) for c in columns] for item in items]
        natural = [max((row[i].cell_len for row in rows), default=0) for i in range(len(columns))]
        natural = [max(n, h.cell_len) for n, h in zip(natural, headers, strict=True)]
        widths = fit_widths(
            natural, [c.kind for c in columns], [c.priority for c in columns], self.budget
        )
        for text in (layout_line(headers, widths, columns), rule_line(widths)):
            self.line(text)
        for row in rows:
            self.line(layout_line(row, widths, columns))
        return len(rows)

    async def list(
        self, columns: Sequence[Col[T]], pager: Pager[T], *, noun: str, plural: str | None = None
    ) -> int:
        """Walk a pager: JSON lines stream as pages arrive; a table is printed at the end; then
        how many on stderr (``counted(count, noun, plural)``)."""
        count = 0
        async with closing(aiter(pager)) as items:
            if self.as_json:
                async for item in items:
                    self.json_line(item)
                    count += 1
            else:
                count = self.table(columns, [item async for item in items])
        self.note(counted(count, noun, plural))
        return count

    def stream(self, columns: Sequence[Col[T]]) -> Rows[T]:
        """A table whose rows are printed one at a time as they come (see ``Rows``)."""
        return Rows(self, columns)


class Rows(Generic[T]):
    """Rows printed one at a time (JSON lines with ``--json``). The widths are fitted once,
    from the headers and each column's expected ``width``, and the header is printed with the
    first row (or by ``header``); a value longer than expected is cut to its column (``cut``),
    or shown whole when the width has no limit (``--wide``, a pipe)."""

    def __init__(self, output: Output, columns: Sequence[Col[T]]) -> None:
        self.output = output
        self.columns = columns
        self.headers = [Text(c.title(output.zone), style="bold") for c in columns]
        natural = [
            max(h.cell_len, c.width or 0) for h, c in zip(self.headers, columns, strict=True)
        ]
        self.widths = fit_widths(
            natural, [c.kind for c in columns], [c.priority for c in columns], output.budget
        )
        self._started = False
        #: No limit on the width (``--wide``, a pipe): a value longer than its column is shown
        #: whole, pushing the rest of its line right, rather than cut.
        self.whole = output.budget is None

    def header(self) -> None:
        """Print the header now (once), before any row."""
        if not self._started and not self.output.as_json:
            self._started = True
            self.output.line(layout_line(self.headers, self.widths, self.columns, whole=self.whole))
            self.output.line(rule_line(self.widths))

    def row(self, item: T) -> None:
        """One record: a table row, or a JSON line."""
        if self.output.as_json:
            self.output.json_line(item)
            return
        self.cells([c.cell(item) for c in self.columns])

    def cells(self, values: Sequence[object]) -> None:
        """A row of given cell values (one per column; see ``Col`` for what a value may be)."""
        self.header()
        texts = [cell_text(value, self.output.zone) for value in values]
        self.output.line(layout_line(texts, self.widths, self.columns, whole=self.whole))

    def mark(self, text: str) -> None:
        """A line between rows, as wide as the table (e.g. where the changes begin); nothing
        in JSON lines."""
        if self.output.as_json:
            return
        self.header()
        width = sum(w for w in self.widths if w is not None)
        width += GAP * (sum(w is not None for w in self.widths) - 1)
        label = f"── {text} "
        self.output.line(Text(label + "─" * max(width - len(label), 0), style="dim"))


@contextlib.asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close an async generator on the way out, so its requests and tasks stop at once (an
    iterator without ``aclose`` is left as it is)."""
    try:
        yield iterator
    finally:
        aclose: Callable[[], Awaitable[object]] | None = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
