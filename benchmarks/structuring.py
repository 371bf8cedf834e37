"""Structuring: the project's converter against plain dict access, pydantic v2 and msgspec.

All read the same decoded list-page bodies (``{"content": [...100 items], "total": N}``, items
shaped like the API page's example, thousands of distinct ``lastWorkTime`` values) into the same
thing: frozen objects with an enum status, an aware ``datetime`` and ints/floats. Each library is
used its fastest documented way for a page: ``structure_list(body, EncodingStatus)``;
``Page.model_validate(body)`` on a pydantic model (a ``TypeAdapter`` over the page is no
faster); ``msgspec.convert(body, Page)``. "dict access" reads each field into a tuple, nothing
converted: the floor. A second table times the same from the JSON bytes (decode included),
where msgspec and pydantic decode JSON themselves. ``bytes/record`` is what ``tracemalloc``
sees allocated and still held after structuring every page (records, their datetimes, the
lists), over the records.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson

from ncp_media_async._converter import structure_list
from ncp_media_async.records import EncodingStatus

from . import _rivals
from ._common import Options, Report, Table
from ._data import encoding_pages

NAME = "structuring"
TITLE = "page bodies to records: converter vs dict access, pydantic v2, msgspec"
PAGE_SIZE = 100
TARGET = 2.0


def _dict_access(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            item["status"],
            item.get("categoryId"),
            item.get("categoryName"),
            item.get("filePath"),
            item.get("outputType"),
            item.get("link"),
            item.get("outputTotalSize"),
            item.get("lastWorkTime"),
            item.get("percent"),
        )
        for item in body["content"]
    ]


def _converter(body: dict[str, Any]) -> object:
    return structure_list(body, EncodingStatus)


#: pydantic and msgspec, when installed.
RIVALS = _rivals.available()
#: name -> (from decoded dict, from JSON bytes).
VARIANTS: dict[str, _rivals.Variant] = {
    "dict access (floor)": (_dict_access, lambda raw: _dict_access(orjson.loads(raw))),
    "ncp converter": (_converter, lambda raw: _converter(orjson.loads(raw))),
    **RIVALS,
}
BYTES_NOTE = {
    "dict access (floor)": "orjson.loads, then dict access",
    "ncp converter": "orjson.loads, then structure_list",
    **_rivals.BYTES_NOTE,
}


def _throughput(fn: Callable[[Any], object], inputs: list[Any], items: int, repeat: int) -> float:
    """Items per second, best of ``repeat`` passes over every input (GC as in production)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        for x in inputs:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return items / best


def _held_bytes(fn: Callable[[Any], object], inputs: list[Any], items: int) -> float:
    """Bytes allocated by structuring every input and still held, per item."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [fn(x) for x in inputs]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del held
    return (after - before) / items


def _check_same(bodies: list[dict[str, Any]]) -> None:
    """Every variant must read the same values (a benchmark of wrong answers is worthless)."""
    ours = structure_list(bodies[0], EncodingStatus)[0][5]
    fields = ("status", "category_id", "output_total_size", "last_work_time", "percent")
    for name, (from_dict, _) in RIVALS.items():
        other = from_dict(bodies[0]).content[5]  # type: ignore[attr-defined]
        for field in fields:
            if getattr(ours, field) != getattr(other, field):
                raise AssertionError(f"{name}: {field} differs")


def run(options: Options) -> Report:
    items, repeat = (5_000, 3) if options.quick else (20_000, 7)
    bodies = encoding_pages(items, PAGE_SIZE)
    raws = [orjson.dumps(b) for b in bodies]
    _check_same(bodies)
    report = Report(NAME, TITLE, f"ncp converter ≥ {TARGET:g}× pydantic v2 items/s (from dicts)")

    rates: dict[str, float] = {}
    rates_bytes: dict[str, float] = {}
    held: dict[str, float] = {}
    for name, (from_dict, from_bytes) in VARIANTS.items():
        from_dict(bodies[0])  # warm-up: cattrs' generated functions, pydantic's schema
        from_bytes(raws[0])
        held[name] = _held_bytes(from_dict, bodies, items)
        rates[name] = _throughput(from_dict, bodies, items, repeat)
        rates_bytes[name] = _throughput(from_bytes, raws, items, repeat)

    ours = rates["ncp converter"]
    table = Table(
        ["from decoded dicts", "items/s", "µs/item", "vs ncp converter", "bytes/record held"],
        caption=f"{items:,} items in pages of {PAGE_SIZE}, best of {repeat} passes",
    )
    for name, rate in rates.items():
        table.add(
            name, f"{rate:,.0f}", f"{1e6 / rate:.2f}", f"{rate / ours:.2f}×", f"{held[name]:,.0f}"
        )
    report.tables.append(table)

    ours_b = rates_bytes["ncp converter"]
    table_b = Table(["from JSON bytes", "how", "items/s", "µs/item", "vs ncp converter"])
    for name, rate in rates_bytes.items():
        table_b.add(
            name, BYTES_NOTE[name], f"{rate:,.0f}", f"{1e6 / rate:.2f}", f"{rate / ours_b:.2f}×"
        )
    json_rate = _throughput(
        lambda raw: _converter(json.loads(raw)), raws, items, max(1, repeat // 2)
    )
    table_b.add(
        "ncp converter",
        "json.loads, then structure_list",
        f"{json_rate:,.0f}",
        f"{1e6 / json_rate:.2f}",
        f"{json_rate / ours_b:.2f}×",
    )
    report.tables.append(table_b)

    if "pydantic v2" not in rates:
        report.notes.append(f"pydantic and msgspec not installed: {_rivals.INSTALL}.")
        return report  # no baseline, no verdict (n/a)
    ratio = ours / rates["pydantic v2"]
    report.notes.append(f"ncp converter / pydantic v2 items/s = {ratio:.2f}× (from dicts).")
    report.notes.append(
        "Held bytes exclude the input bodies; every variant but dict access makes one datetime "
        "per record."
    )
    report.passed = ratio >= TARGET
    return report
