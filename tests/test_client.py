"""The client against the emulator over loopback: every endpoint, dialect and quirk."""

from __future__ import annotations

import asyncio
import gc
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from _clocks import Recorder

import ncp_media_async as ncp
from ncp_media_async.records._base import KST
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, Route, Scenario

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


def encoding(i: int, start: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "categoryId": 7, "categoryName": "cat", "filePath": f"in/{i}.mp4",
        "outputType": "AVC_HD", "link": f"https://example/{i}.mp4", "outputTotalSize": i,
        "lastWorkTime": start.astimezone(KST).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "status": "COMPLETE", "percent": 100.0,
        "_workStartTimeMs": int(start.timestamp() * 1000), **fields,
    }


# -- VOD Station ------------------------------------------------------------------------------


async def test_encoding_statuses_walk_the_whole_window(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.set_encoding_statuses(
        [encoding(i, T0 + timedelta(minutes=i)) for i in range(95)]
    )
    got = await ncp_client.vod_station.encoding_statuses(
        start=T0, end=T0 + timedelta(hours=1), page_size=10
    ).to_list()
    # Served newest work start first, as the service does; the window is inclusive.
    assert [s.output_total_size for s in got] == list(range(60, -1, -1))
    assert sorted(s.output_total_size or 0 for s in got) == list(range(61))
    assert ncp_emulator.stats.requests[Route.ENCODING_STATUSES] == 7
    assert all(s.last_work_time is not None and s.last_work_time.tzinfo for s in got)


async def test_window_is_sent_as_from_start_to_end_in_ms(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.set_encoding_statuses(
        [encoding(i, T0 + timedelta(hours=i)) for i in range(10)]
    )
    got = await ncp_client.vod_station.encoding_statuses(
        start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=4), page_size=10
    ).to_list()
    assert sorted(s.output_total_size or 0 for s in got) == [2, 3, 4]


async def test_naive_datetimes_are_refused(ncp_client: ncp.MediaClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ncp_client.vod_station.encoding_statuses(start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        await ncp_client.vod_station.status_statistics(end=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="after end"):
        ncp_client.vod_station.encoding_statuses(start=T0, end=T0 - timedelta(seconds=1))


async def test_encoding_status_page_size_follows_the_documented_bounds(
    ncp_client: ncp.MediaClient,
) -> None:
    with pytest.raises(ValueError, match="between 10 and 1000, got 5"):
        ncp_client.vod_station.encoding_statuses(page_size=5)


async def test_status_statistics_as_numbers_and_as_strings(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.set_encoding_statuses(
        [encoding(i, T0, status=s) for i, s in enumerate(["COMPLETE"] * 3 + ["FAILURE"])]
    )
    stats = await ncp_client.vod_station.status_statistics(start=T0, end=T0 + timedelta(1))
    assert (stats.complete, stats.failure, stats.waiting) == (3, 1, 0)
    ncp_emulator.vod_station.status_statistics_as_strings = True
    again = await ncp_client.vod_station.status_statistics(start=T0, end=T0 + timedelta(1))
    assert again == stats
    ncp_emulator.vod_station.set_status_statistics([{"waiting": "4", "running": "2", "failure": "1",
                                         "canceled": 0}])
    odd = await ncp_client.vod_station.status_statistics()
    assert (odd.waiting, odd.running, odd.complete, odd.failure) == (4, 2, 0, 1)


async def test_channel_events(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    channel = ncp_emulator.vod_station.channel_ids[0]
    raw = ncp_emulator.vod_station.channel_events(channel)
    events = await ncp_client.vod_station.channel_events(channel, page_size=7).to_list()
    assert len(events) == len(raw)
    assert [int(e.time.timestamp()) for e in events] == [r["time"] for r in raw]
    assert all(e.time.tzinfo is UTC for e in events)
    assert [e.message_code for e in events] == [r["messageCode"] for r in raw]


async def test_channel_id_is_one_escaped_path_segment(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    weird = "vs-a b/ü?x=1&pageNo=9#frag%20"
    ncp_emulator.vod_station.set_channel_events(weird, [
        {"time": 1755758700 - i, "actionType": "START", "requestType": "API",
         "resultCode": "SUCCESS", "messageCode": "M", "message": str(i)} for i in range(3)
    ])
    events = await ncp_client.vod_station.channel_events(weird).to_list()
    assert [e.message for e in events] == ["0", "1", "2"]
    assert ncp_emulator.stats.rejected_signatures == 0


async def test_unknown_vod_channel_is_not_found(ncp_client: ncp.MediaClient) -> None:
    with pytest.raises(ncp.NotFoundError) as info:
        await ncp_client.vod_station.channel_events("vs-nope").to_list()
    assert info.value.service == "vod_station"
    assert info.value.code == "260004"
    assert info.value.request.startswith("GET /api/v2/channels/vs-nope/events")


# -- Live Station -----------------------------------------------------------------------------


async def test_records(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    channel = ncp_emulator.live_station.channel_ids[0]
    raw = ncp_emulator.live_station.recordings(channel)
    recs = await ncp_client.live_station.records(channel)
    assert {r.record_id for r in recs} == set(raw)
    for rec in recs:
        wire = raw[rec.record_id]
        assert rec.record_begin_time == datetime.fromtimestamp(
            wire["recordBeginTime"] / 1000, UTC
        )
        assert rec.duration_ms == wire.get("duration")
        if rec.record_type == "HLS":
            assert rec.duration_ms is None and rec.audio_codec is None
        if wire["objectStorageUrl"] == "-":
            assert rec.object_storage_url is None


async def test_unknown_live_channel_is_not_found_from_a_400(ncp_client: ncp.MediaClient) -> None:
    with pytest.raises(ncp.NotFoundError) as info:
        await ncp_client.live_station.records("ls-nope")
    assert (info.value.status, info.value.code, info.value.service) == (
        400, "250100", "live_station"
    )


async def test_live_station_region_header(ncp_emulator_server: EmulatorServer) -> None:
    async with client_for(ncp_emulator_server, region_code="XX") as client:
        with pytest.raises(ncp.BadRequestError) as info:
            channel = ncp_emulator_server.emulator.live_station.channel_ids[0]
            await client.live_station.records(channel)
    assert info.value.code == "250020"


# -- Media AI ---------------------------------------------------------------------------------


async def test_import_status_progresses_to_its_outcome(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_import("ws", "77", "5678", outcome="COMPLETED", polls=2)
    first = await ncp_client.media_ai.import_status("ws", "77", "5678")
    assert first.upload_status is ncp.UploadStatus.IN_PROGRESS
    assert not first.terminal
    second = await ncp_client.media_ai.import_status("ws", 77, 5678)
    assert second.upload_status is ncp.UploadStatus.COMPLETED
    assert second.asset_id == second.video_id == 5678
    assert second.asset == ncp.AssetRef("ws", "77", "5678")
    assert second.metadata is not None and second.metadata.duration_ms


async def test_import_status_errors(ncp_client: ncp.MediaClient) -> None:
    with pytest.raises(ncp.NotFoundError) as info:
        await ncp_client.media_ai.import_status("ws", "77", "424242")
    assert info.value.service == "media_ai"
    with pytest.raises(ncp.BadRequestError) as bad:
        await ncp_client.media_ai.import_status("ws", "77", "not-a-number")
    assert bad.value.code == "10001"
    with pytest.raises(ValueError, match="must not be empty"):
        await ncp_client.media_ai.import_status("ws", "", "1")


# -- gateway, retries, transport ----------------------------------------------------------------


async def test_bad_credentials_are_an_authentication_error_and_not_retried(
    ncp_emulator_server: EmulatorServer,
) -> None:
    creds = ncp.Credentials(ncp_emulator_server.credentials.access_key, "wrong-secret")
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(ncp_emulator_server.url),
                               retry=FAST) as client:
        with pytest.raises(ncp.AuthenticationError) as info:
            await client.vod_station.status_statistics()
    assert info.value.code == "200"
    assert ncp_emulator_server.emulator.stats.total_requests == 1
    assert "wrong-secret" not in repr(info.value) + str(info.value)


@pytest.mark.parametrize(
    "fault",
    [Fault.THROTTLE, Fault.BAD_GATEWAY_HTML, Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT,
     Fault.RESET_BEFORE_BODY, Fault.RESET_MID_BODY, Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE],
)
async def test_each_transient_fault_is_retried(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, fault: Fault
) -> None:
    ncp_emulator.force_faults(fault, fault)
    stats = await ncp_client.vod_station.status_statistics()
    assert isinstance(stats, ncp.StatusStatistics)
    assert ncp_emulator.stats.total_requests == 3


async def test_retries_run_out_with_the_typed_error(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    async with client_for(ncp_emulator_server, max_retries=2) as client:
        emulator.force_faults(*[Fault.BAD_GATEWAY_HTML] * 3)
        with pytest.raises(ncp.ServerError) as server_error:
            await client.vod_station.status_statistics()
        assert server_error.value.status == 502
        assert "502 Bad Gateway" in server_error.value.message
        emulator.force_faults(*[Fault.WRONG_SHAPE] * 3)
        with pytest.raises(ncp.ResponseError) as shape:
            await client.vod_station.status_statistics()
        assert "content" in str(shape.value)
        # aiohttp itself resends an idempotent request once when a kept-alive connection
        # drops, so a reset can cost two faults per attempt: queue more than enough.
        emulator.force_faults(*[Fault.RESET_BEFORE_BODY] * 6)
        with pytest.raises(ncp.TransportError) as reset:
            await client.vod_station.status_statistics()
        assert reset.value.attempts == 3
        assert "status-statistic" in str(reset.value)


async def test_retry_after_is_honoured_through_the_injected_sleep(
    ncp_emulator_server: EmulatorServer,
) -> None:
    # The client's clock too: on the real one, the moments between the 429 and the gate's wait
    # (11 ms on a loaded machine) come off the 7 s.
    time = Recorder(advancing=True)
    clocks = {"sleep": time.sleep, "monotonic": time.monotonic}
    async with client_for(ncp_emulator_server, **clocks) as client:
        ncp_emulator_server.emulator.force_faults(Fault.THROTTLE, retry_after="7")
        await client.vod_station.status_statistics()
    assert time.slept and time.slept[0] == 7.0


async def test_a_slow_answer_times_out_and_is_retried(
    ncp_emulator_server: EmulatorServer,
) -> None:
    async with client_for(ncp_emulator_server, timeout=0.2) as client:
        ncp_emulator_server.emulator.force_faults(Fault.SLOW, slow_seconds=5.0)
        stats = await client.vod_station.status_statistics()
    assert isinstance(stats, ncp.StatusStatistics)


async def test_timeouts_after_retries_name_host_path_and_attempts(
    ncp_emulator_server: EmulatorServer,
) -> None:
    async with client_for(ncp_emulator_server, timeout=0.05, max_retries=1) as client:
        ncp_emulator_server.emulator.force_faults(Fault.SLOW, Fault.SLOW, slow_seconds=5.0)
        with pytest.raises(ncp.TransportError) as info:
            await client.vod_station.status_statistics()
    text = str(info.value)
    assert "timed out" in text
    assert "127.0.0.1" in text
    assert "/api/v2/status/status-statistic" in text
    assert "2 attempts" in text


async def test_connection_refused_is_a_transport_error() -> None:
    creds = ncp.Credentials("AKEY", "SECRET")
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at("http://127.0.0.1:9"),
                               retry=ncp.RetryPolicy(max_retries=1, initial_delay=0.001)) as c:
        with pytest.raises(ncp.TransportError) as info:
            await c.vod_station.status_statistics()
    assert info.value.attempts == 2


async def test_caller_owned_session_is_used_and_left_open(
    ncp_emulator_server: EmulatorServer,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with client_for(ncp_emulator_server, session=session) as client:
            await client.vod_station.status_statistics()
        assert not session.closed
        async with session.get(ncp_emulator_server.url + "/nowhere") as resp:
            assert resp.status in (401, 404)


async def test_closed_client_refuses_requests(ncp_emulator_server: EmulatorServer) -> None:
    client = client_for(ncp_emulator_server)
    await client.vod_station.status_statistics()
    await client.close()
    await client.close()  # idempotent
    with pytest.raises(ncp.ClientClosedError, match="closed"):
        await client.vod_station.status_statistics()


async def test_no_unclosed_session_warning(ncp_emulator_server: EmulatorServer) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with client_for(ncp_emulator_server) as client:
            await client.vod_station.status_statistics()
        del client
        gc.collect()
        await asyncio.sleep(0)
    assert not [w for w in caught if "Unclosed" in str(w.message)]


# -- configuration ------------------------------------------------------------------------------


def test_credentials_never_show_the_secret() -> None:
    creds = ncp.Credentials("ABCDEFGHIJKL", "s3cr3t-value")
    for text in (repr(creds), str(creds), repr(ncp.MediaClient(creds))):
        assert "s3cr3t-value" not in text
        assert "ABCDEFGHIJKL" not in text
        assert "ABCD" in text


def test_credentials_from_env() -> None:
    assert ncp.Credentials.from_env({"NCP_ACCESS_KEY": "a", "NCP_SECRET_KEY": "b"}) == (
        ncp.Credentials("a", "b")
    )
    assert ncp.Credentials.from_env(
        {"NCLOUD_ACCESS_KEY": "c", "NCLOUD_SECRET_KEY": "d"}
    ) == ncp.Credentials("c", "d")
    with pytest.raises(ncp.ConfigurationError, match="NCP_ACCESS_KEY"):
        ncp.Credentials.from_env({})
    with pytest.raises(ncp.ConfigurationError):
        ncp.Credentials("", "x")


@pytest.mark.parametrize(
    ("access", "secret"),
    [("AKEY\n", "s3cr3t"), ("AKEY", "s3cr3t\n"), (" AKEY", "s3cr3t"), ("AKEY", "\ts3cr3t")],
)
def test_a_key_with_whitespace_around_it_is_refused_without_quoting_it(
    access: str, secret: str
) -> None:
    """A key read from a file with its newline would sign every request wrong (a 401 each
    time): refused at once, and the error quotes neither key."""
    with pytest.raises(ncp.ConfigurationError, match="whitespace around it") as info:
        ncp.Credentials.from_env({"NCP_ACCESS_KEY": access, "NCP_SECRET_KEY": secret})
    assert "s3cr3t" not in str(info.value) and "AKEY" not in str(info.value)


def test_endpoints() -> None:
    public = ncp.Endpoints()
    assert public.vod_station == "https://vodstation.apigw.ntruss.com"
    assert public.live_station == "https://livestation.apigw.ntruss.com"
    assert public.media_ai == "https://mi.apigw.ntruss.com"
    at = ncp.Endpoints.at("http://127.0.0.1:1")
    assert at.vod_station == at.live_station == at.media_ai == "http://127.0.0.1:1"
    with pytest.raises(ncp.ConfigurationError):
        ncp.Endpoints(vod_station="ftp://x")


async def test_a_fresh_scenario_from_the_plugin_fixture(ncp_client: ncp.MediaClient) -> None:
    total = 0
    async for page in ncp_client.vod_station.encoding_statuses(page_size=100).pages():
        total += len(page.items)
        assert page.total == Scenario().encodings
    assert total == Scenario().encodings


async def test_redirects_are_not_followed() -> None:
    """A signature is valid for one path only: a 3xx is an ApiError, not a silent re-request."""
    from aiohttp import web

    hits: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("/elsewhere")

    app = web.Application()
    app.router.add_get("/{tail:.*}", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with ncp.MediaClient(ncp.Credentials("AKEY", "SECRET"),
                                   endpoints=ncp.Endpoints.at(f"http://127.0.0.1:{port}"),
                                   retry=FAST) as client:
            with pytest.raises(ncp.ApiError) as info:
                await client.vod_station.status_statistics()
        assert info.value.status == 302
        assert hits == ["/api/v2/status/status-statistic"]
    finally:
        await runner.cleanup()
