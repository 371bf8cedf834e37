"""The transport's cross-request policies at their edges, through the public API and the emulator.

The client-wide rate limit and 429 gate, deadlines while waiting, clock steps, per-host
calibration, writes that must not be repeated, body limits, closed clients, checked
configuration. Time that a policy waits is recorded by an injected ``sleep`` (nothing here waits
out a back-off for real), and every test asserts what went on the wire.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import attrs
import pytest
from _clocks import Recorder
from _live import until

import ncp_media_async as ncp
from ncp_media_async._config import ClientOptions, Config
from ncp_media_async._signing import encode_path
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, Route, Scenario

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


def load_imports(emulator: Emulator, count: int, polls: int = 1) -> list[ncp.AssetRef]:
    for i in range(count):
        emulator.media_ai.add_import("ws", "1", str(i), outcome="COMPLETED", polls=polls)
    return [ncp.AssetRef("ws", "1", str(i)) for i in range(count)]


@pytest.fixture
def empty_emulator() -> Emulator:
    return Emulator(Scenario.empty())


@pytest.fixture
async def server(empty_emulator: Emulator) -> Any:
    async with EmulatorServer(empty_emulator) as server:
        yield server


# -- the client-wide rate limit ------------------------------------------------------------


async def test_rate_limit_paces_every_request_of_the_client_across_batches(
    server: EmulatorServer,
) -> None:
    emulator = server.emulator
    refs = load_imports(emulator, 40, polls=2)
    time = Recorder()
    limit = ncp.RateLimit.per_second(100)
    async with client_for(
        server, rate_limit=limit, monotonic=time.monotonic, sleep=time.sleep
    ) as client:
        first, second = refs[:20], refs[20:]

        async def batch(part: list[ncp.AssetRef]) -> int:
            return len([s async for s in client.media_ai.wait_for_imports(part, interval=0)])

        assert await asyncio.gather(batch(first), batch(second)) == [20, 20]
    sent = emulator.stats.total_requests
    assert sent == 80
    # One budget for both batches: slot k is k * 10 ms after the first, each handed out once
    # (two pacers, one per batch, would hand out every slot twice and send at twice the rate).
    assert sorted(time.slept) == pytest.approx([k * limit.spacing for k in range(1, sent)])


async def test_rate_limit_gives_up_at_once_when_no_slot_comes_before_the_deadline(
    server: EmulatorServer,
) -> None:
    time = Recorder()
    policy = ncp.RetryPolicy(deadline=30.0)
    async with client_for(
        server, rate_limit=ncp.RateLimit.per_minute(1), retry=policy,
        monotonic=time.monotonic, sleep=time.sleep,
    ) as client:
        await client.vod_station.status_statistics()
        with pytest.raises(ncp.TransportError, match="rate limit has no free slot") as info:
            await client.vod_station.status_statistics()
    assert info.value.attempts == 0
    assert time.slept == []  # the next slot is 60 s away, past the 30 s deadline: no wait
    assert server.emulator.stats.total_requests == 1


# -- the 429 gate ---------------------------------------------------------------------------


async def test_a_429_holds_every_call_at_the_gate_for_its_retry_after(
    server: EmulatorServer,
) -> None:
    emulator = server.emulator
    time = Recorder()
    emulator.force_faults(Fault.THROTTLE, retry_after="5")
    async with client_for(server, monotonic=time.monotonic, sleep=time.sleep) as client:
        stats = await client.vod_station.status_statistics()
    assert stats.total == 0
    assert time.slept == [5.0]  # the gate waited exactly the Retry-After, then one retry
    assert emulator.stats.total_requests == 2


async def test_the_deadline_holds_at_the_gate(server: EmulatorServer) -> None:
    emulator = server.emulator
    time = Recorder()
    policy = ncp.RetryPolicy(deadline=120.0, retry_after_cap=1000.0)
    emulator.force_faults(Fault.THROTTLE, retry_after="500")
    async with client_for(
        server, retry=policy, monotonic=time.monotonic, sleep=time.sleep
    ) as client:
        with pytest.raises(ncp.RateLimitError) as first:
            await client.vod_station.status_statistics()
        assert first.value.retry_after == 500.0
        # The gate stays closed for 500 s, past any call's 120 s deadline: the next call
        # gives up at once, without sending or waiting.
        with pytest.raises(ncp.TransportError, match="429 back-off gate") as second:
            await client.live_station.records("ls-20200313162828-G60tN")
    assert second.value.attempts == 0
    assert time.slept == []
    assert emulator.stats.total_requests == 1


# -- clocks ---------------------------------------------------------------------------------


async def test_a_clock_step_mid_batch_fails_no_request_in_flight(
    server: EmulatorServer,
) -> None:
    emulator = server.emulator
    gate = asyncio.Event()

    async def held(seconds: float) -> None:  # the emulator's latency: until the gate opens
        await gate.wait()

    async with client_for(server) as client:
        await client.vod_station.status_statistics()  # calibrated: no skew yet
        emulator.sleep, emulator.latency = held, 1.0  # requests wait before the gateway's check
        calls = [
            asyncio.ensure_future(client.vod_station.status_statistics()) for _ in range(20)
        ]
        await until(lambda: emulator.stats.in_flight == 20)  # all 20 in, signed with offset 0
        emulator.clock_offset = 900.0  # the gateway's clock steps 15 minutes ahead
        gate.set()
        results = await asyncio.gather(*calls)
    assert len(results) == 20
    # Each was rejected once and re-signed once, even those rejected after another had
    # already learnt the new offset (compared with the offset each was signed with).
    assert emulator.stats.rejected_signatures == 20
    assert emulator.stats.total_requests == 1 + 40
    assert client.clock_offset == pytest.approx(900.0, abs=2.0)


async def test_calibration_holds_only_requests_to_the_same_host() -> None:
    slow, quick = Emulator(Scenario.empty()), Emulator(Scenario.empty())
    slow.latency = 30.0  # the first request to this host hangs
    async with EmulatorServer(slow) as a, EmulatorServer(quick) as b:
        endpoints = ncp.Endpoints(vod_station=a.url, live_station=b.url, media_ai=b.url)
        client = ncp.MediaClient(a.credentials, endpoints=endpoints, retry=FAST,
                                 connect_timeout=5.0)
        async with client:
            ref = load_imports(quick, 1)[0]
            hung = asyncio.ensure_future(client.vod_station.status_statistics())
            await until(lambda: slow.stats.total_requests == 1)  # the probe is in
            held = asyncio.ensure_future(client.vod_station.status_statistics())
            # Another host answers at once, while the first host's probe hangs.
            status = await asyncio.wait_for(client.media_ai.import_status_of(ref), 2.0)
            assert status.upload_status == "COMPLETED"
            await asyncio.sleep(0.05)
            assert slow.stats.total_requests == 1  # the second request to it is held
            assert not held.done()
            hung.cancel()
            await asyncio.gather(hung, return_exceptions=True)
            held.cancel()
            await asyncio.gather(held, return_exceptions=True)


async def test_a_hung_first_request_holds_its_host_only_for_the_connect_timeout(
    server: EmulatorServer,
) -> None:
    server.emulator.latency = 30.0
    async with client_for(server, connect_timeout=0.1) as client:
        calls = [
            asyncio.ensure_future(client.vod_station.status_statistics()) for _ in range(3)
        ]
        # The two held behind the hung probe go after 0.1 s, not after its 30 s.
        await until(lambda: server.emulator.stats.total_requests == 3)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)


# -- writes ---------------------------------------------------------------------------------


async def _write(
    client: ncp.MediaClient, path: tuple[str, ...], *, idempotent: bool = False
) -> Any:
    """A write-like call through the transport (the resources' ``_write`` path)."""
    transport = client._transport
    return await transport.call(
        client.vod_station._service, "GET", encode_path(*path), lambda body: body,
        idempotent=idempotent,
    )


STATS_PATH = ("status", "status-statistic")


@pytest.mark.parametrize("fault", [Fault.RESET_MID_BODY, Fault.RESET_BEFORE_BODY, Fault.SLOW])
async def test_a_write_that_may_have_reached_the_server_is_sent_once(
    server: EmulatorServer, fault: Fault
) -> None:
    emulator = server.emulator
    emulator.force_faults(fault, fault, fault, slow_seconds=30.0)
    async with client_for(server, timeout=0.5) as client:
        with pytest.raises(ncp.OutcomeUnknownError, match="was not sent again") as info:
            await _write(client, STATS_PATH)
    assert info.value.attempts == 1
    assert emulator.stats.total_requests == 1  # neither the client nor aiohttp sent it again


async def test_a_write_the_gateway_throttled_is_sent_again(server: EmulatorServer) -> None:
    emulator = server.emulator
    emulator.force_faults(Fault.THROTTLE)
    async with client_for(server) as client:
        body = await _write(client, STATS_PATH)
    assert "content" in body
    assert emulator.stats.total_requests == 2


@pytest.mark.parametrize("fault", [Fault.UNAVAILABLE, Fault.TRUNCATED_JSON])
async def test_a_write_is_not_repeated_after_a_5xx_or_an_unreadable_success(
    server: EmulatorServer, fault: Fault
) -> None:
    emulator = server.emulator
    emulator.force_faults(fault)
    async with client_for(server) as client:
        with pytest.raises((ncp.ServerError, ncp.ResponseError)):
            await _write(client, STATS_PATH)
        assert emulator.stats.total_requests == 1
        emulator.force_faults(fault)
        await _write(client, STATS_PATH, idempotent=True)  # the same, declared repeatable
    assert emulator.stats.total_requests == 3


async def test_a_write_that_never_connected_is_retried() -> None:
    events: list[ncp.AttemptEvent] = []
    async with ncp.MediaClient(
        ncp.Credentials("AKEY", "secret"),
        endpoints=ncp.Endpoints.at("http://127.0.0.1:9"),  # nothing listens on the discard port
        retry=ncp.RetryPolicy(initial_delay=0.001, max_delay=0.001, max_retries=2),
        on_attempt=events.append,
    ) as client:
        with pytest.raises(ncp.TransportError) as info:
            await _write(client, STATS_PATH)
    assert not isinstance(info.value, ncp.OutcomeUnknownError)
    assert info.value.attempts == 3
    assert [e.attempt for e in events] == [1, 2, 3]


# -- bodies ---------------------------------------------------------------------------------


async def test_a_body_over_the_limit_stops_the_read_and_is_not_retried(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    async with client_for(ncp_emulator_server, max_body_size=2048) as client:
        with pytest.raises(ncp.BodyTooLargeError, match="2,048 bytes"):
            await client.vod_station.encoding_statuses(page_size=100).to_list()
        stats = await client.vod_station.status_statistics()  # the client still works
    assert stats.total > 0
    assert emulator.stats.requests[Route.ENCODING_STATUSES] == 1


# -- closed clients -------------------------------------------------------------------------


async def test_closing_the_client_mid_walk_raises_a_typed_error(
    ncp_emulator_server: EmulatorServer,
) -> None:
    client = client_for(ncp_emulator_server)
    pager = client.vod_station.encoding_statuses(page_size=10)
    seen = 0
    with pytest.raises(ncp.ClientClosedError):
        async for _ in pager:
            seen += 1
            if seen == 5:
                await client.close()
    assert seen == 10  # the first page was given whole; the next request was refused


async def test_a_closed_caller_session_raises_a_typed_error(
    ncp_emulator_server: EmulatorServer,
) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    async with client_for(ncp_emulator_server, session=session) as client:
        with pytest.raises(ncp.ClientClosedError, match="session"):
            await client.vod_station.status_statistics()


# -- ids, endpoints, options ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [".", "..", ""])
async def test_dot_and_empty_ids_never_reach_the_wire(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, bad: str
) -> None:
    with pytest.raises(ValueError, match="channel_id"):
        await ncp_client.live_station.records(bad)
    with pytest.raises(ValueError, match="channel_id"):
        ncp_client.vod_station.channel_events(bad)
    with pytest.raises(ValueError, match="asset_id"):
        await ncp_client.media_ai.import_status("ws", "1", bad)
    with pytest.raises(ValueError, match="video_asset_id"):
        await ncp_client.media_ai.video_import_status("ws", "1", bad)
    assert ncp_emulator.stats.total_requests == 0


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "example.com",
        "http://",
        "http://exa mple.com",
        "http://example.com/a b",
        "http://example.com/#frag",
        "http://example.com/?x=1",
        "http://user:pw@example.com",
        "http://example.com\r\nX-Evil: 1",
        "http://example.com/\x00",
    ],
)
def test_endpoint_urls_are_checked_when_the_client_is_built(url: str) -> None:
    with pytest.raises(ncp.ConfigurationError):
        ncp.Endpoints.at(url)
    with pytest.raises(ncp.ConfigurationError):
        ncp.Endpoints(media_ai=url)


