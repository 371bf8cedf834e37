"""Live Station's store: channels that change state, recording, uploads, callbacks, both zones.

Error dialect: ``{"error": {"errorCode": 250100, "message": "...", "errorName": "EXCEPTION"}}``
with a *number* code and the document's message text (``MESSAGES``,
``LiveStationError``). Every route is served under ``/api/v2`` (public zone, region
``KR``) and ``/api/fin-v2`` (financial zone, region ``FKR``), on the same data; a request must
carry ``x-ncp-region_code`` with a region of its zone: without it the service answers 250003,
with another one 250020. Times are epoch *milliseconds*.

What moves, and what the documents leave open (the store picks one answer; the client must not
depend on it):

* a channel goes ``CREATING`` → ``READY`` after ``creating_seconds``; a broadcaster (a test:
  ``LiveStationStore.start_publishing``) makes it ``PUBLISHING`` and back to ``READY``;
* recording runs only while ``PUBLISHING`` (``startRecord``, or by itself with
  ``immediateOnAir``); it makes one record per format (``record.format`` ``ALL``: MP4 and HLS),
  ``RECORDING``; ``stopRecord`` (or the end of the stream) makes them ``PROCESSING`` for
  ``LiveStationStore.processing_seconds``, then ``TRANSFER_READY`` (``MANUAL_UPLOAD``) or
  ``TRANSFER`` → ``TRANSFER_FINISH`` (``AUTO_UPLOAD``); start and stop answer with the records
  of that recording only;
* an upload makes each record ``TRANSFER`` for ``LiveStationStore.transfer_seconds``, then
  ``LiveStationStore.upload_outcome``; its answer's ``uploadedRecords`` is a map keyed by
  record id (``LiveStationStore.uploaded_records_shape``);
* events (``STREAM_RESERVE``, ``PUBLISH_START``/``END``, ``ONAIR_START``/``END``) are POSTed as
  JSON to the channel's ``callbackEndpoint``, else to ``LiveStationStore.callback_url``,
  else nowhere; any 2xx is delivered, nothing is retried (see ``CallbackDelivery``);
* the channel list is served newest channel first; ``id`` and ``channelName`` match parts of
  the value (case-sensitive).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import aiohttp
import attrs
from aiohttp import web

from ._data import Scenario, generate_recordings
from ._protocol import REGION_HEADER
from ._routes import Route
from ._store import (
    Call,
    CallbackDelivery,
    Gateway,
    ParameterError,
    Rejection,
    Store,
    StoreRoute,
    post_callback,
)
from ._wire import KST, json_response

__all__ = ["MESSAGES", "LiveStationError", "LiveStationStore"]

MESSAGES: Final[Mapping[int, str]] = {
    250000: "Unexpected error occurred.",
    250001: "{0}",
    250002: "{0}: invalid value.",
    250003: "Missing required header.",
    250004: "{0} not found.",
    250005: "{0} not available.",
    250006: "Unauthorized {0}.",
    250007: "{0} connection failed.",
    250008: "Request failed.",
    250009: "Third-party interface exception: {0}.",
    250010: "We cannot accomplish the task as permissions are not granted for the sub account.",
    250011: "{0} must has a valid value",
    250012: "Invalid request data,please check",
    250013: "OK",
    250014: "Form validation failed",
    250015: "Access denied",
    250016: "Server error",
    250017: "Unauthorized",
    250018: "Bad Request",
    250019: "The Region {0} not support now.",
    250020: "Invalid region code {0}.",
    250021: "Invalid parameter type.{0} can not convert to type {1}.",
    250022: "The url that you specified is not invalid format.",
    250100: "Channel is not found",
    250101: "This channel is not publishing now",
    250102: "This channel is publishing",
    250103: "This channel has never been published.",
    250104: "Channel names can be entered with a minimum of 3 characters and a maximum of 20.",
    250105: "Start publish failed",
    250106: "Stop publish failed",
    250107: "This channel's CDN is not running",
    250108: "CDN secure token cannot set",
    250109: "If CDN status is creating or changing, channel cannot be deleted.",
    250110: "Cannot create channel, reason: {0}",
    250111: "Wrong notification type",
    250112: "Cannot configure Notification",
    250113: "In order to return channel, CDN must be returned first.",
    250114: "Channel can be deleted only in 'READY' state.",
    250115: "The channel didn't set DVR",
    250116: 'The request did not include the required "QualitySet"',
    250118: 'The request did not include the required "CDN_TYPE"',
    250119: "The cdnInstanceNo is needed when createCdn is false.",
    250120: 'The cdn type that you specified is not allowed: only "CDN_PLUS", "GCDN".',
    250121: "The request channel did not set useDvr.",
    250122: "The timemachineMin should be 360.",
    250123: "The specified channel Id does not exist.",
    250124: 'You can get url only cdn status is "RUNNING"',
    250125: 'You can get url only channel status is "READY"',
    250126: "The number of professional type can not exceed 5",
    250127: "The plan type that you specified is not allowed.",
    250128: "The number of standard plan type can not exceed 3",
    250129: "The input of rtmp url that you specified is not allowed",
    250130: "The restream targetName value that you specified is not allowed",
    250131: "The channel value that you specified is not allowed.",
    250133: "The request channel did not set useDvr",
    250134: 'The request channel status is no "PUBLISHING"',
    250135: "The request does not allowed : the recording has been start already",
    250136: "The request does not allowed : the recording has been start already",
    250137: 'The request does not allowed : the recording status is not "TRUE"',
    250138: "The param timemacineMin is needed when useDvr is true.",
    250139: "The param immediateOnair should be false when useDvr is false.",
    250140: "Cdn status should be running when create channel.",
    250141: "You can get time machine url only recording status is TRUE.",
    250142: "ChannelName should not be null.",
    250143: 'The request did not include the required "stream key".',
    250300: "Quality is not found.",
    250301: "The qualitySetId that you specified not found.",
    250302: "Quality set must have only one 1080p quality.",
    250303: "Delete system quality profile is not allowed.",
    250304: "Invalid user info.",
    250305: "System resource cannot update",
    250306: "Resource is in use",
    250307: "The segment duration value that you specified is not allowd",
    250309: "The segment count value that you specified is not allowed",
    250311: "Delete system quality set is not allowed.",
    250312: "Only Alphabets, Numbers and Hypen are allowed (3 to 20 characters).",
    250313: "quality size error (min:1, max:4)",
    250314: "Video codec must have a value",
    250315: "Video codec profile must have a value",
    250316: "Video codec profile level must have a value",
    250321: "Video bitrate must be greater than or equal to 1",
    250322: "Video bitrate must be less than or equal to 20000000",
    250323: "Video B frames must be greater than or equal to 0",
    250324: "Video B frames must be less than or equal to 4",
    250325: "Audio codec must have a value",
    250327: "Audio sampling rate must have a value",
    250328: "Audio channels must have a value",
    250333: "{0} Profile only when AAC",
    250334: "bFrames only 0 is available if resolution less than 409920(854*480)",
    250335: "bFrames only 0,1,2 are available if resolution less than 921600 (1280*720)",
    250336: "Video frame rate must be greater than or equal to 1",
    250337: "Video frame rate be less than or equal to 60",
    250338: "Audio channels must be greater than or equal to 0",
    250339: "Audio channels must be less than or equal to 8",
    250341: "Only profile 'BASELINE' available for resolution less than 921600 (1280*720)",
    250342: "Only even integer are available for video width and height",
    250343: "Interval must bigger than 0",
    250344: "Must input key",
    250345: "Must input header",
    250348: 'The request did not set content-type to "application/json"',
    250351: 'The timedmeta that you specified is not allowed: only integer "1000".',
    250353: 'The audio codec that you specified is not allowed: only "AAC", "MP3".',
    250354: "The profile value of audio codec is not allowed: only profile LC is supported.",
    250355: "The audio channel value is not allowed: only [0, 1,2,3,4,5,6,7,8]",
    250356: "The audio channel value is not allowed: only [0, 1, 2]",
    250357: "The audio bitrate value is not allowed: integer between 16 and 320.",
    250358: "The audio sampling rate is not allowed for AAC.",
    250359: "The audio sampling rate is not allowed for MP3.",
    250360: 'The video codec that you specified is not allowed: only "H264".',
    250361: "The profile of video codec is not allowed: only [BASELINE, MAIN, HIGH].",
    250362: "The orientation of video is not allowed: only [FIX].",
    250363: "The profile level of video is not allowed. only [0] is supported",
    250364: "The reference frames of video is not allowed, only [1] is supported.",
    250365: "The video bitrate value is not allowed: an integer greater than 0",
    250366: "The width of video is not allowed: integer between 128 and 1920.",
    250367: "The height of video is not allowed: integer between 96 and 1920.",
    250368: "The frame rate of video is not allowed: [10, 15, 23.97, 24, 29.97, 30, 50, 60].",
    250370: "The rate control of video is not allowed: only [VBR, CBR].",
    250372: 'The request did not include the required "video" object',
    250373: 'The request did not include the required "audio " object',
    250374: "Delete system quality profile is not allowed.",
    250375: 'The request did not include the required "timedMetadata" object.',
    250376: 'The timedmeta that you specified of key is not allowed: only "utc".',
    250377: 'The request did not include the required "enableHlsTimedMeta"',
    250378: 'The request do not include the required "audio bitrate"',
    250500: "Record filename is not valid : {0}",
    250501: "Record filename is not found : {0}",
    250502: "Record file upload error",
    250504: "Can not delete Record file: {0}",
    250505: "Can't get objectStorage's access oAuth",
    250506: "ChannelId param should not be null when get record list.",
    250507: "Record status should be TRANSFER_READY or TRANSFER_FAIL when upload.",
    250600: "Number must bigger than or equal to 1",
    250700: "The record id has been requested already.",
    250701: "The record id that you request upload does not exist.",
    250702: "The record id does not exist.",
    250703: "The input bucket name that you specified is not allowed.",
    250704: "The output bucket name that you specified is not allowed.",
    250705: "The input bucket name doesn't exist.",
}
"""Live Station's error codes and messages, from the Live Station API document (``{0}`` and
``{1}`` are placeholders the service fills in; some long texts are shortened)."""


# -------------------------------------------------------------------------------- vocabulary

#: API roots of the two zones the store serves, and the region each one expects by default.
PUBLIC_PREFIX: Final = "/api/v2"
FIN_PREFIX: Final = "/api/fin-v2"

CHANNEL_STATUSES: Final = frozenset(
    {"CREATING", "READY", "PUBLISHING", "BLOCK", "FORCE_BLOCK", "DELETED", "FORCE_DELETED"}
)
"""``channelStatus`` filter values the channel list documents (it accepts these only;
``RESERVED``, a state of VOD-to-live channels, is not among them)."""

SERVICE_URL_TYPES: Final = ("GENERAL", "TIMEMACHINE", "THUMBNAIL")
"""``serviceUrlType`` values."""

_BUCKET_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_CALLBACK_URL: Final = re.compile(r"https?://[^\s/?#]+(?:[/?][^\s#]*)?")
_DAY_MS: Final = 86_400_000
_ALNUM: Final = string.ascii_letters + string.digits
#: Qualities of the playback URLs and of the records (name, resolution, video bit rate).
_QUALITIES: Final = (("720p-16-9", "1280x720", 2_500_000), ("480p-16-9", "854x480", 1_200_000))


def _records_of(record_format: str) -> tuple[str, ...]:
    """The record types one recording makes for a ``record.format``."""
    return {"MP4": ("MP4",), "HLS": ("HLS",)}.get(record_format, ("MP4", "HLS"))


# ------------------------------------------------------------------------------------ state


@attrs.define
class _Record:
    """A record: its fields, and changes that take effect at given times (epoch ms)."""

    fields: dict[str, Any]
    changes: list[tuple[int, dict[str, Any]]] = attrs.field(factory=list)

    def render(self, now_ms: int) -> dict[str, Any]:
        body = dict(self.fields)
        for at_ms, change in self.changes:
            if at_ms <= now_ms:
                body.update(change)
        return body

    def status(self, now_ms: int) -> str | None:
        status = self.render(now_ms).get("status")
        return status if isinstance(status, str) else None

    def change(self, now_ms: int, *steps: tuple[int, dict[str, Any]]) -> None:
        """What was due by ``now_ms`` becomes the fields; planned changes are replaced by
        ``steps``."""
        self.fields = self.render(now_ms)
        self.changes = list(steps)


@attrs.define
class _Channel:
    """A channel: its fixed fields (channel JSON in current spelling), its state, its records."""

    fields: dict[str, Any]
    status: str
    ready_at_ms: int | None = None  # CREATING until then
    recording: bool = False
    current: list[str] = attrs.field(factory=list)  # record ids of the recording running
    published_ms: int = 0  # publishing time of the streams that ended
    publish_started_ms: int | None = None
    stream_seq: int = 0
    record_seq: int = 0
    records: dict[str, _Record] = attrs.field(factory=dict)
    records_total: int | None = None
    events: list[dict[str, Any]] = attrs.field(factory=list)

    def status_at(self, now_ms: int) -> str:
        ready_at = self.ready_at_ms
        if self.status == "CREATING" and ready_at is not None and now_ms >= ready_at:
            self.status, self.ready_at_ms = "READY", None
        return self.status


class LiveStationError(Rejection):
    """Live Station's error body, with the document's message for ``code``.

    ``LiveStationError(250020, "JP")`` is HTTP 400 ``{"error": {"errorCode": 250020, "message":
    "Invalid region code JP.", "errorName": "EXCEPTION"}}``: the ``{0}`` placeholders are filled
    with ``fill``. Unlike the gateway and VOD Station, Live Station sends ``errorCode`` as a
    *number*; the service sends most of its codes, "not found" included, with HTTP 400.
    """

    def __init__(self, code: int, *fill: object, status: int = 400) -> None:
        message = MESSAGES[code].format(*fill)
        super().__init__(
            status, {"error": {"errorCode": code, "message": message, "errorName": "EXCEPTION"}}
        )


class LiveStationStore(Store):
    """Live Station behind the gateway (``emulator.live_station``).

    Settings (mutable attributes):

    * ``regions`` (``{"KR"}``) and ``fin_regions`` (``{"FKR"}``): the ``x-ncp-region_code``
      values accepted under ``/api/v2`` and ``/api/fin-v2``;
    * ``callback_url``: where events go for channels without a ``callbackEndpoint`` of their
      own (``None``: nowhere; ``POST /api/v2/events/callbackEndpoint`` sets it too);
      ``callback_timeout``: *seconds* a delivery may take;
    * ``processing_seconds`` (30) and ``transfer_seconds`` (10): how long, in *seconds* of the
      emulator's clock, a stopped recording is ``PROCESSING`` and an upload ``TRANSFER``;
      ``upload_outcome``: what an upload ends in (``TRANSFER_FINISH``, or ``TRANSFER_FAIL``);
    * ``buckets``: the Object Storage buckets that exist (``None``: every well-formed name);
    * ``uploaded_records_shape``: how an upload's answer lists the records, ``"map"`` keyed by
      record id (the default), ``"list"`` or ``"object"`` (the first record alone): the
      document calls it an object and says no more;
    * ``old_spellings``: answer as the older pages show (``channelStatus`` ``PUBLISH``,
      ``useDvr``, ``instanceNo`` as text, callbacks with every field as text);
    * ``max_page_size`` (100, as the channel list documents) and ``page_size_cap`` (see
      ``Store``).

    Tests play the broadcaster with ``start_publishing`` and ``stop_publishing``, and
    wait for callbacks with ``drain_callbacks``; ``deliveries`` lists them.
    """

    region_header = True

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway, max_page_size=100)
        self.regions: set[str] = {"KR"}
        self.fin_regions: set[str] = {"FKR"}
        self.callback_url: str | None = None
        self.callback_timeout = 5.0
        self.processing_seconds = 30.0
        self.transfer_seconds = 10.0
        self.upload_outcome = "TRANSFER_FINISH"
        self.buckets: set[str] | None = None
        self.uploaded_records_shape = "map"
        self.old_spellings = False
        #: Every callback POSTed (or tried), in the order they ended.
        self.deliveries: list[CallbackDelivery] = []
        self._channels: dict[str, _Channel] = {}
        self._event_ids = itertools.count(1)
        self._sending: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"LiveStationStore(channels={len(self._channels)})"

    def routes(self) -> Sequence[StoreRoute]:
        """``GET /channels``, ``GET /channels/{channelId}``, ``GET .../serviceUrls``,
        ``PUT .../startRecord``, ``PUT .../stopRecord``, ``GET .../records``,
        ``POST /buckets/{bucketName}/upload``, ``GET``/``POST /events/callbackEndpoint``: each
        under ``/api/v2`` and ``/api/fin-v2``."""
        routes = (
            ("GET", "/channels", Route.LIVE_CHANNELS, self._list_channels, False),
            ("GET", "/channels/{channelId}", Route.LIVE_CHANNEL, self._get_channel, False),
            (
                "GET",
                "/channels/{channelId}/serviceUrls",
                Route.SERVICE_URLS,
                self._service_urls,
                False,
            ),
            ("PUT", "/channels/{channelId}/startRecord", Route.START_RECORD, self._start, False),
            ("PUT", "/channels/{channelId}/stopRecord", Route.STOP_RECORD, self._stop, False),
            ("GET", "/channels/{channelId}/records", Route.RECORDS, self._records_handler, False),
            ("POST", "/buckets/{bucketName}/upload", Route.UPLOAD_RECORDS, self._upload, True),
            (
                "GET",
                "/events/callbackEndpoint",
                Route.CALLBACK_ENDPOINT,
                self._callback_endpoint,
                False,
            ),
            (
                "POST",
                "/events/callbackEndpoint",
                Route.SET_CALLBACK_ENDPOINT,
                self._set_callback_endpoint,
                True,
            ),
        )
        return tuple(
            StoreRoute(method, prefix + path, name, handler, json_body)
            for prefix in (PUBLIC_PREFIX, FIN_PREFIX)
            for method, path, name, handler, json_body in routes
        )

    # ------------------------------------------------------------------------ error dialect

    def admit(self, call: Call) -> None:
        """250003 without ``x-ncp-region_code``, 250020 for a region not of the zone's
        (``regions`` under ``/api/v2``, ``fin_regions`` under ``/api/fin-v2``)."""
        region = call.headers.get(REGION_HEADER)
        if not region:
            raise LiveStationError(250003)
        fin = call.request.path.startswith(FIN_PREFIX + "/")
        if region not in (self.fin_regions if fin else self.regions):
            raise LiveStationError(250020, region)

    def bad_body(self, detail: str) -> Rejection:
        """400 250012 (invalid request data; the service says no more than that)."""
        return LiveStationError(250012)

    def bad_parameter(self, error: ParameterError) -> Rejection:
        """400 250600 for a number below 1, else 250002 (``{name}: invalid value.``)."""
        if error.too_small:
            return LiveStationError(250600)
        return LiveStationError(250002, error.name)

    async def close(self) -> None:
        """Cancel the callback deliveries in flight (and wait for them to stop)."""
        tasks = list(self._sending)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----------------------------------------------------------------------- data: loading

    def load(self, scenario: Scenario, *, anchor_ms: int, now_ms: int) -> None:
        """Add the scenario's channels and their record maps.

        The first channel is ``PUBLISHING`` (recording if its latest records are
        ``RECORDING``), the others ``READY``; settings, stream keys and names are seeded. Records
        of recordings that ended and are still being processed become ``TRANSFER_READY``
        ``processing_seconds`` after loading.
        """
        rng = random.Random(f"{scenario.seed}:live-channels")
        for index, (channel_id, records) in enumerate(
            generate_recordings(scenario, anchor_ms).items()
        ):
            publishing = index == 0
            channel = _Channel(
                fields=_seeded_fields(channel_id, index, rng, anchor_ms),
                status="PUBLISHING" if publishing else "READY",
                stream_seq=max((int(r["streamSeq"]) for r in records.values()), default=0),
            )
            if publishing:
                channel.publish_started_ms = anchor_ms - 600_000
                channel.current = [k for k, r in records.items() if r["status"] == "RECORDING"]
                channel.recording = bool(channel.current)
            processed = now_ms + int(self.processing_seconds * 1000)
            for key, raw in records.items():
                record = channel.records[key] = _Record(dict(raw))
                if key in channel.current:
                    continue
                if raw["status"] in ("RECORDING", "PROCESSING"):  # a recording that ended
                    record.change(now_ms, (now_ms, {"status": "PROCESSING"}),
                                  (processed, {"status": "TRANSFER_READY"}))  # fmt: skip
            self._channels[channel_id] = channel

    def clear(self) -> None:
        """Remove every channel (the deliveries list stays)."""
        self._channels.clear()

    def info(self) -> dict[str, Any]:
        """``live_channels`` (ids)."""
        return {"live_channels": self.channel_ids}

    # ---------------------------------------------------------------------- data: channels

    @property
    def channel_ids(self) -> list[str]:
        """The channels' ids, oldest first."""
        return list(self._channels)

    def add_channel(
        self,
        channel_id: str | None = None,
        *,
        name: str = "channel000",
        status: str = "READY",
        creating_seconds: float = 0.0,
        record_type: str = "MANUAL_UPLOAD",
        record_format: str = "ALL",
        use_dvr: bool = True,
        immediate_on_air: bool = False,
        cdn_status: str = "RUNNING",
        stream_key: str | None = None,
        backup_stream_key: str | None = None,
        callback_endpoint: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a channel and return its id (``ls-<now>-XXXXX`` unless given).

        With ``creating_seconds`` > 0 it is ``CREATING`` that long (*seconds* of the emulator's
        clock), then ``READY``; else it starts in ``status``. ``record_type`` and
        ``record_format`` are its ``record`` settings (an ``AUTO_UPLOAD`` channel uploads to
        bucket ``live-bucket``); ``use_dvr`` enables the time machine; ``immediate_on_air``
        records as soon as it publishes; ``cdn_status`` is its CDN's ``statusName``; stream
        keys are random unless given (a backup key makes it a fail-over channel).
        ``callback_endpoint`` receives its events. ``fields`` overrides or adds raw fields of
        the channel's JSON (current spelling). A ``STREAM_RESERVE`` event is sent.
        """
        now = self.gateway.now_ms()
        rng = random.Random(f"{channel_id}:{now}:{len(self._channels)}")
        if channel_id is None:
            channel_id = _channel_id(now, rng)
        if channel_id in self._channels:
            raise ValueError(f"channel {channel_id} exists")
        base = _channel_fields(channel_id, name, rng, now)
        base["record"] = {"type": record_type, "format": record_format}
        if record_type == "AUTO_UPLOAD":
            base["record"].update(
                bucketName="live-bucket", filePath="/live", accessControl="PRIVATE"
            )
        base.update(useDVR=use_dvr, immediateOnAir=immediate_on_air)
        base["cdn"]["statusName"] = cdn_status
        if stream_key is not None:
            base["streamKey"] = stream_key
        if backup_stream_key is not None:
            base.update(isStreamFailOver=True, backupStreamKey=backup_stream_key)
        if callback_endpoint is not None:
            base["callbackEndpoint"] = callback_endpoint
        base.update(fields or {})
        creating = creating_seconds > 0
        channel = _Channel(
            fields=base,
            status="CREATING" if creating else status,
            ready_at_ms=now + int(creating_seconds * 1000) if creating else None,
        )
        self._channels[channel_id] = channel
        self._emit(channel, "STREAM_RESERVE", f"{name} channel has been created.")
        return channel_id

    def channel(self, channel_id: str) -> dict[str, Any]:
        """A channel's JSON as ``GET /api/v2/channels/{channelId}`` serves it now."""
        return self._render(self._channel(channel_id))

    def set_channel_status(self, channel_id: str, status: str) -> None:
        """Put a channel in any state at once (``BLOCK``, ``DELETED``, ...), no event sent."""
        channel = self._channel(channel_id)
        channel.status, channel.ready_at_ms = status, None

    def start_publishing(self, channel_id: str) -> None:
        """A stream starts coming in (the broadcaster's side): ``READY`` → ``PUBLISHING``,
        ``PUBLISH_START``; with ``immediateOnAir`` recording starts too (``ONAIR_START``).
        ``ValueError`` unless the channel is ``READY``."""
        channel = self._channel(channel_id)
        now = self.gateway.now_ms()
        if channel.status_at(now) != "READY":
            raise ValueError(f"channel {channel_id} is {channel.status}, not READY")
        channel.status = "PUBLISHING"
        channel.publish_started_ms = now
        channel.stream_seq += 1
        name = channel.fields.get("channelName")
        self._emit(channel, "PUBLISH_START", f"{name} channel publishing has started.")
        if channel.fields.get("immediateOnAir"):
            self._start_recording(channel, now)

    def stop_publishing(self, channel_id: str) -> None:
        """The stream stops: a recording in progress ends (``ONAIR_END``), then
        ``PUBLISHING`` → ``READY`` and ``PUBLISH_END``. ``ValueError`` unless publishing."""
        channel = self._channel(channel_id)
        now = self.gateway.now_ms()
        if channel.status_at(now) != "PUBLISHING":
            raise ValueError(f"channel {channel_id} is {channel.status}, not PUBLISHING")
        if channel.recording:
            self._stop_recording(channel, now)
        channel.status = "READY"
        if channel.publish_started_ms is not None:
            channel.published_ms += now - channel.publish_started_ms
            channel.publish_started_ms = None
        name = channel.fields.get("channelName")
        self._emit(channel, "PUBLISH_END", f"{name} channel publishing has ended.")

    def events(self, channel_id: str) -> list[dict[str, Any]]:
        """A channel's events, oldest first, as the event lists show them (``eventCode``,
        ``description``, ``timestamp`` in epoch ms)."""
        return [dict(event) for event in self._channel(channel_id).events]

    def remove_channel(self, channel_id: str) -> None:
        """Forget a channel (its routes then answer 400 ``250100``)."""
        self._channels.pop(channel_id, None)

    # -------------------------------------------------------------------- data: recordings

    def set_recordings(
        self, channel_id: str, record_map: Mapping[str, Any], total: int | None = None
    ) -> None:
        """Create or replace a channel's ``recordList`` (raw, keyed by record id, served as
        given); a channel unknown so far is created ``READY``.

        ``total`` is sent as given (the real service's ``total`` need not equal the map's
        size); ``None`` sends the map's size.
        """
        channel = self._channels.get(channel_id)
        if channel is None:
            now = self.gateway.now_ms()
            rng = random.Random(f"{channel_id}:{now}")
            fields = _channel_fields(channel_id, "channel000", rng, now)
            channel = self._channels[channel_id] = _Channel(fields=fields, status="READY")
        channel.records = {str(k): _Record(dict(v)) for k, v in record_map.items()}
        channel.records_total = total
        channel.current = []
        channel.recording = False

    def recordings(self, channel_id: str) -> dict[str, Any]:
        """A channel's record map as served now (keyed by record id)."""
        now = self.gateway.now_ms()
        return {k: r.render(now) for k, r in self._channel(channel_id).records.items()}

    # ------------------------------------------------------------------- data: callbacks

    async def drain_callbacks(self) -> list[CallbackDelivery]:
        """Wait until every callback under way has been delivered (or failed); return
        ``deliveries``."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        return list(self.deliveries)

    # ----------------------------------------------------------------------------- handlers

    def _list_channels(self, call: Call) -> web.StreamResponse:
        """Channels, newest first; ``channelStatus`` exact, ``id``/``channelName`` parts."""
        paging = self.paging(call)
        wanted = call.query.get("channelStatus")
        if wanted is not None and wanted != "" and wanted not in CHANNEL_STATUSES:
            raise LiveStationError(250002, "channelStatus")
        part_id, part_name = call.query.get("id", ""), call.query.get("channelName", "")
        now = self.gateway.now_ms()
        matched = [
            channel
            for channel in reversed(self._channels.values())
            if (not wanted or channel.status_at(now) == wanted)
            and part_id in str(channel.fields.get("channelId", ""))
            and part_name in str(channel.fields.get("channelName", ""))
        ]
        content = [self._render(channel) for channel in paging.take(matched)]
        response = json_response({"content": content, "total": len(matched)})
        self.page_served(call, paging.page_no)
        return response

    def _get_channel(self, call: Call) -> web.StreamResponse:
        """One channel."""
        return json_response({"content": self._render(self._called(call))})

    def _service_urls(self, call: Call) -> web.StreamResponse:
        """Playback URLs: an array, no ``total``."""
        kind = call.query.get("serviceUrlType")
        if not kind:
            raise LiveStationError(250011, "serviceUrlType")
        if kind not in SERVICE_URL_TYPES:
            raise LiveStationError(250002, "serviceUrlType")
        channel = self._called(call)
        status = channel.status_at(self.gateway.now_ms())
        if channel.fields["cdn"].get("statusName") != "RUNNING":
            raise LiveStationError(250124)
        if status not in ("READY", "PUBLISHING"):
            raise LiveStationError(250125)
        if kind == "TIMEMACHINE":
            if not channel.fields.get("useDVR"):
                raise LiveStationError(250121)
            if not channel.recording:
                raise LiveStationError(250141)
        return json_response({"content": _service_urls(channel.fields, kind)})

    def _start(self, call: Call) -> web.StreamResponse:
        """``startRecord``: only while ``PUBLISHING`` and not recording."""
        channel = self._called(call)
        now = self.gateway.now_ms()
        if channel.status_at(now) != "PUBLISHING":
            raise LiveStationError(250134)
        if channel.recording:
            raise LiveStationError(250135)
        return self._record_list(channel, self._start_recording(channel, now), now)

    def _stop(self, call: Call) -> web.StreamResponse:
        """``stopRecord``: only while recording."""
        channel = self._called(call)
        now = self.gateway.now_ms()
        if not channel.recording:
            raise LiveStationError(250137)
        return self._record_list(channel, self._stop_recording(channel, now), now)

    def _records_handler(self, call: Call) -> web.StreamResponse:
        """Records: a map keyed by record id, times in epoch milliseconds."""
        channel = self._called(call)
        now = self.gateway.now_ms()
        record_map = {key: record.render(now) for key, record in channel.records.items()}
        total = channel.records_total
        return json_response(
            {
                "content": {"recordList": record_map},
                "total": len(record_map) if total is None else total,
            }
        )

    def _upload(self, call: Call) -> web.StreamResponse:
        """Upload records to a bucket: every check before anything changes."""
        bucket = call.params["bucketName"]
        body = call.body if isinstance(call.body, dict) else {}
        ids = body.get("recordIds")
        if not isinstance(ids, list) or not ids:
            raise LiveStationError(250011, "recordIds")
        if not all(type(i) is int for i in ids):
            raise LiveStationError(250021, "recordIds", "Integer[]")
        access = body.get("accessControl", "PRIVATE")
        if access not in ("PRIVATE", "PUBLIC_READ"):
            raise LiveStationError(250002, "accessControl")
        if _BUCKET_NAME.fullmatch(bucket) is None:
            raise LiveStationError(250703)
        if self.buckets is not None and bucket not in self.buckets:
            raise LiveStationError(250705)
        now = self.gateway.now_ms()
        found: dict[str, _Record] = {}
        for record_id in map(str, ids):
            record = next(
                (c.records[record_id] for c in self._channels.values() if record_id in c.records),
                None,
            )
            if record is None:
                raise LiveStationError(250701)
            status = record.status(now)
            if status in ("TRANSFER", "TRANSFER_FINISH"):
                raise LiveStationError(250700)
            if status not in ("TRANSFER_READY", "TRANSFER_FAIL"):
                raise LiveStationError(250507)
            found[record_id] = record
        done_at = now + int(self.transfer_seconds * 1000)
        uploaded = {}
        for record_id, record in found.items():
            path = record.render(now).get("uploadPath", "")
            final: dict[str, Any] = {"status": self.upload_outcome}
            if self.upload_outcome == "TRANSFER_FINISH":
                final["objectStorageUrl"] = f"https://kr.object.ncloudstorage.com/{bucket}/{path}"
            record.change(now, (now, {"status": "TRANSFER"}), (done_at, final))
            fields = record.render(now)
            uploaded[record_id] = {
                "recordFileName": fields.get("fileName"),
                "recordType": fields.get("recordType"),
                "status": fields.get("status"),
                "uploadPath": fields.get("uploadPath"),
                "objectStorageUrl": fields.get("objectStorageUrl", "-"),
            }
        shaped: Any = uploaded
        if self.uploaded_records_shape == "list":
            shaped = list(uploaded.values())
        elif self.uploaded_records_shape == "object":
            shaped = next(iter(uploaded.values()))
        content = {"bucketName": bucket, "accessControl": access, "uploadedRecords": shaped}
        return json_response({"content": content})

    def _callback_endpoint(self, call: Call) -> web.StreamResponse:
        """The default callback URL (``null`` when none is set)."""
        return json_response({"content": {"callbackUrl": self.callback_url}})

    def _set_callback_endpoint(self, call: Call) -> web.StreamResponse:
        """Set the default callback URL: ``{"callbackUrl": "https://..."}``."""
        body = call.body if isinstance(call.body, dict) else {}
        url = body.get("callbackUrl")
        if not isinstance(url, str) or not url:
            raise LiveStationError(250011, "callbackUrl")
        if _CALLBACK_URL.fullmatch(url) is None:
            raise LiveStationError(250022)
        self.callback_url = url
        now = self.gateway.now_ms()
        return json_response({"content": {"callbackUrl": url, "updateTime": now}})

    # ------------------------------------------------------------------------------ helpers

    def _channel(self, channel_id: str) -> _Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"no Live Station channel {channel_id!r}")
        return channel

    def _called(self, call: Call) -> _Channel:
        """The channel a request names, or 250100."""
        channel = self._channels.get(call.params["channelId"])
        if channel is None:
            raise LiveStationError(250100)
        return channel

    def _render(self, channel: _Channel) -> dict[str, Any]:
        """The channel's JSON now, in the current spelling or the old one."""
        now = self.gateway.now_ms()
        status = channel.status_at(now)
        published = channel.published_ms
        if channel.publish_started_ms is not None and status == "PUBLISHING":
            published += now - channel.publish_started_ms
        body = dict(channel.fields)
        body.update(
            channelStatus=status,
            isRecording=channel.recording,
            recentPublishStartTime=channel.publish_started_ms,
            totalPublishSeconds=published // 1000,
        )
        if self.old_spellings:
            body["channelStatus"] = "PUBLISH" if status == "PUBLISHING" else status
            body["useDvr"] = body.pop("useDVR", None)
            body["instanceNo"] = str(body.get("instanceNo"))
        return body

    def _record_list(
        self, channel: _Channel, record_ids: Iterable[str], now: int
    ) -> web.StreamResponse:
        records = {key: channel.records[key].render(now) for key in record_ids}
        return json_response({"content": {"recordList": records}})

    def _start_recording(self, channel: _Channel, now: int) -> list[str]:
        """New records (``RECORDING``), one per format; ``ONAIR_START``."""
        fields = channel.fields
        record = fields.get("record") or {}
        channel_id = str(fields.get("channelId"))
        channel.record_seq += 1
        stamp = _kst_minute(now)
        next_id = 1 + max(
            (int(k) for c in self._channels.values() for k in c.records if k.isdigit()),
            default=1000,
        )
        quality, resolution, bitrate = _QUALITIES[0]
        new: list[str] = []
        for offset, record_type in enumerate(_records_of(str(record.get("format")))):
            seqs = f"{channel.stream_seq}-{channel.record_seq}"
            if record_type == "MP4":
                file_name = f"{seqs}-{stamp}.mp4"
                upload_path = f"live-station/record/{channel_id}/{file_name}"
            else:
                file_name = f"{quality}/playlist.m3u8"
                upload_path = f"live-station/record/{channel_id}/{quality}/{channel.record_seq}"
            body: dict[str, Any] = {
                "recordType": record_type,
                "channelId": channel_id,
                "status": "RECORDING",
                "recordSeq": channel.record_seq,
                "streamSeq": channel.stream_seq,
                "recordBeginTime": now,
                "createdTime": now,
                "shouldDeleteTime": now + 7 * _DAY_MS,
                "resolution": resolution,
                "fileName": file_name,
                "videoBitrate": bitrate,
                "audioBitrate": 128_000,
                "videoFrameRate": 30.0,
                "uploadPath": upload_path,
                "objectStorageUrl": "-",
            }
            if record_type == "MP4":
                body["audioCodec"] = "aac"
            key = str(next_id + offset)
            channel.records[key] = _Record(body)
            new.append(key)
        channel.recording = True
        channel.current = new
        self._emit(channel, "ONAIR_START", f"{fields.get('channelName')} recording has started.")
        return new

    def _stop_recording(self, channel: _Channel, now: int) -> list[str]:
        """The running recording's records: ``PROCESSING``, then on to their upload path;
        ``ONAIR_END``."""
        fields = channel.fields
        record = fields.get("record") or {}
        processed = now + int(self.processing_seconds * 1000)
        auto = record.get("type") == "AUTO_UPLOAD"
        stopped = channel.current
        for key in stopped:
            rec = channel.records[key]
            begin = rec.render(now).get("recordBeginTime", now)
            change: dict[str, Any] = {"status": "PROCESSING", "createdTime": now}
            if rec.fields.get("recordType") == "MP4":
                change["duration"] = now - int(begin)
            steps: list[tuple[int, dict[str, Any]]] = [(now, change)]
            if auto:
                bucket = record.get("bucketName", "live-bucket")
                url = f"https://kr.object.ncloudstorage.com/{bucket}/{rec.fields.get('uploadPath')}"
                done = processed + int(self.transfer_seconds * 1000)
                steps += [
                    (processed, {"status": "TRANSFER"}),
                    (done, {"status": "TRANSFER_FINISH", "objectStorageUrl": url}),
                ]
            else:
                steps.append((processed, {"status": "TRANSFER_READY"}))
            rec.change(now, *steps)
        channel.recording = False
        channel.current = []
        self._emit(channel, "ONAIR_END", f"{fields.get('channelName')} recording has ended.")
        return stopped

    def _emit(self, channel: _Channel, code: str, description: str) -> None:
        """Record an event and POST it to the channel's callback URL (or the default one)."""
        now = self.gateway.now_ms()
        event_id = next(self._event_ids)
        channel_id = str(channel.fields.get("channelId"))
        channel.events.append(
            {
                "logLevel": "INFO",
                "eventCode": code,
                "description": description,
                "timestamp": now,
                "channelId": channel_id,
            }
        )
        url = channel.fields.get("callbackEndpoint") or self.callback_url
        if not url:
            return
        payload: dict[str, Any] = {
            "id": event_id,
            "logLevel": "INFO",
            "channelId": channel_id,
            "event": code,
            "timestamp": now,
        }
        if self.old_spellings:
            payload = {key: str(value) for key, value in payload.items()}
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.deliveries.append(
                CallbackDelivery(url, payload, error="no running event loop to send it from")
            )
            return
        task = loop.create_task(self._deliver(url, payload))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, url: str, payload: Mapping[str, Any]) -> None:
        """POST one callback as JSON; record how it went (tried once, as the service does)."""
        timeout = aiohttp.ClientTimeout(total=self.callback_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            self.deliveries.append(await post_callback(session, url, payload))


# ------------------------------------------------------------------------------ channel data


def _channel_id(now_ms: int, rng: random.Random) -> str:
    """``ls-yyyyMMddHHmmss-XXXXX`` (creation time in KST)."""
    suffix = "".join(rng.choice(_ALNUM) for _ in range(5))
    return f"ls-{_kst_second(now_ms)}-{suffix}"


def _kst_second(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=KST).strftime("%Y%m%d%H%M%S")


def _kst_minute(epoch_ms: int) -> str:
    return _kst_second(epoch_ms)[:12]


def _channel_fields(
    channel_id: str, name: str, rng: random.Random, created_ms: int
) -> dict[str, Any]:
    """A channel's JSON in the current spelling (state fields are added when it is served)."""
    domain = f"{''.join(rng.choice(string.ascii_lowercase) for _ in range(8))}.edge.naverncp.com"
    return {
        "channelId": channel_id,
        "channelName": name,
        "instanceNo": rng.randrange(10_000_000, 30_000_000),
        "qualitySetId": 1,
        "qualitySetName": "Default",
        "outputProtocol": "HLS",
        "envType": "REAL",
        "useDVR": True,
        "immediateOnAir": False,
        "timemachineMin": 360,
        "record": {"type": "MANUAL_UPLOAD", "format": "ALL"},
        "cdn": {
            "cdnType": "GLOBAL_EDGE",
            "instanceNo": str(rng.randrange(1_000, 9_999)),
            "profileId": rng.randrange(1_000, 2_000),
            "statusName": "RUNNING",
            "serviceName": f"edge-{name}",
            "cdnDomain": domain,
            "regionType": "KOREA",
        },
        "publishUrl": "rtmp://rtmp-ls2-k1.video.media.ntruss.com:8080/relay",
        "globalPublishUrl": "rtmp://rtmp-ls2-k1.video.media.ntruss.com/relay",
        "streamKey": "".join(rng.choice(_ALNUM) for _ in range(32)),
        "isStreamFailOver": False,
        "isPublishingBackUp": False,
        "createdTime": created_ms,
        "alertOn": False,
        "alertOptions": {
            "alertChangeStatus": False,
            "alertVodUploadFail": False,
            "alertReStreamFail": False,
            "alertShortClipFail": False,
            "alertStreamFailOver": False,
            "alertGeneralChannelError": False,
        },
        "drmEnabledYn": False,
    }


def _seeded_fields(
    channel_id: str, index: int, rng: random.Random, anchor_ms: int
) -> dict[str, Any]:
    created = anchor_ms - rng.randrange(30, 180) * _DAY_MS
    return _channel_fields(channel_id, f"live-emulator-{index + 1}", rng, created)


def _service_urls(fields: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The playback URLs of a channel, as ``serviceUrls`` serves them."""
    channel_id = fields["channelId"]
    base = f"https://{fields['cdn'].get('cdnDomain')}/live/video/{channel_id}"
    if kind == "THUMBNAIL":
        return [
            {
                "name": "thumbnail",
                "url": f"{base}/thumbnail/thumbnail.jpg",
                "resizedUrl": [
                    {"type": size, "url": f"{base}/thumbnail/thumbnail_{size.lower()}.jpg"}
                    for size in ("SMALL", "MEDIUM", "LARGE")
                ],
            }
        ]
    root = f"{base}/timemachine" if kind == "TIMEMACHINE" else base
    urls: list[dict[str, Any]] = [{"name": "ABR", "url": f"{root}/playlist.m3u8"}]
    for quality, resolution, bitrate in _QUALITIES:
        urls.append(
            {
                "name": quality,
                "url": f"{root}/{quality}/playlist.m3u8",
                "resolution": resolution,
                "videoBitrate": str(bitrate),
                "audioBitrate": "128000",
            }
        )
    return urls
