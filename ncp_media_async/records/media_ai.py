"""Media Intelligence (formerly Media AI Understanding) records: workspaces, projects, assets,
imports, indexes, and the result of an ingest.

The service's newest pages print ``-`` in the "required" column of every response field, so
every field read off the wire here may be ``None`` (a missing field never fails a record).
Ids (``projectId``, ``assetId``, ``indexId``) are integers in bodies (or their text) and strings
in paths: the refs (``AssetRef``, ``VideoAssetRef``) hold them as text. Times are ISO 8601 (an
offset is optional: a time without one is read in KST). User names are spelled
``createdUserName`` on workspaces, projects and indexes but ``createUserName`` on assets, as the
documents spell them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ._base import OpenStrEnum, id_text, local_field, wire_field

__all__ = [
    "AnalysisSetting",
    "Asset",
    "AssetRef",
    "AssetType",
    "ConfidenceLevel",
    "ImportStatus",
    "Index",
    "IndexState",
    "IndexStatus",
    "IngestResult",
    "IngestStage",
    "Project",
    "SceneRange",
    "SourceLanguage",
    "UploadStatus",
    "VideoAssetRef",
    "VideoMetadata",
    "Workspace",
]


# -- enumerations -----------------------------------------------------------------------------


class UploadStatus(OpenStrEnum):
    """Import (registration) state of a media asset, on the current and the deprecated path."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    FILE_NOT_EXIST = "FILE_NOT_EXIST"
    INVALID_METADATA = "INVALID_METADATA"

    @property
    def terminal(self) -> bool:
        """Every state but IN_PROGRESS is final; an unknown state counts as still running."""
        return self in ("COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA")


class IndexState(OpenStrEnum):
    """Analysis (indexing) state of an asset's latest index (``…/index/status``).

    ``BEFORE_ANALYZE`` is the state of an asset never analysed; seen right after a request it
    means the request has not been picked up yet (see ``MediaAI.wait_for_indexes``).
    """

    BEFORE_ANALYZE = "BEFORE_ANALYZE"
    WAIT_ANALYZE = "WAIT_ANALYZE"
    ANALYZING = "ANALYZING"
    ANALYZE_COMPLETED = "ANALYZE_COMPLETED"
    ANALYZE_FAIL = "ANALYZE_FAIL"
    ANALYZE_CANCEL = "ANALYZE_CANCEL"

    @property
    def terminal(self) -> bool:
        """ANALYZE_COMPLETED, ANALYZE_FAIL and ANALYZE_CANCEL: the analysis ended. Neither
        BEFORE_ANALYZE nor an unknown state counts as ended."""
        return self in ("ANALYZE_COMPLETED", "ANALYZE_FAIL", "ANALYZE_CANCEL")


class SceneRange(OpenStrEnum):
    """How long the scenes of a video analysis are: ``EXTRA_SHORT`` (10 to 20 s), ``SHORT``,
    ``MEDIUM`` (the service's default) or ``LONG``."""

    EXTRA_SHORT = "EXTRA_SHORT"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class SourceLanguage(OpenStrEnum):
    """Spoken language of a video: ``ENKO`` (Korean and English, the service's default), ``EN``,
    ``KO``, ``JA``, ``ZH-CN``, ``ZH-TW``."""

    ENKO = "ENKO"
    EN = "EN"
    KO = "KO"
    JA = "JA"
    ZH_CN = "ZH-CN"
    ZH_TW = "ZH-TW"


