"""Per item: walking 20,000 encoding statuses, page size 100, client records against raw pages.

The client walks ``client.vod_station.encoding_statuses(page_size=100)`` with ``async for``,
getting frozen ``EncodingStatus`` records (times parsed, enums, ints). The raw baseline walks
the same pages with aiohttp (URL built and signed per page the same way) and ``json.loads`` each
body, touching every item dict; a second baseline decodes with ``orjson.loads`` (what the client
uses), to separate the cost of JSON decoding from the cost of structuring. CPU µs per item is
the client process's CPU time (the emulator runs in its own process) over the items walked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from statistics import median
from typing import Any

import aiohttp
import orjson
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async._converter import structure_list
from ncp_media_async._signing import Signer, encode_query
from ncp_media_async.records import EncodingStatus

from ._common import EmulatorProcess, Measure, Options, Report, Table, measure, run_async

NAME = "per_item"
TITLE = "walking encoding statuses: client records vs raw aiohttp + json.loads (CPU per item)"
PAGE_SIZE = 100
PATH = "/api/v2/status"
#: Issue 8: with cattrs doing the structuring (no generated fast path of our own), ≥ 0.45.
TARGET = 0.45

Walk = Callable[[], Awaitable[int]]


def _orjson_structured(raw: bytes) -> dict[str, Any]:
    """orjson, then the client's converter on the page (records in ``content``)."""
    records, total = structure_list(orjson.loads(raw), EncodingStatus)
    return {"content": records, "total": total}


async def _bench(
    url: str, creds: ncp.Credentials, items: int, rounds: int
) -> dict[str, list[Measure]]:
    signer = Signer(creds.access_key, creds.secret_key)
    base = url.rstrip("/") + PATH

    async with (
        aiohttp.ClientSession() as session,
        ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(url)) as client,
    ):

        def raw_walk(loads: Callable[[bytes], Any]) -> Walk:
            async def walk() -> int:
                seen = 0
                page_no = 1
                while True:
                    query = encode_query((("pageNo", page_no), ("pageSizeNo", PAGE_SIZE)))
                    target = URL(f"{base}?{query}", encoded=True)
                    headers = signer.headers("GET", target.raw_path_qs, int(time.time() * 1000))
                    async with session.get(target, headers=headers) as resp:
                        if resp.status != 200:
                            raise RuntimeError(f"HTTP {resp.status}")
                        body = loads(await resp.read())
                    content = body["content"]
                    for item in content:
                        seen += item is not None
                    if len(content) < PAGE_SIZE or page_no * PAGE_SIZE >= body["total"]:
                        return seen
                    page_no += 1

            return walk

        async def client_walk() -> int:
            seen = 0
            async for status in client.vod_station.encoding_statuses(page_size=PAGE_SIZE):
                seen += status is not None
            return seen

        variants: dict[str, Walk] = {
            "raw + json.loads": raw_walk(json.loads),
            "raw + orjson.loads": raw_walk(orjson.loads),
            "raw + orjson.loads + structure_list": raw_walk(_orjson_structured),
            "client (records)": client_walk,
        }
        for walk in variants.values():  # warm-up: connections, cattrs' generated functions
            await walk()
        results: dict[str, list[Measure]] = {}
        for _ in range(rounds):
            for name, walk in variants.items():
                with measure() as m:
                    seen = await walk()
                if seen != items:
                    raise RuntimeError(f"{name} walked {seen} items, expected {items}")
                results.setdefault(name, []).append(Measure(m[0].wall / seen, m[0].cpu / seen))
    return results


def run(options: Options) -> Report:
    items, rounds = (5_000, 1) if options.quick else (20_000, 5)
    report = Report(NAME, TITLE, f"raw (json.loads) / client CPU per item ≥ {TARGET}")
    with EmulatorProcess(encodings=items) as emu:
        results = run_async(
            lambda: _bench(emu.url, emu.credentials, items, rounds), use_uvloop=options.uvloop
        )
    baseline = median([m.cpu for m in results["raw + json.loads"]])
    table = Table(["variant", "CPU µs/item", "wall µs/item", "items/s (wall)", "raw/this CPU"])
    for name, measures in results.items():
        cpu = median([m.cpu for m in measures])
        wall = median([m.wall for m in measures])
        table.add(
            name,
            f"{cpu * 1e6:.2f}",
            f"{wall * 1e6:.2f}",
            f"{1 / wall:,.0f}",
            f"{baseline / cpu:.2f}",
        )
    report.tables.append(table)
    client_cpu = median([m.cpu for m in results["client (records)"]])
    ratio = baseline / client_cpu
    report.notes.append(
        f"{items:,} items in pages of {PAGE_SIZE}, median of {rounds} alternating round(s); "
        f"raw (json.loads) / client CPU = {ratio:.2f}."
    )
    report.passed = ratio >= TARGET
    return report
