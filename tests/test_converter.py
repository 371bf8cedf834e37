"""The converter: every record quirk; property tests that bad bodies only raise ResponseError."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ncp_media_async as ncp
from ncp_media_async._converter import (
    structure,
    structure_list,
    structure_media_ai_result,
    structure_records,
    structure_statistics,
    to_camel,
)
from ncp_media_async.records import ChannelEvent, EncodingStatus, ImportStatus, Recording

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
        ({"content": [{"percent": 3}]}, "$.content[0]"),
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
    {"status": st.sampled_from(["COMPLETE", "WAITING", "RUNNING", "FAILURE", "CANCELED"]) | text},
    optional={
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
    {"time": st.integers(0, 4_000_000_000)},
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
    assert [r.status for r in records] == [i["status"] for i in items]


@settings(max_examples=100, deadline=None)
@given(st.lists(event_item, max_size=5))
def test_valid_event_bodies_always_structure(items: list[dict[str, Any]]) -> None:
    records, _ = structure_list({"content": items}, ChannelEvent)
    assert [int(r.time.timestamp()) for r in records] == [i["time"] for i in items]


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


# The fast path (generated exact-type hooks) must agree with cattrs' own generated hooks.


def _wire_names(record: type) -> list[str]:
    from ncp_media_async._converter import _wire_name

    return [_wire_name(a) for a in attrs.fields(record) if not a.metadata.get("local")]


record_types = [EncodingStatus, ChannelEvent, Recording, ImportStatus, ncp.StatusStatistics]
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
def test_fast_path_agrees_with_cattrs(record: type, item: dict[str, Any]) -> None:
    from ncp_media_async._converter import _detailed, _fast

    fast = _outcome(lambda i: _fast.structure(i, record), item)
    reference = _outcome(lambda i: _detailed.structure(i, record), item)
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
