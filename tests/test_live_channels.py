"""Live Station channels through the public API, against the emulator: the list and its
filters, one channel with every documented field (in both spellings the pages show), service
URLs, waiting for a state, and the financial zone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from _clocks import Recorder
from _live import T0, Live, serve_raw, served_live, until

import ncp_media_async as ncp
from ncp_media_async.testing import Fault, Route, Scenario


@pytest_asyncio.fixture
async def live() -> AsyncIterator[Live]:
    async with served_live() as live:
        yield live


def fin(url: str) -> ncp.Endpoints:
    return ncp.Endpoints.fin(at=url)


# ------------------------------------------------------------------------------ one channel


async def test_a_channel_has_every_documented_field(live: Live) -> None:
    cid = live.store.add_channel(
        name="channel000",
        record_type="AUTO_UPLOAD",
        record_format="MP4",
        immediate_on_air=True,
        stream_key="sk-main-0001",
        backup_stream_key="sk-backup-0002",
        callback_endpoint="https://hooks.example.invalid/live",
        fields={
            "uploadPath": "/live/records",
            "snapshot": {"snapshotId": 1047, "snapshotUrl": ""},
            "snapshotId": 1047,
            "ingestProtocol": "SRT",
            "isPublishingBackUp": True,
        },
    )
    live.clock.advance(60)
    live.store.start_publishing(cid)  # and, with immediateOnAir, recording
    live.clock.advance(90)
    raw = live.store.channel(cid)
    ch = await live.api.channel(cid)

    assert (ch.channel_id, ch.channel_name) == (cid, "channel000")
    assert ch.channel_status is ncp.ChannelStatus.PUBLISHING
    assert ch.instance_no == raw["instanceNo"] and isinstance(ch.instance_no, int)
    assert (ch.quality_set_id, ch.quality_set_name) == (1, "Default")
    assert (ch.output_protocol, ch.ingest_protocol, ch.env_type) == ("HLS", "SRT", "REAL")
    assert (ch.is_recording, ch.use_dvr, ch.immediate_on_air) == (True, True, True)
    assert ch.timemachine_min == 360
    assert ch.upload_path == "/live/records"
    assert ch.snapshot == {"snapshotId": 1047, "snapshotUrl": ""}  # undocumented: plain JSON
    assert ch.snapshot_id == 1047
    assert ch.record == ncp.ChannelRecordSettings(
        type=ncp.RecordUploadType.AUTO_UPLOAD,
        format=ncp.RecordFormat.MP4,
        bucket_name="live-bucket",
        file_path="/live",
        access_control=ncp.AccessControl.PRIVATE,
    )
    cdn = raw["cdn"]
    assert ch.cdn == ncp.ChannelCdn(
        cdn_type="GLOBAL_EDGE",
        instance_no=int(cdn["instanceNo"]),  # sent as text
        profile_id=cdn["profileId"],
        status_name="RUNNING",
        service_name="edge-channel000",
        cdn_domain=cdn["cdnDomain"],
        region_type="KOREA",
    )
    assert ch.publish_url == raw["publishUrl"] and raw["publishUrl"].startswith("rtmp://")
    assert ch.global_publish_url == raw["globalPublishUrl"]
    assert ch.stream_key is not None and ch.stream_key.reveal() == "sk-main-0001"
    assert ch.backup_stream_key is not None and ch.backup_stream_key.reveal() == "sk-backup-0002"
    assert (ch.is_stream_fail_over, ch.is_publishing_back_up) == (True, True)
    assert ch.created_time == datetime.fromtimestamp(T0, UTC)
    assert ch.recent_publish_start_time == datetime.fromtimestamp(T0 + 60, UTC)
    assert ch.total_publish_seconds == 90
    assert ch.alert_on is False
    assert ch.alert_options == ncp.AlertOptions(False, False, False, False, False, False)
    assert ch.callback_endpoint == "https://hooks.example.invalid/live"
    assert ch.drm_enabled_yn is False


async def test_the_old_spellings_read_the_same(live: Live) -> None:
    cid = live.store.add_channel()
    live.store.start_publishing(cid)
    current = await live.api.channel(cid)
    live.store.old_spellings = True  # PUBLISH, useDvr, instanceNo as text
    raw = live.store.channel(cid)
    assert (raw["channelStatus"], "useDVR" in raw, type(raw["instanceNo"])) == (
        "PUBLISH", False, str
    )  # fmt: skip
    old = await live.api.channel(cid)
    assert old == current
    assert old.channel_status is ncp.ChannelStatus.PUBLISHING and old.use_dvr is True


async def test_publishing_backup_flag_beside_content_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An OpenAPI description puts isPublishingBackUp next to content rather than in it.
    body = {"content": {"channelId": "ls-1", "channelStatus": "PUBLISHING"},
            "isPublishingBackUp": True}  # fmt: skip
    serve_raw(monkeypatch, Route.LIVE_CHANNEL, json.dumps(body).encode())
    async with served_live() as live:
        ch = await live.api.channel("ls-1")
    assert (ch.channel_id, ch.is_publishing_back_up) == ("ls-1", True)


async def test_missing_and_unknown_fields_never_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"content": {"channelId": "ls-1", "brandNewField": {"x": [1]}, "cdn": {},
                        "channelStatus": "HIBERNATING"}}  # fmt: skip
    serve_raw(monkeypatch, Route.LIVE_CHANNEL, json.dumps(body).encode())
    async with served_live() as live:
        ch = await live.api.channel("ls-1")
    assert ch.channel_status == "HIBERNATING" and not ch.channel_status.known
    assert ch.cdn == ncp.ChannelCdn()
    assert ch.stream_key is None and ch.record is None and ch.created_time is None


async def test_unknown_channel_is_not_found(live: Live) -> None:
    with pytest.raises(ncp.NotFoundError) as caught:
        await live.api.channel("ls-20250101000000-nope0")
    assert (caught.value.status, caught.value.code) == (400, "250100")
    assert live.requests(Route.LIVE_CHANNEL) == 1  # a 400 is not retried


# ---------------------------------------------------------------------------- the list


async def test_the_list_walks_every_page_newest_first(live: Live) -> None:
    ids = [live.store.add_channel(name=f"ch{i:03d}") for i in range(25)]
    pages = [page async for page in live.api.channels(page_size=10).pages()]
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert {p.total for p in pages} == {25}
    assert [c.channel_id for p in pages for c in p.items] == ids[::-1]
    assert live.requests(Route.LIVE_CHANNELS) == 3
    # With prefetch the pages come concurrently and the items still in order.
    walked = await live.api.channels(page_size=7, prefetch=4).to_list()
    assert [c.channel_id for c in walked] == ids[::-1]
    assert live.requests(Route.LIVE_CHANNELS) == 3 + 4


async def test_filters_are_the_services(live: Live) -> None:
    for name in ("news-main", "news-backup", "sports", "music"):
        live.store.add_channel(name=name)
    live.store.start_publishing(live.store.channel_ids[0])
    live.store.start_publishing(live.store.channel_ids[2])

    publishing = [p async for p in live.api.channels(status="publishing").pages()]
    assert [c.channel_name for p in publishing for c in p.items] == ["sports", "news-main"]
    assert publishing[0].total == 2  # filtered by the service, not by the client

    news = await live.api.channels(name="news").to_list()
    assert [c.channel_name for c in news] == ["news-backup", "news-main"]
    one = live.store.channel_ids[3]
    by_id = await live.api.channels(channel_id=one[-5:]).to_list()  # part of an id
    assert [c.channel_id for c in by_id] == [one]
    both = await live.api.channels(status=ncp.ChannelStatus.READY, name="news").to_list()
    assert [c.channel_name for c in both] == ["news-backup"]
    assert live.requests(Route.LIVE_CHANNELS) == 4


async def test_the_list_accepts_the_old_status_spelling(live: Live) -> None:
    live.store.add_channel(name="on-air")
    live.store.start_publishing(live.store.channel_ids[0])
    found = await live.api.channels(status="PUBLISH").to_list()  # sent as PUBLISHING
    assert [c.channel_name for c in found] == ["on-air"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"page_size": 0}, ValueError),
        ({"page_size": 101}, ValueError),
        ({"status": "PUBLISHED"}, ValueError),
        ({"status": 3}, ValueError),
        ({"name": ""}, ValueError),
        ({"channel_id": 7}, TypeError),
    ],
)
async def test_bad_list_arguments_fail_before_any_request(
    live: Live, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await live.api.channels(**kwargs).to_list()  # type: ignore[arg-type]
    assert live.emulator.stats.total_requests == 0


async def test_a_hundred_a_page_is_the_most(live: Live) -> None:
    for i in range(101):
        live.store.add_channel(name=f"c{i}")
    pages = [p async for p in live.api.channels(page_size=100).pages()]
    assert [len(p.items) for p in pages] == [100, 1]


# ------------------------------------------------------------------------------ service URLs


async def test_service_urls_of_each_kind(live: Live) -> None:
    cid = live.store.add_channel()
    general = await live.api.service_urls(cid)
    domain = live.store.channel(cid)["cdn"]["cdnDomain"]
    assert [u.name for u in general] == ["ABR", "720p-16-9", "480p-16-9"]
    assert general[0].url == f"https://{domain}/live/video/{cid}/playlist.m3u8"
    assert (general[1].resolution, general[1].video_bitrate, general[1].audio_bitrate) == (
        "1280x720", 2_500_000, 128_000  # sent as text
    )  # fmt: skip
    thumbnails = await live.api.service_urls(cid, "thumbnail")
    assert [t.type for t in thumbnails[0].resized_url or ()] == ["SMALL", "MEDIUM", "LARGE"]

    live.store.start_publishing(cid)
    await live.api.start_recording(cid)
    machine = await live.api.service_urls(cid, ncp.ServiceUrlType.TIMEMACHINE)
    assert all("/timemachine/" in (u.url or "") for u in machine)
    assert live.requests(Route.SERVICE_URLS) == 3


@pytest.mark.parametrize(
    ("setup", "kind", "code"),
    [
        ({"cdn_status": "CREATING"}, "GENERAL", "250124"),
        ({"status": "BLOCK"}, "GENERAL", "250125"),
        ({"use_dvr": False}, "TIMEMACHINE", "250121"),
        ({}, "TIMEMACHINE", "250141"),  # DVR, but not recording
    ],
)
async def test_service_urls_that_cannot_exist_yet_are_conflicts(
    live: Live, setup: dict[str, object], kind: str, code: str
) -> None:
    cid = live.store.add_channel(**setup)  # type: ignore[arg-type]
    with pytest.raises(ncp.ConflictError) as caught:
        await live.api.service_urls(cid, kind)
    assert (caught.value.status, caught.value.code) == (400, code)


async def test_service_url_kind_is_checked(live: Live) -> None:
    cid = live.store.add_channel()
    with pytest.raises(ValueError, match="GENERAL, TIMEMACHINE, THUMBNAIL"):
        await live.api.service_urls(cid, "LOWRES")
    assert live.emulator.stats.total_requests == 0
    # A kind the documents do not list can still be sent, on purpose.
    with pytest.raises(ncp.BadRequestError) as caught:
        await live.api.service_urls(cid, ncp.ServiceUrlType("LOWRES"))
    assert caught.value.code == "250002"


# ------------------------------------------------------------------------- waiting for a state


async def advance_while(
    live: Live, waiting: Awaitable[ncp.Channel], *steps: Callable[[], None]
) -> ncp.Channel:
    """Run ``waiting``; after the emulator has seen two more polls, run the next step."""
    task = asyncio.ensure_future(waiting)
    for step in steps:
        seen = live.requests(Route.LIVE_CHANNEL)
        await until(lambda n=seen + 2: live.requests(Route.LIVE_CHANNEL) >= n or task.done())
        step()
    return await asyncio.wait_for(task, 5)


async def test_wait_for_channel_until_it_is_ready(live: Live) -> None:
    cid = live.store.add_channel(creating_seconds=30)
    assert (await live.api.channel(cid)).channel_status is ncp.ChannelStatus.CREATING
    ready = await advance_while(
        live, live.api.wait_for_channel(cid, interval=0.001), lambda: live.clock.advance(30)
    )
    assert ready.channel_status is ncp.ChannelStatus.READY
    assert live.requests(Route.LIVE_CHANNEL) >= 1 + 3


async def test_wait_for_channel_sleeps_by_the_clients_sleep() -> None:
    """A client built with ``sleep=`` waits by it between polls: here every pause moves the
    emulator's clock on by what it was asked for, and no time passes for real."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        live.clock.advance(seconds)
        await asyncio.sleep(0)

    async with served_live(sleep=sleep) as live:
        cid = live.store.add_channel(creating_seconds=100)
        ready = await asyncio.wait_for(live.api.wait_for_channel(cid, interval=30.0), 5)
    assert ready.channel_status is ncp.ChannelStatus.READY
    assert len(slept) >= 3 and all(27.0 <= s <= 33.0 for s in slept)  # 30 s ± the jitter


