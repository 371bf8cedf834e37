"""Media Intelligence (formerly Media AI Understanding): workspaces, projects and assets; imports
from Object Storage; analyses (indexes); and ``ingest``, from files in a bucket to indexed assets.

Every path is below the service's API root (``/api/v1``). NCP removes the ``…/video-assets/…``
endpoints in January 2027: ``video_import_status`` and ``wait_for_imports`` with
``VideoAssetRef``s still use them, and warn (once per process) with a ``DeprecationWarning``;
``import_status`` and ``AssetRef`` use the current ``…/assets/…`` paths (an asset's id is the
same on both).

Which calls are sent again after a failure (the transport decides, with ``_retry.classify``):

* reads (every ``GET``: lists, details, import and index status, the index) are retried on a
  connection failure, a timeout, a reset, HTTP 408/429/500/502/503/504 and an unreadable success
  body, up to ``max_retries`` times with back-off (``Retry-After`` honoured on 429 and 503);
* ``import_asset`` and ``start_index`` create something (an asset, an analysis that counts
  against the month's quota), and ``cancel_index`` and ``delete_index`` would answer a
  repeat with an error for what the first did (409 or not found: the analysis is already
  cancelled, the index already deleted) or act on an analysis or index made in between; so once
  these writes may have reached the service they are never sent again: only a failed connect,
  a 429 and the one re-signed attempt after a clock-skew rejection are repeated. A timeout or
  a reset after sending raises ``OutcomeUnknownError``, a 5xx ``ServerError``, an unreadable
  200 ``ResponseError``: look the asset up (``assets``) before importing again, read
  ``index_status`` or ``index`` before cancelling or deleting again. ``start_index`` on an
  asset being analysed gets a 409 (a definite "no"): with ``if_running="wait"`` it waits for
  that analysis to end and asks again.

Crash-safe batches: ``ingest`` and ``import_assets`` take ``journal=PATH``, a local file
(``ncp_media_async._journal``) where each key's intent is made durable before its import request
is sent, and its asset id, import state, analysis intent and end are recorded as they come. Run
again with the same journal (after a crash, a kill, a failed run), a batch resumes:

* a key the journal says finished is reported from it (``IngestResult.from_journal``,
  ``AssetRef.from_journal``), nothing sent;
* a key whose asset exists is waited for (and analysed, if it was not yet), never imported again;
* a key whose import request's fate is unknown (its intent is the journal's last word: the run
  died with the request in flight, or its answer was lost) is looked for first: one walk of the
  project's asset list (``assets``), then the detail (``asset``) of each listed asset whose
  ``file_name`` is the key's last segment (the list names the file, only the detail the key).
  An asset of that key not made before the intent (by its ``created_time``, when the service
  gives one, less two minutes for clocks) is the key's; only a key the service shows no trace
  of is imported again;
* an analysis request whose fate is unknown is not sent again while ``index_status`` shows an
  analysis waiting, running or ended; at ``BEFORE_ANALYZE`` it is sent again, and a 409 to it
  means the first was taken and not picked up yet (it is waited for, not asked for again).

So, however many times a batch is killed and run again, one asset per key and one analysis per
asset. What stays open: a request the service had received but not yet acted on when the
re-run looked (the re-run would not see it). A journal belongs to one batch (kind, workspace,
project, bucket, and for ``ingest`` whether it analyses): another is refused with
``JournalError``, as is a second run on the same journal while the first holds it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
import warnings
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Mapping
from typing import Any, Final, Literal, TypedDict, TypeVar, Unpack, cast

import attrs
from attrs.converters import optional

from . import _checks, _defaults
from ._checks import segment
from ._converter import (
    media_ai_result,
    structure,
    structure_import_status,
    structure_media_ai_result,
)
from ._ingest import IngestKey
from ._journal import Journal
from ._resource import PAGE_NUM, Resource
from ._retry import Verdict, classify
from .errors import ConflictError, NcpError, PollTimeoutError
from .pagination import Pager
from .polling import AGAIN, DONE, Again, E, PollFailure, Results, only
from .records import (
    Asset,
    AssetRef,
    ConfidenceLevel,
    ImportStatus,
    Index,
    IndexState,
    IndexStatus,
    IngestResult,
    IngestStage,
    Project,
    SceneRange,
    SourceLanguage,
    UploadStatus,
    VideoAssetRef,
    Workspace,
)

__all__ = ["IndexOptionValues", "IndexOptions", "MediaAI"]

T = TypeVar("T")
IfRunning = Literal["raise", "wait"]
#: Where a batch imports: workspace, project id, bucket.
Where = tuple[str, str, str]
#: A journal's file (``journal=``).
JournalPath = str | os.PathLike[str]
#: How much earlier than an import's intent a reconciled asset may have been made (seconds):
#: the client corrects its clock only when it is a minute off the gateway's.
_CLOCK_SLACK: Final = 2 * _defaults.CLOCK_SKEW_THRESHOLD


@functools.cache  # once per process
def _deprecated(what: str, instead: str = "use AssetRef (same ids) instead") -> None:
    """A ``DeprecationWarning`` for ``what``, once per process."""
    message = f"{what} uses Media Intelligence's video-assets endpoints, which NCP removes in"
    warnings.warn(f"{message} January 2027; {instead}", DeprecationWarning, stacklevel=3)


# -- analysis options -------------------------------------------------------------------------


def _scene_range(value: SceneRange | str | None) -> SceneRange | None:
    return None if value is None else _checks.member(SceneRange, value, "scene_range")


def _language(value: SourceLanguage | str | None) -> SourceLanguage | None:
    return None if value is None else _checks.member(SourceLanguage, value, "language")


def _tag_id(value: Any) -> int:
    """A person tag id as an integer (the documents type it text but show integers)."""
    with contextlib.suppress(TypeError, ValueError):
        return _checks.whole("tag_ids", value)
    raise ValueError(f"tag ids must be non-negative integers (or their text), got {value!r}")


def _tag_ids(value: Iterable[int | str]) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"tag_ids must be a collection of ids, not {type(value).__name__}")
    return tuple(map(_tag_id, value))


@attrs.frozen(kw_only=True)
class IndexOptions:
    """How to analyse an asset (the body of ``POST …/assets/{asset_id}/index``), checked when
    made: an invalid combination is a ``ValueError`` (or ``TypeError``) before anything is sent.

    * ``scene_range`` (``sceneRange``): ``EXTRA_SHORT`` (10 to 20 s), ``SHORT``, ``MEDIUM`` (the
      service's default) or ``LONG``; or instead
    * ``min_scene_duration`` and ``max_scene_duration`` (``minSceneDurationSec``,
      ``maxSceneDurationSec``), in *seconds*, always together: the minimum from 10 to 30 (the
      service's default 15), the maximum not below it (its bounds are not documented). Not with
      ``scene_range``.
    * ``person_count`` (``analysisPersonCount``): persons to analyse, 0 to 10 (0: none, faster).
      Always sent, 6 by default (the older pages' default: the newer mark it required).
    * ``tag_ids`` (``tagIdList``): 1 to 30 person tag ids to detect, sent as integers (ints or
      their text accepted: the documents type them as text and show integers).
    * ``language`` (``sourceLanguage``): ``ENKO`` (the service's default), ``EN``, ``KO``,
      ``JA``, ``ZH-CN``, ``ZH-TW``.
    * ``audio_effects`` (``detectAudioEffects``): detect applause, laughter and background music
      (the service's default: no).

    Scene lengths, language and audio effects do not apply to image assets. Options left
    ``None`` are not sent (the service's default applies).
    """

    scene_range: SceneRange | None = attrs.field(default=None, converter=_scene_range)
    min_scene_duration: int | None = None
    max_scene_duration: int | None = None
    person_count: int = _defaults.INDEX_PERSON_COUNT
    tag_ids: tuple[int, ...] | None = attrs.field(default=None, converter=optional(_tag_ids))
    language: SourceLanguage | None = attrs.field(default=None, converter=_language)
    audio_effects: bool | None = None

    def __attrs_post_init__(self) -> None:
        low, high = self.min_scene_duration, self.max_scene_duration
        if (low is None) != (high is None):
            raise ValueError("min_scene_duration and max_scene_duration go together: give both")
        if low is not None and self.scene_range is not None:
            raise ValueError("give scene_range or min_scene_duration/max_scene_duration, not both")
        if low is not None:
            _checks.count("min_scene_duration", low, 10, 30)
            _checks.count("max_scene_duration", high, low)
        _checks.count("person_count", self.person_count, 0, 10)
        if self.tag_ids is not None and not 1 <= len(self.tag_ids) <= 30:
            raise ValueError(f"tag_ids must hold 1 to 30 ids, got {len(self.tag_ids)}")
        if not isinstance(audio := self.audio_effects, bool | None):
            raise TypeError(f"audio_effects must be a bool, got {type(audio).__name__}")

    def body(self) -> dict[str, Any]:
        """The JSON body, with the service's names; options left ``None`` are left out."""
        fields = {
            "sceneRange": self.scene_range,
            "minSceneDurationSec": self.min_scene_duration,
            "maxSceneDurationSec": self.max_scene_duration,
            "analysisPersonCount": self.person_count,
            "tagIdList": None if self.tag_ids is None else list(self.tag_ids),
            "sourceLanguage": self.language,
            "detectAudioEffects": self.audio_effects,
        }
        return {name: value for name, value in fields.items() if value is not None}


class IndexOptionValues(TypedDict, total=False):
    """``IndexOptions``' fields as keyword arguments (``start_index(ref, scene_range="LONG")``),
    so that they are type-checked; see ``IndexOptions`` for their meaning and units."""

    scene_range: SceneRange | str | None
    min_scene_duration: int | None
    max_scene_duration: int | None
    person_count: int
    tag_ids: Iterable[int | str] | None
    language: SourceLanguage | str | None
    audio_effects: bool | None


def _if_running(value: str) -> IfRunning:
    if value not in ("raise", "wait"):
        raise ValueError(f"if_running must be 'raise' or 'wait', got {value!r}")
    return value  # type: ignore[return-value]


# -- parsing ----------------------------------------------------------------------------------


def _result(kind: type[T]) -> Callable[[Any], T]:
    """Reads ``{"code": "0", "result": {...}}`` as a ``kind``."""
    return functools.partial(structure_media_ai_result, type_=kind)


def _field(body: Any, name: str, kind: Any) -> Any:
    """``result[name]`` of ``{"code": "0", "result": {...}}``, read as a ``kind`` (``ResponseError``
    naming ``$.result.<name>`` when it is missing or of another type)."""
    result = media_ai_result(body)
    value = result.get(name) if isinstance(result, dict) else None
    return structure(value, kind, f"$.result.{name}")


def _projects(body: Any) -> list[Project]:
    """``{"totalCount": N, "result": {"projects": [...]}}``: ``totalCount`` is documented beside
    ``result``; read from inside ``result`` too, and not needed (see ``MediaAI.projects``)."""
    items = _field(body, "projects", tuple[Any, ...])
    return [structure(item, Project, f"$.result.projects[{i}]") for i, item in enumerate(items)]


def _created(body: Any, workspace: str, project_id: str, key: str) -> AssetRef:
    """The ``assetId`` of an import request's answer (an integer, or its text), as a ref that
    remembers its ``key``."""
    return AssetRef(workspace, project_id, _field(body, "assetId", int), key=key)


def _index(body: Any, asset: AssetRef) -> Index:
    result = media_ai_result(body)
    return attrs.evolve(structure(result, Index, "$.result"), content=result, asset=asset)


def _nothing(body: Any) -> None:
    """Writes answer ``{"code": "0", "message": "success"}`` (a ``result`` is ignored)."""


# -- the resource -----------------------------------------------------------------------------


class MediaAI(Resource):
    """Media Intelligence APIs (``client.media_ai``; the service was Media AI Understanding).

    Pace a large batch with ``MediaClient(rate_limit=RateLimit.per_minute(...))``, which holds
    for every request of the client; a 429 slows every request of the client too. See the
    module docstring for which calls are retried on what.
    """

    name = "media_ai"
    title = "Media Intelligence"
    content_type = "application/json"

    @staticmethod
    def refused(body: Any) -> bool:
        """A success status whose body says no: ``{"code": "10016", "message": ..., "result":
        null}`` (any ``code`` but ``"0"``). It is raised as the ``ApiError`` its code maps to
        (``BadRequestError`` for 10016, ...), and a write that got it did not take effect."""
        return isinstance(body, dict) and "code" in body and str(body["code"]) != "0"

    #: ``Resource._list`` in this service's paging dialect (``pageNum``/``pageSize``, at most
    #: 1,000 a page); a partial, so that the list method calls ``_list`` itself (its span name).
    _pages = functools.partialmethod(
        Resource._list, max_page_size=_defaults.MEDIA_AI_MAX_PAGE_SIZE, paging=PAGE_NUM
    )

    # -- workspaces and projects ----------------------------------------------------------------

    def workspaces(
        self,
        *,
        page_size: int = _defaults.MEDIA_AI_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[Workspace]:
        """``GET /workspaces``: every workspace, page by page (a ``Pager``, returned at once).

        Paged as ``pageNum``/``pageSize`` (1 to 1,000), answered with ``result.content`` and
        ``result.totalCount`` (the answer says ``pageNo``: the walk keeps its own numbering).
        """
        return self._pages(
            ("workspaces",), Workspace, (), page_size, start_page, max_items, prefetch
        )

    async def workspace(self, workspace: str) -> Workspace:
        """``GET /workspaces/{workspace_name}``: one workspace, with its
        ``monthly_analysis_count``. An unknown workspace raises ``NotFoundError``."""
        return await self._get(("workspaces", segment("workspace", workspace)), _result(Workspace))

    async def projects(self, workspace: str) -> list[Project]:
        """``GET /workspaces/{workspace_name}/projects``: every project of a workspace (at most
        1,000), not paged. The documents put the count (``totalCount``) beside ``result``, their
        example maybe inside: either is accepted and neither is needed (the list is complete)."""
        path = ("workspaces", segment("workspace", workspace), "projects")
        return await self._get(path, _projects)

    async def project(self, workspace: str, project_id: str | int) -> Project:
        """``GET /workspaces/{workspace_name}/projects/{project_id}``: one project."""
        return await self._get(_project_path(workspace, project_id), _result(Project))

    # -- assets -----------------------------------------------------------------------------

    def assets(
        self,
        workspace: str,
        project_id: str | int,
        *,
        page_size: int = _defaults.MEDIA_AI_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[Asset]:
        """``GET /workspaces/{w}/projects/{project_id}/assets``: every media asset of a project,
        page by page (a ``Pager``, returned at once; paged as ``workspaces``). No filter is
        documented. ``AssetRef(workspace, project_id, str(asset.asset_id))`` names one."""
        path = _project_path(workspace, project_id, "assets")
        return self._pages(path, Asset, (), page_size, start_page, max_items, prefetch)

    async def asset(self, ref: AssetRef) -> Asset:
        """``GET …/projects/{project_id}/assets/{asset_id}``: one asset, with its Object Storage
        ``key``."""
        return await self._get(_asset_path(ref), _result(Asset))

    # -- imports ----------------------------------------------------------------------------

    async def import_asset(
        self, workspace: str, project_id: str | int, *, bucket: str, key: str
    ) -> AssetRef:
        """``POST …/projects/{project_id}/assets/import/object-storage``: register one object of
        an Object Storage bucket as a media asset; its ref, with ``key`` set, at once.

        The copy and checks run afterwards: follow them with ``import_status`` or
        ``wait_for_imports``. ``key`` is the object's full name (a folder is refused by the service
        with code 10016, sent with HTTP 200 and raised as ``BadRequestError``: a refusal, whatever
        its HTTP status, did not take effect). One object per request, and one request per call:
        this call creates an asset, so once it may have reached the service it is never sent again
        (a timeout or reset raises ``OutcomeUnknownError``, a 5xx ``ServerError``): never two assets
        for one call. Look the asset up with ``assets`` before importing the key again.
        """
        _checks.text("bucket", bucket)
        _checks.text("key", key)
        ws, pid = segment("workspace", workspace), segment("project_id", project_id)
        path = _project_path(ws, pid, "assets", "import", "object-storage")
        parse = functools.partial(_created, workspace=ws, project_id=pid, key=key)
        return await self._write("POST", path, parse, json={"key": key, "bucketName": bucket})

    def import_assets(
        self,
        workspace: str,
        project_id: str | int,
        *,
        bucket: str,
        keys: Iterable[str],
        concurrency: int = _defaults.POLL_CONCURRENCY,
        return_exceptions: E | Literal[False] = False,
        journal: JournalPath | None = None,
    ) -> Results[AssetRef, str, E]:
        """``import_asset`` for many keys, at most ``concurrency`` requests in flight; yields
        each ``AssetRef`` (its ``key`` set) as it is created.

        ``keys`` is a collection of keys (a single ``str`` is a ``TypeError``); a key listed
        twice is imported once. A key whose request fails does not stop the others, and is
        never sent again (see ``import_asset``): the failures are raised together as
        ``PollingError`` (``.failures`` maps key to error) once the rest are done, or yielded
        as ``PollFailure(key, error)`` with ``return_exceptions=True``. An authentication error
        stops the batch at once.

        ``journal`` (a file path) makes the batch resumable: run again with the same journal,
        the keys imported before are yielded from it (``AssetRef.from_journal``) and those
        whose request's fate was unknown are looked for before anything is sent (see the
        module docstring). It is opened when the iteration starts: ``JournalError`` if it is
        another batch's or in use.
        """
        keys = _checks.texts("keys", keys)
        _checks.text("bucket", bucket)
        ws, pid = segment("workspace", workspace), segment("project_id", project_id)
        one = functools.partial(self.import_asset, ws, pid, bucket=bucket)
        wait = self._wait(
            "import_assets", "key", concurrency=concurrency, max_failures=1,  # never repeated
            return_exceptions=return_exceptions,
        )  # fmt: skip
        if journal is None:
            return wait.run(keys, lambda key: one(key=key))

        def finished(key: str, entry: Mapping[str, Any]) -> AssetRef | None:
            asset = entry.get("asset")
            return None if asset is None else AssetRef(ws, pid, asset, key=key, from_journal=True)

        def rest(book: Journal, todo: list[str]) -> Results[AssetRef, str, E]:
            async def step(key: str) -> AssetRef:
                if (asset := book.entries.get(key, {}).get("asset")) is None:  # not found
                    await book.record(key, "intent", durable=True, at=time.time())
                    asset = (await one(key=key)).asset_id
                    await book.record(key, "created", asset=asset)
                return AssetRef(ws, pid, asset, key=key)

            return wait.run(todo, step)

        return Results(self._journaled(journal, "import", (ws, pid, bucket), keys, finished, rest))

    async def import_status(
        self, workspace: str, project_id: str | int, asset_id: str | int
    ) -> ImportStatus:
        """``GET …/projects/{project_id}/assets/{asset_id}/import-status``: where the import of
        one asset stands (``result.assetId``, ``uploadStatus``, ``uploadResult``, ``metaData``).

        The returned status carries ``asset``, the ``AssetRef`` asked about. An unknown asset
        raises ``NotFoundError``, a malformed id ``BadRequestError``.
        """
        return await self.import_status_of(AssetRef(workspace, project_id, asset_id))

    async def video_import_status(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> ImportStatus:
        """Deprecated: the import status on ``…/video-assets/{video_asset_id}/import-status``,
        which NCP removes in January 2027; call ``import_status`` (same ids) instead.

        Works as ``import_status`` did before (``result.videoId`` is read into ``asset_id``;
        ``asset`` is a ``VideoAssetRef``) and warns once per process.
        """
        _deprecated("video_import_status()", "call import_status() with the same ids instead")
        return await self._import_status(VideoAssetRef(workspace, project_id, video_asset_id))

    async def import_status_of(self, ref: AssetRef | VideoAssetRef) -> ImportStatus:
        """``import_status`` for an ``AssetRef``; for a ``VideoAssetRef``, the deprecated path
        (which warns once per process, as ``video_import_status``)."""
        if isinstance(ref, VideoAssetRef):
            _deprecated("a VideoAssetRef")
        return await self._import_status(ref)

    def _import_status(
        self, ref: AssetRef | VideoAssetRef, path: tuple[str, ...] | None = None
    ) -> Coroutine[Any, Any, ImportStatus]:
        """The import-status request of ``ref`` (the transport's coroutine, as ``_get``'s), on
        ``path`` when the caller made it already (``wait_for_imports``: once per asset)."""
        parse = functools.partial(structure_import_status, asset=ref)
        return self._get(path or _import_status_path(ref), parse)

    def wait_for_imports(
        self,
        refs: Iterable[AssetRef | VideoAssetRef],
        *,
        concurrency: int = _defaults.POLL_CONCURRENCY,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        return_exceptions: E | Literal[False] = False,
    ) -> Results[ImportStatus, AssetRef | VideoAssetRef, E]:
        """Poll many imports until each reaches a terminal state; yield each as it lands.

        ``refs`` are ``AssetRef``s (polled on the current ``…/assets/{id}/import-status``) or
        ``VideoAssetRef``s (the deprecated ``…/video-assets/…`` path, removed by NCP in January
        2027: a ``DeprecationWarning`` says so once), mixed as you like. Terminal states:
        COMPLETED, FAILED, FILE_NOT_EXIST, INVALID_METADATA. ``concurrency`` bounds the requests
        in flight (and is itself bounded by the client's ``max_connections``, 100 by default: a
        warning says so); ``interval`` is the pause in seconds between two polls of one asset;
        ``timeout`` in seconds bounds the whole wait (``PollTimeoutError``). An asset that fails
        for good (not found, bad request) does not stop the others: the failures are raised
        together as ``PollingError`` (``.failures`` maps ref to error) after the rest finished,
        or yielded as ``PollFailure`` with ``return_exceptions=True``. An authentication error,
        or ``close()``, stops the whole wait at once. See ``ncp_media_async.polling``.

        Examples:
            ```python
            refs = [ncp.AssetRef("ws", 7, asset_id) for asset_id in ids]
            async for status in client.media_ai.wait_for_imports(refs, timeout=600):
                print(status.asset, status.upload_status)
            ```
        """
        refs = _checks.instances("refs", refs, (AssetRef, VideoAssetRef))
        # Each path made once, not once per poll: an empty or dot id is a ValueError now.
        paths = {ref: _import_status_path(ref) for ref in refs}
        if any(isinstance(ref, VideoAssetRef) for ref in refs):
            _deprecated("a VideoAssetRef")

        async def step(ref: AssetRef | VideoAssetRef) -> ImportStatus | Again:
            status = await self._import_status(ref, paths[ref])
            return status if status.terminal else AGAIN

        return self._wait(
            "wait_for_imports", "asset", concurrency=concurrency, interval=interval,
            timeout=timeout, max_failures=max_failures, return_exceptions=return_exceptions,
        ).run(refs, step)  # fmt: skip

    # -- analyses (indexes) -----------------------------------------------------------------

    async def start_index(
        self,
        ref: AssetRef,
        options: IndexOptions | None = None,
        *,
        if_running: IfRunning = "raise",
        interval: float = _defaults.INDEX_POLL_INTERVAL,
        timeout: float | None = None,
        **option_values: Unpack[IndexOptionValues],
    ) -> None:
        """``POST …/assets/{asset_id}/index``: start analysing (indexing) an asset whose import
        COMPLETED; follow it with ``index_status`` or ``wait_for_indexes``.

        The options are ``IndexOptions``, given as one (``options=``) or by name
        (``start_index(ref, scene_range="LONG", person_count=3)``); an invalid combination
        raises ``ValueError`` before anything is sent. A finished analysis replaces the
        asset's latest index; while one runs, the old index stays readable.

        An asset already being analysed answers 409: ``ConflictError`` by default
        (``if_running="raise"``). With ``if_running="wait"`` the call waits for that analysis to
        end (polling ``index_status`` every ``interval`` seconds, at most ``timeout`` seconds in
        all: ``PollTimeoutError``) and then asks again, so that the analysis asked for runs
        (``BEFORE_ANALYZE`` meanwhile is that analysis not picked up yet: polled on for
        ``wait_for_indexes``' default ``start_grace``, 60 s, before asking again). The
        request is never sent again once it may have reached the service (a 409 is a definite
        refusal, so asking again after one is not a repeat).
        """
        if options is None:
            options = IndexOptions(**option_values)
        elif option_values:
            raise TypeError("give options= or option values by name, not both")
        # ``ingest``'s state machine, for one key already imported, done once the request is
        # taken.
        _asset_path(ref)
        key = IngestKey(
            "", index=True, if_running=_if_running(if_running), index_interval=interval,
            start_grace=_defaults.INDEX_START_GRACE, follow=False, stage=IngestStage.INDEX, ref=ref,
        )  # fmt: skip
        wait = self._wait(
            "start_index", "analysis", interval=interval, timeout=timeout, return_exceptions=True
        )
        step = functools.partial(self._step, options=options)
        result: IngestResult = await only(wait.run((key,), step))
        if result.error is not None:
            raise result.error

    async def index_status(self, ref: AssetRef) -> IndexStatus:
        """``GET …/assets/{asset_id}/index/status``: the state of the asset's latest analysis
        (``BEFORE_ANALYZE`` for one never analysed), with ``asset`` set to ``ref``."""
        path = (*_asset_path(ref), "index", "status")
        return attrs.evolve(await self._get(path, _result(IndexStatus)), asset=ref)

    def wait_for_indexes(
        self,
        refs: Iterable[AssetRef],
        *,
        concurrency: int = _defaults.POLL_CONCURRENCY,
        interval: float = _defaults.INDEX_POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        start_grace: float = _defaults.INDEX_START_GRACE,
        return_exceptions: E | Literal[False] = False,
    ) -> Results[IndexStatus, AssetRef, E]:
        """Poll many analyses until each ends; yield each final ``IndexStatus`` as it lands.

        Ends: ANALYZE_COMPLETED, ANALYZE_FAIL, ANALYZE_CANCEL. ``BEFORE_ANALYZE`` right after a
        request means the service has not picked it up yet: it is polled on for ``start_grace``
        seconds from the first time it is seen for an asset, then taken as final (no analysis is
        coming: yielded as is). The rest is ``wait_for_imports``' (``concurrency``,
        ``interval`` in seconds, ``timeout`` in seconds for the whole wait, failures raised
        together or yielded as ``PollFailure``; the same engine).

        A re-analysis of an asset whose last one ended may report that old end until the
        service picks the new one up (nothing in the status tells them apart): wait a moment
        after ``start_index`` before polling such assets, or use ``ingest``.
        """
        for ref in (refs := _checks.instances("refs", refs, AssetRef)):
            _asset_path(ref)
        grace = _checks.seconds("start_grace", start_grace)
        first_seen: dict[AssetRef, float] = {}
        clock = self._transport.monotonic

        async def step(ref: AssetRef) -> IndexStatus | Again:
            status = await self.index_status(ref)
            if status.status == IndexState.BEFORE_ANALYZE:
                seen = first_seen.setdefault(ref, clock())
                return AGAIN if clock() - seen < grace else status
            return status if status.terminal else AGAIN

        return self._wait(
            "wait_for_indexes", "analysis", concurrency=concurrency, interval=interval,
            timeout=timeout, max_failures=max_failures, return_exceptions=return_exceptions,
        ).run(refs, step)  # fmt: skip

    async def index(
        self, ref: AssetRef, *, confidence_level: ConfidenceLevel | str | None = None
    ) -> Index:
        """``GET …/assets/{asset_id}/index``: the asset's latest index, a typed header and the
        analysis as plain JSON (``Index.content``).

        ``confidence_level`` (``LOW``, ``MEDIUM``: the service's default, ``HIGH``) filters the
        keywords by certainty; ``None`` sends none. The service refuses this call until an
        analysis has completed (the status and code it uses are not documented: expect a
        ``NotFoundError`` or a ``ConflictError``).
        """
        query = []
        if confidence_level is not None:
            level = _checks.member(ConfidenceLevel, confidence_level, "confidence_level")
            query = [("confidence_level", level.value)]
        parse = functools.partial(_index, asset=ref)
        return await self._get((*_asset_path(ref), "index"), parse, query)

    async def cancel_index(self, ref: AssetRef) -> None:
        """``POST …/assets/{asset_id}/index/cancel``: cancel the asset's analysis while it waits
        or runs (its status then becomes ANALYZE_CANCEL; the previous index stays). Otherwise
        the service answers 409: ``ConflictError``. Never sent again once it may have reached
        the service: a second cancel would answer 409 for a cancel that worked (or cancel an
        analysis started in between), so a lost answer is an ``OutcomeUnknownError`` (read
        ``index_status`` to learn what happened)."""
        await self._write("POST", (*_asset_path(ref), "index", "cancel"), _nothing)

    async def delete_index(self, ref: AssetRef) -> None:
        """``DELETE …/assets/{asset_id}/index``: delete the asset's latest (completed) index and
        its scene summaries, for good. While an analysis runs the service answers 409:
        ``ConflictError``. Never sent again once it may have reached the service: a second
        delete would fail for a delete that worked (or delete an index made in between), so a
        lost answer is an ``OutcomeUnknownError`` (read ``index`` to learn what happened)."""
        await self._write("DELETE", (*_asset_path(ref), "index"), _nothing)

    # -- the pipeline -----------------------------------------------------------------------

    def ingest(
        self,
        workspace: str,
        project_id: str | int,
        *,
        bucket: str,
        keys: Iterable[str],
        index: bool | IndexOptions = True,
        concurrency: int = _defaults.POLL_CONCURRENCY,
        interval: float = _defaults.POLL_INTERVAL,
        index_interval: float = _defaults.INDEX_POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        if_running: IfRunning = "raise",
        start_grace: float = _defaults.INDEX_START_GRACE,
        on_progress: Callable[[IngestResult], None] | None = None,
        journal: JournalPath | None = None,
    ) -> AsyncGenerator[IngestResult, None]:
        """From Object Storage keys to indexed assets: for each key, ``import_asset``, wait for
        the import, ``start_index`` (unless ``index=False``; ``index=IndexOptions(...)`` for
        other options than the defaults), wait for the analysis; yield one ``IngestResult`` per
        key as soon as that key is done.

        Each key moves on as soon as its previous step finished, whatever the other keys do:
        there is no batch barrier. At most ``concurrency`` requests are in flight across every
        key and step (one shared bound, capped by the client's ``max_connections``), and the
        client-wide rate limit and 429 gate pace them all. ``interval`` is the pause in seconds
        between two import polls of one key (and before the first), ``index_interval`` between
        two analysis polls; ``start_grace`` and ``if_running`` are ``wait_for_indexes``' and
        ``start_index``'s.

        ``keys`` is a collection of keys (a single ``str`` is a ``TypeError``); a key listed
        twice is ingested once. A key that fails stops alone: its result carries the ``error``
        and the ``stage`` it stopped at (the import request and the analysis request are never
        sent twice, see ``import_asset``; a poll is retried as ``wait_for_imports`` retries it,
        ``max_failures`` times in a row). A FAILED import or ANALYZE_FAIL analysis is a state,
        not an error. ``timeout`` (seconds, for the whole run) ends the keys still under way
        with a ``PollTimeoutError`` as their ``error``. An authentication error, or
        ``close()``, stops everything at once (raised). Breaking out of the loop or cancelling
        stops every request at once and leaves no task behind (an import request cut short may
        still have created its asset).

        ``on_progress`` is called with a snapshot each time a key moves on to ``IMPORT_WAIT``,
        ``INDEX`` or ``INDEX_WAIT`` (``stage`` is the one entered; a key's end is the result
        yielded), for progress displays; it must not block.

        ``journal`` (a file path) makes the run crash-safe: each key's intent is fsynced before
        its import request, its asset, import state, analysis request and end recorded after.
        Run again with the same journal (and the same workspace, project, bucket and ``index``
        or not), the run resumes: keys that finished are yielded from the journal
        (``IngestResult.from_journal``) untouched, keys imported are waited for, and a key
        whose import or analysis request's fate was unknown is reconciled with the service
        before anything is sent again (see the module docstring): one asset per key and one
        analysis per asset, whatever the number of kills and re-runs, and each key yielded
        once by every run. The journal is opened when the iteration starts (a synchronous
        read of the file): ``JournalError`` if it is another batch's or another run holds it.

        Examples:
            ```python
            async for result in client.media_ai.ingest("ws", 7, bucket="in", keys=keys):
                print(result.key, "ok" if result.ok else result.error or result.stage)
            ```
        """
        if not isinstance(index, bool | IndexOptions):
            raise TypeError(f"index must be a bool or IndexOptions, got {type(index).__name__}")
        options = (IndexOptions() if index else None) if isinstance(index, bool) else index
        keys = _checks.texts("keys", keys)
        _checks.text("bucket", bucket)
        where = (segment("workspace", workspace), segment("project_id", project_id), bucket)
        make = functools.partial(
            IngestKey, index=options is not None, if_running=_if_running(if_running),
            index_interval=_checks.seconds("index_interval", index_interval),
            start_grace=_checks.seconds("start_grace", start_grace),
        )  # fmt: skip
        wait = self._wait(
            "ingest", "key", concurrency=concurrency, interval=interval, timeout=timeout,
            max_failures=max_failures, return_exceptions=True,
        )  # fmt: skip
        step = functools.partial(self._step, options=options, where=where, report=on_progress)
        if journal is None:
            return _ingested(wait.run(map(make, keys), step))

        def finished(key: str, entry: Mapping[str, Any]) -> IngestResult | None:
            if entry.get("event") != "finished":
                return None
            return attrs.evolve(_restored(make(key), entry, where).result(), from_journal=True)

        def rest(book: Journal, todo: list[str]) -> AsyncGenerator[IngestResult, None]:
            targets = [_restored(make(key), book.entries.get(key, {}), where) for key in todo]
            return _ingested(wait.run(targets, functools.partial(step, journal=book)))

        return self._journaled(journal, "ingest", where, keys, finished, rest, index=bool(options))

    async def _journaled(
        self, path: JournalPath, kind: str, where: Where, keys: list[str],
        finished: Callable[[str, Mapping[str, Any]], Any],
        rest: Callable[[Journal, list[str]], Any], **target: Any,
    ) -> AsyncGenerator[Any, None]:  # fmt: skip
        """A batch run on a journal: the keys it says are ``finished`` (their result, or
        ``None``), then the assets of the keys whose import's fate is unknown looked for (each
        found is recorded ``created``: see the module docstring; a detail that cannot be read
        stops the batch with ``PollingError``, nothing imported again on a guess), then ``rest``
        of the keys."""
        target = dict(zip(("workspace", "project", "bucket"), where, strict=True), **target)
        async with Journal.open(path, kind, target) as book:
            entries, todo = book.entries, []
            for key in keys:
                if (result := finished(key, entries.get(key, {}))) is None:
                    todo.append(key)
                else:
                    yield result
            doubt = {k: e["at"] for k in todo if (e := entries.get(k, {})).get("event") == "intent"}
            names: set[str | None] = {key.rpartition("/")[2] for key in doubt} | {None}
            listed = self.assets(*where[:2], page_size=_defaults.MEDIA_AI_MAX_PAGE_SIZE)
            refs = [
                AssetRef(*where[:2], asset.asset_id)
                async for asset in listed
                if asset.asset_id is not None and asset.file_name in names
            ] if doubt else []  # fmt: skip

            async def detail(ref: AssetRef) -> object:
                asset = await self.asset(ref)
                key, made = asset.key or "", asset.created_time
                if key in doubt and (made is None or made.timestamp() >= doubt[key] - _CLOCK_SLACK):
                    del doubt[key]  # the first match is the key's asset
                    await book.record(key, "created", asset=ref.asset_id)
                return DONE

            async for _ in self._wait("ingest", "asset").run(refs, detail):
                pass
            async with contextlib.aclosing(rest(book, todo)) as results:
                async for result in results:
                    yield result

    async def _step(
        self,
        key: IngestKey,
        *,
        options: IndexOptions | None,
        where: tuple[str, str, str] = ("", "", ""),
        report: Callable[[IngestResult], None] | None = None,
        journal: Journal | None = None,
    ) -> IngestResult | Again:
        """Send the request ``key`` needs next and hand it the answer, until it says to wait
        or is done (the executor of ``_ingest.IngestKey``). A failed write ends the key with
        its error (a fatal one is raised: it stops everything); a failed poll is raised for the
        wait to try again or give up on. With a ``journal``, the intent of each write is
        recorded (durable) before it is sent, and each stage the key enters after."""
        while True:
            stage, ref = key.stage, cast(AssetRef, key.ref)  # known from IMPORT_WAIT on
            try:
                if stage is IngestStage.IMPORT:
                    if journal is not None:
                        await journal.record(key.key, "intent", durable=True, at=time.time())
                    ref = await self.import_asset(*where[:2], bucket=where[2], key=key.key)
                    after = key.created(ref)
                elif stage is IngestStage.IMPORT_WAIT:
                    after = key.import_polled(await self.import_status_of(ref))
                elif stage is IngestStage.INDEX:
                    assert options is not None
                    await self._ask_index(key, options, journal)
                    after = key.index_requested()
                else:
                    status = await self.index_status(ref)
                    after = key.index_polled(status, self._transport.monotonic())
            except NcpError as exc:
                # A poll's failure is the wait's to try again or give up on; a fatal one stops all.
                poll = stage in (IngestStage.IMPORT_WAIT, IngestStage.INDEX_WAIT)
                if poll or classify(exc) is Verdict.FATAL:
                    raise
                after = key.write_failed(exc)
            if key.stage is not stage:
                if journal is not None:
                    await journal.record(key.key, _EVENTS[key.stage], **_snapshot(key))
                if report is not None and key.stage is not IngestStage.DONE:
                    report(key.result())
            if after is not None:
                return after

    async def _ask_index(self, key: IngestKey, options: IndexOptions, book: Journal | None) -> None:
        """The analysis request of an ingest key. With a journal, its intent is recorded first;
        if the journal's last word on the key is such an intent (the request's fate unknown),
        an analysis ``index_status`` shows waiting, running or ended is taken for that request
        (nothing sent), and a 409 to the request sent again means it was taken, not picked up
        yet."""
        ref = cast(AssetRef, key.ref)
        doubt = book is not None and book.entries[key.key]["event"] == "index_intent"
        if doubt and (await self.index_status(ref)).status != IndexState.BEFORE_ANALYZE:
            return
        if book is not None:
            await book.record(key.key, "index_intent", durable=True)
        # The POST of start_index itself, once: ConflictError on a 409.
        with contextlib.suppress(ConflictError) if doubt else contextlib.nullcontext():
            await self._write("POST", (*_asset_path(ref), "index"), _nothing, json=options.body())


#: What a journal of ``ingest`` records when a key enters each stage (with ``_snapshot``), and
#: the stage a key resumes at after each record.
_EVENTS: Final = {
    IngestStage.IMPORT_WAIT: "created", IngestStage.INDEX: "imported",
    IngestStage.INDEX_WAIT: "indexing", IngestStage.DONE: "finished",
}  # fmt: skip
_STAGES = {event: stage for stage, event in _EVENTS.items()} | {"index_intent": IngestStage.INDEX}


def _snapshot(key: IngestKey) -> dict[str, Any]:
    """What a journal keeps of a key: its asset, its import and analysis states (state,
    message; and the analysis's index id), and whether it waits for someone else's analysis
    to end before asking for its own."""
    imported, indexed = key.import_status, key.index_status
    fields = {
        "asset": key.ref and key.ref.asset_id,
        "import": imported and [imported.upload_status, imported.upload_result],
        "index": indexed and [indexed.status, indexed.message, indexed.index_id],
        "rerun": key.rerun,
    }
    return {name: value for name, value in fields.items() if value is not None}


def _restored(key: IngestKey, entry: Mapping[str, Any], where: Where) -> IngestKey:
    """``key`` as its journal ``entry`` left it (as it is, while no asset is recorded)."""
    if (asset := entry.get("asset")) is None:
        return key
    key.ref = ref = AssetRef(where[0], where[1], asset, key=key.key)
    key.stage, key.rerun = _STAGES[entry["event"]], entry.get("rerun", False)
    if imported := entry.get("import"):
        key.import_status = ImportStatus(UploadStatus(imported[0]), None, imported[1], asset=ref)
    if indexed := entry.get("index"):
        key.index_status = IndexStatus(IndexState(indexed[0]), indexed[1], indexed[2], asset=ref)
    return key


async def _ingested(
    results: Results[IngestResult, IngestKey, Literal[True]],
) -> AsyncGenerator[IngestResult, None]:
    """One ``IngestResult`` per key: a key whose polls failed for good, or still under way when
    the ``timeout`` passed, ends with that error."""
    try:
        async with contextlib.aclosing(aiter(results)) as stream:
            async for result in stream:
                if isinstance(result, PollFailure):
                    result = result.target.result(result.error)
                yield result
    except PollTimeoutError as exc:
        for key in exc.pending:
            yield key.result(exc)


def _asset_path(ref: AssetRef) -> tuple[str, ...]:
    """The path of an asset, every id checked (``segment``); a ``TypeError`` for a ref that is
    not an ``AssetRef``."""
    if not isinstance(ref, AssetRef):
        raise TypeError(f"expected an AssetRef, got {type(ref).__name__}")
    return _project_path(ref.workspace, ref.project_id, "assets", segment("asset_id", ref.asset_id))


def _import_status_path(ref: AssetRef | VideoAssetRef) -> tuple[str, ...]:
    """``…/assets/{id}/import-status`` for an ``AssetRef``, the deprecated
    ``…/video-assets/{id}/import-status`` for a ``VideoAssetRef``; every id checked (see
    ``segment``)."""
    if not isinstance(ref, VideoAssetRef):
        return (*_asset_path(ref), "import-status")
    vid = segment("video_asset_id", ref.video_asset_id)
    return _project_path(ref.workspace, ref.project_id, "video-assets", vid, "import-status")


def _project_path(workspace: Any, project_id: Any, *rest: str) -> tuple[str, ...]:
    """``workspaces/{workspace}/projects/{project_id}/{rest...}``, both ids checked
    (``segment``)."""
    ws, pid = segment("workspace", workspace), segment("project_id", project_id)
    return ("workspaces", ws, "projects", pid, *rest)
