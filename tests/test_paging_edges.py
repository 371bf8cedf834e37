"""The pager's edges through the public API, against the emulator: a server that caps the page
size, identical items on adjacent pages, a list that grows under the walker. Every test asserts
the requests that went on the wire, not only the items that came out."""

from __future__ import annotations

import math
from typing import Any

import pytest

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, Route, Scenario

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
CHANNEL = "vs-20250821095732-abcdefg"


def event(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "time": 1_755_000_000 - i, "actionType": "START", "requestType": "API",
        "resultCode": "SUCCESS", "messageCode": "CHANNEL_READY", "message": f"event {i}",
        **fields,
    }


@pytest.fixture
async def server() -> Any:
    async with EmulatorServer(Emulator(Scenario.empty())) as server:
        yield server


def client_for(server: EmulatorServer) -> ncp.MediaClient:
    return ncp.MediaClient(
        server.credentials, endpoints=ncp.Endpoints.at(server.url), retry=FAST
    )


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_a_server_that_caps_the_page_size_is_walked_to_the_end(
    server: EmulatorServer, prefetch: int
) -> None:
    emulator = server.emulator
    emulator.vod_station.set_channel_events(CHANNEL, [event(i) for i in range(100)])
    emulator.vod_station.page_size_cap = 7  # asked 20, serves 7: total says more remain
    async with client_for(server) as client:
        got = await client.vod_station.channel_events(
            CHANNEL, page_size=20, prefetch=prefetch
        ).to_list()
    assert [e.message for e in got] == [f"event {i}" for i in range(100)]
    # Walked by what was served: 15 pages of 7, none asked twice, none past the end.
    assert emulator.stats.requests[Route.CHANNEL_EVENTS] == math.ceil(100 / 7)


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_identical_items_on_adjacent_pages_are_two_items(
    server: EmulatorServer, prefetch: int
) -> None:
    twin = event(9)  # the last of page 1 and the first of page 2, equal in every field
    events = [event(i) for i in range(9)] + [twin, twin] + [event(i) for i in range(11, 25)]
    server.emulator.vod_station.set_channel_events(CHANNEL, events)
    async with client_for(server) as client:
        got = await client.vod_station.channel_events(
            CHANNEL, page_size=10, prefetch=prefetch
        ).to_list()
    assert len(got) == 25
    assert got[9] == got[10]
    assert server.emulator.stats.requests[Route.CHANNEL_EVENTS] == 3


async def test_insertions_at_the_head_skip_only_what_total_grew_by(
    server: EmulatorServer,
) -> None:
    emulator = server.emulator
    store = emulator.vod_station
    store.set_channel_events(CHANNEL, [event(i) for i in range(30)])
    inserted = iter(range(1000, 2000))

    def insert_two(route: str, page_no: int) -> None:
        if route == Route.CHANNEL_EVENTS and page_no == 1:
            store.add_channel_events(CHANNEL, [event(next(inserted)), event(next(inserted))])

    emulator.after_page = insert_two
    async with client_for(server) as client:
        got = await client.vod_station.channel_events(CHANNEL, page_size=10).to_list()
    messages = [e.message for e in got]
    # Two arrived at the head after page 1: page 2 starts with the two last items of page 1,
    # which are skipped; every original event comes out exactly once.
    assert messages == [f"event {i}" for i in range(30)]
    assert emulator.stats.requests[Route.CHANNEL_EVENTS] == 4


async def test_a_null_status_or_time_never_ends_the_walk(server: EmulatorServer) -> None:
    events = [event(i) for i in range(25)]
    events[12] = {**events[12], "time": None}
    events[13] = {k: v for k, v in events[13].items() if k != "time"}
    server.emulator.vod_station.set_channel_events(CHANNEL, events)
    async with client_for(server) as client:
        got = await client.vod_station.channel_events(CHANNEL, page_size=10).to_list()
    assert len(got) == 25
    assert (got[12].time, got[13].time) == (None, None)
    assert server.emulator.stats.requests[Route.CHANNEL_EVENTS] == 3


@pytest.mark.parametrize("prefetch", [1, 4])
async def test_start_page_on_the_short_last_page_gives_that_page_only(
    server: EmulatorServer, prefetch: int
) -> None:
    # 25 events at 10 a page: page 3 holds the last 5. A walk started there must give those 5
    # and stop, not take 5 for a cap and go back to items 15-19 and round again to 20-24.
    server.emulator.vod_station.set_channel_events(CHANNEL, [event(i) for i in range(25)])
    async with client_for(server) as client:
        got = await client.vod_station.channel_events(
            CHANNEL, page_size=10, start_page=3, prefetch=prefetch
        ).to_list()
    assert [e.message for e in got] == [f"event {i}" for i in range(20, 25)]
    assert server.emulator.stats.requests[Route.CHANNEL_EVENTS] == 1
