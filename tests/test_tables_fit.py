"""Every table of ``ncp-media`` fits the terminal whatever the values (issue 19 item 2): long
values are shortened with an ellipsis (ids in the middle), columns never move, and ``--wide``
shows every value whole. Each column set of the command line is rendered, as a whole table and
as rows printed one at a time, with generated long values at 80, 60 and 40 columns (widths
measured in terminal cells, as rich measures them); then the commands themselves, against the
emulator, on data it does not produce by itself."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import attrs
import pytest
from _loopback import LoopbackEmulator
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from ncp_media_async.cli._columns import (
    ENCODING_COLUMNS,
    EVENT_COLUMNS,
    GAP,
    IMPORT_COLUMNS,
    MIN_TABLE_WIDTH,
    RECORD_COLUMNS,
    STATISTICS_COLUMNS,
    Col,
    Kind,
    fit_widths,
)
from ncp_media_async.cli._live_station import (
    CHANNEL_COLUMNS,
    KEY_COLUMNS,
    SERVICE_URL_COLUMNS,
    UPLOADED_COLUMNS,
)
from ncp_media_async.cli._media_ai import INDEX_COLUMNS, INGEST_COLUMNS
from ncp_media_async.cli._output import Output
from ncp_media_async.cli._vod_station import (
    CATEGORY_COLUMNS,
    JOB_COLUMNS,
    OUTPUT_COLUMNS,
    VOD_CHANNEL_COLUMNS,
)
from ncp_media_async.testing import Emulator, Scenario

TABLES: dict[str, Sequence[Col[Any]]] = {
    "encoding-status": ENCODING_COLUMNS,
    "channel-events": EVENT_COLUMNS,
    "records": RECORD_COLUMNS,
    "wait-imports": IMPORT_COLUMNS,
    "statistics": STATISTICS_COLUMNS,
    "categories": CATEGORY_COLUMNS,
    "vod-channels": VOD_CHANNEL_COLUMNS,
    "add-files": JOB_COLUMNS,
    "add-files --wait": OUTPUT_COLUMNS,
    "live-channels --show-stream-keys": CHANNEL_COLUMNS + KEY_COLUMNS,
    "service-urls": SERVICE_URL_COLUMNS,
    "upload-records": UPLOADED_COLUMNS,
    "ingest": INGEST_COLUMNS,
    "import": INGEST_COLUMNS[:2] + INGEST_COLUMNS[-1:],
    "index": INDEX_COLUMNS,
}


def long_value(kind: Kind, row: int, column: int) -> object:
    """A value longer than any column expects (no spaces: each cell is one word)."""
    if kind is Kind.TIME:
        return datetime(2026, 11, 22, 9, row, column, tzinfo=UTC)
    if kind is Kind.ID:
        return f"bucket-{row}/2026/11/22/a-rather-long-folder-name/another-one/clip-{column}.mp4"
    if kind is Kind.TEXT:
        return "BadRequestError(HTTP400,code10014):" + "the-service-explains-at-length-" * 4
    return f"A_STATE_NO_DOCUMENT_LISTS_{row}{column}"


def generated(columns: Sequence[Col[Any]]) -> tuple[list[Col[Any]], list[tuple[object, ...]]]:
    """The columns reading tuples, and three rows of long values for them."""
    plain = [attrs.evolve(c, cell=itemgetter(i)) for i, c in enumerate(columns)]
    rows = [tuple(long_value(c.kind, r, i) for i, c in enumerate(columns)) for r in range(3)]
    return plain, rows


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``at(N)``: the terminal is N columns wide (``$COLUMNS``)."""

    def width(columns: int) -> None:
        monkeypatch.setenv("COLUMNS", str(columns))

    return width


def column_spans(rule: str) -> list[tuple[int, int]]:
    """Where each column is, from the rule under the header (runs of ``─``)."""
    spans, start = [], None
    for i, ch in enumerate(rule + " "):
        if ch == "─" and start is None:
            start = i
        elif ch != "─" and start is not None:
            spans.append((start, i))
            start = None
    return spans


def check_fits(out: str, width: int) -> None:
    """Every line at most ``width`` cells, and every cell of every row inside its column (the
    values hold no spaces, so a cell that moved would show up across a gap)."""
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= width, out
    spans = column_spans(lines[1])
    for line in [lines[0], *lines[2:]]:
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert line[end:start] == " " * GAP, (line, end, start)


