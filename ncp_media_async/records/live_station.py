"""Live Station records: recordings of a channel."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from ._base import OpenStrEnum, wire_field

__all__ = ["RecordStatus", "RecordType", "Recording"]


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
    record_begin_time: datetime | None = wire_field(kind="epoch_ms", default=None)
    created_time: datetime | None = wire_field(kind="epoch_ms", default=None)
    should_delete_time: datetime | None = wire_field(kind="epoch_ms", default=None)
    resolution: str | None = None
    file_name: str | None = None
    duration_ms: int | None = wire_field(wire="duration", default=None)
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
