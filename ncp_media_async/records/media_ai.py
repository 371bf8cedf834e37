"""Media Intelligence (formerly Media AI Understanding) records: video asset import status."""

from __future__ import annotations

import attrs

from ._base import OpenStrEnum, local_field, wire_field

__all__ = ["ImportStatus", "UploadStatus", "VideoAssetRef", "VideoMetadata"]


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

    resolution: str | None = None
    duration_ms: int | None = None
    size: int | None = None
    format: str | None = None


@attrs.frozen
class ImportStatus:
    """The import (registration) state of one Media AI Understanding video asset.

    ``asset`` names the asset asked about (the response itself only has ``video_id``).
    ``upload_result`` is the service's human-readable message for the state. ``metadata`` is
    ``None`` when the body has no ``metaData`` object; a ``metaData`` that is not an object (text,
    an array) is a ``ResponseError``, not a ``VideoMetadata`` of ``None``s.
    """

    upload_status: UploadStatus
    video_id: int | None = None
    upload_result: str | None = None
    metadata: VideoMetadata | None = wire_field(wire="metaData", default=None)
    asset: VideoAssetRef | None = local_field()

    @property
    def terminal(self) -> bool:
        """Whether the import finished, well or not (see ``UploadStatus.terminal``)."""
        return self.upload_status.terminal