@pytest.mark.parametrize("value", ["K\r\nX-Evil: 1", "K\n", "é", ""])
def test_header_values_are_checked_when_the_client_is_built(value: str) -> None:
    creds = ncp.Credentials("AKEY", "secret")
    with pytest.raises(ncp.ConfigurationError, match="region_code"):
        ncp.MediaClient(creds, region_code=value)
    if value.strip():
        with pytest.raises(ncp.ConfigurationError, match="access_key"):
            ncp.Credentials(value, "secret")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"connect_timeout": -1}, ValueError),
        ({"max_connections": 0}, ValueError),
        ({"max_connections": 2.5}, TypeError),  # the wrong type, as everywhere
        ({"max_body_size": 10}, ValueError),
        ({"max_retries": -1}, ValueError),
        ({"retry": "fast"}, TypeError),
        ({"rate_limit": 1000}, TypeError),
        ({"rng": 42}, TypeError),
        ({"timout": 3}, TypeError),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        ncp.MediaClient(ncp.Credentials("AKEY", "secret"), **options)


def test_options_are_declared_once() -> None:
    assert set(ClientOptions.__annotations__) == {a.name for a in attrs.fields(Config)}
    client = ncp.MediaClient(ncp.Credentials("AKEY", "secret"), max_retries=1, timeout=3.0)
    assert client.config.timeout == 3.0
    assert client.retry_policy.max_retries == 1
    assert client.retry_policy.deadline == ncp.RetryPolicy().deadline


async def test_ncp_media_endpoint_points_every_service_at_one_url(
    ncp_emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCP_MEDIA_ENDPOINT", ncp_emulator_server.url)
    async with ncp.MediaClient(ncp_emulator_server.credentials, retry=FAST) as client:
        assert client.endpoints == ncp.Endpoints.at(ncp_emulator_server.url)
        await client.vod_station.status_statistics()
    monkeypatch.setenv("NCP_MEDIA_ENDPOINT", "not a url")
    with pytest.raises(ncp.ConfigurationError, match="NCP_MEDIA_ENDPOINT"):
        ncp.MediaClient(ncp_emulator_server.credentials)
    monkeypatch.delenv("NCP_MEDIA_ENDPOINT")
    assert ncp.MediaClient(ncp_emulator_server.credentials).endpoints == ncp.Endpoints()

