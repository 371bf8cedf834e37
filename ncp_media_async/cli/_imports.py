"""Waiting for many Media Intelligence imports (``wait-imports`` and the demo):
``wait_imports`` polls them with a progress display and prints each final status as it lands,
``ImportTally`` counts how they ended, and ``report_imports`` sums it up on stderr."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

import attrs
from rich.text import Text

from ..client import MediaClient
from ..polling import PollFailure, PollTimeoutError
from ..records import AssetRef, ImportStatus, UploadStatus, VideoAssetRef
from ._columns import IMPORT_COLUMNS
from ._errors import error_json, short_reason
from ._output import Output, Rows, closing, counted
from ._progress import ProgressDisplay, ProgressMode, fmt_seconds

#: An asset (on the current path, or the deprecated one) and why it went wrong.
Ref = AssetRef | VideoAssetRef
Problem = tuple[Ref, str]


@attrs.define
class ImportTally:
    """How a batch of imports ended."""

    total: int
    #: Assets per terminal state reached.
    states: Counter[str] = attrs.field(factory=Counter)
    #: Assets that ended in a state other than COMPLETED, with the state and its message.
    failures: list[Problem] = attrs.field(factory=list)
    #: Assets whose polling itself failed (not found, bad request, repeated errors), with why.
    poll_errors: list[Problem] = attrs.field(factory=list)
    #: Assets still unfinished when the timeout passed.
    pending: tuple[Ref, ...] = ()
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        """Assets that reached an end (a terminal state or a polling failure)."""
        return sum(self.states.values()) + len(self.poll_errors)

    @property
    def failed(self) -> int:
        """Assets that ended badly, either way."""
        return len(self.failures) + len(self.poll_errors)

    @property
    def ok(self) -> bool:
        """Every asset imported (COMPLETED) and nothing pending."""
        return not self.failed and not self.pending

    def outcome(self) -> str:
        """How the batch ended, in the words of the progress display: ``1,319 COMPLETED, 182
        failed (47 FAILED, 73 FILE_NOT_EXIST, 61 INVALID_METADATA, 1 could not be polled)``,
        then ``3 still pending (timed out)`` if any."""
        completed = self.states[UploadStatus.COMPLETED.value]
        parts = []
        if completed or not self.failed:
            parts.append(f"{completed:,} {UploadStatus.COMPLETED.value}")
        if self.failed:
            why = [
                f"{n:,} {state}"
                for state, n in sorted(self.states.items())
                if state != UploadStatus.COMPLETED.value
            ]
            if self.poll_errors:
                why.append(f"{len(self.poll_errors):,} could not be polled")
            parts.append(f"{self.failed:,} failed ({', '.join(why)})")
        if self.pending:
            parts.append(f"{len(self.pending):,} still pending (timed out)")
        return ", ".join(parts)

    def add(self, result: ImportStatus | PollFailure[Ref]) -> None:
        """Count one asset that reached an end."""
        if isinstance(result, PollFailure):
            self.poll_errors.append((result.target, short_reason(result.error)))
            return
        self.states[result.upload_status.value] += 1
        if result.upload_status != UploadStatus.COMPLETED:
            assert result.asset is not None  # wait_for_imports names every status's asset
            why = result.upload_status.value
            if result.upload_result:
                why += f": {result.upload_result}"
            self.failures.append((result.asset, why))


def first_problems(problems: Sequence[Problem], limit: int) -> tuple[list[str], int]:
    """The first ``limit`` problems as ``asset  why`` lines, and how many more there are."""
    return [f"{ref}  {why}" for ref, why in problems[:limit]], max(len(problems) - limit, 0)


async def wait_imports(
    client: MediaClient,
    refs: Sequence[Ref],
    output: Output,
    *,
    concurrency: int,
    interval: float,
    timeout: float | None,
    progress: ProgressMode,
    print_each: bool = True,
) -> ImportTally:
    """Poll ``refs`` until each lands, printing each final status (and a progress display) as
    they do; a timeout ends the wait with ``pending`` set rather than an exception."""
    tally = ImportTally(total=len(refs))
    start = time.monotonic()
    widest = max((len(str(ref)) for ref in refs), default=0)
    columns = (attrs.evolve(IMPORT_COLUMNS[0], width=widest), *IMPORT_COLUMNS[1:])
    rows = output.stream(columns)
    with ProgressDisplay(output, progress) as display:
        stage = display.stage("imports", len(refs))
        if print_each:
            rows.header()
        stream = client.media_ai.wait_for_imports(
            refs,
            concurrency=concurrency,
            interval=interval,
            timeout=timeout,
            return_exceptions=True,
        )
        try:
            async with closing(stream) as results:
                async for result in results:
                    tally.add(result)
                    if print_each:
                        _show(rows, result)
                    stage.update(done=tally.done, failed=tally.failed)
        except PollTimeoutError as exc:
            tally.pending = tuple(exc.pending)
    tally.elapsed = time.monotonic() - start
    return tally


def _show(rows: Rows[ImportStatus], result: ImportStatus | PollFailure[Ref]) -> None:
    """One asset that reached an end: its status, or why it could not be polled (as a row
    lined up with the statuses, or a JSON line)."""
    if not isinstance(result, PollFailure):
        rows.row(result)
    elif rows.output.as_json:
        rows.output.json_line({"asset": result.target, "error": error_json(result.error)})
    else:
        failed = Text("POLL FAILED", "red")
        rows.cells([result.target, failed, None, None, None, None, short_reason(result.error)])


def report_imports(output: Output, tally: ImportTally, *, limit: int = 20) -> None:
    """The end of a batch on stderr: counts per state, then what failed (first ``limit``)."""
    output.note(
        f"{counted(tally.total, 'import')} in {fmt_seconds(tally.elapsed)}: {tally.outcome()}",
        style="bold",
    )
    for title, problems in (
        ("could not be polled", tally.poll_errors),
        ("did not complete", tally.failures),
    ):
        if not problems:
            continue
        output.note(f"{len(problems):,} {title}:", style="red")
        lines, more = first_problems(problems, limit)
        for line in lines:
            output.note(f"  {line}", style=None)
        if more:
            output.note(f"  ... and {more:,} more")
    if tally.pending:
        shown = ", ".join(str(r) for r in tally.pending[:5])
        more_pending = " ..." if len(tally.pending) > 5 else ""
        output.note(f"still pending: {shown}{more_pending}", style="yellow")
