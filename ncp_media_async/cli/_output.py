"""Rendering: ``Output`` (a table on stdout, or one JSON object per line with ``--json``; notes
for humans on stderr), the JSON form of records, and ``closing`` for the streams it renders."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs
import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from ..pagination import Pager
from ._columns import Col, fit_widths

T = TypeVar("T")

#: Width of text other than tables written to a pipe or a file (unless $COLUMNS says).
PIPE_WIDTH = 200


# ------------------------------------------------------------------------------------- JSON


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


# ----------------------------------------------------------------------------------- output


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

    def note(self, message: str, *, style: str | None = "dim") -> None:
        """A line for humans on stderr (never read as markup)."""
        self.err.print(message, style=style, soft_wrap=True, markup=False, highlight=False)

    def table(
        self, columns: Sequence[Col[T]], items: Iterable[T], *, title: str | None = None
    ) -> int:
        """A table of ``items`` (or JSON lines); returns how many were shown."""
        if self.as_json:
            count = 0
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
        async with closing(aiter(pager)) as items:
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
        """The header line of a table whose rows are printed one at a time (by ``row``)."""
        if not self.as_json:
            self.print_rows(_fixed_table(columns, show_header=True))

    def row(self, columns: Sequence[Col[T]], item: T) -> None:
        """One record at once: a table row lined up with ``header``, or a JSON line."""
        if self.as_json:
            self.json_line(item)
            return
        table = _fixed_table(columns, show_header=False)
        table.add_row(*(c.text(item) for c in columns))
        self.print_rows(table)

    def print_rows(self, table: Table) -> None:
        """Print rows given one at a time: on stdout, above the progress bar while one is live."""
        (self.live or self.console).print(table)


def _fixed_table(columns: Sequence[Col[Any]], *, show_header: bool) -> Table:
    """An empty borderless table with the columns' fixed widths, so rows printed one at a time
    line up with each other and with the header."""
    return Table(
        *(c.rich(fixed=True) for c in columns), box=None, pad_edge=False, show_header=show_header
    )


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
