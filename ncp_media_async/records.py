"""Frozen attrs records for every response, and the StrEnums they use.

Field names are the JSON names in snake_case (``categoryId`` → ``category_id``). Every time is a
timezone-aware ``datetime``, whatever the wire used (ISO 8601 with ``+0900``, epoch seconds or epoch
milliseconds). ``"-"`` placeholders become ``None``. Enumerations are ``enum.StrEnum``s that keep
values they do not know (``status == "NEW_STATE"`` still works) instead of failing: the services add
states without notice.

How each field is read off the wire is declared next to it (``wire=`` for a JSON name that is not
the camelCase of the field, ``kind=`` for a conversion, ``local`` for a field the client fills
in rather than the wire); ``ncp_media_async._converter`` turns those
declarations into cattrs hooks once.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

import attrs

__all__ = [
    "ChannelEvent",
    "EncodingState",
    "EncodingStatus",
    "EventAction",
    "EventRequestType",
    "EventResult",
    "ImportStatus",
    "OpenStrEnum",
    "Page",
    "RecordStatus",
    "RecordType",
    "Recording",
    "StatusStatistics",
    "UploadStatus",
    "VideoAssetRef",
    "VideoMetadata",
]

T = TypeVar("T")

#: How a field is converted from JSON (see ``ncp_media_async._converter``):
#: ``iso`` ISO 8601 text (``+0900`` offsets allowed); ``epoch_s`` epoch seconds; ``epoch_ms`` epoch
#: milliseconds; ``count`` an integer that may be sent as a string.
Kind = Literal["iso", "epoch_s", "epoch_ms", "count"]


def _field(
    *, wire: str | None = None, kind: Kind | None = None, default: Any = attrs.NOTHING
) -> Any:
    metadata: dict[str, Any] = {}
    if wire is not None:
        metadata["wire"] = wire
    if kind is not None:
        metadata["kind"] = kind
    return attrs.field(default=default, metadata=metadata)


class OpenStrEnum(enum.StrEnum):
    """A ``StrEnum`` that accepts values it does not know.

    ``EncodingState("PAUSED")`` returns a pseudo-member whose ``name`` and ``value`` are
    ``"PAUSED"``; it compares equal to the string and is not among the class's members. Its
    ``known`` property is ``False``.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """Whether the value is one the documents list."""
        return self._name_ in type(self).__members__


class EncodingState(OpenStrEnum):
    """VOD Station encoding status of one output file."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"

    @property
    def terminal(self) -> bool:
        """COMPLETE, FAILURE and CANCELED do not change any more."""
        return self in _ENCODING_TERMINAL


_ENCODING_TERMINAL = frozenset(
    {EncodingState.COMPLETE, EncodingState.FAILURE, EncodingState.CANCELED}
)


class EventAction(OpenStrEnum):
    """VOD Station channel event ``actionType``."""

    CREATE = "CREATE"
    START = "START"
    STOP = "STOP"
    DELETE = "DELETE"


class EventRequestType(OpenStrEnum):
    """Who asked for a channel event: the console (``MC``), the API, or ``MCC``."""

    MC = "MC"
    API = "API"
    MCC = "MCC"


class EventResult(OpenStrEnum):
    """VOD Station channel event ``resultCode``."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class RecordType(OpenStrEnum):
    """Live Station recording format."""

    MP4 = "MP4"
    HLS = "HLS"


class RecordStatus(OpenStrEnum):
    """Live Station recording state."""

    RECORDING = "RECORDING"
    PROCESSING = "PROCESSING"
    PROCESSING_FAIL = "PROCESSING_FAIL"
    TRANSFER_READY = "TRANSFER_READY"
    TRANSFER = "TRANSFER"
    TRANSFER_FINISH = "TRANSFER_FINISH"
    TRANSFER_FAIL = "TRANSFER_FAIL"
    DELETED = "DELETED"


class UploadStatus(OpenStrEnum):
    """Media AI Understanding video import state."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    FILE_NOT_EXIST = "FILE_NOT_EXIST"
    INVALID_METADATA = "INVALID_METADATA"

    @property
    def terminal(self) -> bool:
        """Every state but IN_PROGRESS is final; an unknown state counts as still running."""
        return self in _UPLOAD_TERMINAL


_UPLOAD_TERMINAL = frozenset(
    {
        UploadStatus.COMPLETED,
        UploadStatus.FAILED,
        UploadStatus.FILE_NOT_EXIST,
        UploadStatus.INVALID_METADATA,
    }
)


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items, its 1-based number, the size asked for and the ``total``
    the server reported for the whole list (``None`` if it sent none)."""

    items: tuple[T, ...]
    page_no: int
    page_size: int
    total: int | None


