"""Media Intelligence's store (formerly Media AI Understanding): workspaces, projects, media
assets, imports from Object Storage and analyses (indexes).

Error dialect: a flat ``{"code": "10001", "message": "Invalid Request."}`` with a *string* code
(``MediaAiError``); success is ``{"code": "0", "message": "success", "result": {...}}``
(writes that return nothing leave ``result`` out). The documents define 10001 (invalid request)
and 10016 (a folder given as the object key); they define no code for "not found" or for their
409s, so the emulator picks its own: 10404 and 10409.

State moves with the client's polls, so that a test decides exactly when:

* an import (seeded, added with ``MediaAiStore.add_import``, or requested with
  ``POST …/assets/import/object-storage``) reports ``IN_PROGRESS`` until its
  ``polls_to_complete``-th status poll, then its outcome; polls on the current path
  (``…/assets/{id}/import-status``, answering ``assetId``) and on the deprecated one
  (``…/video-assets/{id}/import-status``, answering ``videoId``) count alike;
* an analysis, once requested, reports at its status polls (``…/index/status``)
  ``BEFORE_ANALYZE`` for ``index_pickup_polls`` polls (the first analysis of an asset only:
  not picked up yet), then ``WAIT_ANALYZE``, then ``ANALYZING``, and from the
  ``index_polls``-th poll after the pickup on its outcome (``ANALYZE_COMPLETED`` or
  ``ANALYZE_FAIL``; by default: BEFORE_ANALYZE, WAIT_ANALYZE, ANALYZING, ANALYZE_COMPLETED);
  until then a new request for the asset is refused with 409, as is a delete, and after it a
  cancel.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
from aiohttp import web

from ._data import ImportAsset, ImportState, Scenario, default_metadata, generate_imports
from ._routes import Route
from ._stats import AssetKey
from ._store import Call, Gateway, ParameterError, Rejection, Store, StoreRoute
from ._wire import KST, is_decimal, json_response

__all__ = ["MediaAiError", "MediaAiStore"]

_PROJECT: Final = "/api/v1/workspaces/{workspace}/projects/{projectId}"
_ASSET: Final = _PROJECT + "/assets/{assetId}"

#: Analysis outcomes an asset can be planned to reach.
INDEX_OUTCOMES: Final = frozenset({"ANALYZE_COMPLETED", "ANALYZE_FAIL"})
_SCENE_RANGES: Final = frozenset({"EXTRA_SHORT", "SHORT", "MEDIUM", "LONG"})
_LANGUAGES: Final = frozenset({"ENKO", "EN", "KO", "JA", "ZH-CN", "ZH-TW"})
_CONFIDENCE: Final = ("LOW", "MEDIUM", "HIGH")
_USER: Final = "emulator"


class MediaAiError(Rejection):
    """Media Intelligence's flat error body: ``{"code": "10001", "message": "Invalid
    Request."}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, {"code": code, "message": message})


def _invalid_request() -> MediaAiError:
    return MediaAiError(400, "10001", "Invalid Request")


def _not_found(what: str) -> MediaAiError:
    return MediaAiError(404, "10404", f"{what} not found")


def _conflict(message: str) -> MediaAiError:
    return MediaAiError(409, "10409", message)


