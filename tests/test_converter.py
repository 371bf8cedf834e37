"""The converter: every record quirk; property tests that bad bodies only raise ResponseError."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ncp_media_async as ncp
from ncp_media_async import _converter
from ncp_media_async._converter import (
    structure,
    structure_import_status,
    structure_list,
    structure_media_ai_result,
    structure_records,
    structure_statistics,
    to_camel,
)
from ncp_media_async.records import (
    ChannelEvent,
    EncodingStatus,
    ImportStatus,
    Recording,
    StatusStatistics,
    VideoAssetRef,
    VideoMetadata,
)
from ncp_media_async.records._base import KST as CLIENT_KST
from ncp_media_async.testing import Emulator, Route

KST = timezone(timedelta(hours=9))

ENCODING = {
    "categoryId": 12345,
    "categoryName": "VOD-Category",
    "filePath": "VODStation.mp4",
    "outputType": "AVC_HD_1Pass_30fps",
    "link": "https://kr.object.ncloudstorage.com/station-000/VOD-Category/x.mp4",
    "outputTotalSize": 1831292,
    "lastWorkTime": "2025-08-19T17:08:03+0900",
    "status": "COMPLETE",
    "percent": 100.0,
}

MP4 = {
    "recordType": "MP4", "channelId": "ls-20200313162828-G60tN", "status": "TRANSFER_READY",
    "recordSeq": 104077, "streamSeq": 137305, "recordBeginTime": 1584952615000,
    "createdTime": 1584955616000, "shouldDeleteTime": 1585560416000, "resolution": "480x270",
    "fileName": "137305-104077-202003231736.mp4", "duration": 2996437, "videoBitrate": 400000,
    "audioBitrate": 64000, "videoFrameRate": 15.0, "audioCodec": "aac",
    "uploadPath": "live-station/record/ls-20200313162828-G60tN/137305-104077-202003231736.mp4",
    "objectStorageUrl": "-",
}
HLS = {k: v for k, v in MP4.items() if k not in ("duration", "audioCodec")} | {
    "recordType": "HLS", "fileName": "270p-16-9/playlist.m3u8",
}


def test_to_camel() -> None:
    assert to_camel("last_work_time") == "lastWorkTime"
    assert to_camel("status") == "status"


def test_encoding_status_every_field() -> None:
    items, total = structure_list({"content": [ENCODING], "total": 1}, EncodingStatus)
    assert total == 1
    (s,) = items
    assert s.category_id == 12345
    assert s.category_name == "VOD-Category"
    assert s.file_path == "VODStation.mp4"
    assert s.output_type == "AVC_HD_1Pass_30fps"
    assert s.link is not None and s.link.endswith("x.mp4")
    assert s.output_total_size == 1831292
    assert s.last_work_time == datetime(2025, 8, 19, 17, 8, 3, tzinfo=KST)
    assert s.last_work_time.utcoffset() == timedelta(hours=9)
    assert s.status is ncp.EncodingState.COMPLETE
    assert s.status == "COMPLETE"
    assert s.percent == 100.0


def test_records_are_frozen() -> None:
    (s,), _ = structure_list({"content": [ENCODING], "total": 1}, EncodingStatus)
    with pytest.raises(AttributeError):
        s.status = "X"  # type: ignore[misc]


def test_iso_time_without_offset_is_read_as_kst() -> None:
    (s,), _ = structure_list(
        {"content": [ENCODING | {"lastWorkTime": "2025-08-19T17:08:03"}]}, EncodingStatus
    )
    assert s.last_work_time == datetime(2025, 8, 19, 8, 8, 3, tzinfo=UTC)
    assert s.last_work_time.tzinfo is CLIENT_KST  # the client's one KST
    assert CLIENT_KST.utcoffset(None) == timedelta(hours=9)


def test_unknown_enum_values_are_kept() -> None:
    (s,), _ = structure_list({"content": [ENCODING | {"status": "PAUSED"}]}, EncodingStatus)
    assert s.status == "PAUSED"
    assert isinstance(s.status, ncp.EncodingState)
    assert not s.status.known
    assert not s.status.terminal
    assert ncp.EncodingState.COMPLETE.known


def test_placeholder_dash_becomes_none() -> None:
    (s,), _ = structure_list({"content": [ENCODING | {"link": "-"}]}, EncodingStatus)
    assert s.link is None


def test_total_may_be_missing_or_a_string() -> None:
    assert structure_list({"content": []}, EncodingStatus) == ([], None)
    assert structure_list({"content": [], "total": "7"}, EncodingStatus) == ([], 7)


def test_statistics_counts_as_strings_or_numbers_and_content_as_array() -> None:
    doc_table = {"content": {"waiting": "1", "running": "0", "failure": "5", "canceled": 0}}
    doc_example = {"content": {"waiting": 1, "running": 0, "complete": 37, "failure": 5,
                               "canceled": 0}}
    as_array = {"content": [doc_example["content"]]}
    a = structure_statistics(doc_table)
    assert (a.waiting, a.running, a.complete, a.failure, a.canceled) == (1, 0, 0, 5, 0)
    b = structure_statistics(doc_example)
    assert (b.waiting, b.running, b.complete, b.failure, b.canceled) == (1, 0, 37, 5, 0)
    assert b.total == 43
    assert structure_statistics(as_array) == b
    assert all(type(v) is int for v in (a.waiting, a.failure, b.complete))


def test_channel_event_time_is_epoch_seconds() -> None:
    body = {"content": [{"time": 1755758700, "actionType": "START", "requestType": "API",
                         "resultCode": "SUCCESS", "messageCode": "CHANNEL_START_TO_READY",
                         "message": "ch-media-encrypt ready"}], "total": 6}
    (e,), total = structure_list(body, ChannelEvent)
    assert total == 6
    assert e.time == datetime(2025, 8, 21, 6, 45, tzinfo=UTC)
    assert e.action_type is ncp.EventAction.START
    assert e.request_type is ncp.EventRequestType.API
    assert e.result_code is ncp.EventResult.SUCCESS
    assert (e.message_code, e.message) == ("CHANNEL_START_TO_READY", "ch-media-encrypt ready")


def test_recording_map_becomes_list_with_record_id() -> None:
    recs = structure_records({"content": {"recordList": {"299": HLS, "298": MP4}}, "total": 6})
    assert [r.record_id for r in recs] == ["298", "299"]
    mp4, hls = recs
    assert mp4.record_type is ncp.RecordType.MP4
    assert mp4.status is ncp.RecordStatus.TRANSFER_READY
    assert mp4.channel_id == "ls-20200313162828-G60tN"
    assert (mp4.record_seq, mp4.stream_seq) == (104077, 137305)
    assert mp4.record_begin_time == datetime(2020, 3, 23, 8, 36, 55, tzinfo=UTC)
    assert mp4.created_time == datetime(2020, 3, 23, 9, 26, 56, tzinfo=UTC)
    assert mp4.should_delete_time == datetime(2020, 3, 30, 9, 26, 56, tzinfo=UTC)
    assert mp4.duration_ms == 2996437
    assert mp4.duration == timedelta(seconds=2996.437)
    assert (mp4.video_bitrate, mp4.audio_bitrate, mp4.video_frame_rate) == (400000, 64000, 15.0)
    assert mp4.audio_codec == "aac"
    assert mp4.resolution == "480x270"
    assert mp4.file_name == "137305-104077-202003231736.mp4"
    assert mp4.upload_path is not None and mp4.upload_path.startswith("live-station/record/")
    assert mp4.object_storage_url is None
    assert hls.duration_ms is None and hls.duration is None and hls.audio_codec is None


def test_record_ids_sort_numerically() -> None:
    recs = structure_records({"content": {"recordList": {"1000": MP4, "99": MP4, "100": MP4}}})
    assert [r.record_id for r in recs] == ["99", "100", "1000"]


@pytest.mark.parametrize(
    "body", [{"content": None}, {"content": {}}, {"content": {"recordList": None}}]
)
def test_no_recordings_in_every_plausible_form(body: dict[str, Any]) -> None:
    assert structure_records(body) == []


def test_media_ai_result() -> None:
    body = {"code": "0", "message": "success", "result": {
        "videoId": 5678, "uploadStatus": "COMPLETED", "uploadResult": "Video copy completed",
        "metaData": {"resolution": "1920x1080", "durationMs": 253702, "size": 120333399,
                     "format": "mp4"}}}
    s = structure_media_ai_result(body, ImportStatus)
    assert s.video_id == 5678
    assert s.upload_status is ncp.UploadStatus.COMPLETED
    assert s.terminal
    assert s.upload_result == "Video copy completed"
    assert s.metadata == ncp.VideoMetadata("1920x1080", 253702, 120333399, "mp4")
    assert s.asset is None


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"content": "nope", "total": 1}, "content"),
        ({"content": [ENCODING | {"percent": "abc"}]}, "$.content[0].percent"),
        ({"content": [ENCODING | {"categoryName": {"a": 1}}]}, "$.content[0].categoryName"),
        ({"content": [ENCODING, ENCODING | {"lastWorkTime": "17:08"}]},
         "$.content[1].lastWorkTime: expected an ISO 8601 time, got '17:08'"),
        ({"content": [ENCODING, "x"]}, "$.content[1]: expected an object, got text"),
        ({"content": [[]]}, "$.content[0]: expected an object, got an array"),
        ({"content": [ENCODING], "total": "many"}, "$.total"),
        ([1, 2], "content"),
    ],
)
def test_bad_bodies_raise_response_error_saying_where(body: Any, where: str) -> None:
    with pytest.raises(ncp.ResponseError) as info:
        structure_list(body, EncodingStatus)
    assert where in str(info.value)


def test_strings_are_not_made_up_from_numbers() -> None:
    with pytest.raises(ncp.ResponseError):
        structure(ENCODING | {"filePath": 12}, EncodingStatus)


def test_booleans_are_not_counts() -> None:
    with pytest.raises(ncp.ResponseError):
        structure_statistics({"content": {"waiting": True}})


# -- properties --------------------------------------------------------------------------------

text = st.text(max_size=20)
maybe = lambda s: st.one_of(st.none(), st.just("-"), s)  # noqa: E731
encoding_item = st.fixed_dictionaries(
    {},
    optional={
        "status": maybe(
            st.sampled_from(["COMPLETE", "WAITING", "RUNNING", "FAILURE", "CANCELED"]) | text
        ),
        "categoryId": maybe(st.integers(0, 2**53) | st.integers(0, 10**6).map(str)),
        "categoryName": maybe(text),
        "filePath": maybe(text),
        "outputType": maybe(text),
        "link": maybe(text),
        "outputTotalSize": maybe(st.integers(0, 2**62)),
        "lastWorkTime": maybe(
            st.datetimes(
                min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),
                timezones=st.sampled_from([UTC, KST]),
            ).map(
                lambda d: d.strftime("%Y-%m-%dT%H:%M:%S%z")
            )
        ),
        "percent": maybe(st.floats(0, 100) | st.integers(0, 100)),
        "somethingNew": st.integers(),
    },
)
event_item = st.fixed_dictionaries(
    {"time": maybe(st.integers(0, 4_000_000_000))},
    optional={
        "actionType": text, "requestType": text, "resultCode": text,
        "messageCode": text, "message": text,
    },
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(encoding_item, max_size=5), st.none() | st.integers(0, 10**6))
def test_valid_encoding_bodies_always_structure(
    items: list[dict[str, Any]], total: int | None
) -> None:
    records, got = structure_list({"content": items, "total": total}, EncodingStatus)
    assert got == total
    sent = [i.get("status") for i in items]
    assert [r.status for r in records] == [None if s in (None, "-", "") else s for s in sent]


@settings(max_examples=100, deadline=None)
@given(st.lists(event_item, max_size=5))
def test_valid_event_bodies_always_structure(items: list[dict[str, Any]]) -> None:
    records, _ = structure_list({"content": items}, ChannelEvent)
    times = [None if r.time is None else int(r.time.timestamp()) for r in records]
    assert times == [None if i["time"] == "-" else i["time"] for i in items]


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_bodies_only_raise_response_error(body: Any) -> None:
    for fn in (
        lambda b: structure_list(b, EncodingStatus),
        lambda b: structure_list(b, ChannelEvent),
        structure_statistics,
        structure_records,
        lambda b: structure_media_ai_result(b, ImportStatus),
        lambda b: structure(b, Recording),
    ):
        with contextlib.suppress(ncp.ResponseError):
            fn(body)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*ENCODING, "x"]),
        json_values | st.integers(-(2**80), 2**80) | st.floats(),
    )
)
def test_items_with_wrong_types_only_raise_response_error(item: dict[str, Any]) -> None:
    try:
        structure_list({"content": [item], "total": 1}, EncodingStatus)
        structure_list({"content": [{"time": item.get("status", 0)}]}, ChannelEvent)
    except ncp.ResponseError:
        pass


# The fast converter and the detailed one (which only explains failures) must agree.


def _wire_names(record: type) -> list[str]:
    fields = attrs.fields(record)
    return [_converter._wire_names(a)[0] for a in fields if not a.metadata.get("local")]


record_types = [EncodingStatus, ChannelEvent, Recording, ImportStatus, StatusStatistics]
wire_values = st.one_of(
    json_values,
    st.sampled_from(["-", "", "COMPLETE", "MP4", "IN_PROGRESS", "2025-08-19T17:08:03+0900"]),
    st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
)


def _outcome(fn: Any, item: Any) -> Any:
    try:
        return fn(item)
    except Exception as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(record_types),
    st.dictionaries(
        st.sampled_from(sorted({w for t in record_types for w in _wire_names(t)})), wire_values
    ),
)
def test_fast_and_detailed_converters_agree(record: type, item: dict[str, Any]) -> None:
    fast = _outcome(lambda i: _converter._fast.structure(i, record), item)
    reference = _outcome(lambda i: _converter._detailed.structure(i, record), item)
    if isinstance(fast, type):  # both failed
        assert isinstance(reference, type)
    else:
        assert fast == reference


def test_output_key_names_one_output_file_across_walks() -> None:
    (a,), _ = structure_list({"content": [ENCODING | {"status": "RUNNING", "percent": 5}]},
                             EncodingStatus)
    (b,), _ = structure_list({"content": [ENCODING]}, EncodingStatus)
    assert a != b
    assert a.output_key == b.output_key == (12345, "VODStation.mp4", "AVC_HD_1Pass_30fps")


# -- record edges ------------------------------------------------------------------------------


def test_a_missing_or_null_status_does_not_fail_the_page() -> None:
    body = {"content": [ENCODING, ENCODING | {"status": None}, {"percent": 3}, ENCODING],
            "total": 4}
    items, total = structure_list(body, EncodingStatus)
    assert total == 4
    assert [s.status for s in items] == [ncp.EncodingState.COMPLETE, None, None,
                                         ncp.EncodingState.COMPLETE]
    assert items[2] == EncodingStatus(percent=3.0)
    assert [s.terminal for s in items] == [True, False, False, True]  # no status: not finished
    (running,), _ = structure_list({"content": [ENCODING | {"status": "RUNNING"}]},
                                   EncodingStatus)
    assert not running.terminal


def test_a_missing_or_null_event_time_does_not_fail_the_page() -> None:
    events = [{"time": 1755758700, "actionType": "START"}, {"time": None, "actionType": "STOP"},
              {"actionType": "DELETE"}, {"time": "-"}]
    items, _ = structure_list({"content": events, "total": 4}, ChannelEvent)
    assert [e.time for e in items] == [datetime(2025, 8, 21, 6, 45, tzinfo=UTC), None, None, None]
    assert [e.action_type for e in items] == ["START", "STOP", "DELETE", None]


# Through the public API: the emulator serves the items as given.


def _encoding_item(i: int, **fields: Any) -> dict[str, Any]:
    item = ENCODING | {"filePath": f"in/{i}.mp4", "_workStartTimeMs": 1_755_590_400_000 - i}
    return {k: v for k, v in (item | fields).items() if v is not _DROP}


_DROP = object()
_NO_STATUS: list[Any] = [_DROP, None, "-"]  # missing, null, the placeholder


async def test_a_walk_goes_past_items_without_status(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.set_encoding_statuses(
        _encoding_item(i, status=_NO_STATUS[i // 3 % 3] if i % 3 == 0 else "RUNNING")
        for i in range(25)
    )
    got = await ncp_client.vod_station.encoding_statuses(page_size=10).to_list()
    assert [s.file_path for s in got] == [f"in/{i}.mp4" for i in range(25)]
    assert [s.status for s in got] == [None if i % 3 == 0 else "RUNNING" for i in range(25)]
    assert ncp_emulator.stats.requests[Route.ENCODING_STATUSES] == 3


async def test_a_walk_goes_past_events_without_time(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    times: list[Any] = [1755758700 - i if i % 4 else _NO_STATUS[i // 4 % 3] for i in range(25)]
    events = [{"time": t, "actionType": "START", "message": str(i)} for i, t in enumerate(times)]
    ncp_emulator.vod_station.set_channel_events(
        "vs-edges", [{k: v for k, v in e.items() if v is not _DROP} for e in events]
    )
    got = await ncp_client.vod_station.channel_events("vs-edges", page_size=10).to_list()
    assert [e.message for e in got] == [str(i) for i in range(25)]
    assert [None if e.time is None else int(e.time.timestamp()) for e in got] == [
        t if type(t) is int else None for t in times
    ]


async def test_watching_counts_an_output_without_status_as_unfinished(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.set_encoding_statuses(
        [_encoding_item(0, status=None), _encoding_item(1)]
    )
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        ncp_emulator.vod_station.set_encoding_statuses([_encoding_item(0), _encoding_item(1)])

    async with ncp.MediaClient(
        ncp_client.credentials, endpoints=ncp_client.endpoints, sleep=sleep
    ) as client:
        seen = [
            (s.file_path, s.status)
            async for s in client.vod_station.watch_encoding_statuses(interval=5)
        ]
    assert seen == [("in/0.mp4", None), ("in/1.mp4", "COMPLETE"), ("in/0.mp4", "COMPLETE")]
    assert sleeps == [pytest.approx(5, abs=0.5)]  # an interval from the end of the walk


def _import_body(**result: Any) -> dict[str, Any]:
    return {"code": "0", "message": "success",
            "result": {"videoId": 5678, "uploadStatus": "COMPLETED", **result}}


@pytest.mark.parametrize(
    ("meta", "got"),
    [("x", "text"), ([], "an array"), ([{"size": 1}], "an array"), (5, "a number"),
     (True, "a boolean")],
)
def test_a_nested_object_of_the_wrong_shape_is_a_response_error(meta: Any, got: str) -> None:
    with pytest.raises(ncp.ResponseError) as info:
        structure_media_ai_result(_import_body(metaData=meta), ImportStatus)
    assert f"$.result.metaData: expected an object, got {got}" in str(info.value)


def test_a_nested_object_absent_null_or_dash_is_none() -> None:
    for body in (_import_body(), _import_body(metaData=None), _import_body(metaData="-")):
        assert structure_media_ai_result(body, ImportStatus).metadata is None
    empty = structure_media_ai_result(_import_body(metaData={}), ImportStatus)
    assert empty.metadata == VideoMetadata()


def test_errors_inside_a_nested_object_name_its_json_path() -> None:
    body = _import_body(metaData={"durationMs": "long", "size": [1], "resolution": 1080})
    with pytest.raises(ncp.ResponseError) as info:
        structure_media_ai_result(body, ImportStatus)
    message = str(info.value)
    assert "$.result.metaData.durationMs: expected an integer, got 'long'" in message
    assert "$.result.metaData.size: expected an integer, got [1]" in message
    assert "$.result.metaData.resolution: expected text, got a number" in message
    with pytest.raises(ncp.ResponseError, match=r"\$\.result\.uploadStatus: required field"):
        structure_media_ai_result({"result": {"videoId": 1}}, ImportStatus)


def test_more_than_three_problems_are_counted() -> None:
    item = {"status": 1, "categoryId": "x", "categoryName": 2, "filePath": 3, "link": 4}
    with pytest.raises(ncp.ResponseError) as info:
        structure_list({"content": [item]}, EncodingStatus)
    assert str(info.value).count("$.content[0].") == 3
    assert "(and 2 more)" in str(info.value)


def test_import_status_is_built_with_the_asset_asked_about() -> None:
    ref = VideoAssetRef("ws", "7", "5001")
    body = _import_body(uploadResult="done", asset="from the wire")  # not read off the wire
    status = structure_import_status(body, ref)
    assert status.asset is ref
    assert status == ImportStatus(ncp.UploadStatus.COMPLETED, 5678, "done", None, ref)
    assert structure_media_ai_result(body, ImportStatus).asset is None


def test_record_ids_come_from_the_map_keys() -> None:
    (rec,) = structure_records({"content": {"recordList": {"7": MP4 | {"recordId": "wire"}}}})
    assert rec.record_id == "7"
    with pytest.raises(ncp.ResponseError, match=r"recordList\['8'\]: expected an object"):
        structure_records({"content": {"recordList": {"7": MP4, "8": "x"}}})


# -- depth and size: no RecursionError, messages stay short ------------------------------------

DEPTH = 10_000


def _deep_list(depth: int = DEPTH) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _deep_object(depth: int = DEPTH) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _bodies_around(deep: Any) -> Iterator[tuple[Callable[[Any], object], Any]]:
    """Every place a deep value can sit where it cannot be right, with the helper that
    structures that body."""
    def items(t: type) -> Callable[[Any], object]:
        return lambda b: structure_list(b, t)

    def import_status(b: Any) -> object:
        return structure_media_ai_result(b, ImportStatus)

    yield items(EncodingStatus), deep
    yield items(EncodingStatus), {"content": deep}
    yield items(EncodingStatus), {"content": [ENCODING, [deep]]}
    yield items(EncodingStatus), {"content": [ENCODING | {"lastWorkTime": deep}]}
    yield items(EncodingStatus), {"content": [ENCODING | {"status": deep}]}
    yield items(EncodingStatus), {"content": [ENCODING | {"percent": deep}]}
    yield items(EncodingStatus), {"content": [ENCODING], "total": deep}
    yield items(ChannelEvent), {"content": [{"time": deep}]}
    yield structure_statistics, {"content": {"waiting": deep}}
    yield structure_records, {"content": {"recordList": [deep]}}
    yield structure_records, {"content": {"recordList": {"1": [deep]}}}
    yield structure_records, {"content": {"recordList": {"1": MP4 | {"duration": deep}}}}
    yield import_status, {"result": deep}
    yield import_status, _import_body(metaData=[deep])
    yield import_status, _import_body(metaData={"size": deep})


def _assert_short_response_error(fn: Callable[[Any], object], body: Any) -> None:
    with pytest.raises(ncp.ResponseError) as info:
        fn(body)
    assert len(str(info.value)) < 1_000
    assert len(info.value.excerpt) <= 200


@pytest.mark.parametrize("make", [_deep_list, _deep_object])
def test_deep_bodies_give_a_short_response_error(make: Callable[[], Any]) -> None:
    for fn, body in _bodies_around(make()):
        _assert_short_response_error(fn, body)


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def test_deep_bodies_decoded_by_json_and_orjson() -> None:
    """json decodes 10,000 levels when the recursion limit allows it (the transport maps its
    RecursionError otherwise); orjson refuses past 1,024 levels with a ValueError, which the
    transport maps to ResponseError. Whatever a decoder hands over structures to a
    ResponseError, without recursion."""
    array = "[" * DEPTH + "]" * DEPTH
    obj = '{"a":' * DEPTH + "1" + "}" * DEPTH
    with _recursion_limit(4 * DEPTH):
        decoded = [json.loads(array), json.loads(obj)]
    with pytest.raises(ValueError, match="depth"):
        orjson.loads(array)
    deepest = 1023  # orjson's limit
    decoded += [orjson.loads("[" * deepest + "]" * deepest),
                orjson.loads('{"a":' * deepest + "1" + "}" * deepest)]
    for deep in decoded:
        for fn, body in _bodies_around(deep):
            _assert_short_response_error(fn, body)


def test_huge_values_are_shown_short() -> None:
    huge = 10 ** 5000  # more digits than int() may print (sys.get_int_max_str_digits)
    for value in (huge, "x" * 100_000, list(range(100_000))):
        _assert_short_response_error(lambda b: structure_list(b, EncodingStatus),
                                     {"content": [ENCODING | {"percent": value}]})
    with pytest.raises(ncp.ResponseError, match=r"\$\.content\[0\]\.percent: expected a number"):
        structure_list({"content": [ENCODING | {"percent": huge}]}, EncodingStatus)


# -- properties: a record or a ResponseError, never anything else, never a record of Nones ------


def _wire_field_values(record: type) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(_wire_names(record)), wire_values, max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_items_give_records_or_response_errors(data: st.DataObject) -> None:
    record = data.draw(st.sampled_from([EncodingStatus, ChannelEvent]))
    items = data.draw(st.lists(_wire_field_values(record) | json_values, max_size=4))
    try:
        records, _ = structure_list({"content": items, "total": len(items)}, record)
    except ncp.ResponseError:
        return
    assert all(isinstance(item, dict) for item in items)  # nothing else makes a record
    assert [type(r) for r in records] == [record] * len(items)


@settings(max_examples=300, deadline=None)
@given(_wire_field_values(ImportStatus), json_values | _wire_field_values(VideoMetadata))
def test_random_import_statuses_give_records_or_response_errors(
    result: dict[str, Any], meta: Any
) -> None:
    body = {"result": result | {"metaData": meta}}
    try:
        status = structure_import_status(body, VideoAssetRef("w", "p", "1"))
    except ncp.ResponseError:
        return
    assert isinstance(status, ImportStatus)
    if status.metadata is not None:
        assert isinstance(meta, dict)
    else:
        assert meta in (None, "-", "")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _wire_field_values(Recording) | json_values,
                       max_size=3))
def test_random_record_maps_give_records_or_response_errors(records: dict[str, Any]) -> None:
    try:
        got = structure_records({"content": {"recordList": records}})
    except ncp.ResponseError:
        return
    assert sorted(r.record_id for r in got) == sorted(records)
    assert all(isinstance(rec, dict) for rec in records.values())


@attrs.frozen
class _Listing:
    """A record shaped like the ones with arrays and flags (categories, channels, projects)."""

    ids: tuple[int, ...] = ()
    names: tuple[str, ...] | None = None
    enabled: bool | None = None
    base: bool = False


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"ids": [1, "2"], "names": ["a"], "enabled": True, "base": "false"},
         _Listing((1, 2), ("a",), True, False)),
        ({"ids": [], "names": None, "enabled": "TRUE"}, _Listing((), None, True, False)),
        ({}, _Listing()),
    ],
)
def test_arrays_and_booleans(body: dict[str, Any], expected: _Listing) -> None:
    assert structure(body, _Listing) == expected


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"ids": "123"}, "$.ids"),  # not the characters of a string
        ({"ids": {"1": 2}}, "$.ids"),  # not the keys of an object
        ({"ids": [1, "x"]}, "$.ids"),
        ({"names": "a"}, "$.names"),
        ({"enabled": 1}, "$.enabled"),  # a number is not a boolean
        ({"base": "yes"}, "$.base"),
    ],
)
def test_arrays_and_booleans_of_the_wrong_shape(body: dict[str, Any], where: str) -> None:
    with pytest.raises(ncp.ResponseError, match=re.escape(where)):
        structure(body, _Listing)
