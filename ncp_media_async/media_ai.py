"""Media AI Understanding: video asset import status, one at a time or thousands at once."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable
from typing import Any, Literal, overload

from . import _defaults
from ._converter import structure_import_status
from ._resource import Resource, segment
from .polling import PollFailure, poll
from .records import ImportStatus, VideoAssetRef

__all__ = ["MediaAI"]


class MediaAI(Resource):
    """Media AI Understanding APIs (``client.media_ai``).

    Pace a large batch with ``MediaClient(rate_limit=RateLimit.per_minute(...))``, which holds
    for every request of the client; a 429 slows every request of the client too.
    """

    async def import_status(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> ImportStatus:
        """``GET /api/v1/workspaces/{workspace_name}/projects/{project_id}/video-assets/
        {video_asset_id}/import-status``: where the import of one video asset stands.

        The returned status carries ``asset``, the ref asked about. An unknown asset raises
        ``NotFoundError``, a malformed one ``BadRequestError``.
        """
        ref = VideoAssetRef(
            segment("workspace", workspace),
            segment("project_id", project_id),
            segment("video_asset_id", video_asset_id),
        )
        return await self.import_status_of(ref)

    async def import_status_of(self, ref: VideoAssetRef) -> ImportStatus:
        """``import_status`` for a ``VideoAssetRef``."""
        return await self._get(
            (
                "api", "v1", "workspaces", ref.workspace, "projects", ref.project_id,
                "video-assets", ref.video_asset_id, "import-status",
            ),
            functools.partial(structure_import_status, asset=ref),
        )

    @overload
    def wait_for_imports(
        self,
        refs: Iterable[VideoAssetRef],
        *,
        concurrency: int = ...,
        interval: float = ...,
        timeout: float | None = ...,
        max_failures: int = ...,
        return_exceptions: Literal[False] = ...,
    ) -> AsyncIterator[ImportStatus]: ...

    @overload
    def wait_for_imports(
        self,
        refs: Iterable[VideoAssetRef],
        *,
        concurrency: int = ...,
        interval: float = ...,
        timeout: float | None = ...,
        max_failures: int = ...,
        return_exceptions: Literal[True],
    ) -> AsyncIterator[ImportStatus | PollFailure[VideoAssetRef]]: ...

    def wait_for_imports(
        self,
        refs: Iterable[VideoAssetRef],
        *,
        concurrency: int = _defaults.POLL_CONCURRENCY,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        return_exceptions: bool = False,
    ) -> AsyncIterator[Any]:
        """Poll many imports until each reaches a terminal state; yield each as it lands.

        Terminal states: COMPLETED, FAILED, FILE_NOT_EXIST, INVALID_METADATA. ``concurrency``
        bounds the requests in flight (and is itself bounded by the client's
        ``max_connections``, 100 by default: a warning says so); ``interval`` is the pause in
        seconds between two polls of one asset; ``timeout`` in seconds bounds the whole wait
        (``PollTimeoutError``). An asset
        that fails for good (not found, bad request) does not stop the others: the failures are
        raised together as ``PollingError`` (``.failures`` maps ref to error) after the rest
        finished, or yielded as ``PollFailure`` with ``return_exceptions=True``. An
        authentication error stops the whole batch at once. See ``ncp_media_async.polling.poll``.
        """
        refs = list(refs)
        concurrency = self._transport.concurrency(concurrency, "wait_for_imports")
        for ref in refs:
            if not isinstance(ref, VideoAssetRef):
                raise TypeError(f"refs must be VideoAssetRef objects, got {type(ref).__name__}")
        return poll(  # type: ignore[no-any-return]
            refs,
            self.import_status_of,
            _is_terminal,
            concurrency=concurrency,
            interval=interval,
            timeout=timeout,
            max_failures=max_failures,
            return_exceptions=return_exceptions,  # type: ignore[call-overload]
        )


def _is_terminal(status: ImportStatus) -> bool:
    return status.terminal