class ConfidenceLevel(OpenStrEnum):
    """How sure a keyword of an index must be to be listed: ``LOW`` (more, less certain),
    ``MEDIUM`` (the service's default), ``HIGH`` (fewer, precise)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class AssetType(OpenStrEnum):
    """What an index was made of: ``VIDEO`` or ``IMAGE``."""

    VIDEO = "VIDEO"
    IMAGE = "IMAGE"


# -- refs -------------------------------------------------------------------------------------


@attrs.frozen
class AssetRef:
    """Names one media asset: workspace name, project id, asset id (ids as text).

    Ids may be given as ints (the JSON bodies send them as numbers); they are kept as text, so
    ``AssetRef("ws", 1234, 5) == AssetRef("ws", "1234", "5")``. ``key`` is the Object Storage
    key the asset was imported from, when the client knows it (``import_asset`` and
    ``import_assets`` set it); it is not part of the name: two refs to the same asset are equal
    whatever their ``key``. ``from_journal`` is True on a ref ``import_assets(journal=...)``
    read from its journal (the key was imported by an earlier run of the batch; nothing was
    sent for it); not part of the name either.
    """

    workspace: str
    project_id: str = attrs.field(converter=id_text)
    asset_id: str = attrs.field(converter=id_text)
    key: str | None = attrs.field(default=None, eq=False, kw_only=True)
    from_journal: bool = attrs.field(default=False, eq=False, kw_only=True, repr=False)

    def __str__(self) -> str:
        return f"{self.workspace}/{self.project_id}/{self.asset_id}"


@attrs.frozen
class VideoAssetRef:
    """Names one video asset on the deprecated ``…/video-assets/…`` paths (removed by NCP in
    January 2027): workspace name, project id, video asset id. Use ``AssetRef`` instead: an
    asset's id is the same on both paths."""

    workspace: str
    project_id: str = attrs.field(converter=id_text)
    video_asset_id: str = attrs.field(converter=id_text)

    def __str__(self) -> str:
        return f"{self.workspace}/{self.project_id}/{self.video_asset_id}"


# -- workspaces, projects, assets -------------------------------------------------------------


@attrs.frozen
class Workspace:
    """A Media Intelligence workspace (list item, or detail with ``monthly_analysis_count``).

    ``workspace_name`` is the name every other call takes; ``bucket_name`` the Object Storage
    bucket linked to it, if any; ``monthly_analysis_count`` the analyses run this month (in the
    detail only).
    """

    workspace_name: str | None = None
    workspace_url: str | None = None
    bucket_name: str | None = None
    monthly_analysis_count: int | None = None
    created_user_name: str | None = None
    created_time: datetime | None = None
    updated_user_name: str | None = None
    updated_time: datetime | None = None


@attrs.frozen
class Project:
    """A project of a workspace. ``is_base_project`` marks the workspace's default project
    (which cannot be renamed)."""

    project_id: int | None = None
    name: str | None = None
    is_base_project: bool | None = None
    created_user_name: str | None = None
    created_time: datetime | None = None
    updated_user_name: str | None = None
    updated_time: datetime | None = None


@attrs.frozen
class VideoMetadata:
    """What Media Intelligence read off an imported file (video or image).

    ``duration_ms`` in milliseconds (none for an image), ``size`` in bytes, ``resolution`` like
    ``"1920x1080"``, ``format`` one of mp4, mkv, mov, webm (videos) or png, jpg, heic (images).
    """

    resolution: str | None = None
    duration_ms: int | None = None
    size: int | None = None
    format: str | None = None


@attrs.frozen
class Asset:
    """A media asset (``GET …/projects/{pid}/assets`` item, or ``…/assets/{asset_id}`` detail).

    ``key`` is the full Object Storage object name (detail only); ``create_user_name`` who
    registered it. The documents cut the field tables short: ``created_time``,
    ``update_user_name`` and ``updated_time`` are read when present (an inference from the older
    video asset pages) and ``None`` otherwise.
    """

    asset_id: int | None = None
    file_name: str | None = None
    project_id: int | None = None
    metadata: VideoMetadata | None = wire_field(wire="metaData")
    key: str | None = None
    create_user_name: str | None = None
    created_time: datetime | None = None
    update_user_name: str | None = None
    updated_time: datetime | None = None


# -- imports ----------------------------------------------------------------------------------


@attrs.frozen
class ImportStatus:
    """Where the import (registration) of one asset stands.

    ``asset_id`` is ``result.assetId`` on the current path and ``result.videoId`` on the
    deprecated one (both spellings are read). ``asset`` is the ref asked about (``AssetRef`` or
    ``VideoAssetRef``): the response names only the id. ``upload_result`` is the service's
    human-readable message for the state (its documents give it in English, Korean, or as
    "Video copy completed": free text, never to branch on). ``metadata`` is ``None`` when the
    body has no ``metaData`` object; a ``metaData`` that is not an object (text, an array) is a
    ``ResponseError``, not a ``VideoMetadata`` of ``None``s.
    """

    upload_status: UploadStatus
    asset_id: int | None = wire_field(wire=("assetId", "videoId"))
    upload_result: str | None = None
    metadata: VideoMetadata | None = wire_field(wire="metaData")
    asset: AssetRef | VideoAssetRef | None = local_field()

    @property
    def terminal(self) -> bool:
        """Whether the import finished, well or not (see ``UploadStatus.terminal``)."""
        return self.upload_status.terminal

    @property
    def video_id(self) -> int | None:
        """Deprecated: ``asset_id`` under its old name (the deprecated path's ``videoId``)."""
        return self.asset_id


