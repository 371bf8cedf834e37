"""Live Station recording through the public API, against the emulator: start and stop (only
while publishing), records moving on with the clock, uploads of temporary recordings, the error
table as typed errors, and writes that are never sent twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from _live import T0, Live, serve_raw, served_live

import ncp_media_async as ncp
from ncp_media_async.errors import error_from_response
from ncp_media_async.testing import Fault, Route

S = ncp.RecordStatus


@pytest_asyncio.fixture
async def live() -> AsyncIterator[Live]:
    async with served_live() as live:
        yield live


async def publishing(live: Live, **settings: object) -> str:
    cid = live.store.add_channel(**settings)  # type: ignore[arg-type]
    live.store.start_publishing(cid)
    return cid


async def statuses(live: Live, cid: str) -> list[ncp.RecordStatus | None]:
    return [r.status for r in await live.api.records(cid)]


# ----------------------------------------------------------------------- start and stop


async def test_start_and_stop_return_the_recordings_records(live: Live) -> None:
    cid = await publishing(live)
    started = await live.api.start_recording(cid)
    assert [(r.record_type, r.status) for r in started] == [
        ("MP4", S.RECORDING), ("HLS", S.RECORDING)
    ]  # fmt: skip
    assert all(r.channel_id == cid and r.duration_ms is None for r in started)
    assert started[0].record_begin_time == datetime.fromtimestamp(T0, UTC)
    assert (await live.api.channel(cid)).is_recording is True

    live.clock.advance(95.5)
    stopped = await live.api.stop_recording(cid)
    assert [r.record_id for r in stopped] == [r.record_id for r in started]
    assert [r.status for r in stopped] == [S.PROCESSING, S.PROCESSING]
    assert stopped[0].duration == timedelta(seconds=95.5)  # milliseconds on the wire
    assert stopped[1].duration_ms is None  # HLS records carry none
    channel = await live.api.channel(cid)
    assert (channel.is_recording, channel.channel_status) == (False, ncp.ChannelStatus.PUBLISHING)
    assert (live.requests(Route.START_RECORD), live.requests(Route.STOP_RECORD)) == (1, 1)


async def test_records_move_on_with_the_clock(live: Live) -> None:
    cid = await publishing(live, record_format="MP4")
    await live.api.start_recording(cid)
    await live.api.stop_recording(cid)
    (processing,) = await live.api.records(cid)
    assert processing.status is S.PROCESSING and not processing.uploadable
    live.clock.advance(live.store.processing_seconds - 1)
    assert await statuses(live, cid) == [S.PROCESSING]
    live.clock.advance(1)
    (record,) = await live.api.records(cid)
    assert record.status is S.TRANSFER_READY and record.uploadable
    assert record.object_storage_url is None  # "-" until uploaded


def test_a_recording_without_a_status_is_not_uploadable() -> None:
    assert not ncp.Recording("1").uploadable
    assert ncp.Recording("1", status=S("TRANSFER_LATER")).uploadable is False


async def test_an_auto_upload_channel_uploads_by_itself(live: Live) -> None:
    cid = await publishing(live, record_type="AUTO_UPLOAD", record_format="HLS")
    await live.api.start_recording(cid)
    await live.api.stop_recording(cid)
    live.clock.advance(live.store.processing_seconds)
    assert await statuses(live, cid) == [S.TRANSFER]
    live.clock.advance(live.store.transfer_seconds)
    (record,) = await live.api.records(cid)
    assert record.status is S.TRANSFER_FINISH
    assert record.object_storage_url == (
        f"https://kr.object.ncloudstorage.com/live-bucket/{record.upload_path}"
    )


async def test_immediate_on_air_records_as_soon_as_it_publishes(live: Live) -> None:
    cid = await publishing(live, immediate_on_air=True)
    assert (await live.api.channel(cid)).is_recording is True
    assert await statuses(live, cid) == [S.RECORDING, S.RECORDING]
    live.store.stop_publishing(cid)  # the end of the stream ends the recording
    channel = await live.api.channel(cid)
    assert (channel.channel_status, channel.is_recording) == (ncp.ChannelStatus.READY, False)
    assert await statuses(live, cid) == [S.PROCESSING, S.PROCESSING]


@pytest.mark.parametrize(
    ("state", "call", "code"),
    [
        ("ready", "start_recording", "250134"),  # recording only while publishing
        ("recording", "start_recording", "250135"),  # already recording
        ("publishing", "stop_recording", "250137"),  # not recording
        ("ready", "stop_recording", "250137"),
    ],
)
async def test_wrong_state_is_a_conflict(live: Live, state: str, call: str, code: str) -> None:
    cid = live.store.add_channel()
    if state != "ready":
        live.store.start_publishing(cid)
    if state == "recording":
        await live.api.start_recording(cid)
    with pytest.raises(ncp.ConflictError) as caught:
        await getattr(live.api, call)(cid)
    assert (caught.value.status, caught.value.code, caught.value.service) == (
        400, code, "live_station"
    )  # fmt: skip
    assert caught.value.request.startswith("PUT /api/v2/channels/")


async def test_recording_an_unknown_channel_is_not_found(live: Live) -> None:
    for call in (live.api.start_recording, live.api.stop_recording):
        with pytest.raises(ncp.NotFoundError) as caught:
            await call("ls-20250101000000-nope0")
        assert caught.value.code == "250100"


# ------------------------------------------------------------------- never sent twice


@pytest.mark.parametrize(
    ("call", "route"),
    [("start_recording", Route.START_RECORD), ("stop_recording", Route.STOP_RECORD)],
)
async def test_a_recording_call_that_may_have_arrived_is_not_repeated(
    live: Live, call: str, route: Route
) -> None:
    cid = await publishing(live)
    if call == "stop_recording":
        await live.api.start_recording(cid)
    before = live.requests(route)
    live.emulator.force_faults(Fault.RESET_MID_BODY, routes=route)  # the service acted
    with pytest.raises(ncp.OutcomeUnknownError, match="may have reached the server"):
        await getattr(live.api, call)(cid)
    assert live.requests(route) == before + 1
    recording = call == "start_recording"
    assert (await live.api.channel(cid)).is_recording is recording  # it did take effect


async def test_a_throttled_write_is_sent_again_a_failed_one_is_not(live: Live) -> None:
    # A 429 is the gateway's refusal: the service never saw the call, so it goes again. A 503
    # may come from behind the service, after it acted: not repeated.
    cid = await publishing(live)
    live.emulator.force_faults(Fault.THROTTLE, routes=Route.START_RECORD)
    started = await live.api.start_recording(cid)
    assert len(started) == 2 and live.requests(Route.START_RECORD) == 2
    live.emulator.force_faults(Fault.UNAVAILABLE, routes=Route.STOP_RECORD)
    with pytest.raises(ncp.ServerError):  # a 503 may come after the service acted
        await live.api.stop_recording(cid)
    assert live.requests(Route.STOP_RECORD) == 1


# ------------------------------------------------------------------------------ uploads


async def finished_recording(live: Live, **settings: object) -> list[ncp.Recording]:
    cid = await publishing(live, **settings)
    await live.api.start_recording(cid)
    await live.api.stop_recording(cid)
    live.clock.advance(live.store.processing_seconds)
    return await live.api.records(cid)


async def test_upload_sends_temporary_recordings_to_a_bucket(live: Live) -> None:
    records = await finished_recording(live)
    upload = await live.api.upload_records("bucket000", records, access_control="public_read")
    assert upload.bucket_name == "bucket000"
    assert upload.access_control is ncp.AccessControl.PUBLIC_READ
    assert [(u.record_id, u.record_type, u.status) for u in upload.uploaded_records] == [
        (r.record_id, r.record_type, S.TRANSFER) for r in records
    ]
    assert [u.record_file_name for u in upload.uploaded_records] == [r.file_name for r in records]
    assert all(u.object_storage_url is None for u in upload.uploaded_records)
    cid = records[0].channel_id
    assert cid is not None
    live.clock.advance(live.store.transfer_seconds)
    done = await live.api.records(cid)
    assert [r.status for r in done] == [S.TRANSFER_FINISH] * 2
    assert [r.object_storage_url for r in done] == [
        f"https://kr.object.ncloudstorage.com/bucket000/{r.upload_path}" for r in records
    ]


async def test_upload_takes_ids_as_text_or_numbers_once_each(live: Live) -> None:
    records = await finished_recording(live)
    first, second = (r.record_id for r in records)
    upload = await live.api.upload_records("bucket000", [first, int(second), records[0], first])
    assert [u.record_id for u in upload.uploaded_records] == [first, second]


async def test_an_upload_that_fails_can_go_again(live: Live) -> None:
    live.store.upload_outcome = "TRANSFER_FAIL"
    records = await finished_recording(live, record_format="MP4")
    await live.api.upload_records("bucket000", records)
    live.clock.advance(live.store.transfer_seconds)
    (failed,) = await live.api.records(records[0].channel_id or "")
    assert failed.status is S.TRANSFER_FAIL and failed.status.uploadable
    live.store.upload_outcome = "TRANSFER_FINISH"
    again = await live.api.upload_records("bucket000", [failed])
    assert [u.status for u in again.uploaded_records] == [S.TRANSFER]


@pytest.mark.parametrize(
    ("shape", "record_ids"),
    [("map", ["1001", "1002"]), ("list", [None, None]), ("object", [None])],
)
async def test_every_plausible_shape_of_the_upload_answer_is_read(
    live: Live, shape: str, record_ids: list[str | None]
) -> None:
    # The document calls uploadedRecords an object and says no more: a map keyed by record id
    # (like recordList), a list, or one record.
    live.store.uploaded_records_shape = shape
    records = await finished_recording(live)
    assert [r.record_id for r in records] == ["1001", "1002"]  # the first ids of an empty store
    upload = await live.api.upload_records("bucket000", records)
    assert [u.record_id for u in upload.uploaded_records] == record_ids
    assert [u.record_file_name for u in upload.uploaded_records] == [
        r.file_name for r in records
    ][: len(record_ids)]


async def test_an_upload_answer_without_records_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"content": {"bucketName": "b", "accessControl": "PRIVATE", "uploadedRecords": None}}
    serve_raw(monkeypatch, Route.UPLOAD_RECORDS, json.dumps(body).encode())
    async with served_live() as live:
        upload = await live.api.upload_records("b", ["1"])
    assert upload == ncp.RecordUpload("b", ncp.AccessControl.PRIVATE, ())


async def test_upload_refusals_are_typed(live: Live) -> None:
    records = await finished_recording(live)
    cid = await publishing(live, name="other")
    recording = await live.api.start_recording(cid)

    async def refused(bucket: str, ids: list[ncp.Recording | str]) -> ncp.ApiError:
        with pytest.raises(ncp.ApiError) as caught:
            await live.api.upload_records(bucket, ids)
        return caught.value

    error = await refused("bucket000", [records[0], recording[0]])
    assert (type(error), error.code) == (ncp.ConflictError, "250507")  # still recording
    assert await statuses(live, records[0].channel_id or "") == [S.TRANSFER_READY] * 2  # as one
    error = await refused("bucket000", ["999999"])
    assert (type(error), error.code) == (ncp.NotFoundError, "250701")
    error = await refused("Bucket_000", records)  # type: ignore[arg-type]
    assert (type(error), error.code) == (ncp.BadRequestError, "250703")
    live.store.buckets = {"bucket000"}
    error = await refused("bucket001", records)  # type: ignore[arg-type]
    assert (type(error), error.code) == (ncp.NotFoundError, "250705")
    await live.api.upload_records("bucket000", records)
    error = await refused("bucket000", records)  # type: ignore[arg-type]
    assert (type(error), error.code) == (ncp.ConflictError, "250700")  # already requested


async def test_an_upload_that_may_have_arrived_is_not_repeated(live: Live) -> None:
    records = await finished_recording(live)
    live.emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.UPLOAD_RECORDS)
    with pytest.raises(ncp.OutcomeUnknownError):
        await live.api.upload_records("bucket000", records)
    assert live.requests(Route.UPLOAD_RECORDS) == 1
    assert await statuses(live, records[0].channel_id or "") == [S.TRANSFER] * 2


@pytest.mark.parametrize(
    ("records", "kwargs", "error"),
    [
        ([], {}, ValueError),
        (["12a"], {}, ValueError),
        (["-1"], {}, ValueError),
        ([True], {}, TypeError),
        ([1.5], {}, TypeError),
        ("1234", {}, TypeError),  # one id, not a list of them
        (["1"], {"access_control": "PUBLIC"}, ValueError),
    ],
)
async def test_bad_upload_arguments_fail_before_any_request(
    live: Live, records: object, kwargs: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await live.api.upload_records("bucket000", records, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bucket must not be empty"):
        await live.api.upload_records("", ["1"])
    assert live.emulator.stats.total_requests == 0


# -------------------------------------------------------------------------- the error table


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (250100, ncp.NotFoundError),  # channel not found
        (250123, ncp.NotFoundError),  # channel id does not exist
        (250701, ncp.NotFoundError),
        (250702, ncp.NotFoundError),
        (250705, ncp.NotFoundError),
        (250101, ncp.ConflictError),  # not publishing
        (250134, ncp.ConflictError),  # not PUBLISHING
        (250135, ncp.ConflictError),  # already recording
        (250136, ncp.ConflictError),  # already recording (the second code)
        (250137, ncp.ConflictError),  # not recording
        (250121, ncp.ConflictError),  # no DVR
        (250124, ncp.ConflictError),  # CDN not running
        (250141, ncp.ConflictError),  # time machine only while recording
        (250507, ncp.ConflictError),  # record not uploadable
        (250700, ncp.ConflictError),  # already requested
        (250002, ncp.BadRequestError),
        (250020, ncp.BadRequestError),
        (250600, ncp.BadRequestError),
        (250703, ncp.BadRequestError),
        (250010, ncp.PermissionDeniedError),
        (250505, ncp.PermissionDeniedError),
    ],
)
@pytest.mark.parametrize("status", [400, 404, 409, 403])
def test_live_station_codes_decide_the_class_whatever_the_status(
    code: int, cls: type[ncp.ApiError], status: int
) -> None:
    # The error page documents no HTTP status per code: the code decides (below 429 and 5xx).
    for sent in (code, str(code)):  # a number in Live Station's body, text in a gateway's
        body = {"error": {"errorCode": sent, "message": "m", "errorName": "EXCEPTION"}}
        error = error_from_response(
            status, json.dumps(body).encode(), service="live_station", request="PUT /x",
            now=0.0,
        )
        assert type(error) is cls
        assert (error.status, error.code) == (status, str(code))


def test_throttling_and_server_failures_keep_their_status_class() -> None:
    body = json.dumps({"error": {"errorCode": 250100, "message": "m"}}).encode()
    for status, cls in ((429, ncp.RateLimitError), (503, ncp.ServerError)):
        error = error_from_response(status, body, service="live_station", request="", now=0.0)
        assert type(error) is cls
