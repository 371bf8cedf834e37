"""Media AI's store (Media Intelligence, formerly Media AI Understanding): video asset imports.

Error dialect: a flat ``{"code": "10001", "message": "Invalid Request"}`` with a *string* code
(:class:`MediaAiError`); success is ``{"code": "0", "message": "success", "result": {...}}``.
Each poll of an import status moves that import one step toward its outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from ._data import ImportAsset, ImportState, Scenario, default_metadata, generate_imports
from ._routes import Route
from ._stats import AssetKey
from ._store import Call, Gateway, ParameterError, Rejection, Store, StoreRoute
from ._wire import is_decimal, json_response

__all__ = ["MediaAiError", "MediaAiStore"]


class MediaAiError(Rejection):
    """Media AI's flat error body: ``{"code": "10001", "message": "Invalid Request"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, {"code": code, "message": message})


def _invalid_request() -> MediaAiError:
    return MediaAiError(400, "10001", "Invalid Request")


class MediaAiStore(Store):
    """Media AI behind the gateway (``emulator.media_ai``).

    Settings (mutable attributes): ``max_page_size`` (1000, as the ``pageSize`` of its lists)
    and ``page_size_cap`` (see :class:`~ncp_media_async.testing.Store`). Import-status polls
    are counted in ``emulator.stats.import_polls`` and ``polls_after_terminal``.
    """

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway, max_page_size=1000)
        self._imports: dict[AssetKey, ImportState] = {}

    def __repr__(self) -> str:
        return f"MediaAiStore(imports={len(self._imports)})"

    def routes(self) -> Sequence[StoreRoute]:
        """``GET /api/v1/workspaces/{workspace}/projects/{projectId}/video-assets/
        {videoAssetId}/import-status``."""
        return (
            StoreRoute(
                "GET",
                "/api/v1/workspaces/{workspace}/projects/{projectId}"
                "/video-assets/{videoAssetId}/import-status",
                Route.IMPORT_STATUS,
                self._import_status,
            ),
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
        """Add the scenario's imports."""
        for asset in generate_imports(scenario):
            self._imports[asset.key] = asset

    def clear(self) -> None:
        """Remove every import."""
        self._imports.clear()

    def info(self) -> dict[str, Any]:
        """``imports``: ``[workspace, project_id, video_asset_id]`` of every asset."""
        return {"imports": [list(key) for key in self._imports]}

    # ---------------------------------------------------------------------- data: imports

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
        """Add (or replace) a video asset whose import ends in ``outcome`` at poll ``polls``.

        Polls before the ``polls``-th report ``IN_PROGRESS``; that poll and later ones report
        ``outcome`` (any string; unknown values are served too and count as non-terminal).
        ``metadata`` is the ``metaData`` object sent with the outcome (``None``: a plausible one
        for ``COMPLETED``/``INVALID_METADATA``, none otherwise). ``upload_result`` overrides the
        ``uploadResult`` text. ``result``, if given, is sent verbatim as ``result`` once the
        outcome is reached (for quirky bodies). ``video_asset_id`` must be numeric, as the
        service's ``videoId`` is an integer.
        """
        asset_id = str(video_asset_id)
        if not is_decimal(asset_id):
            raise ValueError(f"video_asset_id must be numeric, got {video_asset_id!r}")
        if polls < 1:
            raise ValueError(f"polls must be >= 1, got {polls!r}")
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
        self._imports[state.key] = state
        return state.view()

    def remove_import(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> None:
        """Forget an asset (its import status then answers 404)."""
        self._imports.pop((workspace, str(project_id), str(video_asset_id)), None)

    def get_import(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> ImportAsset:
        """A snapshot of one asset's import (``KeyError`` if unknown)."""
        return self._imports[(workspace, str(project_id), str(video_asset_id))].view()

    def imports(self) -> list[ImportAsset]:
        """Snapshots of every asset, in insertion order."""
        return [state.view() for state in self._imports.values()]

    def import_refs(self) -> list[AssetKey]:
        """``(workspace, project_id, video_asset_id)`` of every asset, in insertion order."""
        return list(self._imports)

    # ----------------------------------------------------------------------------- handlers

    def _import_status(self, call: Call) -> web.StreamResponse:
        """Import status; each poll advances the asset toward its outcome."""
        params = call.params
        asset_id = params["videoAssetId"]
        if not is_decimal(asset_id):
            raise _invalid_request()
        key = (params["workspace"], params["projectId"], asset_id)
        state = self._imports.get(key)
        if state is None:
            raise MediaAiError(404, "10404", "Video asset not found")
        stats = self.gateway.stats
        stats.import_polls[key] += 1
        if state.terminal_reported:
            stats.polls_after_terminal[key] += 1
        state.polls += 1
        result, final = state.body_for_poll(state.polls)
        if final and not call.damaged:  # a damaged answer reports nothing
            state.terminal_reported = True
        return json_response({"code": "0", "message": "success", "result": result})
