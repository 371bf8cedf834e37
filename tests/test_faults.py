"""Fault injection: the client's promises under throttling, broken bodies, resets, slow answers,
clock skew, changing lists, cancellation and hostile input. Each test backs one README promise."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import random
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ncp_media_async as ncp
from ncp_media_async._signing import SIGNATURE_HEADER
from ncp_media_async.errors import error_from_response
from ncp_media_async.testing import EmulatorServer, Fault, FaultPlan, Route, Scenario

pytestmark = pytest.mark.faults
LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]

#: Every fault a client can get through (all but the bodies that never end, which fail for
#: good); SLOW answers after 0.3 s, past the 0.1 s client timeout used below.
SURVIVABLE = set(Fault) - {Fault.GZIP_BOMB, Fault.ENDLESS_BODY}
ALL_FAULTS = FaultPlan(seed=11, rate=0.3, kinds=SURVIVABLE, slow_seconds=0.3)
PATIENT = ncp.RetryPolicy(max_retries=12, initial_delay=0.001, max_delay=0.005)


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario(encodings=10_000, vod_channels=1, events_per_channel=1_050, live_channels=1,
                    imports=0)


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", PATIENT)
    kw.setdefault("timeout", 0.1)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


def wire_keys(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["categoryId"], i["filePath"], i["outputType"]) for i in items]


def record_keys(items: list[ncp.EncodingStatus]) -> list[tuple[Any, ...]]:
    return [(s.category_id, s.file_path, s.output_type) for s in items]


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_every_item_exactly_once_in_order_under_30_percent_faults(
    ncp_emulator_server: EmulatorServer, prefetch: int
) -> None:
    emulator = ncp_emulator_server.emulator
    expected = wire_keys(emulator.vod_station.encoding_statuses())
    assert len(expected) == 10_000
    assert len(set(expected)) == len(expected)
    channel = emulator.vod_station.channel_ids[0]
    expected_events = emulator.vod_station.channel_events(channel)
    assert len(expected_events) >= 1_000
    emulator.fault_plan = ALL_FAULTS
    async with client_for(ncp_emulator_server) as client:
        got = await client.vod_station.encoding_statuses(page_size=100,
                                                         prefetch=prefetch).to_list()
        events = await client.vod_station.channel_events(channel, page_size=20,
                                                         prefetch=prefetch).to_list()
    assert record_keys(got) == expected
    assert [(int(e.time.timestamp()), e.message_code) for e in events] == [
        (e["time"], e["messageCode"]) for e in expected_events
    ]
    injected = emulator.stats.faults
    assert sum(injected.values()) > 30
    assert set(injected) == SURVIVABLE, f"not every fault kind was exercised: {injected}"


async def test_same_seed_same_faults(ncp_emulator_server: EmulatorServer) -> None:
    emulator = ncp_emulator_server.emulator
    runs = []
    for _ in range(2):
        emulator.reset_stats()
        emulator.fault_plan = FaultPlan(seed=3, rate=0.3)
        # No attempt may time out (none of these faults stalls): a timeout on a loaded machine
        # is one request more, which shifts the plan's draws.
        async with client_for(ncp_emulator_server, timeout=60.0) as client:
            await client.vod_station.encoding_statuses(page_size=500).to_list()
        runs.append(dict(emulator.stats.faults))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("skew_minutes", [15, -15])
async def test_clock_skew_costs_at_most_one_rejected_request(
    ncp_emulator_server: EmulatorServer, skew_minutes: int
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.clock_offset = skew_minutes * 60.0
    # A generous attempt timeout: this is about calibration, and a probe that times out on a
    # loaded machine releases the others uncalibrated (each then re-signed once, not failed).
    async with client_for(ncp_emulator_server, timeout=10.0) as client:
        results = await asyncio.gather(
            *(client.vod_station.status_statistics() for _ in range(30))
        )
        later = await client.vod_station.encoding_statuses(page_size=1000).to_list()
        assert client.clock_offset == pytest.approx(skew_minutes * 60.0, abs=2.0)
    assert len(results) == 30
    assert len(later) == 10_000
    assert emulator.stats.rejected_signatures <= 1


async def test_small_skew_is_learnt_without_any_rejection(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.clock_offset = -200.0  # inside the gateway's 5 minutes, but drifting
    async with client_for(ncp_emulator_server, timeout=10.0) as client:  # no SLOW fault here
        await client.vod_station.status_statistics()
        assert client.clock_offset == pytest.approx(-200.0, abs=2.0)
        emulator.clock_offset = -450.0  # past the window from 0, inside it from the learnt -200
        await client.vod_station.status_statistics()
    assert emulator.stats.rejected_signatures == 0


async def test_head_insertions_mid_walk_never_give_an_item_twice(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    original = set(wire_keys(emulator.vod_station.encoding_statuses()))
    counter = iter(range(10**6))

    def insert_at_head(route: str, page_no: int) -> None:
        if route == Route.ENCODING_STATUSES:
            n = next(counter)
            emulator.vod_station.add_encoding_statuses([{
                "categoryId": 1, "categoryName": "new", "filePath": f"new/{n}.mp4",
                "outputType": "AVC", "status": "WAITING", "percent": 0.0,
                "_workStartTimeMs": emulator.now_ms() + 10**9 + n,
            } for _ in range(1)])

    emulator.after_page = insert_at_head
    async with client_for(ncp_emulator_server, timeout=10.0) as client:  # no SLOW fault here
        got = record_keys(await client.vod_station.encoding_statuses(page_size=100).to_list())
    assert len(got) == len(set(got)), "an item was given twice"
    assert original <= set(got), "an item present for the whole walk was missed"


async def test_shrinking_and_growing_totals_end_the_walk(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator

    def shrink(route: str, page_no: int) -> None:
        emulator.vod_station.remove_encoding_statuses(300, newest=False)

    emulator.after_page = shrink
    async with client_for(ncp_emulator_server, timeout=10.0) as client:  # no SLOW fault here
        got = record_keys(await client.vod_station.encoding_statuses(page_size=100).to_list())
    assert len(got) == len(set(got))
    assert emulator.stats.requests[Route.ENCODING_STATUSES] < 100


# -- cancellation ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
async def test_cancellation_at_random_points_leaves_nothing_behind(
    ncp_emulator_server: EmulatorServer, leftover_tasks: LeftoverTasks, seed: int
) -> None:
    rng = random.Random(seed)
    emulator = ncp_emulator_server.emulator
    emulator.latency = 0.002
    emulator.fault_plan = FaultPlan(seed=seed, rate=0.2)
    for i in range(200):
        emulator.media_ai.add_import("ws", "1", str(i), polls=rng.randint(1, 5))
    refs = [ncp.AssetRef("ws", "1", str(i)) for i in range(200)]
    loop = asyncio.get_running_loop()
    problems: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    client = client_for(ncp_emulator_server, timeout=5.0)

    async def walk() -> None:
        await client.vod_station.encoding_statuses(page_size=50).to_list()

    async def prefetch_walk() -> None:
        await client.vod_station.encoding_statuses(page_size=50, prefetch=8).to_list()

    async def bulk_poll() -> None:
        async for _ in client.media_ai.wait_for_imports(refs, concurrency=32, interval=0.001):
            pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for job in (walk, prefetch_walk, bulk_poll):
            task = asyncio.create_task(job())
            await asyncio.sleep(rng.uniform(0, 0.05))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await leftover_tasks() == [], job.__name__
        session = client._transport._session
        await client.close()
        assert session is not None
        assert session.closed
        assert session.connector is None or session.connector.closed
        gc.collect()
        await asyncio.sleep(0)
    assert not [w for w in caught if "Unclosed" in str(w.message)]
    assert not [p for p in problems if "never retrieved" in str(p.get("message"))]


# -- secrets -------------------------------------------------------------------------------------


async def test_no_secret_or_signature_in_logs_reprs_or_errors(
    ncp_emulator_server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = ncp_emulator_server.emulator
    creds = ncp_emulator_server.credentials
    signatures: list[str] = []

    async def on_request_start(_s: Any, _c: Any, params: aiohttp.TraceRequestStartParams) -> None:
        signatures.append(params.headers[SIGNATURE_HEADER])

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    events: list[ncp.AttemptEvent] = []
    texts: list[str] = []
    caplog.set_level(logging.DEBUG, logger="ncp_media_async")
    emulator.fault_plan = FaultPlan(seed=1, rate=0.5)
    async with client_for(ncp_emulator_server, trace_configs=[trace], timeout=10.0,
                          on_attempt=events.append) as client:  # no SLOW fault here
        texts.append(repr(client))
        await client.vod_station.encoding_statuses(page_size=1000).to_list()
        for call in (
            client.live_station.records("ls-missing"),
            client.media_ai.import_status("ws", "1", "12345678"),
        ):
            with pytest.raises(ncp.NcpError) as info:
                await call
            texts += [str(info.value), repr(info.value)]
    emulator.fault_plan = None
    wrong = ncp.Credentials(creds.access_key, creds.secret_key + "x")
    async with ncp.MediaClient(wrong, endpoints=ncp.Endpoints.at(ncp_emulator_server.url),
                               trace_configs=[trace]) as client:
        with pytest.raises(ncp.AuthenticationError) as denied:
            await client.vod_station.status_statistics()
        texts += [str(denied.value), repr(denied.value), repr(client), repr(wrong)]
    texts += [caplog.text, *(repr(e) for e in events)]
    everything = "\n".join(texts)
    assert len(signatures) > 5
    assert "retrying" in caplog.text
    assert creds.secret_key not in everything
    assert creds.access_key[4:] not in everything
    leaked = [s for s in signatures if s in everything]
    assert leaked == []


# -- hostile input ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)
error_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"error": st.dictionaries(
        st.sampled_from(["errorCode", "message", "details", "errorName", "code"]), json_values)
    }).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"code": json_values, "message": json_values}).map(
        lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.just(b"<html><body>502 Bad Gateway</body></html>"),
    st.just(b"[" * 5000),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(100, 599), error_bodies, st.none() | st.text(max_size=30))
def test_error_parser_never_raises(status: int, body: bytes, retry_after: str | None) -> None:
    error = error_from_response(status, body, service="s", request="GET /x",
                                retry_after=retry_after, now=1.7e9)
    assert isinstance(error, ncp.ApiError)
    assert error.status == status
    assert error.code is None or isinstance(error.code, str)
    assert len(str(error)) < 2000
