"""The Media Intelligence commands that change things: ``import`` (objects of a bucket become
assets), ``index`` (analyse assets) and ``ingest`` (both, each key moving on as soon as it can),
each with a live progress bar per stage and ``--json``; and ``run_ingest``, which the demo
shares.

Stages, as the bars show them: ``import`` (the import requests), ``imported`` (the imports
finished), ``index`` (the analysis requests), ``indexed`` (the analyses finished). A key that
stops at a stage counts as done and failed in that stage and every later one, so that every
bar ends at 100 %.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO, Any, Literal

import attrs
import click
from rich.text import Text

from .. import _defaults
from .._ratelimit import RateLimit
from ..client import MediaClient
from ..media_ai import IndexOptions
from ..polling import PollFailure, schedule
from ..records import AssetRef, IndexStatus, IngestResult, IngestStage, SceneRange, SourceLanguage
from ._columns import Col, Kind, styled_state
from ._errors import EXIT_FAILED, error_json, short_reason
from ._output import Output, Rows, closing, counted, to_jsonable
from ._params import (
    NOT_BLANK,
    SEGMENT,
    FiniteRange,
    command,
    concurrency_option,
    interval_option,
    journal_option,
    progress_option,
    read_targets,
    timeout_option,
)
from ._progress import ProgressDisplay, ProgressMode, Stage, fmt_seconds
from ._settings import Settings

__all__ = ["INGEST_COLUMNS", "MEDIA_AI_COMMANDS", "IngestTally", "run_ingest"]

#: The stages of an ingest, in order (without analysis: the first two).
STAGES = ("import", "imported", "index", "indexed")
#: The stage a key has finished when it enters each ``IngestStage``.
_FINISHED = {IngestStage.IMPORT_WAIT: 0, IngestStage.INDEX: 1, IngestStage.INDEX_WAIT: 2}


def _note(result: IngestResult) -> str | None:
    """Why a key did not go through (the service's last word on it), or nothing."""
    if result.ok:
        return None
    if result.error is not None:
        return short_reason(result.error)
    if result.index_status is not None and result.index_status.message:
        return result.index_status.message
    if result.import_status is not None:
        return result.import_status.upload_result
    return None


INGEST_COLUMNS: tuple[Col[IngestResult], ...] = (
    Col("key", lambda r: r.key, Kind.ID, width=24),
    Col("asset", lambda r: None if r.ref is None else r.ref.asset_id, Kind.ID, width=8),
    Col("import", lambda r: styled_state(r.import_status and r.import_status.upload_status),
        priority=5, width=16),
    Col("index", lambda r: styled_state(r.index_status and r.index_status.status),
        priority=4, width=17),
    Col("stopped at", lambda r: None if r.ok else r.stage.value, priority=3, width=11),
    Col("note", _note, Kind.TEXT, priority=2, width=40),
)  # fmt: skip
INDEX_COLUMNS: tuple[Col[IndexStatus], ...] = (
    Col("asset", lambda s: s.asset, Kind.ID, width=24),
    Col("status", lambda s: styled_state(s.status), priority=5, width=17),
    Col("index", lambda s: s.index_id, priority=3, width=8),
    Col("message", lambda s: s.message, Kind.TEXT, priority=2, width=40),
)


def result_json(result: IngestResult) -> dict[str, Any]:
    """One key's result as a JSON object (its error as type, message, status, code)."""
    data: dict[str, Any] = to_jsonable(attrs.evolve(result, error=None))
    data["error"] = None if result.error is None else error_json(result.error)
    data["ok"] = result.ok
    return data


# ------------------------------------------------------------------------------- the tally


@attrs.define
class IngestTally:
    """How an ingest (or an import with ``--wait``) is going and how it ended."""

    total: int
    stages: Sequence[Stage]
    #: Keys per end: ``indexed``, ``imported``, or the state or stage they stopped at.
    ends: Counter[str] = attrs.field(factory=Counter)
    failures: list[tuple[str, str]] = attrs.field(factory=list)
    elapsed: float = 0.0
    #: Keys reported from the journal (finished by an earlier run).
    journaled: int = 0
    #: Keys imported (their asset created) that have not ended yet.
    created: dict[str, AssetRef] = attrs.field(factory=dict)
    _counted: dict[str, int] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        """Every key went through."""
        return not self.failures and sum(self.ends.values()) == self.total

    @property
    def good(self) -> str:
        """What a key that went through is: ``created`` (import requests only),
        ``imported`` (and waited for) or ``indexed``."""
        return {1: "created", 2: "imported"}.get(len(self.stages), "indexed")

    def _through(self, result: IngestResult) -> bool:
        if len(self.stages) == 1:  # import requests only: a ref is all there is to get
            return result.error is None and result.ref is not None
        return result.ok

    def _count(self, key: str, upto: int, *, failed_from: int | None = None) -> None:
        """Stages ``[counted, upto)`` of ``key`` are done, failed from ``failed_from`` on."""
        start = self._counted.get(key, 0)
        for index in range(start, upto):
            stage = self.stages[index]
            failed = failed_from is not None and index >= failed_from
            stage.update(done=stage.done + 1, failed=stage.failed + failed)
        self._counted[key] = max(start, upto)

    def progress(self, result: IngestResult) -> None:
        """A key moved on (``MediaAI.ingest``'s ``on_progress``)."""
        if result.ref is not None:
            self.created[result.key] = result.ref
        self._count(result.key, _FINISHED[result.stage] + 1)

    def add(self, result: IngestResult) -> None:
        """A key ended."""
        self.created.pop(result.key, None)
        self.journaled += result.from_journal
        last = len(self.stages)
        if self._through(result):
            self._count(result.key, last)
            self.ends[self.good] += 1
            return
        if result.error is not None:
            stopped = {IngestStage.IMPORT: 0, IngestStage.IMPORT_WAIT: 1,
                       IngestStage.INDEX: 2, IngestStage.INDEX_WAIT: 3}[result.stage]  # fmt: skip
            end = f"error at {STAGES[stopped]}"
        elif result.index_status is not None:
            stopped, end = 3, result.index_status.status.value
        else:
            assert result.import_status is not None
            stopped, end = 1, result.import_status.upload_status.value
        self._count(result.key, last, failed_from=stopped)
        self.ends[end] += 1
        self.failures.append((result.key, f"{end}: {_note(result)}" if _note(result) else end))

    def outcome(self) -> str:
        """``1,760 indexed, 240 failed (120 FILE_NOT_EXIST, 60 ANALYZE_FAIL, 60 error at
        import)``."""
        good = self.good
        failed = len(self.failures)
        parts = [f"{self.ends[good]:,} {good}"]
        if failed:
            why = ", ".join(f"{n:,} {e}" for e, n in sorted(self.ends.items()) if e != good)
            parts.append(f"{failed:,} failed ({why})")
        left = self.total - sum(self.ends.values())
        if left:
            parts.append(f"{left:,} unfinished")
        if self.journaled:
            parts.append(f"{self.journaled:,} of them finished before (from the journal)")
        return ", ".join(parts)


async def run_ingest(
    client: MediaClient,
    output: Output,
    *,
    workspace: str,
    project_id: str,
    bucket: str,
    keys: Sequence[str],
    index: IndexOptions | None,
    concurrency: int,
    interval: float,
    index_interval: float,
    timeout: float | None,
    if_running: Literal["raise", "wait"],
    progress: ProgressMode,
    print_each: bool = True,
    journal: str | None = None,
) -> IngestTally:
    """``client.media_ai.ingest`` with a bar per stage, printing each key as it ends (and, if
    interrupted, the assets created for keys that had not ended: ``report_interrupted``)."""
    keys = list(dict.fromkeys(keys))
    start = time.monotonic()
    rows = output.stream(INGEST_COLUMNS)
    with ProgressDisplay(output, progress) as display:
        labels = STAGES if index is not None else STAGES[:2]
        tally = IngestTally(len(keys), [display.stage(label, len(keys)) for label in labels])
        stream = client.media_ai.ingest(
            workspace,
            project_id,
            bucket=bucket,
            keys=keys,
            index=index if index is not None else False,
            concurrency=concurrency,
            interval=interval,
            index_interval=index_interval,
            timeout=timeout,
            if_running=if_running,
            on_progress=tally.progress,
            journal=journal,
        )
        if print_each:
            rows.header()
        async with closing(stream) as results:
            try:
                async for result in results:
                    tally.add(result)
                    if print_each:
                        _print(rows, result)
            except asyncio.CancelledError:  # Ctrl-C
                if print_each:  # (not in the demo, whose emulator goes with it)
                    report_interrupted(output, tally, journal=journal)
                raise
    tally.elapsed = time.monotonic() - start
    return tally


def _print(rows: Rows[IngestResult], result: IngestResult) -> None:
    """One key that ended: a row, or a JSON line."""
    if rows.output.as_json:
        rows.output.json_line(result_json(result))
    else:
        rows.row(result)


def report_interrupted(
    output: Output, tally: IngestTally, *, limit: int = 20, journal: str | None = None
) -> None:
    """On Ctrl-C, what the keys that did not end left behind: the assets created (a key is
    printed only once it ends), and that a request in flight may have created one; with a
    journal, only that running again with it resumes."""
    if journal is not None:
        output.note(
            f"interrupted: run again with --journal {journal} to resume (nothing is imported "
            "or analysed twice)",
            style="yellow",
        )
    elif tally.created:
        output.note(
            f"interrupted: {len(tally.created):,} keys were imported (assets created) but did "
            "not finish:",
            style="yellow",
        )
        for key, ref in list(tally.created.items())[:limit]:
            output.note(f"  {key}  {ref}", style=None)
        if len(tally.created) > limit:
            output.note(f"  ... and {len(tally.created) - limit:,} more")
    unknown = tally.total - sum(tally.ends.values()) - len(tally.created)
    if unknown and journal is None:
        output.note(
            f"interrupted: {unknown:,} keys did not finish; those whose import request was sent "
            "may have been imported: look for their assets before importing them again",
            style="yellow",
        )


def report_ingest(
    output: Output, tally: IngestTally, *, noun: str = "key", limit: int = 20
) -> None:
    """The end of an ingest on stderr: how the keys ended, then the first failures."""
    output.note(
        f"{counted(tally.total, noun)} in {fmt_seconds(tally.elapsed)}: {tally.outcome()}",
        style="bold",
    )
    for key, why in tally.failures[:limit]:
        output.note(f"  {key}  {why}", style=None)
    if len(tally.failures) > limit:
        output.note(f"  ... and {len(tally.failures) - limit:,} more")


# ----------------------------------------------------------------------------- the options


def _index_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The analysis options (``IndexOptions``), for ``index`` and ``ingest``."""
    options = [
        click.option("--scene-range", type=click.Choice([m.value for m in SceneRange]),
                     help="Scene length (video): EXTRA_SHORT is 10-20 s; default MEDIUM."),
        click.option("--min-scene", type=int, metavar="SECONDS",
                     help="Shortest scene, 10-30 s (with --max-scene, not with --scene-range)."),
        click.option("--max-scene", type=int, metavar="SECONDS",
                     help="Longest scene (with --min-scene)."),
        click.option("--persons", type=click.IntRange(0, 10),
                     default=_defaults.INDEX_PERSON_COUNT, show_default=True,
                     help="Persons to analyse (0: none, faster)."),
        click.option("--tag", "tags", multiple=True, metavar="ID",
                     help="A person tag id to detect (repeat for more, up to 30)."),
        click.option("--language", type=click.Choice([m.value for m in SourceLanguage]),
                     help="Spoken language; default ENKO (Korean and English)."),
        click.option("--audio-effects/--no-audio-effects", default=None,
                     help="Detect applause, laughter and background music."),
        click.option("--if-running", type=click.Choice(["raise", "wait"]), default="raise",
                     show_default=True,
                     help="An analysis already running: fail the asset, or wait for it to end "
                     "and then ask."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _make_options(values: dict[str, Any]) -> IndexOptions:
    """``IndexOptions`` from the command line; an invalid combination is a usage error."""
    try:
        return IndexOptions(
            scene_range=values.pop("scene_range"),
            min_scene_duration=values.pop("min_scene"),
            max_scene_duration=values.pop("max_scene"),
            person_count=values.pop("persons"),
            tag_ids=values.pop("tags") or None,
            language=values.pop("language"),
            audio_effects=values.pop("audio_effects"),
        )
    except (ValueError, TypeError) as exc:
        message = str(exc)
        for name, flag in _FLAGS.items():
            message = message.replace(name, flag)
        raise click.UsageError(message) from None


#: ``IndexOptions``' names as the command line spells them, for its error messages.
_FLAGS = {
    "min_scene_duration": "--min-scene", "max_scene_duration": "--max-scene",
    "scene_range": "--scene-range", "tag_ids": "--tag ids", "tag ids": "--tag ids",
}  # fmt: skip


def _keys_file(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--file", "target_file", type=click.File("rb"), metavar="PATH",
        help="Read more from a file, one per line, UTF-8 (- for stdin).",
    )(f)  # fmt: skip


def _bucket_keys(f: Callable[..., Any]) -> Callable[..., Any]:
    """``WORKSPACE PROJECT_ID KEYS... --bucket B [--file PATH]``."""
    for decorate in reversed((
        click.argument("workspace", type=SEGMENT),
        click.argument("project_id", type=SEGMENT),
        click.argument("keys", nargs=-1, type=NOT_BLANK),
        click.option("--bucket", required=True, type=NOT_BLANK,
                     help="The Object Storage bucket of the keys."),
        _keys_file,
    )):  # fmt: skip
        f = decorate(f)
    return f


def _read_keys(keys: Sequence[str], file: IO[bytes] | None) -> list[str]:
    return read_targets(list(keys), file, str, "object keys")


def _rate_limit(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--rate-limit", type=click.IntRange(1), metavar="PER_MINUTE",
        help="Pace requests to at most this many a minute.",
    )(f)  # fmt: skip


def _pace(rate_limit: int | None) -> RateLimit | None:
    return None if rate_limit is None else RateLimit.per_minute(rate_limit)


# ------------------------------------------------------------------------------- commands


def _ingest_and_report(
    settings: Settings, values: dict[str, Any], *, index: IndexOptions | None, timeout: str
) -> None:
    """``run_ingest`` as the options say, the report on stderr, exit 1 unless all went
    through."""
    keys = _read_keys(values["keys"], values["target_file"])
    output = settings.output()
    tally = settings.call(
        lambda client: run_ingest(
            client, output, workspace=values["workspace"], project_id=values["project_id"],
            bucket=values["bucket"], keys=keys, index=index,
            concurrency=values["concurrency"], interval=values["interval"],
            index_interval=values.get("index_interval", 0.0), timeout=values[timeout],
            if_running=values.get("if_running", "raise"), progress=values["progress"],
            journal=values["journal"],
        ),
        max_connections=values["concurrency"],
        rate_limit=_pace(values["rate_limit"]),
    )  # fmt: skip
    report_ingest(output, tally)
    if not tally.ok:
        raise click.exceptions.Exit(EXIT_FAILED)


@command("ingest", summary="Import objects as assets and analyse each (waits).")
@_bucket_keys
@click.option("--index/--no-index", default=True, show_default=True,
              help="Analyse each asset once imported.")  # fmt: skip
@_index_options
@concurrency_option(_defaults.POLL_CONCURRENCY, "Requests in flight at most, all stages.")
@interval_option(_defaults.POLL_INTERVAL, "Pause between two import polls of one key.")
@click.option("--index-interval", type=FiniteRange(0), default=_defaults.INDEX_POLL_INTERVAL,
              show_default=True, metavar="SECONDS",
              help="Pause between two analysis polls of one key.")  # fmt: skip
@timeout_option("ingest_timeout", "Give up on the keys still under way after this long.")
@_rate_limit
@journal_option
@progress_option
@click.pass_obj
def ingest_command(settings: Settings, /, **values: Any) -> None:
    """Import Object Storage KEYS as assets of WORKSPACE/PROJECT_ID, wait, analyse them, wait.

    Each key moves on as soon as its previous step finished; one line per key as it ends.
    Exits 1 unless every key was imported and indexed (the failures are listed on stderr).
    """
    options = _make_options(values) if values["index"] else None
    _ingest_and_report(settings, values, index=options, timeout="ingest_timeout")


@command("import", summary="Import objects of a bucket as assets; print their ids.")
@_bucket_keys
@click.option("--wait/--no-wait", default=False, show_default=True,
              help="Wait until each import has finished.")  # fmt: skip
@concurrency_option(_defaults.POLL_CONCURRENCY, "Requests in flight at most.")
@interval_option(_defaults.POLL_INTERVAL, "With --wait: pause between two polls of one key.")
@timeout_option("import_timeout", "With --wait: give up after this long.")
@_rate_limit
@journal_option
@progress_option
@click.pass_obj
def import_command(settings: Settings, /, **values: Any) -> None:
    """Import Object Storage KEYS as assets of WORKSPACE/PROJECT_ID; print each asset id.

    One request per key, never repeated once it may have reached the service (look the asset
    up before importing a failed key again). With --wait, also wait for each import to finish.
    Exits 1 unless every key was imported (and, with --wait, COMPLETED).
    """
    if values["wait"]:
        _ingest_and_report(settings, values, index=None, timeout="import_timeout")
        return
    keys = _read_keys(values["keys"], values["target_file"])
    output = settings.output()
    workspace, project_id = values["workspace"], values["project_id"]

    async def requests(client: MediaClient) -> IngestTally:
        rows = output.stream(INGEST_COLUMNS[:2] + INGEST_COLUMNS[-1:])
        start = time.monotonic()
        with ProgressDisplay(output, values["progress"]) as display:
            tally = IngestTally(len(keys), [display.stage("import", len(keys))])
            rows.header()
            stream = client.media_ai.import_assets(
                workspace, project_id, bucket=values["bucket"], keys=keys,
                concurrency=values["concurrency"], return_exceptions=True,
                journal=values["journal"],
            )  # fmt: skip
            async with closing(stream) as created:
                try:
                    async for item in created:
                        if isinstance(item, PollFailure):
                            error = item.error
                            result = IngestResult(item.target, IngestStage.IMPORT, error=error)
                        else:
                            result = IngestResult(
                                item.key or "", IngestStage.IMPORT_WAIT, item,
                                from_journal=item.from_journal,
                            )  # fmt: skip
                        tally.add(result)
                        _print(rows, result)
                except asyncio.CancelledError:  # Ctrl-C
                    report_interrupted(output, tally, journal=values["journal"])
                    raise
        tally.elapsed = time.monotonic() - start
        return tally

    tally = settings.call(
        requests, max_connections=values["concurrency"], rate_limit=_pace(values["rate_limit"])
    )
    report_ingest(output, tally)
    if not tally.ok:
        raise click.exceptions.Exit(EXIT_FAILED)


def _asset_id(text: str) -> str:
    """An asset id: digits (the service's ids are integers)."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not an asset id (digits)")
    return text


@command("index", summary="Analyse (index) Media Intelligence assets.")
@click.argument("workspace", type=SEGMENT)
@click.argument("project_id", type=SEGMENT)
@click.argument("asset_ids", nargs=-1)
@_keys_file
@_index_options
@click.option("--wait/--no-wait", default=False, show_default=True,
              help="Then wait until each analysis has ended.")  # fmt: skip
@concurrency_option(_defaults.POLL_CONCURRENCY, "Requests in flight at most.")
@interval_option(
    _defaults.INDEX_POLL_INTERVAL, "Pause between two polls of one analysis (--wait, waiting)."
)
@timeout_option("index_timeout", "With --wait: give up after this long.")
@_rate_limit
@progress_option
@click.pass_obj
def index_command(settings: Settings, /, **values: Any) -> None:
    """Analyse (index) assets ASSET_IDS of WORKSPACE/PROJECT_ID (imports COMPLETED).

    Sends every request first (stage "index"), then with --wait polls every analysis started
    until it ends (stage "indexed"). Exits 1 unless every request was accepted (and, with
    --wait, every analysis ANALYZE_COMPLETED).
    """
    options = _make_options(values)
    try:
        given = [_asset_id(text) for text in values["asset_ids"]]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'ASSET_IDS...'") from None
    ids = read_targets(given, values["target_file"], _asset_id, "asset ids")
    workspace, project_id = values["workspace"], values["project_id"]
    refs = [AssetRef(workspace, project_id, asset_id) for asset_id in ids]
    output = settings.output()
    rows = output.stream(INDEX_COLUMNS)

    def failed(ref: AssetRef, what: str, error: BaseException) -> None:
        if output.as_json:
            output.json_line({"asset": to_jsonable(ref), "error": error_json(error)})
        else:
            rows.cells([ref, Text(what, "red"), None, short_reason(error)])

    async def work(client: MediaClient) -> bool:
        async def start(ref: AssetRef) -> AssetRef:
            await client.media_ai.start_index(
                ref, options, if_running=values["if_running"], interval=values["interval"],
                timeout=values["index_timeout"],
            )  # fmt: skip
            return ref

        started: list[AssetRef] = []
        good = True
        with ProgressDisplay(output, values["progress"]) as display:
            requests = display.stage("index", len(refs))
            ends = display.stage("indexed", len(refs)) if values["wait"] else None
            rows.header()
            stream = schedule(refs, start, concurrency=values["concurrency"], max_failures=1,
                              return_exceptions=True)  # fmt: skip
            async with closing(stream) as results:
                async for result in results:
                    refused = isinstance(result, PollFailure)
                    if isinstance(result, PollFailure):
                        good = False
                        failed(result.target, "REQUEST FAILED", result.error)
                    else:
                        started.append(result)
                        if ends is None and output.as_json:
                            output.json_line({"asset": to_jsonable(result), "requested": True})
                        elif ends is None:
                            rows.cells([result, Text("REQUESTED", "yellow"), None, None])
                    requests.update(done=requests.done + 1, failed=requests.failed + refused)
            if ends is None:
                asked = counted(len(refs), "analysis", "analyses")
                output.note(f"{len(started):,} of {asked} requested")
                return good
            ends.update(done=len(refs) - len(started), failed=len(refs) - len(started))
            waiting = client.media_ai.wait_for_indexes(
                started, concurrency=values["concurrency"], interval=values["interval"],
                timeout=values["index_timeout"], return_exceptions=True,
            )  # fmt: skip
            async with closing(waiting) as statuses:
                async for status in statuses:
                    if isinstance(status, PollFailure):
                        good = False
                        failed(status.target, "POLL FAILED", status.error)
                        bad = True
                    else:
                        rows.row(status)
                        bad = status.status != "ANALYZE_COMPLETED"
                        good = good and not bad
                    ends.update(done=ends.done + 1, failed=ends.failed + bad)
        completed = len(refs) - ends.failed
        output.note(f"{counted(len(refs), 'analysis', 'analyses')}: "
                    f"{completed:,} ANALYZE_COMPLETED, {ends.failed:,} failed")  # fmt: skip
        return good

    if not settings.call(
        work, max_connections=values["concurrency"], rate_limit=_pace(values["rate_limit"])
    ):
        raise click.exceptions.Exit(EXIT_FAILED)


#: The commands of this module, for the group.
MEDIA_AI_COMMANDS: tuple[click.Command, ...] = (import_command, index_command, ingest_command)