async def test_wait_for_channel_until_it_publishes(live: Live) -> None:
    cid = live.store.add_channel()
    publishing = await advance_while(
        live,
        live.api.wait_for_channel(cid, ["PUBLISHING"], interval=0.001),
        lambda: live.store.start_publishing(cid),
    )
    assert publishing.channel_status is ncp.ChannelStatus.PUBLISHING
    polls = live.requests(Route.LIVE_CHANNEL)
    await asyncio.sleep(0.02)
    assert live.requests(Route.LIVE_CHANNEL) == polls  # nothing polls once it returned


async def test_wait_for_channel_stops_at_a_state_it_never_leaves(live: Live) -> None:
    cid = live.store.add_channel(status="BLOCK")
    with pytest.raises(ncp.PollingError, match="DELETED, a state it never leaves"):
        await advance_while(
            live,
            live.api.wait_for_channel(cid, ["READY"], interval=0.001),
            lambda: live.store.set_channel_status(cid, "DELETED"),
        )


async def test_wait_for_an_unknown_channel_raises_not_found_at_once(live: Live) -> None:
    with pytest.raises(ncp.NotFoundError):
        await live.api.wait_for_channel("ls-20250101000000-nope0", interval=0.001)
    assert live.requests(Route.LIVE_CHANNEL) == 1


