"""``MediaAI.ingest``'s state machine: each Object Storage key stepped through import → wait →
index → wait. Pure: no I/O, no clock of its own.

A key's ``stage`` is the request it needs next (``IMPORT``: the import request, ``IMPORT_WAIT``:
an import-status poll, ``INDEX``: the analysis request, ``INDEX_WAIT``: an analysis-status poll).
``MediaAI`` sends that request and hands the answer to the key, which moves on and says what
comes next: ``None`` (the next request at once), ``Again(delay)`` (after a pause) or its final
``IngestResult``. A failed write (the import or the analysis request) is the key's final result:
it is never sent again. A failed poll is the ``polling.Wait``'s to try again or give up on.
"""

from __future__ import annotations

from typing import Literal

import attrs

from .errors import ConflictError, NcpError
from .polling import AGAIN, Again
from .records import (
    AssetRef,
    ImportStatus,
    IndexState,
    IndexStatus,
    IngestResult,
    IngestStage,
    UploadStatus,
)

__all__ = ["IngestKey"]

Next = Again | IngestResult | None


@attrs.define(eq=False)
class IngestKey:
    """One key under way: its stage and what it has learnt (a ``Wait`` target, hashed by
    identity).

    Args:
        key: the object's key in the bucket.
        index: whether to analyse the asset once imported.
        if_running: ``"raise"``: a 409 to the analysis request ends the key with the
            ``ConflictError``; ``"wait"``: wait for the running analysis to end, then ask again.
        index_interval: seconds between two analysis polls.
        start_grace: seconds a ``BEFORE_ANALYZE`` after a request is read as "not picked up
            yet" (see ``MediaAI.wait_for_indexes``).
        follow: whether to wait for the analysis once asked for (``ingest``), or be done as
            soon as the request was taken (``start_index``).
        stage, ref, import_status, index_status, rerun: where the key stands, as learnt (a key
            resumed from a journal, or ``start_index``'s, starts further on).
    """

    key: str
    index: bool
    if_running: Literal["raise", "wait"]
    index_interval: float
    start_grace: float
    follow: bool = True
    stage: IngestStage = IngestStage.IMPORT
    ref: AssetRef | None = None
    import_status: ImportStatus | None = None
    index_status: IndexStatus | None = None
    #: An analysis was already running when ours was asked for: ask again once it ends.
    rerun: bool = False
    #: When BEFORE_ANALYZE was first seen after our request (the client's clock).
    since: float | None = None

    def result(self, error: BaseException | None = None) -> IngestResult:
        """What is known of this key now (its final result when ``stage`` is ``DONE`` or an
        ``error`` is given)."""
        return IngestResult(
            self.key, self.stage, self.ref, self.import_status, self.index_status, error
        )

    def created(self, ref: AssetRef) -> Next:
        """The import request answered with the asset: wait for its import."""
        self.ref, self.stage = ref, IngestStage.IMPORT_WAIT
        return AGAIN

    def import_polled(self, status: ImportStatus) -> Next:
        """An import-status answer: wait more, analyse, or done (a FAILED import is a state)."""
        if not status.terminal:
            return AGAIN
        self.import_status = status
        if status.upload_status != UploadStatus.COMPLETED or not self.index:
            return self._done()
        self.stage = IngestStage.INDEX
        return None

    def index_requested(self) -> Next:
        """The analysis request was taken: wait for the analysis (unless not to ``follow``)."""
        return self._index_wait() if self.follow else self._done()

    def _index_wait(self) -> Again:
        self.since, self.stage = None, IngestStage.INDEX_WAIT
        return Again(self.index_interval)

    def write_failed(self, error: NcpError) -> Next:
        """The import or the analysis request failed: the key ends with the error, except a 409
        to the analysis request with ``if_running="wait"`` (a definite "no": an analysis is
        running), which waits for that analysis and then asks again."""
        waits = self.if_running == "wait" and self.stage is IngestStage.INDEX
        if waits and isinstance(error, ConflictError):
            self.rerun = True
            return self._index_wait()
        return self.result(error)

    def index_polled(self, status: IndexStatus, now: float) -> Next:
        """An analysis-status answer (``now``: the client's monotonic seconds): wait more, ask
        again for ours once another analysis ended, or done.

        The analysis is over at a terminal state, or at ``BEFORE_ANALYZE`` once the grace after
        our request has passed. Waiting for someone else's analysis (after a 409),
        ``BEFORE_ANALYZE`` is that analysis not picked up yet and gets the same grace, as in
        ``start_index(if_running="wait")``: asked again at once, ours would only be refused.
        """
        if status.status == IndexState.BEFORE_ANALYZE:
            self.since = now if self.since is None else self.since
            ended = now - self.since >= self.start_grace
        else:
            ended = status.terminal
        if not ended:
            return Again(self.index_interval)
        if self.rerun:  # the analysis that was running ended: now ask for ours
            self.rerun, self.stage = False, IngestStage.INDEX
            return None
        self.index_status = status
        return self._done()

    def _done(self) -> IngestResult:
        self.stage = IngestStage.DONE
        return self.result()
