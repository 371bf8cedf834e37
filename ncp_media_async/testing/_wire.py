"""Wire-level helpers for the emulator: JSON encoding, the gateway's error body, HTTP dates.

Everything here is pure (no emulator state). The services' own error dialects live with their
stores (``VodStationError``, ``LiveStationError``, ``MediaAiError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from typing import Any, Final

from aiohttp import web

__all__ = [
    "JSON_CONTENT_TYPE",
    "KST",
    "LIVE_STATION_CODES",
    "dumps",
    "gateway_error",
    "http_date",
    "is_decimal",
    "json_response",
    "kst_iso",
]

#: Live Station error codes and messages, from the Live Station API document (``{0}`` is a
#: placeholder the service fills in).
LIVE_STATION_CODES: Final[Mapping[str, str]] = {
    "250000": "Unexpected error occurred.",
    "250001": "{0}",
    "250002": "{0}: invalid value.",
    "250003": "Missing required header.",
    "250004": "{0} not found.",
    "250005": "{0} not available.",
    "250006": "Unauthorized {0}.",
    "250007": "{0} connection failed.",
    "250008": "Request failed.",
    "250009": "Third-party interface exception: {0}.",
    "250010": "We cannot accomplish the task as permissions are not granted for the sub account.",
    "250011": "{0} must has a valid value",
    "250012": "Invalid request data,please check",
    "250013": "OK",
    "250014": "Form validation failed",
    "250015": "Access denied",
    "250016": "Server error",
    "250017": "Unauthorized",
    "250018": "Bad Request",
    "250019": "The Region {0} not support now.",
    "250020": "Invalid region code {0}.",
    "250021": "Invalid parameter type.{0} can not convert to type {1}.",
    "250022": "The url that you specified is not invalid format.",
    "250100": "Channel is not found",
    "250101": "This channel is not publishing now",
    "250102": "This channel is publishing",
    "250103": "This channel has never been published.",
    "250104": "Channel names can be entered with a minimum of 3 characters and a maximum of 20.",
    "250105": "Start publish failed",
    "250106": "Stop publish failed",
    "250107": "This channel's CDN is not running",
    "250108": "CDN secure token cannot set",
    "250109": "If CDN status is creating or changing, channel cannot be deleted.",
    "250110": "Cannot create channel, reason: {0}",
    "250111": "Wrong notification type",
    "250112": "Cannot configure Notification",
    "250113": "In order to return channel, CDN must be returned first.",
    "250114": "Channel can be deleted only in 'READY' state.",
    "250115": "The channel didn't set DVR",
    "250116": 'The request did not include the required "QualitySet"',
    "250118": 'The request did not include the required "CDN_TYPE"',
    "250119": "The cdnInstanceNo is needed when createCdn is false.",
    "250120": 'The cdn type that you specified is not allowed: only "CDN_PLUS", "GCDN".',
    "250121": "The request channel did not set useDvr.",
    "250122": "The timemachineMin should be 360.",
    "250123": "The specified channel Id does not exist.",
    "250124": 'You can get url only cdn status is "RUNNING"',
    "250125": 'You can get url only channel status is "READY"',
    "250126": "The number of professional type can not exceed 5",
    "250127": "The plan type that you specified is not allowed.",
    "250128": "The number of standard plan type can not exceed 3",
    "250129": "The input of rtmp url that you specified is not allowed",
    "250130": "The restream targetName value that you specified is not allowed",
    "250131": "The channel value that you specified is not allowed.",
    "250133": "The request channel did not set useDvr",
    "250134": 'The request channel status is no "PUBLISHING"',
    "250135": "The request does not allowed : the recording has been start already",
    "250136": "The request does not allowed : the recording has been start already",
    "250137": 'The request does not allowed : the recording status is not "TRUE"',
    "250138": "The param timemacineMin is needed when useDvr is true.",
    "250139": "The param immediateOnair should be false when useDvr is false.",
    "250140": "Cdn status should be running when create channel.",
    "250141": "You can get time machine url only recording status is TRUE.",
    "250142": "ChannelName should not be null.",
    "250143": 'The request did not include the required "stream key".',
    "250300": "Quality is not found.",
    "250301": "The qualitySetId that you specified not found.",
    "250302": "Quality set must have only one 1080p quality.",
    "250303": "Delete system quality profile is not allowed.",
    "250304": "Invalid user info.",
    "250305": "System resource cannot update",
    "250306": "Resource is in use",
    "250307": "The segment duration value that you specified is not allowd",
    "250309": "The segment count value that you specified is not allowed",
    "250311": "Delete system quality set is not allowed.",
    "250312": "Only Alphabets, Numbers and Hypen are allowed (3 to 20 characters).",
    "250313": "quality size error (min:1, max:4)",
    "250314": "Video codec must have a value",
    "250315": "Video codec profile must have a value",
    "250316": "Video codec profile level must have a value",
    "250321": "Video bitrate must be greater than or equal to 1",
    "250322": "Video bitrate must be less than or equal to 20000000",
    "250323": "Video B frames must be greater than or equal to 0",
    "250324": "Video B frames must be less than or equal to 4",
    "250325": "Audio codec must have a value",
    "250327": "Audio sampling rate must have a value",
    "250328": "Audio channels must have a value",
    "250333": "{0} Profile only when AAC",
    "250334": "bFrames only 0 is available if resolution less than 409920(854*480)",
    "250335": "bFrames only 0,1,2 are available if resolution less than 921600 (1280*720)",
    "250336": "Video frame rate must be greater than or equal to 1",
    "250337": "Video frame rate be less than or equal to 60",
    "250338": "Audio channels must be greater than or equal to 0",
    "250339": "Audio channels must be less than or equal to 8",
    "250341": "Only profile 'BASELINE' available for resolution less than 921600 (1280*720)",
    "250342": "Only even integer are available for video width and height",
    "250343": "Interval must bigger than 0",
    "250344": "Must input key",
    "250345": "Must input header",
    "250348": 'The request did not set content-type to "application/json"',
    "250351": 'The timedmeta that you specified is not allowed: only integer "1000".',
    "250353": 'The audio codec that you specified is not allowed: only "AAC", "MP3".',
    "250354": "The profile value of audio codec is not allowed: only profile LC is supported.",
    "250355": "The audio channel value is not allowed: only [0, 1,2,3,4,5,6,7,8]",
    "250356": "The audio channel value is not allowed: only [0, 1, 2]",
    "250357": "The audio bitrate value is not allowed: integer between 16 and 320.",
    "250358": "The audio sampling rate is not allowed for AAC.",
    "250359": "The audio sampling rate is not allowed for MP3.",
    "250360": 'The video codec that you specified is not allowed: only "H264".',
    "250361": "The profile of video codec is not allowed: only [BASELINE, MAIN, HIGH].",
    "250362": "The orientation of video is not allowed: only [FIX].",
    "250363": "The profile level of video is not allowed. only [0] is supported",
    "250364": "The reference frames of video is not allowed, only [1] is supported.",
    "250365": "The video bitrate value is not allowed: an integer greater than 0",
    "250366": "The width of video is not allowed: integer between 128 and 1920.",
    "250367": "The height of video is not allowed: integer between 96 and 1920.",
    "250368": "The frame rate of video is not allowed: [10, 15, 23.97, 24, 29.97, 30, 50, 60].",
    "250370": "The rate control of video is not allowed: only [VBR, CBR].",
    "250372": 'The request did not include the required "video" object',
    "250373": 'The request did not include the required "audio " object',
    "250374": "Delete system quality profile is not allowed.",
    "250375": 'The request did not include the required "timedMetadata" object.',
    "250376": 'The timedmeta that you specified of key is not allowed: only "utc".',
    "250377": 'The request did not include the required "enableHlsTimedMeta"',
    "250378": 'The request do not include the required "audio bitrate"',
    "250500": "Record filename is not valid : {0}",
    "250501": "Record filename is not found : {0}",
    "250502": "Record file upload error",
    "250504": "Can not delete Record file: {0}",
    "250505": "Can't get objectStorage's access oAuth",
    "250506": "ChannelId param should not be null when get record list.",
    "250507": "Record status should be TRANSFER_READY or TRANSFER_FAIL when upload.",
    "250600": "Number must bigger than or equal to 1",
    "250700": "The record id has been requested already.",
    "250701": "The record id that you request upload does not exist.",
    "250702": "The record id does not exist.",
    "250703": "The input bucket name that you specified is not allowed.",
    "250704": "The output bucket name that you specified is not allowed.",
    "250705": "The input bucket name doesn't exist.",
}


JSON_CONTENT_TYPE: Final = "application/json;charset=utf-8"
"""The ``Content-Type`` NCP's gateways send (no space before ``charset``)."""