async def test_wait_for_channel_rides_out_transient_failures() -> None:
    async with served_live(max_retries=0) as live:  # the poller itself polls again
        cid = live.store.add_channel()
        faults = (Fault.UNAVAILABLE, Fault.BAD_GATEWAY_HTML)
        live.emulator.force_faults(*faults, routes=Route.LIVE_CHANNEL)
        ready = await live.api.wait_for_channel(cid, interval=0.001, max_failures=3)
        assert ready.channel_status is ncp.ChannelStatus.READY
        assert live.requests(Route.LIVE_CHANNEL) == 3
        live.emulator.force_faults(*faults, Fault.GATEWAY_TIMEOUT, routes=Route.LIVE_CHANNEL)
        with pytest.raises(ncp.ServerError) as caught:  # three in a row: the last one
            await live.api.wait_for_channel(cid, interval=0.001, max_failures=3)
        assert caught.value.status == 504
        assert live.requests(Route.LIVE_CHANNEL) == 6


async def test_wait_for_channel_times_out() -> None:
    time = Recorder(advancing=True)  # the wait's time passes in its sleeps only
    async with served_live(monotonic=time.monotonic, sleep=time.sleep) as live:
        cid = live.store.add_channel(status="BLOCK")
        with pytest.raises(ncp.PollTimeoutError) as caught:
            await live.api.wait_for_channel(cid, interval=1.0, timeout=3.5)
        assert caught.value.pending == (cid,)
        assert live.requests(Route.LIVE_CHANNEL) == 4  # polls at 0, 1, 2 and 3 s (± 10 %)
    pauses = time.slept[:-1]
    assert len(pauses) == 3 and all(0.9 <= pause <= 1.1 for pause in pauses)
    assert sum(time.slept) == pytest.approx(3.5)  # then up to the deadline, no further