@pytest.mark.parametrize("width", [80, 60, MIN_TABLE_WIDTH])
@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_fits_whatever_the_values(
    name: str, width: int, at: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    at(width)
    columns, rows = generated(TABLES[name])
    Output(as_json=False).table(columns, rows)
    check_fits(capsys.readouterr().out, width)
    streamed = Output(as_json=False).stream(columns)
    for row in rows:
        streamed.row(row)
    check_fits(capsys.readouterr().out, width)


@pytest.mark.parametrize("name", list(TABLES))
def test_wide_shows_every_value_whole(
    name: str, at: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    at(80)
    columns, rows = generated(TABLES[name])
    for render in ("table", "stream"):
        output = Output(as_json=False, wide=True)
        if render == "table":
            output.table(columns, rows)
        else:
            streamed = output.stream(columns)
            for row in rows:
                streamed.row(row)
        out = capsys.readouterr().out
        for value in rows[-1]:
            shown = value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value
            assert str(shown) in out, (render, shown)


def test_a_korean_name_is_cut_on_a_character(at: Any, capsys: pytest.CaptureFixture[str]) -> None:
    at(40)
    columns = [Col("file", itemgetter(0), Kind.ID), Col("note", itemgetter(1), Kind.TEXT)]
    Output(as_json=False).table(columns, [("영상/" * 30 + "끝.mp4", "설명" * 40)])
    lines = capsys.readouterr().out.splitlines()
    assert max(cell_len(line) for line in lines) <= 40
    assert lines[2].startswith("영상/영상/") and "…" in lines[2]


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.sampled_from(list(Kind)), st.integers(-1, 5)),
        min_size=1,
        max_size=12,
    ).filter(lambda cols: sum(kind is Kind.ID for _, kind, _ in cols) <= 5),
    st.integers(MIN_TABLE_WIDTH, 250),
)
def test_fit_widths_always_fits_a_budget_of_forty_or_more(
    cols: list[tuple[int, Kind, int]], budget: int
) -> None:
    natural, kinds, priorities = zip(*cols, strict=True)
    widths = fit_widths(natural, kinds, priorities, budget)
    shown = [w for w in widths if w is not None]
    assert sum(shown) + GAP * (len(shown) - 1) <= budget
    assert all(w is not None for w, k in zip(widths, kinds, strict=True) if k is Kind.ID)
    assert all(w is None or w <= n for w, n in zip(widths, natural, strict=True))


# ------------------------------------------------------------------- the commands themselves

LONG_PATH = "uploads/2026/11/22/a-folder-with-a-long-name/and-another-one/clip-0001-final.mp4"
LONG_OUTPUT = "AVC_FHD_2Pass_30fps_with_a_suffix"


@pytest.fixture(scope="module")
def served() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario(seed=5, encodings=3, vod_channels=1, imports=0))
    store = emulator.vod_station
    for n in range(3):
        store.add_progressing_encoding(
            queue_seconds=0, run_seconds=0,
            fields={"filePath": f"{LONG_PATH}-{n}", "outputType": LONG_OUTPUT,
                    "categoryName": "a category whose name runs on and on"},
        )  # fmt: skip
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


@pytest.mark.parametrize(
    "args",
    [
        ("encoding-status",),
        ("watch-encodings", "--interval", "0"),
        ("import", "emulator-workspace", "1234", "--bucket", "b", LONG_PATH, "--progress", "off"),
        ("wait-imports", "emulator-workspace/1234/99999999", "--progress", "off"),
        ("index", "emulator-workspace", "1234", "99999999", "--progress", "off"),
    ],
    ids=lambda args: args[0],
)
def test_the_commands_fit_80_columns_on_long_values(
    served: LoopbackEmulator, args: tuple[str, ...]
) -> None:
    result = served.invoke(*args, env={"COLUMNS": "80"})
    assert result.stdout.strip(), result.stderr
    check_fits(result.stdout, 80)


@pytest.mark.parametrize(
    "args",
    [
        ("wait-imports", "emulator-workspace/1234/99999999", "--progress", "off"),
        ("index", "emulator-workspace", "1234", "99999999", "--progress", "off"),
    ],
    ids=lambda args: args[0],
)
def test_wide_shows_the_reason_of_a_failure_whole(
    served: LoopbackEmulator, args: tuple[str, ...]
) -> None:
    # What the service said: NotFoundError (HTTP 404, code 10404): Asset not found
    error = json.loads(served.invoke("--json", *args).stdout)["error"]
    reason = f"{error['type']} (HTTP {error['status']}, code {error['code']}): "
    cut = served.invoke(*args, env={"COLUMNS": "80"})
    assert cut.stdout.splitlines()[2].endswith("…")  # at 80 columns, cut to fit
    wide = served.invoke("--wide", *args, env={"COLUMNS": "80"})
    assert wide.exit_code == 1
    row = wide.stdout.splitlines()[2]
    assert row.endswith(reason + "Asset not found"), row


def test_a_long_path_is_cut_in_the_middle(served: LoopbackEmulator) -> None:
    lines = served.invoke("encoding-status", env={"COLUMNS": "80"}).stdout.splitlines()
    long_rows = [line for line in lines if "uploads/2026/" in line]
    assert len(long_rows) == 3
    assert all("…" in line and ".mp4-" in line for line in long_rows)
