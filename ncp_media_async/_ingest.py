"""``MediaAI.ingest``: each Object Storage key stepped through import → wait → index → wait.

Each key is a small state machine (``_Key``) and ``polling.schedule`` drives them all: one
shared pool of ``concurrency`` workers, each taking the step that is due (a key whose pause is
over) before starting a new key. A step is one request, or two in a row when an answer lets the
key move on at once (the import that completed is followed by the analysis request in the same
step): a key never waits for another key, only for a free worker. Nothing here retries, paces
or gates: writes are the transport's to (not) repeat, and a failed poll is ``schedule``'s to try
again (``max_failures``); a failed write ends its key, with the error in its result.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Literal

from ._retry import Verdict, classify
from .errors import ConflictError, NcpError
from .polling import AGAIN, Again, PollFailure, PollTimeoutError, schedule
from .records import (
    AssetRef,
    ImportStatus,
    IndexState,
    IndexStatus,
    IngestResult,
    IngestStage,
    UploadStatus,
)

if TYPE_CHECKING:
    from .media_ai import IndexOptions, MediaAI

__all__ = ["Ingest"]


class _Key:
    """One key under way: its stage and what it has learnt (a ``schedule`` target, hashed by
    identity)."""

    __slots__ = ("import_status", "index_status", "key", "ref", "rerun", "since", "stage")

    def __init__(self, key: str) -> None:
        self.key = key
        self.stage = IngestStage.IMPORT
        self.ref: AssetRef | None = None
        self.import_status: ImportStatus | None = None
        self.index_status: IndexStatus | None = None
        #: An analysis was already running when ours was asked for: ask again once it ends.
        self.rerun = False
        #: When BEFORE_ANALYZE was first seen after our request (by the client's clock).
        self.since: float | None = None

    def __repr__(self) -> str:
        return f"<{self.key} at {self.stage}>"

    def result(self, error: BaseException | None = None) -> IngestResult:
        """What is known of this key now."""
        return IngestResult(
            self.key, self.stage, self.ref, self.import_status, self.index_status, error
        )


class Ingest:
    """One ``ingest`` call: its fixed arguments and the step every key takes."""

    def __init__(
        self,
        media_ai: MediaAI,
        workspace: str,
        project_id: str,
        bucket: str,
        options: IndexOptions | None,
        *,
        interval: float,
        index_interval: float,
        if_running: Literal["raise", "wait"],
        start_grace: float,
        on_progress: Callable[[IngestResult], None] | None,
    ) -> None:
        self.media_ai = media_ai
        self.workspace = workspace
        self.project_id = project_id
        self.bucket = bucket
        self.options = options
        self.interval = interval
        self.index_wait = Again(index_interval)
        self.if_running = if_running
        self.start_grace = start_grace
        self.on_progress = on_progress
        #: The client's clock and sleep (``Config.monotonic``, ``Config.sleep``).
        self.clock = media_ai._transport.config.monotonic
        self.sleep = media_ai._transport.config.sleep

    async def results(
        self, keys: list[str], *, concurrency: int, timeout: float | None, max_failures: int
    ) -> AsyncGenerator[IngestResult, None]:
        """One result per key, as each key finishes (see ``MediaAI.ingest``)."""
        stream = schedule(
            [_Key(key) for key in keys],
            self.step,
            concurrency=concurrency,
            interval=self.interval,
            timeout=timeout,
            max_failures=max_failures,
            return_exceptions=True,
            clock=self.clock,
            sleep=self.sleep,
        )
        try:
            async with contextlib.aclosing(stream) as results:
                async for result in results:
                    if isinstance(result, PollFailure):
                        yield result.target.result(result.error)
                    else:
                        yield result
        except PollTimeoutError as exc:
            for key in exc.pending:
                yield key.result(exc)

    def _enter(self, key: _Key, stage: IngestStage) -> None:
        key.stage = stage
        if self.on_progress is not None:
            self.on_progress(key.result())

    def _done(self, key: _Key) -> IngestResult:
        key.stage = IngestStage.DONE
        return key.result()

    async def step(self, key: _Key) -> IngestResult | Again:
        """Move ``key`` on as far as it can go now: its final result, or when to step it again.

        A failed write (the import or the analysis request) is the key's final result: it is
        never sent again. A failed poll is raised for ``schedule`` to try again (or give up).
        """
        media_ai = self.media_ai
        while True:
            if key.stage is IngestStage.IMPORT:
                try:
                    key.ref = await media_ai.import_asset(
                        self.workspace, self.project_id, bucket=self.bucket, key=key.key
                    )
                except NcpError as exc:
                    return _stopped(key, exc)
                self._enter(key, IngestStage.IMPORT_WAIT)
                return AGAIN
            assert key.ref is not None
            if key.stage is IngestStage.IMPORT_WAIT:
                status = await media_ai.import_status_of(key.ref)
                if not status.terminal:
                    return AGAIN
                key.import_status = status
                if status.upload_status != UploadStatus.COMPLETED or self.options is None:
                    return self._done(key)
                self._enter(key, IngestStage.INDEX)
                continue
            if key.stage is IngestStage.INDEX:
                assert self.options is not None
                try:
                    await media_ai._request_index(key.ref, self.options)
                except ConflictError as exc:  # an analysis is running (a definite no)
                    if self.if_running == "raise":
                        return _stopped(key, exc)
                    key.rerun = True
                except NcpError as exc:
                    return _stopped(key, exc)
                key.since = None
                self._enter(key, IngestStage.INDEX_WAIT)
                return self.index_wait
            status_now = await media_ai.index_status(key.ref)
            if not self._ended(key, status_now):
                return self.index_wait
            if key.rerun:  # the analysis that was running ended: now ask for ours
                key.rerun = False
                self._enter(key, IngestStage.INDEX)
                continue
            key.index_status = status_now
            return self._done(key)

    def _ended(self, key: _Key, status: IndexStatus) -> bool:
        """Whether the analysis polled is over: a terminal state, or BEFORE_ANALYZE once the
        grace after our request has passed. Waiting for someone else's analysis (after a 409),
        BEFORE_ANALYZE is that analysis not picked up yet and gets the same grace, as in
        ``start_index(if_running="wait")``: asked again at once, ours would only be refused."""
        if status.status != IndexState.BEFORE_ANALYZE:
            return status.terminal
        now = self.clock()
        if key.since is None:
            key.since = now
        return now - key.since >= self.start_grace


def _stopped(key: _Key, error: NcpError) -> IngestResult:
    """The final result of a key whose write failed; a fatal error (credentials) is raised,
    stopping every key."""
    if classify(error) is Verdict.FATAL:
        raise error
    return key.result(error)
