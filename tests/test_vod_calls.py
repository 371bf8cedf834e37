"""VOD Station calls through the public API, against the emulator on loopback: categories,
encoding options, encoding jobs, channels (and their state changes), errors, zones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from _vod import Vod, served_vod

import ncp_media_async as ncp
from ncp_media_async.errors import error_class
from ncp_media_async.testing import Fault, Route, Scenario


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


# -- categories and encoding options ------------------------------------------------------------


async def test_categories_are_walked_page_by_page(vod: Vod) -> None:
    ids = [vod.store.add_category(name=f"c{i}") for i in range(25)]
    categories = await vod.api.categories(page_size=10).to_list()
    assert [c.id for c in categories] == ids
    assert vod.requests(Route.CATEGORIES) == 3
    assert categories[0].encoding_options == (1, 2, 3)
    assert categories[0].output == ncp.OutputSettings(
        bucket_name="station-000", file_path="/", thumbnail_bucket_name="station-000",
        thumbnail_file_path="/", access_control="PRIVATE", thumbnail_access_control="PRIVATE",
    )  # fmt: skip
    prefetched = await vod.api.categories(page_size=10, prefetch=3, max_items=12).to_list()
    assert [c.id for c in prefetched] == ids[:12]


async def test_category_detail_and_unknown_category(vod: Vod) -> None:
    cid = vod.store.add_category(
        name="VOD-Callback", encoding_options=None, template_id=2,
        notification_url="https://example.com/vod-cb",
    )  # fmt: skip
    category = await vod.api.category(str(cid))
    assert (category.id, category.name) == (cid, "VOD-Callback")
    assert category.encoding_options is None and category.encoding_option_template_id == 2
    assert category.notification_url == "https://example.com/vod-cb"
    assert category.create_time == datetime.fromtimestamp(int(vod.clock() * 1000) / 1000, UTC)
    with pytest.raises(ncp.NotFoundError) as info:
        await vod.api.category(999)
    error = info.value
    assert (error.status, error.code, error.service) == (404, "260004", "vod_station")
    assert error.request == "GET /api/v2/category/999"
    with pytest.raises(ValueError, match=r"must not be '\.\.'"):
        await vod.api.category("..")


async def test_encoding_options_and_templates(vod: Vod) -> None:
    options = await vod.api.encoding_options()
    assert [o.id for o in options] == [1, 2, 3, 4, 10, 11, 12, 13]
    by_id = {o.id: o for o in options}
    assert by_id[1].name == "AVC_SD_1Pass_30fps" and by_id[3].name == "AVC_HD_1Pass_30fps"
    assert by_id[3].video is not None and by_id[3].video.height == 720
    assert by_id[13].encoding_option_type is ncp.EncodingOptionType.AUDIO
    assert by_id[13].video is None and by_id[13].default_set is True
    templates = await vod.api.encoding_option_templates()
    assert [(t.id, t.encoding_option_ids) for t in templates] == [
        (1, (1, 2, 3)), (2, (2, 3, 4)), (3, (10, 11, 12, 13))
    ]  # fmt: skip
    assert vod.requests(Route.ENCODING_OPTIONS) == vod.requests(
        Route.ENCODING_OPTION_TEMPLATES
    ) == 1  # fmt: skip


async def test_the_seeded_categories_are_those_of_the_seeded_encodings() -> None:
    async with served_vod(Scenario(seed=3, encodings=50, vod_channels=0)) as vod:
        categories = {c.id: c for c in await vod.api.categories(page_size=100).to_list()}
        encoded = {s.category_id async for s in vod.api.encoding_statuses(page_size=100)}
        assert encoded <= set(categories)
        assert len(categories) == 5


# -- encoding jobs --------------------------------------------------------------------------------


async def test_encoding_job_with_the_category_beside_or_inside_content(vod: Vod) -> None:
    cid = vod.store.add_category(name="VOD-Callback")
    (job,) = await vod.api.add_files(cid, bucket="input-bucket", paths=["VODStation.mp4"])
    assert job.file_id is not None
    for inside in (False, True):
        vod.store.job_category_inside = inside
        detail = await vod.api.encoding_job(job.file_id)
        assert (detail.category_id, detail.category_name) == (cid, "VOD-Callback")
        assert detail.input is not None and detail.input.file_id == job.file_id
        assert (detail.input.bucket_name, detail.input.file_path) == (
            "input-bucket", "VODStation.mp4"
        )  # fmt: skip
        meta = detail.input.metadata
        assert meta is not None and meta.video_codec == "h264" and meta.duration
        assert detail.content["input"]["fileId"] == job.file_id  # the raw content, kept
    with pytest.raises(ncp.NotFoundError) as info:
        await vod.api.encoding_job(1)
    assert info.value.code == "260004"


# -- channels -------------------------------------------------------------------------------------


async def test_channels_list_and_detail() -> None:
    async with served_vod(Scenario(seed=2, encodings=0, vod_channels=3)) as vod:
        channels = await vod.api.channels(page_size=2).to_list()
        assert [c.id for c in channels] == vod.store.channel_ids
        assert vod.requests(Route.VOD_CHANNELS) == 2
        listed = channels[0]
        assert listed.cdn_domain is None and listed.encrypted_bucket_name is None  # detail only
        assert listed.id is not None
        detail = await vod.api.channel(listed.id)
        assert detail.channel_status in (ncp.VodChannelStatus.READY, ncp.VodChannelStatus.STOPPED)
        assert detail.encrypted_bucket_name and detail.cdn_domain
        assert detail.play_url is not None and "[protocol]" in detail.play_url
        assert detail.create_time == listed.create_time
        assert detail.protocol_list == ("HLS", "DASH") and detail.segment_duration == 10
        with pytest.raises(ncp.NotFoundError):
            await vod.api.channel("vs-missing")


async def test_stop_and_start_move_the_channel_through_its_states(vod: Vod) -> None:
    channel_id = vod.store.add_vod_channel(name="ch-callback", status="READY")
    vod.store.channel_transition_seconds = 30
    stopping = await vod.api.stop_channel(channel_id)
    assert stopping.channel_status is ncp.VodChannelStatus.STOPPING
    detail = await vod.api.channel(channel_id)
    # The stop page's times are epoch seconds, the detail's milliseconds: the same instants.
    assert detail.create_time is not None and detail.create_time.microsecond
    assert stopping.create_time == detail.create_time.replace(microsecond=0)
    with pytest.raises(ncp.ConflictError) as info:
        await vod.api.stop_channel(channel_id)  # only from READY
    assert (info.value.status, info.value.code) == (400, "260023")
    vod.clock.advance(30)
    assert (await vod.api.channel(channel_id)).channel_status is ncp.VodChannelStatus.STOPPED
    started = await vod.api.start_channel(channel_id)
    assert started.channel_status == "STARTING"
    vod.clock.advance(29)
    assert (await vod.api.channel(channel_id)).channel_status == "STARTING"
    vod.clock.advance(1)
    assert (await vod.api.channel(channel_id)).channel_status == "READY"
    events = [e.message_code async for e in vod.api.channel_events(channel_id)]
    assert events == [
        "CHANNEL_START_TO_READY", "CHANNEL_STOPPED_TO_STARTING",
        "CHANNEL_STOPPING_TO_STOPPED", "CHANNEL_READY_TO_STOPPING",
    ]  # fmt: skip
    vod.store.state_error_status = 409  # the status is not documented: either way a conflict
    with pytest.raises(ncp.ConflictError) as info:
        await vod.api.start_channel(channel_id)
    assert (info.value.status, info.value.code) == (409, "260022")


async def test_a_channel_start_that_may_have_arrived_is_not_sent_again(vod: Vod) -> None:
    channel_id = vod.store.add_vod_channel(status="STOPPED")
    vod.emulator.force_faults(Fault.RESET_BEFORE_BODY, routes=Route.VOD_CHANNEL_START)
    with pytest.raises(ncp.OutcomeUnknownError):
        await vod.api.start_channel(channel_id)
    assert vod.requests(Route.VOD_CHANNEL_START) == 1
    vod.emulator.force_faults(Fault.THROTTLE, routes=Route.VOD_CHANNEL_START)
    started = await vod.api.start_channel(channel_id)  # a 429 was not acted on: sent again
    assert started.channel_status == "STARTING"
    assert vod.requests(Route.VOD_CHANNEL_START) == 3


async def test_writes_carry_a_json_content_type_and_reads_none() -> None:
    seen: list[tuple[str, str | None]] = []

    async def on_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        seen.append((params.method, params.headers.get("Content-Type")))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with served_vod(trace_configs=[trace]) as vod:
        cid = vod.store.add_category()
        await vod.api.add_files(cid, bucket="b", paths=["a.mp4"])
        await vod.api.category(cid)
    assert seen == [("PUT", "application/json"), ("GET", None)]


# -- errors and zones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "statuses", "cls"),
    [
        ("260004", (404, 400), ncp.NotFoundError),
        ("260017", (400, 404), ncp.NotFoundError),
        ("260006", (403, 400), ncp.PermissionDeniedError),
        ("260010", (403, 400), ncp.PermissionDeniedError),
        ("260022", (400, 409), ncp.ConflictError),
        ("260023", (400, 409), ncp.ConflictError),
        ("260024", (400, 409), ncp.ConflictError),
        ("260002", (400, 404), ncp.BadRequestError),
        ("260021", (400, 404), ncp.BadRequestError),
        ("260025", (400,), ncp.BadRequestError),
        ("260030", (400, 409), ncp.BadRequestError),
        ("260047", (400, 409), ncp.BadRequestError),
        ("260000", (500,), ncp.ServerError),
        ("260009", (500, 503), ncp.ServerError),
    ],
)
def test_every_documented_vod_code_maps_by_its_code(
    code: str, statuses: tuple[int, ...], cls: type[ncp.ApiError]
) -> None:
    # The documents give no HTTP status for any VOD Station code: the code decides.
    for status in statuses:
        assert error_class(status, code) is cls, (code, status)


async def test_vod_station_in_the_government_and_financial_zones(vod: Vod) -> None:
    cid = vod.store.add_category()
    for zone in (ncp.Endpoints.gov(at=vod.server.url), ncp.Endpoints.fin(at=vod.server.url)):
        async with ncp.MediaClient(
            vod.server.credentials, endpoints=zone, clock=vod.clock
        ) as client:
            assert [c.id async for c in client.vod_station.categories()] == [cid]
    assert ncp.Endpoints.gov().service_url("vod_station") == (
        "https://vod-station.apigw.gov-ntruss.com/api/v2"
    )
    assert ncp.Endpoints.fin().service_url("vod_station") == (
        "https://vodstation.apigw.fin-ntruss.com/api/v2"
    )