# -- indexes ----------------------------------------------------------------------------------


@attrs.frozen
class IndexStatus:
    """The state of an asset's latest analysis (``GET …/assets/{asset_id}/index/status``).

    ``message`` is the reason of a failure (``"An error occurred during analysis (...)"``):
    documented as ``analyzeStatusMessage`` on the deprecated analyze-status page, whose example
    spells it ``analysisStatusMessage``; both are read. ``index_id`` is the index made on
    success, when the body names it. The current page documents only ``status``: the other
    fields are ``None`` when absent. ``asset`` is the ref asked about.
    """

    status: IndexState
    message: str | None = wire_field(wire=("analyzeStatusMessage", "analysisStatusMessage"))
    index_id: int | None = None
    asset: AssetRef | None = local_field()

    @property
    def terminal(self) -> bool:
        """Whether the analysis ended: ANALYZE_COMPLETED, ANALYZE_FAIL or ANALYZE_CANCEL."""
        return self.status.terminal


@attrs.frozen
class AnalysisSetting:
    """How an index was made (``analysisSetting``): the engine (``"Sinossi v1.0"``) and the scene
    length. The documents list only these two and cut the table after them; the rest of the
    object is kept as plain JSON in ``Index.content["analysisSetting"]``."""

    analysis_engine: str | None = None
    scene_range: SceneRange | None = None


@attrs.frozen
class Index:
    """An asset's latest index (``GET …/assets/{asset_id}/index``): a typed header and the
    analysis itself as plain JSON.

    ``index_id`` is the index's id (some pages call it the asset id: it is not), ``type`` what
    was analysed, times and user names as for the other records, ``analysis_setting`` how it
    was made. ``content`` is the whole ``result`` object as decoded JSON (``dict`` of
    ``str`` to plain JSON values): the documents do not show the shape of the analysis (scenes,
    shots, persons, keywords, scripts, per the guide), so the client does not impose one.
    ``asset`` is the ref asked about.
    """

    index_id: int | None = None
    type: AssetType | None = None
    created_time: datetime | None = None
    created_user_name: str | None = None
    updated_time: datetime | None = None
    updated_user_name: str | None = None
    analysis_setting: AnalysisSetting | None = None
    content: dict[str, Any] = local_field(attrs.Factory(dict))
    asset: AssetRef | None = local_field()


# -- ingest -----------------------------------------------------------------------------------


class IngestStage(enum.StrEnum):
    """Where a key of ``MediaAI.ingest`` is: importing (``IMPORT``, the request), waiting for the
    import (``IMPORT_WAIT``), requesting the analysis (``INDEX``), waiting for it
    (``INDEX_WAIT``), or finished (``DONE``, whatever the outcome)."""

    IMPORT = "IMPORT"
    IMPORT_WAIT = "IMPORT_WAIT"
    INDEX = "INDEX"
    INDEX_WAIT = "INDEX_WAIT"
    DONE = "DONE"


@attrs.frozen
class IngestResult:
    """What ``MediaAI.ingest`` did with one Object Storage key.

    ``ref`` is the asset created (``None`` if the import request failed), ``import_status`` and
    ``index_status`` the last states seen (``None`` for a step not reached), ``error`` the
    exception that stopped the key (``None`` if nothing failed: a FAILED import or an
    ANALYZE_FAIL is a state, not an error), and ``stage`` the step it stopped at (``DONE`` when
    it went through; the step that failed otherwise).

    ``from_journal`` is True when the result was read from the journal of
    ``ingest(journal=...)``: the key finished in an earlier run of the batch and nothing was
    sent for it. Such a result carries the states and messages the journal keeps (not the
    import's ``metadata``).
    """

    key: str
    stage: IngestStage
    ref: AssetRef | None = None
    import_status: ImportStatus | None = None
    index_status: IndexStatus | None = None
    error: BaseException | None = None
    from_journal: bool = attrs.field(default=False, kw_only=True)

    @property
    def ok(self) -> bool:
        """The asset was imported and, if indexing was asked, indexed: no error, the import
        COMPLETED and the analysis (if any) ANALYZE_COMPLETED."""
        imported = self.import_status and self.import_status.upload_status == "COMPLETED"
        indexed = self.index_status is None or self.index_status.status == "ANALYZE_COMPLETED"
        return self.error is None and bool(imported) and indexed
