"""The defects issue 15 lists, each through the public API: every test here failed on 0.2.0.

* A wait's ``timeout`` bounds the whole wait whatever its ``interval``: ``wait_for_encodings``,
  ``watch_encoding_statuses`` and ``ncp-media add-files --wait --timeout`` gave up as soon as
  the next walk would have started past the deadline (``interval=5, timeout=3``: after the
  first walk, 0.02 s, saying "still unfinished after 3 s"), while ``wait_for_imports`` waited
  the full time. On the client's fake clock (``tests/_vod.py``): no real time passes.
* A ``str`` or ``bytes`` where a collection belongs is a ``TypeError`` before any request, in
  every method (``import_assets(keys="clip.mp4")`` created 8 assets, one per character).
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from _loopback import LoopbackEmulator
from _vod import Vod, served_vod

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, Scenario


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


# -- a timeout is the whole wait, whatever the interval -------------------------------------------


async def test_wait_for_encodings_waits_the_whole_timeout_when_the_interval_is_longer(
    vod: Vod,
) -> None:
    cid = vod.store.add_category()  # outputs wait 2 s, then run 8 s and more: not done at 3 s
    jobs = await vod.api.add_files(cid, bucket="in", paths=["a.mp4", "b.mp4"])
    started = vod.clock()
    with pytest.raises(ncp.PollTimeoutError) as info:
        async for _ in vod.api.wait_for_encodings(jobs, interval=5, timeout=3):
            pass
    assert vod.clock() - started == pytest.approx(3.0)  # 0.2.0: 0, right after the first walk
    assert vod.slept == [pytest.approx(3.0)]  # one pause, up to the deadline and no further
    assert "2 of 2 encoding jobs still unfinished after 3 s" in str(info.value)
    assert info.value.pending == tuple(jobs)


async def test_watch_encoding_statuses_waits_the_whole_timeout_when_the_interval_is_longer(
    vod: Vod,
) -> None:
    vod.store.add_progressing_encoding(run_seconds=10**6)  # never ends
    started = vod.clock()
    seen = []
    with pytest.raises(ncp.PollTimeoutError, match="1 encoding still unfinished after 3 s"):
        async for status in vod.api.watch_encoding_statuses(interval=5, timeout=3):
            seen.append(status)
    assert len(seen) == 1  # the first walk's
    assert vod.clock() - started == pytest.approx(3.0)  # 0.2.0: 0, right after the first walk
    assert vod.slept == [pytest.approx(3.0)]


@pytest.fixture
def served() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario.empty())
    emulator.vod_station.encoding_run_seconds = 3600.0  # nothing ends during the test
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


def test_add_files_wait_gives_up_at_its_timeout_not_at_the_walk_before(
    served: LoopbackEmulator,
) -> None:
    """The command line's client runs on real time: walks at 0 and 1 s, then the deadline at
    2 s (0.2.0 gave up at the walk at 1 s, as the next one would start past it). The command
    measures its own wait; only a lower bound is exact on a loaded machine."""
    cid = served.emulator.vod_station.add_category()
    started = time.monotonic()
    result = served.invoke(
        "add-files", str(cid), "--bucket", "in", "a.mp4", "--wait", "--interval", "1",
        "--timeout", "2", "--progress", "off",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, (result.stdout, result.stderr)
    found = re.search(r"1 still pending \(timed out\) in ([\d.]+)s", result.stderr)
    assert found is not None, result.stderr
    assert float(found[1]) >= 2.0  # 0.2.0: 1.0
    assert "0 of 1 file encoded" in result.stderr
    assert 2.0 <= elapsed < 60.0  # generous: a loaded machine is slow, never early


# -- one item where a collection belongs: the same TypeError everywhere, nothing sent ------------


REF = ncp.AssetRef("ws", 7, 5)
SINCE = datetime(2026, 1, 1, tzinfo=UTC)

#: Every public method that takes a collection of strings or ids, called with ``one`` where
#: the collection belongs (a coroutine is awaited).
CALLS: dict[str, Callable[[ncp.MediaClient, Any], Any]] = {
    "import_assets(keys)": lambda c, one: c.media_ai.import_assets("ws", 7, bucket="b", keys=one),
    "ingest(keys)": lambda c, one: c.media_ai.ingest("ws", 7, bucket="b", keys=one),
    "wait_for_imports(refs)": lambda c, one: c.media_ai.wait_for_imports(one),
    "wait_for_indexes(refs)": lambda c, one: c.media_ai.wait_for_indexes(one),
    "start_index(tag_ids)": lambda c, one: c.media_ai.start_index(REF, tag_ids=one),
    "IndexOptions(tag_ids)": lambda c, one: ncp.IndexOptions(tag_ids=one),
    "add_files(paths)": lambda c, one: c.vod_station.add_files(1, bucket="in", paths=one),
    "add_files(urls)": lambda c, one: c.vod_station.add_files(1, urls=one),
    "find_jobs(inputs)": lambda c, one: c.vod_station.find_jobs(1, one, since=SINCE),
    "wait_for_encodings(jobs)": lambda c, one: c.vod_station.wait_for_encodings(one),
    "upload_records(records)": lambda c, one: c.live_station.upload_records("b", one),
    "wait_for_channel(states)": lambda c, one: c.live_station.wait_for_channel("ch", one),
}

#: What a caller plausibly passes by mistake to each: a text that iterates into valid items.
ONE: dict[str, str] = {
    "import_assets(keys)": "clip.mp4",
    "ingest(keys)": "clip.mp4",
    "wait_for_imports(refs)": "ws/7/5",
    "wait_for_indexes(refs)": "ws/7/5",
    "start_index(tag_ids)": "12",
    "IndexOptions(tag_ids)": "12",
    "add_files(paths)": "in/clip.mp4",
    "add_files(urls)": "https://cdn.example/clip.mp4",
    "find_jobs(inputs)": "in/clip.mp4",
    "wait_for_encodings(jobs)": "in/clip.mp4",
    "upload_records(records)": "12",
    "wait_for_channel(states)": "READY",
}


@pytest.fixture
async def quiet() -> AsyncIterator[tuple[ncp.MediaClient, Emulator]]:
    emulator = Emulator(Scenario.empty())
    async with EmulatorServer(emulator) as server:
        client = ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url))
        async with client:
            yield client, emulator


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
@pytest.mark.parametrize("method", list(CALLS))
async def test_one_string_where_a_collection_belongs_is_a_type_error_before_any_request(
    quiet: tuple[ncp.MediaClient, Emulator], method: str, as_bytes: bool
) -> None:
    """``keys="clip.mp4"`` is a ``str``, which is an ``Iterable[str]`` (mypy cannot help): 0.2.0
    created one asset per character in ``import_assets`` and ``ingest``. Every method refuses
    it with the same exception type, before anything is sent."""
    client, emulator = quiet
    one: str | bytes = ONE[method].encode() if as_bytes else ONE[method]
    with pytest.raises(TypeError):
        outcome = CALLS[method](client, one)
        if inspect.isawaitable(outcome):
            await outcome
    assert emulator.stats.total_requests == 0
