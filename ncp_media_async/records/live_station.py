"""Live Station records: channels, their service URLs, recordings, uploads and events.

Times are sent as epoch *milliseconds* and given as aware UTC datetimes. Every field is
optional (the documents mark them so): a field the body leaves out is ``None``, a field the
documents do not list is ignored. Content the documents do not describe is kept as plain decoded
JSON (typed ``Any``). The two stream keys of a channel are ``Secret``s: no repr, ``str``,
message or CLI output shows them unless asked for (``channel.stream_key.reveal()``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from ._base import OpenStrEnum, Secret, wire_field

__all__ = [
    "AccessControl",
    "AlertOptions",
    "CallbackEndpoint",
    "Channel",
    "ChannelCdn",
    "ChannelRecordSettings",
    "ChannelStatus",
    "LiveEvent",
    "LiveEventCode",
    "LogLevel",
    "RecordFormat",
    "RecordStatus",
    "RecordType",
    "RecordUpload",
    "RecordUploadType",
    "Recording",
    "ServiceUrl",
    "ServiceUrlType",
    "ThumbnailUrl",
    "UploadedRecord",
]


class RecordType(OpenStrEnum):
    """Live Station recording format."""

    MP4 = "MP4"
    HLS = "HLS"


class RecordStatus(OpenStrEnum):
    """Live Station recording state.

    A recording goes ``RECORDING`` → ``PROCESSING`` → ``TRANSFER_READY`` (kept in temporary
    storage for 3 days: upload it with ``LiveStation.upload_records``) → ``TRANSFER`` →
    ``TRANSFER_FINISH`` (or ``TRANSFER_FAIL``, which may be uploaded again). With automatic
    upload (``RecordUploadType.AUTO_UPLOAD``) it goes to ``TRANSFER`` by itself. (The order is
    inferred from the field descriptions; the documents list the values only.)
    """

    RECORDING = "RECORDING"
    PROCESSING = "PROCESSING"
    PROCESSING_FAIL = "PROCESSING_FAIL"
    TRANSFER_READY = "TRANSFER_READY"
    TRANSFER = "TRANSFER"
    TRANSFER_FINISH = "TRANSFER_FINISH"
    TRANSFER_FAIL = "TRANSFER_FAIL"
    DELETED = "DELETED"

    @property
    def uploadable(self) -> bool:
        """Whether ``upload_records`` accepts a recording in this state (``TRANSFER_READY`` or
        ``TRANSFER_FAIL``; any other is refused with code 250507)."""
        return self in (RecordStatus.TRANSFER_READY, RecordStatus.TRANSFER_FAIL)


class ChannelStatus(OpenStrEnum):
    """Live Station channel state.

    ``CREATING`` → ``READY``; ``PUBLISHING`` while a stream comes in (back to ``READY`` when it
    stops); ``BLOCK`` once stopped (``READY`` again when resumed); ``FORCE_BLOCK`` stopped by
    the operator; ``DELETED``/``FORCE_DELETED`` for good; ``RESERVED`` (VOD-to-live channels)
    scheduled. Older pages spell ``PUBLISHING`` as ``PUBLISH``: it is read as ``PUBLISHING``.
    """

    CREATING = "CREATING"
    READY = "READY"
    PUBLISHING = "PUBLISHING"
    BLOCK = "BLOCK"
    FORCE_BLOCK = "FORCE_BLOCK"
    DELETED = "DELETED"
    FORCE_DELETED = "FORCE_DELETED"
    RESERVED = "RESERVED"

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return cls.PUBLISHING if value == "PUBLISH" else super()._missing_(value)

    @property
    def final(self) -> bool:
        """Whether a channel never leaves this state (``DELETED``, ``FORCE_DELETED``)."""
        return self in (ChannelStatus.DELETED, ChannelStatus.FORCE_DELETED)


class RecordUploadType(OpenStrEnum):
    """What a channel does with its recordings (``record.type``)."""

    NO_RECORD = "NO_RECORD"
    AUTO_UPLOAD = "AUTO_UPLOAD"
    MANUAL_UPLOAD = "MANUAL_UPLOAD"


class RecordFormat(OpenStrEnum):
    """The formats a channel records in (``record.format``)."""

    MP4 = "MP4"
    HLS = "HLS"
    ALL = "ALL"


class AccessControl(OpenStrEnum):
    """Object Storage access of uploaded files: ``PRIVATE`` (the default) or ``PUBLIC_READ``
    (needed to serve them through a CDN)."""

    PRIVATE = "PRIVATE"
    PUBLIC_READ = "PUBLIC_READ"


class ServiceUrlType(OpenStrEnum):
    """The kind of playback URLs ``LiveStation.service_urls`` asks for.

    ``GENERAL``: HLS (and MPEG-DASH) live playback; ``TIMEMACHINE``: rewindable HLS, only for a
    channel with DVR while it records; ``THUMBNAIL``: thumbnail images.
    """

    GENERAL = "GENERAL"
    TIMEMACHINE = "TIMEMACHINE"
    THUMBNAIL = "THUMBNAIL"


class LogLevel(OpenStrEnum):
    """Level of a Live Station event."""

    INFO = "INFO"
    ERROR = "ERROR"


class LiveEventCode(OpenStrEnum):
    """What a Live Station event reports (``event`` in callbacks, ``eventCode`` in lists).

    An old page spells some codes in mixed case (``PUBLISH_Start``): codes are read
    case-insensitively. Codes the documents do not list are kept as they come.

    * ``STREAM_RESERVE``: the channel was created.
    * ``STREAM_UPDATE``: the channel's settings changed.
    * ``PUBLISH_START``: a stream started coming in.
    * ``PUBLISH_END``: the stream stopped.
    * ``THUMBNAIL_CREATE``: a thumbnail was created.
    * ``SIMULCAST_STATUS_CHANGE``: a re-stream target changed state.
    * ``ONAIR_START``: recording started.
    * ``ONAIR_END``: recording ended.
    * ``PUBLISH_OVER_THRESHOLD``: the incoming bit rate is over the channel's threshold.
    * ``RTMP_MAIN_STREAM_ENABLED``: the main ingest stream is in use.
    * ``RTMP_BACKUP_STREAM_ENABLED``: switched to the backup ingest stream.
    * ``BACKUP_SESSION_STREAMING_CONNECTED``: the backup ingest session connected.
    * ``BACKUP_SESSION_STREAMING_DISCONNECTED``: the backup ingest session disconnected.
    * ``STREAM_FINISH``: the channel can no longer be used (contact support).
    """

    STREAM_RESERVE = "STREAM_RESERVE"
    STREAM_UPDATE = "STREAM_UPDATE"
    PUBLISH_START = "PUBLISH_START"
    PUBLISH_END = "PUBLISH_END"
    THUMBNAIL_CREATE = "THUMBNAIL_CREATE"
    SIMULCAST_STATUS_CHANGE = "SIMULCAST_STATUS_CHANGE"
    ONAIR_START = "ONAIR_START"
    ONAIR_END = "ONAIR_END"
    PUBLISH_OVER_THRESHOLD = "PUBLISH_OVER_THRESHOLD"
    RTMP_MAIN_STREAM_ENABLED = "RTMP_MAIN_STREAM_ENABLED"
    RTMP_BACKUP_STREAM_ENABLED = "RTMP_BACKUP_STREAM_ENABLED"
    BACKUP_SESSION_STREAMING_CONNECTED = "BACKUP_SESSION_STREAMING_CONNECTED"
    BACKUP_SESSION_STREAMING_DISCONNECTED = "BACKUP_SESSION_STREAMING_DISCONNECTED"
    STREAM_FINISH = "STREAM_FINISH"

    @classmethod
    def _missing_(cls, value: object) -> Any:
        member = cls._value2member_map_.get(value.upper()) if isinstance(value, str) else None
        return member or super()._missing_(value)


@attrs.frozen
class Recording:
    """One recording of a Live Station channel (``GET /api/v2/channels/{channelId}/records``).

    The API sends a map keyed by record id; ``record_id`` is that key. Times are sent as epoch
    *milliseconds* and given here as aware UTC datetimes. ``duration_ms`` is in milliseconds: the
    document says seconds, but its example (2,996,437 for a recording that began 3,001 s before it
    was created) only fits milliseconds. HLS recordings carry no ``duration_ms`` and no
    ``audio_codec``. ``object_storage_url`` is ``None`` until the file is uploaded (the API sends
    ``"-"``). Bit rates are in bits per second.
    """

    record_id: str
    record_type: RecordType | None = None
    channel_id: str | None = None
    status: RecordStatus | None = None
    record_seq: int | None = None
    stream_seq: int | None = None
    record_begin_time: datetime | None = wire_field(kind="epoch_ms")
    created_time: datetime | None = wire_field(kind="epoch_ms")
    should_delete_time: datetime | None = wire_field(kind="epoch_ms")
    resolution: str | None = None
    file_name: str | None = None
    duration_ms: int | None = wire_field(wire="duration")
    video_bitrate: int | None = None
    video_frame_rate: float | None = None
    audio_bitrate: int | None = None
    audio_codec: str | None = None
    upload_path: str | None = None
    object_storage_url: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """``duration_ms`` as a ``timedelta`` (``None`` for HLS recordings)."""
        return None if self.duration_ms is None else timedelta(milliseconds=self.duration_ms)

    @property
    def uploadable(self) -> bool:
        """Whether ``LiveStation.upload_records`` takes it now (``TRANSFER_READY`` or
        ``TRANSFER_FAIL``; see ``RecordStatus.uploadable``)."""
        return self.status is not None and self.status.uploadable


@attrs.frozen
class ChannelRecordSettings:
    """A channel's recording settings (``record``): what is recorded and where it goes.

    ``bucket_name``, ``file_path`` and ``access_control`` are set for automatic upload only.
    """

    type: RecordUploadType | None = None
    format: RecordFormat | None = None
    bucket_name: str | None = None
    file_path: str | None = None
    access_control: AccessControl | None = None


@attrs.frozen
class ChannelCdn:
    """The CDN a channel is bound to (``cdn``).

    ``instance_no`` is ``0`` and the names are ``""`` when the channel has no CDN (the old page
    types the instance number as text: it is an ``int`` when the text is a number, else the text
    as sent). ``status_name`` is
    ``RUNNING``, ``PUBLISHING``, ``STOPPING``, ``STOPPED``, ``CREATING``, ``CHANGING`` or
    ``CDN_NOT_FOUND`` (kept as text). ``region_type`` is the Global Edge region (``KOREA``,
    ``JAPAN``, ``GLOBAL``).
    """

    cdn_type: str | None = None
    instance_no: int | str | None = None
    profile_id: int | None = None
    status_name: str | None = None
    service_name: str | None = None
    cdn_domain: str | None = None
    region_type: str | None = None


@attrs.frozen
class AlertOptions:
    """Which events a channel sends alarms for (``alertOptions``)."""

    alert_change_status: bool | None = None
    alert_vod_upload_fail: bool | None = None
    alert_re_stream_fail: bool | None = None
    alert_short_clip_fail: bool | None = None
    alert_stream_fail_over: bool | None = None
    alert_general_channel_error: bool | None = None


@attrs.frozen
class Channel:
    """A Live Station channel (``GET /api/v2/channels/{channelId}``, and each item of the list).

    Every field the documents list, all optional. Spellings and types the pages disagree on are
    all read: ``useDVR`` (current) or ``useDvr`` (old) as ``use_dvr``; ``instanceNo`` as a
    number or its text; ``channelStatus`` ``PUBLISH`` (old) as ``PUBLISHING``.

    ``stream_key`` and ``backup_stream_key`` are ``Secret``s: with ``publish_url`` they let
    anyone broadcast on the channel, so no repr, ``str``, log line, error or CLI output shows
    them (``channel.stream_key.reveal()`` gives the text). ``timemachine_min`` is the DVR
    window in *minutes*; ``total_publish_seconds`` the time streamed in *seconds*; times are
    aware UTC datetimes (sent as epoch milliseconds). ``snapshot`` (its shape is undocumented)
    is kept as plain decoded JSON.
    """

    channel_id: str | None = None
    channel_name: str | None = None
    channel_status: ChannelStatus | None = None
    instance_no: int | None = None
    quality_set_id: int | None = None
    quality_set_name: str | None = None
    output_protocol: str | None = None
    ingest_protocol: str | None = None
    env_type: str | None = None
    is_recording: bool | None = None
    use_dvr: bool | None = wire_field(wire=("useDVR", "useDvr"))
    immediate_on_air: bool | None = None
    timemachine_min: int | None = None
    upload_path: str | None = None
    snapshot: Any = None
    snapshot_id: int | None = None
    record: ChannelRecordSettings | None = None
    cdn: ChannelCdn | None = None
    publish_url: str | None = None
    global_publish_url: str | None = None
    stream_key: Secret | None = None
    backup_stream_key: Secret | None = None
    is_stream_fail_over: bool | None = None
    is_publishing_back_up: bool | None = None
    recent_publish_start_time: datetime | None = wire_field(kind="epoch_ms")
    created_time: datetime | None = wire_field(kind="epoch_ms")
    total_publish_seconds: int | None = None
    alert_on: bool | None = None
    alert_options: AlertOptions | None = None
    callback_endpoint: str | None = None
    drm_enabled_yn: bool | None = None


@attrs.frozen
class ThumbnailUrl:
    """One size of a thumbnail (``resizedUrl`` items): its ``type`` and ``url``."""

    type: str | None = None
    url: str | None = None


@attrs.frozen
class ServiceUrl:
    """One playback URL of a channel (``GET /api/v2/channels/{channelId}/serviceUrls``).

    ``name`` is the quality (``ABR`` is the adaptive master playlist). The bit rates are in
    bits per second: the documents type them as text, so each is an ``int`` when the text is a
    number and the text itself when it is not (``"2.5M"`` stays ``"2.5M"``: one odd value does
    not fail the call). ``resized_url`` lists thumbnail sizes (``THUMBNAIL`` URLs, old page).
    """

    name: str | None = None
    url: str | None = None
    resolution: str | None = None
    video_bitrate: int | str | None = None
    audio_bitrate: int | str | None = None
    resized_url: tuple[ThumbnailUrl, ...] | None = None


@attrs.frozen
class UploadedRecord:
    """One recording sent to Object Storage by ``LiveStation.upload_records``.

    ``record_id`` is the key of the record map when the service sends one (``None`` when it
    sends a list or a single record). ``object_storage_url`` is ``None`` until the transfer
    finished (the API sends ``"-"``).
    """

    record_id: str | None = None
    record_file_name: str | None = None
    record_type: RecordType | None = None
    status: RecordStatus | None = None
    upload_path: str | None = None
    object_storage_url: str | None = None


@attrs.frozen
class RecordUpload:
    """What ``POST /api/v2/buckets/{bucketName}/upload`` answered: the bucket, the access
    given to the files and the recordings on their way (``uploaded_records``)."""

    bucket_name: str | None = None
    access_control: AccessControl | None = None
    uploaded_records: tuple[UploadedRecord, ...] = ()


@attrs.frozen
class LiveEvent:
    """A Live Station event: a callback the service POSTs, or an item of an event list.

    ``event_code`` is read from ``event`` (callbacks) or ``eventCode`` (lists); ``id`` (the
    event's identifier, in callbacks only) and ``timestamp`` (epoch *milliseconds*, given as an
    aware UTC datetime) may arrive as numbers or as text (the old page types them as strings).
    ``description`` is the human text of list items. Two parses of the same delivery are equal
    (and hash alike), so a receiver can drop duplicates with a set; the service may deliver an
    event more than once.
    """

    event_code: LiveEventCode | None = wire_field(wire=("event", "eventCode"))
    channel_id: str | None = None
    log_level: LogLevel | None = None
    timestamp: datetime | None = wire_field(kind="epoch_ms")
    id: int | None = None
    description: str | None = None


@attrs.frozen
class CallbackEndpoint:
    """Where Live Station POSTs the events of every channel without an endpoint of its own
    (``GET``/``POST /api/v2/events/callbackEndpoint``): ``callback_url`` (``None`` when none
    is set) and, on older pages, ``update_time`` (sent as epoch milliseconds)."""

    callback_url: str | None = None
    update_time: datetime | None = wire_field(kind="epoch_ms")