async def test_cancelling_the_wait_leaves_nothing_behind(
    live: Live, leftover_tasks: Callable[[], Awaitable[list[asyncio.Task[object]]]]
) -> None:
    cid = live.store.add_channel(status="BLOCK")
    live.emulator.latency = 0.05  # a poll is in flight when the wait is cancelled
    task = asyncio.ensure_future(live.api.wait_for_channel(cid, interval=0.001))
    await until(lambda: live.emulator.stats.in_flight > 0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await leftover_tasks() == []


@pytest.mark.parametrize(
    ("states", "kwargs"),
    [([], {}), (["NEARLY_READY"], {}), (["READY"], {"interval": -1}), (["READY"], {"timeout": 0})],
)
async def test_bad_wait_arguments_fail_before_any_request(
    live: Live, states: list[str], kwargs: dict[str, float]
) -> None:
    with pytest.raises(ValueError):
        await live.api.wait_for_channel("ls-1", states, **kwargs)
    assert live.emulator.stats.total_requests == 0


# ----------------------------------------------------------------------- the financial zone


async def test_the_financial_zone_serves_every_call() -> None:
    events: list[ncp.AttemptEvent] = []
    async with served_live(zone=fin, on_attempt=events.append) as live:
        cid = live.store.add_channel(name="fin-channel")
        live.store.start_publishing(cid)
        assert [c.channel_name for c in await live.api.channels().to_list()] == ["fin-channel"]
        assert (await live.api.channel(cid)).channel_status is ncp.ChannelStatus.PUBLISHING
        assert len(await live.api.service_urls(cid)) == 3
        started = await live.api.start_recording(cid)
        await live.api.stop_recording(cid)
        live.clock.advance(live.store.processing_seconds)
        upload = await live.api.upload_records("fin-bucket", started)
        assert len(await live.api.records(cid)) == len(upload.uploaded_records) == 2
        assert live.client.live_station._service.headers["x-ncp-region_code"] == "FKR"
    assert [e.path.split(cid)[0] for e in events] == [
        "/api/fin-v2/channels",
        "/api/fin-v2/channels/",
        "/api/fin-v2/channels/",
        "/api/fin-v2/channels/",
        "/api/fin-v2/channels/",
        "/api/fin-v2/buckets/fin-bucket/upload",
        "/api/fin-v2/channels/",
    ]
    assert all(e.status == 200 for e in events)


async def test_each_zone_takes_its_own_region_code() -> None:
    async with served_live(Scenario(seed=2, encodings=0, vod_channels=0, imports=0)) as live:
        cid = live.store.channel_ids[0]
        url = live.server.url
        for prefix, region in (("/api/fin-v2", "KR"), ("/api/v2", "FKR")):
            endpoints = ncp.Endpoints(
                live_station=url, live_station_prefix=prefix, live_station_region=region
            )
            async with ncp.MediaClient(
                live.server.credentials, endpoints=endpoints, clock=live.clock
            ) as client:
                with pytest.raises(ncp.BadRequestError) as caught:
                    await client.live_station.channel(cid)
            assert caught.value.code == "250020"
            assert f"Invalid region code {region}." in caught.value.message
