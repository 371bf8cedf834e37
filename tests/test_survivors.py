"""Tests for the mutants issue 15 found alive: each asserts the value, the wait or the request
count that the mutant changes.

* ``_transport._read``'s size check: a compressed or chunked body under the limit is read whole
  (negated, every such body became ``BodyTooLargeError``), over it is refused.
* ``strict_json_loads`` (the decoder without orjson, the default install) keeps floats floats.
* ``RateLimit(0)`` and a period of 0 are refused.
* The calibration probe's release: requests held behind a host's first one go when it answers,
  not after ``connect_timeout``.
* ``watch_encoding_statuses`` counts duplicate rows (two jobs of one file) one by one.
* A wait's ``jitter`` is applied, from its ``rng``.
* ``MediaClient.clock_offset_of``.
* ``errors.excerpt`` looks at no more than its bounds (4 bytes and 2 characters per character
  shown).
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from _vod import served_vod
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async._transport import strict_json_loads
from ncp_media_async.errors import excerpt
from ncp_media_async.polling import AGAIN, Again, Wait
from ncp_media_async.testing import WORK_START_KEY, Emulator, EmulatorServer, Scenario

LIMIT = 1024  # the smallest max_body_size a client takes

# -- bodies whose size shows only while reading ------------------------------------------------


def statistics_body(size: int) -> bytes:
    """A status-statistic body of exactly ``size`` bytes (padded with JSON whitespace)."""
    body = orjson.dumps({"content": {"waiting": 1, "running": 2, "complete": 3}})
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


class Hostile:
    """A server of status-statistic bodies of ``size`` bytes: gzipped (their size shows only
    once inflated) or chunked (no ``Content-Length``: it shows chunk by chunk)."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.size = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = statistics_body(self.size)
        if self.how == "gzip":
            return web.Response(
                body=gzip.compress(raw),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for at in range(0, len(raw), 100):
            await response.write(raw[at : at + 100])
        await response.write_eof()
        return response

    def client(self) -> ncp.MediaClient:
        return ncp.MediaClient(
            ncp.Credentials("AK", "SK"), endpoints=ncp.Endpoints.at(self.url), max_body_size=LIMIT
        )


@pytest.fixture(params=["gzip", "chunked"])
async def hostile(request: pytest.FixtureRequest) -> AsyncIterator[Hostile]:
    server = Hostile(request.param)
    app = web.Application()
    app.router.add_get("/api/v2/status/status-statistic", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("size", [LIMIT - 200, LIMIT])
async def test_a_compressed_or_chunked_body_up_to_the_limit_is_read_whole(
    hostile: Hostile, size: int
) -> None:
    hostile.size = size
    async with hostile.client() as client:
        stats = await client.vod_station.status_statistics()
    assert (stats.waiting, stats.running, stats.complete) == (1, 2, 3)


async def test_a_compressed_or_chunked_body_past_the_limit_is_refused(hostile: Hostile) -> None:
    hostile.size = LIMIT + 1
    async with hostile.client() as client:
        with pytest.raises(ncp.BodyTooLargeError, match="1,024 bytes"):
            await client.vod_station.status_statistics()


# -- the decoder without orjson ----------------------------------------------------------------


def test_strict_json_loads_reads_numbers_as_json_means_them() -> None:
    data = strict_json_loads(b'{"percent": 12.5, "size": 3, "tiny": 1e-300, "big": 1.5e308}')
    assert data == {"percent": 12.5, "size": 3, "tiny": 1e-300, "big": 1.5e308}
    assert type(data["percent"]) is float and type(data["size"]) is int
    assert strict_json_loads("[-0.0, 2E3]") == [-0.0, 2000.0]
    for refused in ("1e400", "-1e400", "NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError):
            strict_json_loads(refused)


# -- rate limits that cannot be meant ----------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "period"),
    [(0, 1.0), (-1, 1.0), (1, 0), (1, 0.0), (1, -1.0), (1, float("nan"))],
)
def test_a_rate_limit_of_nothing_is_refused(calls: int, period: float) -> None:
    with pytest.raises(ValueError):
        ncp.RateLimit(calls, period)
    with pytest.raises(TypeError):  # the wrong type, as everywhere
        ncp.RateLimit(True, 1.0)


def test_the_smallest_rate_limits_are_taken() -> None:
    assert ncp.RateLimit(1, 1e-9).spacing == 1e-9
    assert ncp.RateLimit(1).spacing == 1.0
    assert ncp.RateLimit(1, 60).spacing == 60.0
    with pytest.raises(ValueError):
        ncp.RateLimit.per_second(0)
    with pytest.raises(ValueError):
        ncp.RateLimit.per_minute(0)


# -- the calibration probe's release -----------------------------------------------------------


async def test_requests_held_behind_a_hosts_first_go_when_it_answers() -> None:
    """A host's first request is the clock's probe: the others wait for its answer, and only
    a host that never answers holds them for ``connect_timeout`` (30 s here). The bound below
    is generous: what it tells apart is about 0.2 s from 30 s."""
    emulator = Emulator(Scenario.empty())
    emulator.latency = 0.2  # the probe is still out when the others arrive at the hold
    async with EmulatorServer(emulator) as server:
        client = ncp.MediaClient(
            server.credentials, endpoints=ncp.Endpoints.at(server.url), connect_timeout=30.0
        )
        async with client:
            started = time.monotonic()
            results = await asyncio.gather(
                *(client.vod_station.status_statistics() for _ in range(5))
            )
            elapsed = time.monotonic() - started
    assert len(results) == 5
    assert elapsed < 15.0
    assert emulator.stats.total_requests == 5


# -- two jobs of one file: duplicates counted one by one ---------------------------------------


def row(at: float, status: str, percent: float) -> dict[str, Any]:
    return {
        WORK_START_KEY: int(at * 1000),
        "categoryId": 7,
        "categoryName": "c",
        "filePath": "in/same.mp4",  # the same file, submitted twice: two rows, one key
        "outputType": "AVC_HD_1Pass_30fps",
        "link": "https://example.invalid/same.mp4",
        "outputTotalSize": 1,
        "lastWorkTime": datetime.fromtimestamp(at, UTC).isoformat(),
        "status": status,
        "percent": percent,
    }


async def test_a_watch_reports_two_equal_rows_of_one_key_once() -> None:
    """Two jobs of one file show as two equal rows under one ``output_key``: the first walk
    reports both, walks that find them unchanged report neither, and a change of one reports
    that one alone."""
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:  # the fake clock's, and a change before walk 4
        pauses.append(seconds)
        if len(pauses) == 3:
            at = vod.clock()
            vod.store.set_encoding_statuses([row(at, "RUNNING", 40.0), row(at, "COMPLETE", 100.0)])
        await vod.sleep(seconds)

    seen: list[tuple[str, float | None]] = []
    async with served_vod(sleep=sleep) as vod:
        at = vod.clock()
        vod.store.set_encoding_statuses([row(at, "RUNNING", 40.0), row(at, "RUNNING", 40.0)])
        with pytest.raises(ncp.PollTimeoutError, match="1 encoding still unfinished"):
            async for status in vod.api.watch_encoding_statuses(interval=5, timeout=22):
                assert status.status is not None
                seen.append((status.status.value, status.percent))
    assert pauses == [5.0, 5.0, 5.0, 5.0, 2.0]  # walks at 0, 5, 10, 15 and 20 s; then 22 s
    assert seen == [("RUNNING", 40.0), ("RUNNING", 40.0), ("COMPLETE", 100.0)]


# -- jitter ------------------------------------------------------------------------------------


class FakeTime:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_jitter_spreads_each_pause_by_draws_from_the_waits_rng() -> None:
    """Each pause is ``interval`` ± ``jitter`` of it, drawn from the wait's ``rng``: with one
    target, its steps come exactly when the same seeded draws say."""
    clock = FakeTime()
    stepped: list[float] = []

    async def step(target: str) -> str | Again:
        stepped.append(clock())
        return target if len(stepped) == 6 else AGAIN

    wait: Wait[Any] = Wait(interval=10.0, jitter=0.1, rng=random.Random(42), clock=clock,
                           sleep=clock.sleep)  # fmt: skip
    assert [r async for r in wait.run(["a"], step)] == ["a"]
    draws = random.Random(42)
    expected = [0.0]
    for _ in range(5):
        expected.append(expected[-1] + 10.0 + draws.uniform(-1.0, 1.0))
    assert stepped == pytest.approx(expected)
    gaps = [b - a for a, b in itertools.pairwise(stepped)]
    assert all(9.0 <= gap <= 11.0 for gap in gaps)
    assert len({round(gap, 9) for gap in gaps}) == 5  # spread: no two pauses alike


async def test_jitter_drifts_targets_started_together_apart() -> None:
    """Eight targets stepped at 0 s step again at eight different draws around 10 s (one
    worker, so each step comes exactly when its target is due)."""
    clock = FakeTime()
    stepped: dict[str, list[float]] = {}

    async def step(target: str) -> str | Again:
        stepped.setdefault(target, []).append(clock())
        return target if len(stepped[target]) == 2 else AGAIN

    targets = [f"t{i}" for i in range(8)]
    wait: Wait[Any] = Wait(interval=10.0, jitter=0.1, rng=random.Random(7), clock=clock,
                           sleep=clock.sleep, concurrency=1)  # fmt: skip
    assert sorted([r async for r in wait.run(targets, step)]) == targets
    draws = random.Random(7)
    expected = [[0.0, pytest.approx(10.0 + draws.uniform(-1.0, 1.0))] for _ in targets]
    assert [stepped[t] for t in targets] == expected
    assert len({times[1] for times in stepped.values()}) == 8


# -- clock offsets per host --------------------------------------------------------------------


async def test_clock_offset_of_names_each_hosts_offset() -> None:
    """A host whose clock is 15 minutes ahead rejects the first request; the client learns
    that host's offset from the rejection's ``Date`` (and re-signs), and only that host's."""
    ahead, level = Emulator(Scenario.empty()), Emulator(Scenario.empty())
    ahead.clock_offset = 900.0
    async with EmulatorServer(ahead) as a, EmulatorServer(level) as b:
        endpoints = ncp.Endpoints(vod_station=a.url, live_station=b.url, media_ai=b.url)
        async with ncp.MediaClient(a.credentials, endpoints=endpoints) as client:
            assert client.clock_offset_of(a.url) == 0.0  # nothing learnt yet
            await client.vod_station.status_statistics()
            await client.live_station.channels().to_list()
            assert client.clock_offset_of(a.url) == pytest.approx(900.0, abs=2.0)
            assert client.clock_offset_of(a.url + "/any/prefix") == client.clock_offset_of(a.url)
            assert client.clock_offset_of(b.url) == 0.0
            assert client.clock_offset_of("https://vodstation.apigw.ntruss.com") == 0.0
            assert client.clock_offset == client.clock_offset_of(a.url)
            with pytest.raises(ValueError):
                client.clock_offset_of("not a url")
    assert ahead.stats.rejected_signatures == 1  # one rejection, then re-signed
    assert level.stats.rejected_signatures == 0


# -- excerpt's bounds --------------------------------------------------------------------------


def test_an_excerpt_decodes_at_most_four_bytes_per_character_shown() -> None:
    """A bound on decoding work, whatever the body: ``limit * 4`` bytes. A body that opens
    with that many bytes of (three-byte) blanks shows nothing of what follows."""
    blank = b"    " + "\u3000".encode() * 12  # 40 bytes: 4 + 12 * 3, 16 characters
    assert excerpt(blank + b"tail", limit=10) == ""
    assert excerpt(blank[4:] + b"tail", limit=10) == "tail"  # 4 bytes less: the tail shows


def test_an_excerpt_looks_at_most_at_two_characters_per_character_shown() -> None:
    """A bound on the work per character, whatever the text: ``limit * 2`` characters. Blanks
    collapse to one, and a body that opens with more than that shows nothing after them."""
    assert excerpt(" " * 20 + "tail", limit=10) == ""
    assert excerpt(" " * 16 + "tail", limit=10) == "tail"
    assert excerpt(b" " * 20 + b"tail", limit=10) == ""
    assert excerpt("a" * 30, limit=10) == "a" * 9 + "…"