KST: Final = timezone(timedelta(hours=9), "KST")
"""Korea Standard Time, the offset VOD Station writes into ``lastWorkTime`` (``+0900``)."""


def _dumps_stdlib(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _load_dumps() -> Callable[[Any], bytes]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is an optional extra
        return _dumps_stdlib

    option = orjson.OPT_NON_STR_KEYS

    def _dumps_orjson(obj: Any) -> bytes:
        return orjson.dumps(obj, option=option)

    return _dumps_orjson


dumps: Final = _load_dumps()
"""Serialize a JSON value to compact UTF-8 bytes (orjson when installed, else :mod:`json`)."""


def is_decimal(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits (``str.isdigit`` alone accepts ``"١٢"``)."""
    return text.isascii() and text.isdigit()


def http_date(epoch_seconds: float) -> str:
    """Format epoch *seconds* as an RFC 7231 IMF-fixdate (``Wed, 12 Sep 2018 09:53:32 GMT``)."""
    return formatdate(epoch_seconds, usegmt=True)


def kst_iso(epoch_ms: int) -> str:
    """Format epoch *milliseconds* the way VOD Station writes ``lastWorkTime``.

    The service sends whole seconds with a ``+0900`` offset and no colon in it, e.g.
    ``"2025-08-19T17:08:03+0900"``.
    """
    return datetime.fromtimestamp(epoch_ms / 1000, tz=KST).strftime("%Y-%m-%dT%H:%M:%S%z")


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with NCP's exact ``Content-Type``."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE}
    if headers:
        all_headers.update(headers)
    return web.Response(body=dumps(obj), status=status, headers=all_headers)


def gateway_error(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    """The API Gateway's body: ``{"error": {"errorCode": "200", "message": ..., "details": ...}}``.

    The gateway sends ``errorCode`` as a *string*; ``details`` is omitted when ``None``.
    """
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}
