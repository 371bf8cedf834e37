"""VOD Station records and callbacks from the documents' own examples (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import ncp_media_async as ncp
from ncp_media_async._converter import structure, structure_content, structure_list
from ncp_media_async.vod_station import parse_callback

# -- callbacks: every example of the fact sheet (api-facts/vod-station.md, section 6) ----------

WAITING = (
    '{"categoryId": 13814, "categoryName": "VOD-Callback", "fileId": 1163694, "filePath": "",'
    ' "encodingOptionId": 2, "outputType": "AVC_SD_1Pass_30fps_1", "status": "WAITING"}'
)
RUNNING = (
    '{"categoryId": 13814, "categoryName": "VOD-Callback", "fileId": 1163694,'
    ' "filePath": "/VOD-Callback/VODStation_AVC_HD_1Pass_30fps.mp4", "encodingOptionId": 3,'
    ' "outputType": "AVC_HD_1Pass_30fps", "status": "RUNNING"}'
)
COMPLETE = (
    '{"categoryId": 13814, "categoryName": "VOD-Callback", "fileId": 1163694,'
    ' "filePath": "/VOD-Callback/VODStation_AVC_HD_1Pass_30fps.mp4", "encodingOptionId": 3,'
    ' "outputType": "AVC_HD_1Pass_30fps",'
    ' "link": "https://kr.object.ncloudstorage.com/station-000/VOD-Callback/'
    'VODStation_AVC_HD_1Pass_30fps.mp4", "status": "COMPLETE"}'
)
OLD_DOC = (
    '{"categoryId":10268,"categoryName":"callback-test","encodingOptionId":3,"fileId":10808,'
    '"filePath":"/.../Guide720_AVC_HD_1Pass_30fps.mp4","outputType":"AVC_HD_1Pass_30fps",'
    '"status":"RUNNING"}'
)
CHANNEL_READY = (
    '{"id": "vs-20260414133728-*******", "name": "ch-callback", "channelStatus": "READY"}'
)
CHANNEL_STOPPED = (
    '{"id": "vs-20260414133728-*******", "name": "ch-callback", "channelStatus": "STOPPED"}'
)
CHANNEL_TERMINATED = (
    '{"id": "vs-20260414133728-*******", "name": "ch-callback", "channelStatus": "TERMINATED"}'
)


def test_waiting_callback_has_an_empty_file_path_and_no_link() -> None:
    cb = parse_callback(WAITING)
    assert cb == ncp.EncodingCallback(
        file_id=1163694, encoding_option_id=2, status=ncp.EncodingState.WAITING,
        category_id=13814, category_name="VOD-Callback", file_path="",
        output_type="AVC_SD_1Pass_30fps_1", link=None,
    )  # fmt: skip
    assert not cb.terminal
    assert cb.key == (1163694, 2, "WAITING")


def test_running_and_complete_callbacks() -> None:
    running, complete = parse_callback(RUNNING), parse_callback(COMPLETE.encode())
    assert isinstance(running, ncp.EncodingCallback)
    assert isinstance(complete, ncp.EncodingCallback)
    assert running.file_path == "/VOD-Callback/VODStation_AVC_HD_1Pass_30fps.mp4"
    assert (running.status, running.link, running.terminal) == ("RUNNING", None, False)
    assert complete.status == ncp.EncodingState.COMPLETE and complete.terminal
    assert complete.link == (
        "https://kr.object.ncloudstorage.com/station-000/VOD-Callback/"
        "VODStation_AVC_HD_1Pass_30fps.mp4"
    )
    assert running.key != complete.key  # same output, another state


def test_old_document_callback_and_ids_as_text() -> None:
    old = parse_callback(OLD_DOC)
    assert isinstance(old, ncp.EncodingCallback)
    assert (old.category_id, old.file_id, old.encoding_option_id) == (10268, 10808, 3)
    as_text = json.loads(OLD_DOC) | {"categoryId": "10268", "fileId": "10808"}
    assert parse_callback(as_text) == old  # the older documents type ids as String


@pytest.mark.parametrize(
    ("body", "status"),
    [(CHANNEL_READY, "READY"), (CHANNEL_STOPPED, "STOPPED"), (CHANNEL_TERMINATED, "TERMINATED")],
)
def test_channel_callbacks(body: str, status: str) -> None:
    cb = parse_callback(bytearray(body.encode()))
    assert cb == ncp.ChannelCallback(
        id="vs-20260414133728-*******", name="ch-callback",
        channel_status=ncp.VodChannelStatus(status),
    )  # fmt: skip
    assert cb.channel_status is not None and cb.channel_status.known
    assert cb.key == ("vs-20260414133728-*******", status)


def test_both_spellings_of_the_forced_states() -> None:
    api = parse_callback({"id": "vs-1", "name": "n", "channelStatus": "FORCETERMINATED"})
    callback = parse_callback({"id": "vs-1", "name": "n", "channelStatus": "FORCE_TERMINATED"})
    assert isinstance(api, ncp.ChannelCallback) and isinstance(callback, ncp.ChannelCallback)
    assert api.channel_status == "FORCETERMINATED"  # the raw spelling is kept
    assert api.channel_status is not None and callback.channel_status is not None
    assert api.channel_status.canonical is callback.channel_status.canonical
    assert callback.channel_status.canonical is ncp.VodChannelStatus.FORCE_TERMINATED
    assert ncp.VodChannelStatus.FORCETERMINATING.canonical is ncp.VodChannelStatus.FORCE_TERMINATING
    assert ncp.VodChannelStatus.READY.canonical is ncp.VodChannelStatus.READY
    new = parse_callback({"id": "vs-1", "channelStatus": "MIGRATING"})
    assert isinstance(new, ncp.ChannelCallback) and new.channel_status == "MIGRATING"
    assert new.channel_status is not None and not new.channel_status.known


def test_duplicates_are_told_apart_by_key_only() -> None:
    deliveries = [WAITING, RUNNING, WAITING, COMPLETE, RUNNING, CHANNEL_READY, CHANNEL_READY]
    seen: dict[object, Any] = {}
    for body in deliveries:
        cb = parse_callback(body)
        seen.setdefault(cb.key, cb)
    assert len(seen) == 4
    assert parse_callback(WAITING) == parse_callback(WAITING.encode())


def test_unknown_encoding_state_and_extra_fields_do_not_fail() -> None:
    body = json.loads(COMPLETE) | {"status": "PAUSED", "retryCount": 2, "percent": 40.5}
    cb = parse_callback(body)
    assert isinstance(cb, ncp.EncodingCallback)
    assert cb.status == "PAUSED" and not cb.terminal


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not JSON"),
        ('{"fileId": 1', "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        ("\ud800", "not JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ([{"fileId": 1}], "expected a JSON object, got list"),
        (None, "expected a JSON object, got NoneType"),
        ('"text"', "expected a JSON object, got str"),
        (object(), "expected a JSON object, got object"),
        ({"event": "PUBLISH_START", "channelId": "ls-1"}, "not a VOD Station callback"),
        ("{}", "not a VOD Station callback"),
        ({"event": "PUBLISH"}, "not a VOD Station callback"),
        ({"fileId": "abc", "status": "RUNNING"}, "$.fileId: expected an integer"),
        ({"fileId": 1, "status": 3}, "$.status: expected text"),
        ({"channelStatus": ["READY"]}, "$.channelStatus: expected text"),
        ("[" * 100_000 + "]" * 100_000, "more than a callback can be"),
        ("[" * 20_000 + "]" * 20_000, "not JSON"),
    ],
)
def test_what_is_not_a_callback_is_a_response_error(body: Any, says: str) -> None:
    with pytest.raises(ncp.ResponseError) as info:
        parse_callback(body)
    assert says in str(info.value)
    assert len(str(info.value)) < 600


def test_the_documents_typographic_quotes_are_not_json() -> None:
    typo = '{"id": "vs-20260414133728-*******", "name": “ch-callback”, "channelStatus": "READY"}'
    with pytest.raises(ncp.ResponseError, match="not JSON"):
        parse_callback(typo)


def test_a_large_body_is_refused_before_decoding() -> None:
    body = json.dumps({"fileId": 1, "pad": "x" * 70_000})
    with pytest.raises(ncp.ResponseError, match=r"70,0\d\d bytes, more than a callback"):
        parse_callback(body)
    parse_callback(json.dumps({"fileId": 1, "pad": "x" * 60_000}))  # under 64 KiB: fine


# -- records from the fact sheet's examples ------------------------------------------------------


def test_category_list_example() -> None:
    body = {
        "content": [
            {
                "disabled": False, "id": 13814, "name": "VOD-Callback", "thumbnail": False,
                "notificationUrl": "https://example.com/vod-cb",
                "output": {
                    "bucketName": "station-000", "filePath": "/", "accessControl": "PRIVATE",
                    "thumbnailAccessControl": "PRIVATE", "thumbnailBucketName": "station-000",
                    "thumbnailFilePath": "/",
                },
                "lastWorkStart": 1755590883000, "createTime": 1755500000000,
            }
        ],
        "total": 1,
    }  # fmt: skip
    (category,), total = structure_list(body, ncp.Category)
    assert total == 1
    assert category.id == 13814 and category.notification_url == "https://example.com/vod-cb"
    assert category.output == ncp.OutputSettings(
        bucket_name="station-000", file_path="/", thumbnail_bucket_name="station-000",
        thumbnail_file_path="/", access_control="PRIVATE", thumbnail_access_control="PRIVATE",
    )  # fmt: skip
    assert category.last_work_start == datetime(2025, 8, 19, 8, 8, 3, tzinfo=UTC)  # ms
    assert category.encoding_options is None and category.encoding_option_template_id is None


def test_category_of_the_older_documents() -> None:
    category = structure(
        {"id": "13814", "encodingOptions": ["1", 2, 3], "encodingOptionTemplateId": "2",
         "updateTime": 1755500000},
        ncp.Category,
    )  # fmt: skip
    assert category.id == 13814
    assert category.encoding_options == (1, 2, 3)
    assert category.encoding_option_template_id == 2
    assert category.update_time == datetime(2025, 8, 18, 6, 53, 20, tzinfo=UTC)  # seconds


def test_template_list_example_has_no_total() -> None:
    body = {
        "content": [
            {"id": 1, "name": "Practical content", "encodingOptionIds": [1, 2, 3]},
            {"id": 2, "name": "Business content", "encodingOptionIds": [2, 3, 4]},
            {"id": 3, "name": "Ultra-high-definition content",
             "encodingOptionIds": [10, 11, 12, 13]},
        ]
    }  # fmt: skip
    templates, total = structure_list(body, ncp.EncodingOptionTemplate)
    assert total is None
    assert [t.encoding_option_ids for t in templates] == [(1, 2, 3), (2, 3, 4), (10, 11, 12, 13)]
    with pytest.raises(ncp.ResponseError, match=r"encodingOptionIds: expected an array"):
        structure_list({"content": [{"id": 1, "encodingOptionIds": "1,2"}]},
                       ncp.EncodingOptionTemplate)  # fmt: skip


def test_encoding_option_normal_and_audio() -> None:
    normal = structure(
        {"disabled": False, "id": "3", "encodingOptionType": "NORMAL",
         "name": "AVC_HD_1Pass_30fps", "format": "MP4",
         "video": {"codec": "AVC", "codecOptions": {"profile": "HIGH", "level": "4.1"},
                   "bitrate": 2500, "width": -2, "height": 720, "framerate": 29.97,
                   "maxFramerate": 30, "keyframeInterval": 2, "rateControl": "VBR"},
         "audio": {"codec": "AAC", "channel": 2, "bitrate": 128, "samplingRate": 48000}},
        ncp.EncodingOption,
    )  # fmt: skip
    assert normal.id == 3 and normal.encoding_option_type is ncp.EncodingOptionType.NORMAL
    assert normal.video is not None and normal.video.width == -2  # keep the aspect ratio
    assert normal.video.codec_options == ncp.CodecOptions(profile="HIGH", level="4.1")
    assert normal.video.max_framerate == 30.0 and normal.video.keyframe_interval == 2.0
    assert normal.audio == ncp.AudioSettings(codec="AAC", channel=2, bitrate=128,
                                             sampling_rate=48000)  # fmt: skip
    audio = structure({"id": 13, "encodingOptionType": "AUDIO", "name": "a"}, ncp.EncodingOption)
    assert audio.video is None and audio.encoding_option_type == "AUDIO"
    level = structure({"codecOptions": {"level": 4.1}}, ncp.VideoSettings)
    assert level.codec_options is not None and level.codec_options.level == 4.1  # kept as sent


def test_channel_detail_example_and_time_units() -> None:
    body = {
        "content": {
            "disabled": False, "id": "vs-20250821095732-AbCdEfG", "name": "ch-media-encrypt",
            "channelStatus": "READY", "storageBucketName": "station-000",
            "encryptedBucketName": "aBc123xyz", "segmentDuration": 10,
            "segmentDurationOption": "BASIC", "accessPrivateFiles": False,
            "protocolList": ["HLS", "DASH"], "createTime": 1755737852000,
            "readyTime": 1755737880000, "cdnCreatedTime": 1755737880000,
            "playUrl": "https://example.edge.naverncp.com/[protocol]/aBc123xyz/[path]/"
                       "[video filename]/[manifest]",
            "cdnStatus": "RUNNING", "cdnDomain": "example.edge.naverncp.com",
        }
    }  # fmt: skip
    channel = structure_content(body, ncp.VodChannel)
    assert channel.channel_status is ncp.VodChannelStatus.READY
    assert channel.protocol_list == ("HLS", "DASH")
    assert channel.create_time == datetime(2025, 8, 21, 0, 57, 32, tzinfo=UTC)
    assert channel.cdn_domain == "example.edge.naverncp.com"
    # The start/stop pages give the same times in seconds: the same instants come out.
    seconds = {**body["content"], "createTime": 1755737852, "readyTime": 1755737880}
    again = structure(seconds, ncp.VodChannel)
    assert (again.create_time, again.ready_time) == (channel.create_time, channel.ready_time)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ({"createTime": "soon"}, "$.content.createTime"),
        ({"protocolList": "HLS"}, "$.content.protocolList: expected an array"),
        ({"segmentDuration": "ten"}, "$.content.segmentDuration: expected an integer"),
        ({"disabled": 1}, "$.content.disabled: expected a boolean"),
    ],
)
def test_a_channel_of_the_wrong_shape_is_a_response_error(
    content: dict[str, Any], where: str
) -> None:
    with pytest.raises(ncp.ResponseError, match=f"^unexpected response body: {where}".replace(
        "$", r"\$").replace("[", r"\[")):  # fmt: skip
        structure_content({"content": content}, ncp.VodChannel)


def test_encoding_job_succeeded_and_links() -> None:
    def output(status: str, link: str | None) -> ncp.EncodingStatus:
        return ncp.EncodingStatus(status=ncp.EncodingState(status), link=link)

    job = ncp.EncodingJob(1, 2, "a.mp4")
    assert not job.succeeded and job.links == ()
    done = attrs.evolve(job, outputs=(output("COMPLETE", "u1"), output("COMPLETE", "u2")))
    assert done.succeeded and done.links == ("u1", "u2")
    mixed = attrs.evolve(job, outputs=(output("COMPLETE", "u1"), output("FAILURE", None)))
    assert not mixed.succeeded and mixed.links == ("u1",)
    assert hash(done) != hash(mixed)  # a job can key PollingError.failures