def _iso(epoch_ms: int) -> str:
    """ISO 8601 with a ``+09:00`` offset (the documents show no example: one plausible form)."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=KST).isoformat(timespec="seconds")


def _json_id(text: str) -> int | str:
    """An id as the service's bodies carry it: an integer (text the emulator was given as an
    id that is not a number stays text)."""
    return int(text) if is_decimal(text) else text


def _success(result: Any = None, **beside: Any) -> web.Response:
    body: dict[str, Any] = {"code": "0", "message": "success", **beside}
    if result is not None:
        body["result"] = result
    return json_response(body)


@attrs.frozen
class ObjectPlan:
    """How the emulator treats an Object Storage key that is imported: the import's
    ``import_outcome`` (an ``uploadStatus``) at its ``import_polls``-th status poll (``None``:
    the store's ``import_polls``), then, if analysed, ``index_outcome``."""

    import_outcome: str = "COMPLETED"
    import_polls: int | None = None
    index_outcome: str = "ANALYZE_COMPLETED"


@attrs.define
class _Analysis:
    """One analysis request of an asset (mutable, internal)."""

    outcome: str
    pickup_polls: int
    polls_to_end: int
    settings: dict[str, Any]
    polls: int = 0
    cancelled: bool = False
    #: Whether the index it made is the asset's (made at the first poll that reports it).
    indexed: bool = False

    def state(self) -> str:
        """The status reported at the ``polls``-th status poll (``WAIT_ANALYZE`` before any)."""
        polls = self.polls
        if self.cancelled:
            return "ANALYZE_CANCEL"
        if polls >= self.polls_to_end:
            return self.outcome
        if 0 < polls <= self.pickup_polls:
            return "BEFORE_ANALYZE"
        return "WAIT_ANALYZE" if polls <= self.pickup_polls + 1 else "ANALYZING"

    @property
    def running(self) -> bool:
        """Requested and not ended (the service's own view: picked up or not)."""
        return not self.cancelled and self.polls < self.polls_to_end


@attrs.define
class _Asset:
    """A media asset (mutable, internal): its import and its analyses."""

    imported: ImportState
    file_name: str
    key: str
    created_ms: int
    analysis: _Analysis | None = None
    index: dict[str, Any] | None = None
    index_id: int | None = None
    index_outcome: str = "ANALYZE_COMPLETED"

    @property
    def import_completed(self) -> bool:
        """Whether the import reported COMPLETED (imports move with their polls)."""
        state = self.imported
        return state.polls >= state.polls_to_complete and state.outcome == "COMPLETED"


class MediaAiStore(Store):
    """Media Intelligence behind the gateway (``emulator.media_ai``).

    Settings (mutable attributes):

    * ``max_page_size`` (1000, the ``pageSize`` of its lists) and ``page_size_cap`` (see
      ``Store``);
    * ``import_polls`` (2): the status poll at which a requested import reports its outcome,
      unless its key has an ``ObjectPlan`` or the scenario fixed ``import_polls``;
    * ``import_failure_rate`` (0.0): the share of requested imports that end in ``FAILED``,
      ``FILE_NOT_EXIST`` or ``INVALID_METADATA`` (seeded by key), ``index_failure_rate`` (0.0)
      the share of analyses that end in ``ANALYZE_FAIL``;
    * ``index_pickup_polls`` (1) and ``index_polls`` (3): see the module docstring.

    Import-status polls are counted in ``emulator.stats.import_polls`` and
    ``polls_after_terminal``; ``assets_for_key`` tells how many assets an object key made
    (a correct client makes one per import call, whatever faults it met).
    """

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway, max_page_size=1000)
        self.import_polls = 2
        self.import_failure_rate = 0.0
        self.index_failure_rate = 0.0
        self.index_pickup_polls = 1
        self.index_polls = 3
        self.seed = 0
        self._workspaces: dict[str, dict[str, Any]] = {}
        self._projects: dict[str, dict[str, dict[str, Any]]] = {}
        self._assets: dict[AssetKey, _Asset] = {}
        self._plans: dict[str, ObjectPlan] = {}
        self._analyses_this_month: dict[str, int] = {}
        self._next_asset_id = 100_000
        self._next_index_id = 1

    def __repr__(self) -> str:
        return f"MediaAiStore(workspaces={len(self._workspaces)}, assets={len(self._assets)})"

    def routes(self) -> Sequence[StoreRoute]:
        """Every Media Intelligence route the emulator serves (see ``Route``)."""
        return (
            StoreRoute("GET", "/api/v1/workspaces", Route.WORKSPACES, self._list_workspaces),
            StoreRoute(
                "GET", "/api/v1/workspaces/{workspace}", Route.WORKSPACE, self._get_workspace
            ),
            StoreRoute(
                "GET",
                "/api/v1/workspaces/{workspace}/projects",
                Route.PROJECTS,
                self._list_projects,
            ),
            StoreRoute("GET", _PROJECT, Route.PROJECT, self._get_project),
            StoreRoute("GET", _PROJECT + "/assets", Route.ASSETS, self._list_assets),
            StoreRoute("GET", _ASSET, Route.ASSET, self._get_asset),
            StoreRoute(
                "POST",
                _PROJECT + "/assets/import/object-storage",
                Route.IMPORT_ASSET,
                self._import_asset,
                json_body=True,
            ),
            StoreRoute("GET", _ASSET + "/import-status", Route.IMPORT_STATUS, self._import_status),
            StoreRoute(
                "GET",
                _PROJECT + "/video-assets/{assetId}/import-status",
                Route.VIDEO_IMPORT_STATUS,
                self._video_import_status,
            ),
            StoreRoute(
                "POST", _ASSET + "/index", Route.START_INDEX, self._start_index, json_body=True
            ),
            StoreRoute("GET", _ASSET + "/index/status", Route.INDEX_STATUS, self._index_status),
            StoreRoute("GET", _ASSET + "/index", Route.INDEX, self._get_index),
            StoreRoute("POST", _ASSET + "/index/cancel", Route.CANCEL_INDEX, self._cancel_index),
            StoreRoute("DELETE", _ASSET + "/index", Route.DELETE_INDEX, self._delete_index),
        )

    # ------------------------------------------------------------------------ error dialect

    def bad_body(self, detail: str) -> Rejection:
        """400 ``10001`` (Invalid Request)."""
        return _invalid_request()

    def bad_parameter(self, error: ParameterError) -> Rejection:
        """400 ``10001`` (Invalid Request), whatever the parameter."""
        return _invalid_request()

    # ----------------------------------------------------------------------- data: loading

    def load(self, scenario: Scenario, *, anchor_ms: int, now_ms: int) -> None:
        """Add the scenario's imports, with their workspace and project (none without imports);
        a scenario that fixes ``import_polls`` fixes it for requested imports too."""
        self.seed = scenario.seed
        if scenario.import_polls is not None:
            self.import_polls = scenario.import_polls
        if scenario.imports:
            self.add_workspace(scenario.workspace, bucket="emulator-bucket")
            self.add_project(scenario.workspace, scenario.project_id, name="emulator project")
        for state in generate_imports(scenario):
            self._add(state, f"video-{state.video_asset_id}.mp4")

    def clear(self) -> None:
        """Remove every workspace, project and asset (settings and plans stay)."""
        self._workspaces.clear()
        self._projects.clear()
        self._assets.clear()
        self._analyses_this_month.clear()

    def info(self) -> dict[str, Any]:
        """``imports``: ``[workspace, project_id, asset_id]`` of every asset."""
        return {"imports": [list(key) for key in self._assets]}

    # ------------------------------------------------------------------ data: what tests set

    def add_workspace(self, name: str, *, bucket: str | None = None) -> None:
        """Add a workspace (a name already there keeps its projects and assets)."""
        if name in self._workspaces:
            return
        now = self.gateway.now_ms()
        self._workspaces[name] = {
            "workspaceName": name,
            "bucketName": bucket,
            "createdUserName": _USER,
            "createdTime": _iso(now),
            "updatedUserName": _USER,
            "updatedTime": _iso(now),
        }
        base = str(900_000 + len(self._workspaces))  # each workspace has its base project
        self._projects[name] = {base: self._project(base, "Default project", base=True)}

    def add_project(self, workspace: str, project_id: str | int, *, name: str = "project") -> None:
        """Add a project to a workspace (made if missing)."""
        self.add_workspace(workspace)
        pid = str(project_id)
        self._projects[workspace].setdefault(pid, self._project(pid, name, base=False))

    def _project(self, pid: str, name: str, *, base: bool) -> dict[str, Any]:
        now = _iso(self.gateway.now_ms())
        return {
            "projectId": _json_id(pid),
            "name": name,
            "isBaseProject": base,
            "createdUserName": _USER,
            "createdTime": now,
            "updatedUserName": _USER,
            "updatedTime": now,
        }

    def plan_object(
        self,
        key: str,
        *,
        import_outcome: str = "COMPLETED",
        import_polls: int | None = None,
        index_outcome: str = "ANALYZE_COMPLETED",
    ) -> None:
        """Decide what importing (and analysing) the object ``key`` leads to, from now on."""
        if index_outcome not in INDEX_OUTCOMES:
            raise ValueError(f"index_outcome must be one of {sorted(INDEX_OUTCOMES)}")
        self._plans[key] = ObjectPlan(import_outcome, import_polls, index_outcome)

    def add_import(
        self,
        workspace: str,
        project_id: str | int,
        video_asset_id: str | int,
        *,
        outcome: str = "COMPLETED",
        polls: int = 1,
        metadata: Mapping[str, Any] | None = None,
        upload_result: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> ImportAsset:
        """Add (or replace) an asset whose import ends in ``outcome`` at poll ``polls``.

        Polls before the ``polls``-th report ``IN_PROGRESS``; that poll and later ones report
        ``outcome`` (any string; unknown values are served too and count as non-terminal).
        ``metadata`` is the ``metaData`` object sent with the outcome (``None``: a plausible one
        for ``COMPLETED``/``INVALID_METADATA``, none otherwise). ``upload_result`` overrides the
        ``uploadResult`` text. ``result``, if given, is sent verbatim as ``result`` once the
        outcome is reached, on either path (for quirky bodies). The id must be numeric, as the
        service's ``assetId`` is an integer. The workspace and project are made if missing.
        """
        asset_id = str(video_asset_id)
        if not is_decimal(asset_id):
            raise ValueError(f"video_asset_id must be numeric, got {video_asset_id!r}")
        if polls < 1:
            raise ValueError(f"polls must be >= 1, got {polls!r}")
        self.add_project(workspace, project_id)
        state = ImportState(
            workspace=workspace,
            project_id=str(project_id),
            video_asset_id=asset_id,
            outcome=outcome,
            polls_to_complete=polls,
            metadata=dict(metadata)
            if metadata is not None
            else default_metadata(asset_id, outcome),
            upload_result=upload_result,
            result=dict(result) if result is not None else None,
        )
        self._add(state, f"video-{asset_id}.mp4")
        return state.view()

    def _add(self, state: ImportState, key: str, index_outcome: str = "ANALYZE_COMPLETED") -> None:
        self.add_project(state.workspace, state.project_id)
        self._assets[state.key] = _Asset(
            state, key.rpartition("/")[2], key, self.gateway.now_ms(), index_outcome=index_outcome
        )
        self._next_asset_id = max(self._next_asset_id, int(state.video_asset_id) + 1)

    def remove_import(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> None:
        """Forget an asset (its import status then answers 404)."""
        self._assets.pop((workspace, str(project_id), str(video_asset_id)), None)

    def get_import(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> ImportAsset:
        """A snapshot of one asset's import (``KeyError`` if unknown)."""
        return self._assets[(workspace, str(project_id), str(video_asset_id))].imported.view()

    def imports(self) -> list[ImportAsset]:
        """Snapshots of every asset's import, in insertion order."""
        return [asset.imported.view() for asset in self._assets.values()]

    def import_refs(self) -> list[AssetKey]:
        """``(workspace, project_id, asset_id)`` of every asset, in insertion order."""
        return list(self._assets)

    def assets_for_key(self, key: str) -> list[AssetKey]:
        """Every asset imported from the object ``key`` (by request), in creation order."""
        return [ref for ref, asset in self._assets.items() if asset.key == key]

    def index_state(self, workspace: str, project_id: str | int, asset_id: str | int) -> str | None:
        """What the asset's analysis would report now (``None``: never requested), without
        counting as a poll."""
        analysis = self._asset_at(workspace, str(project_id), str(asset_id)).analysis
        return None if analysis is None else analysis.state()

    def index_request(
        self, workspace: str, project_id: str | int, asset_id: str | int
    ) -> dict[str, Any] | None:
        """The body of the asset's latest accepted analysis request (``None``: none yet)."""
        analysis = self._asset_at(workspace, str(project_id), str(asset_id)).analysis
        return None if analysis is None else dict(analysis.settings)

    def begin_analysis(
        self,
        workspace: str,
        project_id: str | int,
        asset_id: str | int,
        *,
        outcome: str = "ANALYZE_COMPLETED",
        polls: int | None = None,
        pickup_polls: int = 0,
    ) -> None:
        """Start an analysis of the asset as another user of the workspace would (no request is
        counted): it waits BEFORE_ANALYZE for ``pickup_polls`` status polls (not picked up
        yet), runs for ``polls`` status polls (``None``: ``index_polls``), then ends in
        ``outcome``; meanwhile a request for the asset is refused with 409."""
        if outcome not in INDEX_OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(INDEX_OUTCOMES)}")
        asset = self._asset_at(workspace, str(project_id), str(asset_id))
        asset.analysis = _Analysis(
            outcome=outcome,
            pickup_polls=pickup_polls,
            polls_to_end=max(polls or self.index_polls, 1),
            settings={},
        )

    def analyses_requested(self, workspace: str) -> int:
        """Analysis requests the workspace accepted (its ``monthlyAnalysisCount``)."""
        return self._analyses_this_month.get(workspace, 0)

    def _asset_at(self, workspace: str, project_id: str, asset_id: str) -> _Asset:
        asset = self._assets.get((workspace, project_id, asset_id))
        if asset is None:
            raise KeyError((workspace, project_id, asset_id))
        return asset

    # ---------------------------------------------------------------------------- helpers

    def _workspace(self, call: Call) -> dict[str, Any]:
        workspace = self._workspaces.get(call.params["workspace"])
        if workspace is None:
            raise _not_found("Workspace")
        return workspace

    def _project_of(self, call: Call) -> dict[str, Any]:
        project = self._projects.get(call.params["workspace"], {}).get(call.params["projectId"])
        if project is None:
            self._workspace(call)
            raise _not_found("Project")
        return project

    def _asset(self, call: Call) -> _Asset:
        params = call.params
        asset_id = params["assetId"]
        if not is_decimal(asset_id):
            raise _invalid_request()
        asset = self._assets.get((params["workspace"], params["projectId"], asset_id))
        if asset is None:
            raise _not_found("Asset")
        return asset

    def _page(self, call: Call, items: Sequence[Any]) -> web.Response:
        """A page of ``items`` in Media Intelligence's dialect: ``pageNum`` required,
        ``pageSize`` 1 to ``max_page_size`` (default 1000); ``result`` with ``content``,
        ``totalCount``, ``totalPage``, ``pageNo`` and ``pageSize``."""
        if not call.query.get("pageNum"):
            raise _invalid_request()
        paging = self.paging(call, page_param="pageNum", size_param="pageSize", default_size=1000)
        content = paging.take(items)
        self.page_served(call, paging.page_no)
        return _success(
            {
                "content": content,
                "totalCount": len(items),
                "totalPage": -(-len(items) // paging.size),
                "pageNo": paging.page_no,
                "pageSize": paging.size,
            }
        )

    def _outcome(self, key: str, choices: Sequence[str], rate: float, salt: str) -> str | None:
        """A seeded failure for ``key`` with probability ``rate`` (``None``: no failure)."""
        rng = random.Random(f"{self.seed}:{salt}:{key}")
        return rng.choice(choices) if rng.random() < rate else None

    # ----------------------------------------------------------------------------- handlers

    def _list_workspaces(self, call: Call) -> web.StreamResponse:
        base = call.request.url.origin()
        items = [
            {**ws, "workspaceUrl": f"{base}/api/v1/workspaces/{name}"}
            for name, ws in self._workspaces.items()
        ]
        return self._page(call, items)

    def _get_workspace(self, call: Call) -> web.StreamResponse:
        workspace = self._workspace(call)
        name = workspace["workspaceName"]
        return _success(
            {
                **workspace,
                "workspaceUrl": f"{call.request.url.origin()}/api/v1/workspaces/{name}",
                "monthlyAnalysisCount": self._analyses_this_month.get(name, 0),
            }
        )

    def _list_projects(self, call: Call) -> web.StreamResponse:
        self._workspace(call)
        projects = list(self._projects[call.params["workspace"]].values())
        # ``totalCount`` beside ``result``, where the field table and the OpenAPI file put it.
        return _success({"projects": projects}, totalCount=len(projects))

    def _get_project(self, call: Call) -> web.StreamResponse:
        return _success(self._project_of(call))

    def _asset_body(self, asset: _Asset, *, detail: bool) -> dict[str, Any]:
        state = asset.imported
        body: dict[str, Any] = {
            "assetId": int(state.video_asset_id),
            "fileName": asset.file_name,
            "projectId": _json_id(state.project_id),
        }
        if state.polls >= state.polls_to_complete and state.metadata is not None:
            body["metaData"] = state.metadata
        if detail:
            body["key"] = asset.key
            body["createUserName"] = _USER
            body["createdTime"] = _iso(asset.created_ms)
        return body

    def _list_assets(self, call: Call) -> web.StreamResponse:
        self._project_of(call)
        prefix = (call.params["workspace"], call.params["projectId"])
        items = [
            self._asset_body(asset, detail=False)
            for key, asset in self._assets.items()
            if key[:2] == prefix
        ]
        return self._page(call, items)

    def _get_asset(self, call: Call) -> web.StreamResponse:
        return _success(self._asset_body(self._asset(call), detail=True))

    def _import_asset(self, call: Call) -> web.StreamResponse:
        """A new asset for one object key, at once; its import moves with its status polls."""
        self._project_of(call)
        body = call.body
        if not isinstance(body, dict):
            raise _invalid_request()
        key, bucket = body.get("key"), body.get("bucketName")
        if not isinstance(key, str) or not key or not isinstance(bucket, str) or not bucket:
            raise _invalid_request()
        if key.endswith("/"):
            raise MediaAiError(
                400, "10016", "Select the bucket to integrate (folder selection not available)."
            )
        plan = self._plans.get(key)
        if plan is None:
            failed = self._outcome(
                key,
                ("FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"),
                self.import_failure_rate,
                "import",
            )
            index_failed = self._outcome(key, ("ANALYZE_FAIL",), self.index_failure_rate, "index")
            plan = ObjectPlan(failed or "COMPLETED", None, index_failed or "ANALYZE_COMPLETED")
        asset_id = str(self._next_asset_id)
        self._next_asset_id += 1
        state = ImportState(
            workspace=call.params["workspace"],
            project_id=call.params["projectId"],
            video_asset_id=asset_id,
            outcome=plan.import_outcome,
            polls_to_complete=plan.import_polls or self.import_polls,
            metadata=default_metadata(asset_id, plan.import_outcome),
            upload_result=None,
        )
        self._add(state, key, plan.index_outcome)
        now = self.gateway.now_ms()
        return _success(
            {"assetId": int(asset_id), "createUserName": _USER, "createdTime": _iso(now)}
        )

    def _poll_import(self, call: Call, id_field: str) -> web.StreamResponse:
        """Import status; each poll advances the asset toward its outcome."""
        asset = self._asset(call)
        state = asset.imported
        stats = self.gateway.stats
        stats.import_polls[state.key] += 1
        if state.terminal_reported:
            stats.polls_after_terminal[state.key] += 1
        state.polls += 1
        result, final = state.body_for_poll(state.polls)
        if final and not call.damaged:  # a damaged answer reports nothing
            state.terminal_reported = True
        if state.result is None or state.polls < state.polls_to_complete:
            result = {id_field: result.pop("videoId"), **result}  # the path's name for the id
        return _success(result)

    def _import_status(self, call: Call) -> web.StreamResponse:
        return self._poll_import(call, "assetId")

    def _video_import_status(self, call: Call) -> web.StreamResponse:
        return self._poll_import(call, "videoId")

    def _start_index(self, call: Call) -> web.StreamResponse:
        asset = self._asset(call)
        if asset.analysis is not None and asset.analysis.running:
            raise _conflict("Analysis is already in progress for this asset.")
        if not asset.import_completed:
            raise MediaAiError(400, "10014", "Select the asset you want to analyze.")
        settings = call.body if call.body is not None else {}
        if not _valid_index_request(settings):
            raise _invalid_request()
        pickup = self.index_pickup_polls if asset.analysis is None else 0
        asset.analysis = _Analysis(
            outcome=asset.index_outcome,
            pickup_polls=pickup,
            polls_to_end=pickup + max(self.index_polls, 1),
            settings=dict(settings),
        )
        workspace = call.params["workspace"]
        self._analyses_this_month[workspace] = self._analyses_this_month.get(workspace, 0) + 1
        return _success()

    def _index_status(self, call: Call) -> web.StreamResponse:
        """The latest analysis's state; each poll advances it toward its outcome."""
        asset = self._asset(call)
        analysis = asset.analysis
        if analysis is None:
            return _success({"status": "BEFORE_ANALYZE"})
        if analysis.running:
            analysis.polls += 1
        status = analysis.state()
        result: dict[str, Any] = {"status": status}
        if status == "ANALYZE_COMPLETED":
            if not analysis.indexed:
                self._complete(asset, analysis)
            result["indexId"] = asset.index_id
        elif status == "ANALYZE_FAIL":
            result["analyzeStatusMessage"] = (
                "An error occurred during analysis (media/video parsing failure)"
            )
        return _success(result)

    def _complete(self, asset: _Asset, analysis: _Analysis) -> None:
        """The index an analysis made (it replaces the asset's latest index)."""
        analysis.indexed = True
        asset.index_id = self._next_index_id
        self._next_index_id += 1
        now = _iso(self.gateway.now_ms())
        settings = analysis.settings
        scenes = [
            {"sceneNo": n, "startMs": n * 15_000, "endMs": (n + 1) * 15_000, "keywords": []}
            for n in range(3)
        ]
        asset.index = {
            "indexId": asset.index_id,
            "type": "IMAGE"
            if asset.file_name.lower().endswith((".png", ".jpg", ".heic"))
            else "VIDEO",
            "createdTime": now,
            "createdUserName": _USER,
            "updatedTime": now,
            "updatedUserName": _USER,
            "analysisSetting": {
                "analysisEngine": "Sinossi v1.0",
                "sceneRange": settings.get("sceneRange", "MEDIUM"),
                "analysisPersonCount": settings.get("analysisPersonCount", 6),
            },
            # The documents do not show the analysis itself: one plausible shape.
            "scenes": scenes,
            "persons": [],
            "keywords": [{"keyword": "emulator", "confidence": 0.9}],
        }

    def _get_index(self, call: Call) -> web.StreamResponse:
        asset = self._asset(call)
        level = call.query.get("confidence_level")
        if level is not None and level not in _CONFIDENCE:
            raise _invalid_request()
        if asset.index is None:
            raise _not_found("Index")
        return _success(asset.index)

    def _cancel_index(self, call: Call) -> web.StreamResponse:
        asset = self._asset(call)
        analysis = asset.analysis
        if analysis is None or not analysis.running:
            raise _conflict("Cannot cancel analysis in the current state")
        analysis.cancelled = True
        return _success()

    def _delete_index(self, call: Call) -> web.StreamResponse:
        asset = self._asset(call)
        if asset.analysis is not None and asset.analysis.running:
            raise _conflict("Cannot delete index while analysis is in progress")
        if asset.index is None:
            raise _not_found("Index")
        asset.index = None
        asset.index_id = None
        return _success()


def _valid_index_request(body: Any) -> bool:
    """Whether an analysis request's body follows the documented rules (a JSON object; the
    scene range, or both scene durations; counts, tags, language and audio flag in range)."""
    if not isinstance(body, dict):
        return False

    def integer(name: str, low: int, high: int | None = None) -> bool:
        value = body.get(name)
        return value is None or (
            type(value) is int and value >= low and (high is None or value <= high)
        )

    scene = body.get("sceneRange")
    low, high = body.get("minSceneDurationSec"), body.get("maxSceneDurationSec")
    if scene is not None and (scene not in _SCENE_RANGES or low is not None):
        return False
    if (low is None) != (high is None):
        return False
    if not integer("minSceneDurationSec", 10, 30) or not integer("analysisPersonCount", 0, 10):
        return False
    if type(low) is int and not integer("maxSceneDurationSec", low):
        return False
    tags = body.get("tagIdList")
    if tags is not None and (
        type(tags) is not list
        or not 1 <= len(tags) <= 30
        or not all(type(t) is int or (type(t) is str and is_decimal(t)) for t in tags)
    ):
        return False
    language = body.get("sourceLanguage")
    effects = body.get("detectAudioEffects")
    return (language is None or language in _LANGUAGES) and (
        effects is None or type(effects) is bool
    )