@attrs.frozen
class EncodingStatus:
    """One output file of a VOD Station encoding (``GET /api/v2/status``).

    ``output_total_size`` is in bytes; ``percent`` is 0-100; ``last_work_time`` is aware (the API
    sends ISO 8601 with a ``+0900`` offset, kept as given).
    """

    status: EncodingState
    category_id: int | None = _field(default=None)
    category_name: str | None = _field(default=None)
    file_path: str | None = _field(default=None)
    output_type: str | None = _field(default=None)
    link: str | None = _field(default=None)
    output_total_size: int | None = _field(kind="count", default=None)
    last_work_time: datetime | None = _field(kind="iso", default=None)
    percent: float | None = _field(default=None)

    @property
    def output_key(self) -> tuple[int | None, str | None, str | None]:
        """``(category_id, file_path, output_type)``: the same output file across walks, while
        its ``status`` and ``percent`` change."""
        return (self.category_id, self.file_path, self.output_type)


@attrs.frozen
class StatusStatistics:
    """Encoding job counts of VOD Station categories (``GET /api/v2/status/status-statistic``).

    The document's field table says the counts are strings and omits ``complete``; its example sends
    integers and has ``complete``. Both are accepted; every count is an ``int``, and a count the
    body leaves out is 0.
    """

    waiting: int = _field(kind="count", default=0)
    running: int = _field(kind="count", default=0)
    complete: int = _field(kind="count", default=0)
    failure: int = _field(kind="count", default=0)
    canceled: int = _field(kind="count", default=0)

    @property
    def total(self) -> int:
        """All jobs counted, in every state."""
        return self.waiting + self.running + self.complete + self.failure + self.canceled


@attrs.frozen
class ChannelEvent:
    """One event of a VOD Station channel (``GET /api/v2/channels/{channelId}/events``).

    ``time`` is sent as epoch *seconds* and given here as an aware UTC datetime.
    """

    time: datetime = _field(kind="epoch_s")
    action_type: EventAction | None = _field(default=None)
    request_type: EventRequestType | None = _field(default=None)
    result_code: EventResult | None = _field(default=None)
    message_code: str | None = _field(default=None)
    message: str | None = _field(default=None)


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
    record_type: RecordType | None = _field(default=None)
    channel_id: str | None = _field(default=None)
    status: RecordStatus | None = _field(default=None)
    record_seq: int | None = _field(default=None)
    stream_seq: int | None = _field(default=None)
    record_begin_time: datetime | None = _field(kind="epoch_ms", default=None)
    created_time: datetime | None = _field(kind="epoch_ms", default=None)
    should_delete_time: datetime | None = _field(kind="epoch_ms", default=None)
    resolution: str | None = _field(default=None)
    file_name: str | None = _field(default=None)
    duration_ms: int | None = _field(wire="duration", default=None)
    video_bitrate: int | None = _field(default=None)
    video_frame_rate: float | None = _field(default=None)
    audio_bitrate: int | None = _field(default=None)
    audio_codec: str | None = _field(default=None)
    upload_path: str | None = _field(default=None)
    object_storage_url: str | None = _field(default=None)

    @property
    def duration(self) -> timedelta | None:
        """``duration_ms`` as a ``timedelta`` (``None`` for HLS recordings)."""
        return None if self.duration_ms is None else timedelta(milliseconds=self.duration_ms)


@attrs.frozen
class VideoAssetRef:
    """Names one Media AI Understanding video asset: workspace name, project id, asset id."""

    workspace: str
    project_id: str
    video_asset_id: str

    def __str__(self) -> str:
        return f"{self.workspace}/{self.project_id}/{self.video_asset_id}"


@attrs.frozen
class VideoMetadata:
    """What Media AI Understanding read off an imported video.

    ``duration_ms`` in milliseconds, ``size`` in bytes, ``resolution`` like ``"1920x1080"``,
    ``format`` one of mp4, mkv, mov, webm.
    """

    resolution: str | None = _field(default=None)
    duration_ms: int | None = _field(kind="count", default=None)
    size: int | None = _field(kind="count", default=None)
    format: str | None = _field(default=None)


@attrs.frozen
class ImportStatus:
    """The import (registration) state of one Media AI Understanding video asset.

    ``asset`` names the asset asked about (the response itself only has ``video_id``).
    ``upload_result`` is the service's human-readable message for the state.
    """

    upload_status: UploadStatus
    video_id: int | None = _field(default=None)
    upload_result: str | None = _field(default=None)
    metadata: VideoMetadata | None = _field(wire="metaData", default=None)
    asset: VideoAssetRef | None = attrs.field(default=None, metadata={"local": True})

    @property
    def terminal(self) -> bool:
        """Whether the import finished, well or not (see ``UploadStatus.terminal``)."""
        return self.upload_status.terminal
