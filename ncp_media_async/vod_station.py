"""VOD Station: categories and encoding options, submitting files and awaiting their encodings,
encoding statuses and statistics, channels and their events, callbacks.

A pipeline submits files and waits for exactly those encodings:

```python
jobs = await client.vod_station.add_files(13814, bucket="in", paths=["a.mp4", "b.mp4"])
async for job in client.vod_station.wait_for_encodings(jobs, interval=5.0):
    print(job.input_path, [(o.output_type, o.status, o.link) for o in job.outputs])
```

or receives the service's callbacks (``parse_callback``) in a web app of its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import attrs
from yarl import URL

from . import _checks, _defaults
from ._callbacks import MAX_CALLBACK_BYTES, callback_json, refusal
from ._checks import segment
from ._converter import structure, structure_content, structure_list, structure_statistics, to_camel
from ._journal import Journal
from ._resource import Resource, channel_path, content_of, items_of, time_window
from .errors import AddFilesError, ApiError, NcpError, OutcomeUnknownError, ResponseError
from .pagination import Pager
from .polling import AGAIN, DONE, Again, E, Results, raising
from .records import (
    Category,
    ChannelCallback,
    ChannelEvent,
    EncodingCallback,
    EncodingJob,
    EncodingJobDetail,
    EncodingOption,
    EncodingOptionTemplate,
    EncodingStatus,
    OutputSettings,
    StatusStatistics,
    VodChannel,
)

__all__ = ["MAX_CALLBACK_BYTES", "VodStation", "parse_callback"]

logger: Final = logging.getLogger("ncp_media_async")


class VodStation(Resource):
    """VOD Station APIs (``client.vod_station``)."""

    name = "vod_station"
    title = "VOD Station"

    # -- categories and encoding options --------------------------------------------------------

    def categories(
        self,
        *,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[Category]:
        """``GET /api/v2/category``: every category, page by page (a ``Pager``, at once)."""
        return self._list(("category",), Category, (), page_size, start_page, max_items, prefetch)

    async def category(self, category_id: int | str) -> Category:
        """``GET /api/v2/category/{categoryId}``: one category. An unknown id raises
        ``NotFoundError`` (code 260004)."""
        path = ("category", segment("category_id", category_id))
        return await self._get(path, content_of(Category))

    async def encoding_options(self) -> list[EncodingOption]:
        """``GET /api/v2/encoding-option``: every encoding option (NCP's presets and the
        account's own; the list is not paged)."""
        return await self._get(("encoding-option",), items_of(EncodingOption))

    async def encoding_option_templates(self) -> list[EncodingOptionTemplate]:
        """``GET /api/v2/encoding-option/template``: the templates, each a set of encoding
        option ids a category can use (the body has no ``total``)."""
        return await self._get(("encoding-option", "template"), items_of(EncodingOptionTemplate))

    # -- submitting files -----------------------------------------------------------------------

    async def add_files(
        self,
        category_id: int | str,
        *,
        bucket: str | None = None,
        paths: Iterable[str] | None = None,
        urls: Iterable[str] | None = None,
        notification: str | None = None,
        output: OutputSettings | None = None,
        journal: str | os.PathLike[str] | None = None,
    ) -> list[EncodingJob]:
        """``PUT /api/v2/category/{categoryId}/add-files``: encode files with the category's
        options; one ``EncodingJob`` per distinct input, in input order.

        The inputs are either object ``paths`` in ``bucket`` or HTTP(S) ``urls`` (the service
        downloads them), never both; each a collection of strings (a single ``str`` is a
        ``TypeError``), and an input listed twice is sent once (one encoding per file, as
        ``import_assets`` imports a key listed twice once). That, and every other argument, is
        checked before anything is sent (``ValueError``/``TypeError``). More than 100 inputs
        (the documented limit of one request) go in several requests, one after another, 100
        at a time. ``notification`` is a callback URL for these files only (it overrides the
        category's; sent as ``notification``, the current documents' name, not the older
        ``notificationUrl``); ``output`` overrides where the outputs go (``bucket_name`` and
        ``file_path`` required).

        A request that may have reached the service is never sent again: a file must not be
        encoded twice. When a request fails, ``add_files`` stops and raises ``AddFilesError``
        saying which inputs were submitted (``jobs``), which may or may not have been
        (``uncertain``: the connection broke after sending, a timeout, a 5xx), which were
        refused (``rejected``) and which were not sent (``unsent``: no connection, a wait that
        outlasted the call's deadline, a client closed before sending); its docstring shows how
        to reconcile with ``find_jobs``. When the very first request fails and nothing is
        uncertain, the request's own error is raised instead (``NotFoundError`` for an unknown
        category, ``BadRequestError``, ``TransportError`` if no connection could be made).
        Cancelling ``add_files`` while a request is in flight leaves that request's fate
        unknown in the same way (look it up with ``find_jobs``).

        The response is documented as carrying an ``id`` per file, in input order (inferred);
        when it cannot be read (a success whose body is broken) or holds a different number of
        ids, the files were taken but ``EncodingJob.file_id`` is ``None`` (a warning is
        logged); ``wait_for_encodings`` does not need it.

        ``journal`` (a file path) makes the batch crash-safe: the inputs of each request are
        recorded (fsynced) as intended before it is sent, and as submitted, with their ids,
        once it is answered. Called again with the same journal (the same category and
        bucket; another batch's is refused with ``JournalError``, as is one another call
        holds), it resumes: inputs submitted before come back from the journal
        (``EncodingJob.from_journal``) and are not sent; inputs whose request's fate was
        unknown (the process died with it in flight, or ``AddFilesError`` said ``uncertain``)
        are looked for with ``find_jobs`` over the window since their intent, and only those
        the status list does not show are sent again; the rest are sent. So one encoding per
        input, however many times the batch is killed and run again, and every input in the
        list once. What stays open is ``find_jobs``' own limit: an input the service took but
        does not list yet when the call looks is sent again.

        Examples:
            ```python
            jobs = await client.vod_station.add_files(13814, bucket="in", paths=["a.mp4"])
            async for job in client.vod_station.wait_for_encodings(jobs, timeout=3600):
                print(job.input_path, job.succeeded, job.links)
            ```
        """
        number = _checks.whole("category_id", category_id)
        if urls is not None and (bucket is not None or paths is not None):
            raise ValueError(
                "give either bucket and paths (objects in Object Storage) or urls (files to "
                "download), not both"
            )
        common: dict[str, Any] = {}
        if urls is not None:
            inputs, field = _checks.texts("urls", urls), "httpDownloadUrlList"
            if bad := [url for url in inputs if not _is_url(url)]:
                raise ValueError(f"urls must be http:// or https:// URLs, got {bad[0]!r}")
        elif paths is not None:
            inputs, field = _checks.texts("paths", paths), "pathList"
            if not isinstance(bucket, str) or not bucket.strip():
                raise ValueError("bucket (the bucket holding the paths) is required with paths")
            common["bucketName"] = bucket
        else:
            raise ValueError("nothing to add: give bucket and paths, or urls")
        if not inputs:
            raise ValueError("nothing to add: the list of inputs is empty")
        if notification is not None:
            common["notification"] = _checks.http_url("notification", notification)
        if output is not None:  # the add-files ``output`` object: set fields only, camelCase
            _checks.expect("output", output, OutputSettings, "an OutputSettings")
            for name in ("bucket_name", "file_path"):
                if not isinstance(getattr(output, name), str) or not getattr(output, name):
                    raise ValueError(f"output.{name} is required")
            if len(output.file_path or "") > 256:
                raise ValueError("output.file_path must be at most 256 characters")
            common["output"] = {
                to_camel(k): v for k, v in attrs.asdict(output).items() if v is not None
            }
        self._offered()
        path, size = ("category", str(number), "add-files"), _defaults.ADD_FILES_MAX_INPUTS
        transport = self._transport
        async with (
            contextlib.nullcontext() if journal is None
            else Journal.open(journal, "add_files", {"category": number, "bucket": bucket})
        ) as book:  # fmt: skip
            jobs = {} if book is None else await self._resumed(book, number, bucket, inputs)
            left = [item for item in inputs if item not in jobs]
            for start in range(0, len(left), size):
                chunk, later = left[start : start + size], left[start + size :]
                # Now by the gateway's clock, as far as the client has learnt it.
                now = transport.config.clock() + transport.clock_offset(self._service.host)
                since = datetime.fromtimestamp(now, UTC)
                if book is not None:  # the intents, durable once the last one is
                    for item in chunk:
                        await book.record(item, "intent", durable=item == chunk[-1], at=now)
                body, parse = {**common, field: chunk}, functools.partial(_file_ids, len(chunk))
                try:
                    ids = await self._write("PUT", path, parse, json=body)
                except ResponseError as exc:  # a success status: the files were taken
                    logger.warning("add_files: %s; files were taken, their ids are unknown", exc)
                    ids = [None] * len(chunk)
                except NcpError as exc:
                    fate = _fate(exc)
                    if not jobs and fate != "uncertain":
                        raise  # nothing was submitted, nothing to reconcile
                    # This request's inputs go in the list its fate names; the later ones
                    # were not sent (an unsent chunk joins them: the key given last wins).
                    raise AddFilesError(
                        category_id=number, jobs=[*jobs.values()], since=since, error=exc,
                        **{"unsent": later, fate: [*chunk, *later] if fate == "unsent" else chunk},
                    ) from exc  # fmt: skip
                for item, file_id in zip(chunk, ids, strict=True):
                    jobs[item] = _job(file_id, number, item, bucket, since)
                    if book is not None:
                        await book.record(item, "submitted", file=file_id)
        return [jobs[item] for item in inputs]

    async def _resumed(
        self, book: Journal, category_id: int, bucket: str | None, inputs: list[str]
    ) -> dict[str, EncodingJob]:
        """The jobs of ``inputs`` that ``book`` says were submitted, and those whose request's
        fate it leaves unknown that ``find_jobs`` finds (recorded as submitted, without id), by
        input."""
        jobs, doubt = {}, {}
        for item in inputs:
            entry = book.entries.get(item, {})
            if entry.get("event") == "submitted":
                at = datetime.fromtimestamp(entry["at"], UTC)
                jobs[item] = _job(entry["file"], category_id, item, bucket, at, from_journal=True)
            elif entry:
                doubt[item] = entry["at"]
        if doubt:
            since = datetime.fromtimestamp(min(doubt.values()), UTC)
            for job in await self.find_jobs(category_id, doubt, since=since, bucket=bucket):
                await book.record(job.input_path, "submitted", file=None)
                jobs[job.input_path] = attrs.evolve(job, outputs=(), ambiguous=False)
        return jobs

    async def find_jobs(
        self,
        category_id: int | str,
        inputs: Iterable[str],
        *,
        since: datetime,
        bucket: str | None = None,
        page_size: int = _defaults.ENCODING_WALK_PAGE_SIZE,
        prefetch: int = _defaults.ENCODING_WALK_PREFETCH,
    ) -> list[EncodingJob]:
        """Which of ``inputs`` the service took into ``category_id`` since ``since``: an
        ``EncodingJob`` for each input that shows in the encoding status list (one walk of it,
        from ``since`` on), with the outputs it shows now (see ``wait_for_encodings`` for how
        rows are told apart).

        For reconciling after ``AddFilesError``: ``find_jobs(e.category_id, e.uncertain,
        since=e.since, bucket=...)``. The status list has no file ids, so ``file_id`` is
        ``None``; ``submitted_at`` is ``since``. Inputs are object paths in ``bucket``, or URLs
        (a collection: a single ``str`` is a ``TypeError``). An input that does not show was
        not taken *as far as the list shows now*: a request that timed out may still be worked
        on by the service, so give it a minute before submitting such an input again. ``since``
        must be timezone-aware.
        """
        number = _checks.whole("category_id", category_id)
        since = _checks.aware("since", since)
        jobs = [_job(None, number, item, bucket, since) for item in _checks.texts("inputs", inputs)]
        start = since - _WINDOW_SLACK
        walk = self.encoding_statuses(start=start, page_size=page_size, prefetch=prefetch)
        return [job for job in (await _found(jobs, walk)).values() if job.outputs]

    async def encoding_job(self, file_id: int | str) -> EncodingJobDetail:
        """``GET /api/v2/status/{fileId}``: one encoding job, its category and its input (with
        the metadata read off it). ``file_id`` is ``EncodingJob.file_id`` (the callbacks'
        ``fileId``). An unknown id raises ``NotFoundError`` (code 260004, inferred).

        ``categoryId``/``categoryName`` are read beside ``content`` (current documents) and
        inside it (older ones); the decoded ``content`` is kept whole in
        ``EncodingJobDetail.content`` for the fields the documents leave out.
        """
        return await self._get(("status", segment("file_id", file_id)), _job_detail)

    # -- awaiting encodings ---------------------------------------------------------------------

    def wait_for_encodings(
        self,
        jobs: Iterable[EncodingJob],
        *,
        interval: float = _defaults.ENCODING_WAIT_INTERVAL,
        timeout: float | None = None,
        page_size: int = _defaults.ENCODING_WALK_PAGE_SIZE,
        prefetch: int = _defaults.ENCODING_WALK_PREFETCH,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        return_exceptions: E | Literal[False] = False,
        on_progress: Callable[[Sequence[EncodingJob]], None] | None = None,
    ) -> Results[EncodingJob, EncodingJob, E]:
        """Wait until every output of each job is terminal (COMPLETE, FAILURE, CANCELED); yield
        each job, with its ``outputs``, as soon as it is.

        How: one walk of the encoding status list (``GET /api/v2/status``, ``page_size`` items
        a page, ``prefetch`` pages in flight) serves the whole batch, not one request per job:
        each job is looked at every ``interval`` seconds, and every job due takes the rows of
        the walk that started after its last look (one walk per round whatever the number of
        jobs). The walk covers work starts from the earliest ``submitted_at`` of the jobs still
        pending (less two minutes for clocks that disagree; a job without ``submitted_at`` puts
        no lower bound). The list's rows carry no file id: a row belongs to a job by its
        ``categoryId`` and its ``filePath``, the input's path (for a URL input, the URL, its
        path or its file name: the documents do not say which the service shows; a leading
        ``/`` does not matter).

        A job takes at most one row per output type. When the window holds rows of an earlier
        job of the same input (the same path submitted again), a job takes the rows that changed
        (``lastWorkTime``) at or after its submission, less a minute for clocks; where two such
        rows remain for one output type (two jobs of one input submitted close together, or one
        still queued from before), the list cannot tell them apart: the job takes the most
        recent and says so (``EncodingJob.ambiguous``), never a silent mix. A job is finished
        when its rows are terminal and cover as many output types as the category has encoding
        options (its ``encoding_options``, or its template's; read once per category with
        ``category`` and ``encoding_option_templates``): that count also keeps a job pending
        while an output is missing from the list (not listed yet, or listed with an empty
        ``filePath``, as callbacks are while ``WAITING``). A category that names neither leaves
        the number unknown: its jobs finish when every row shown is terminal.

        The rest is the one wait engine's (``ncp_media_async.polling``): a category that cannot
        be read for good (not found) fails its jobs, not the others; a walk that fails
        transiently is walked again at the next look, and after ``max_failures`` such failures
        in a row (or one permanent failure) the jobs fail with that error, raised together as
        ``PollingError`` (``.failures`` maps job to error) once the rest finished, or yielded as
        ``PollFailure`` with ``return_exceptions=True``. An authentication or permission
        error, or ``close()``, stops the wait at once. ``timeout`` (seconds) bounds the whole
        wait, a walk under way included, whatever ``interval`` is: ``PollTimeoutError`` names
        the jobs still pending. Breaking out of the loop or cancelling stops the walk in
        progress and leaves no task behind.

        ``on_progress``, if given, is called after each walk with every job of the batch and
        the rows found for it so far (finished or not), e.g. for a progress display per output.

        Bad arguments raise ``TypeError``/``ValueError`` here, before anything is sent.
        """
        batch = _checks.instances("jobs", jobs, EncodingJob)
        walk = functools.partial(self.encoding_statuses, page_size=page_size, prefetch=prefetch)
        walk()  # checks both now
        wait = self._wait(
            "wait_for_encodings", "encoding job", interval=interval, timeout=timeout,
            max_failures=max_failures, return_exceptions=return_exceptions, jitter=0.0,
        )  # fmt: skip
        expected: dict[int, int | None] = {}  # outputs per input of each category, once read
        latest = {job: job for job in batch}  # each job with the rows last found for it
        templates: dict[int | None, tuple[int, ...]] = {}  # filled by ``_outputs_of``

        async def step(due: list[EncodingJob]) -> dict[EncodingJob, EncodingJob | Again | NcpError]:
            """Serves every job due at once: the categories not read yet (a category that cannot
            be read fails its jobs), then one walk of the status list from the earliest
            submission of the jobs due."""
            outcomes: dict[EncodingJob, EncodingJob | Again | NcpError] = {}
            for category in {job.category_id for job in due} - expected.keys():
                try:
                    expected[category] = await self._outputs_of(category, templates)
                except NcpError as exc:
                    outcomes.update((job, exc) for job in due if job.category_id == category)
            ready = [job for job in due if job not in outcomes]
            if not ready:
                return outcomes
            starts = [job.submitted_at for job in ready]
            start = None if None in starts else min(filter(None, starts)) - _WINDOW_SLACK
            found = await _found(ready, walk(start=start))
            latest.update(found)
            if on_progress is not None:
                on_progress(list(latest.values()))
            for job, seen in found.items():
                # Finished: every row terminal, and as many output types as the category makes
                # (at least one when that number is unknown).
                terminal = all(row.terminal for row in seen.outputs)
                enough = len(seen.outputs) >= (expected[job.category_id] or 1)  # one per type
                outcomes[job] = seen if terminal and enough else AGAIN
            return outcomes

        return wait.run_together(batch, step)

    async def _outputs_of(
        self, category_id: int, templates: dict[int | None, tuple[int, ...]]
    ) -> int | None:
        """How many outputs each input of ``category_id`` gets: its encoding options, or its
        template's; ``None`` when the category names neither. ``templates`` caches the
        templates: read once a wait, the first time a category needs them (the ``None`` key
        marks them read)."""
        category = await self.category(category_id)
        if category.encoding_options:
            return len(category.encoding_options)
        if category.encoding_option_template_id is None:
            return None
        if not templates:
            listed = await self.encoding_option_templates()
            templates |= {None: (), **{t.id: t.encoding_option_ids for t in listed}}
        return len(templates.get(category.encoding_option_template_id, ())) or None

    # -- encoding statuses and statistics -------------------------------------------------------

    def encoding_statuses(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[EncodingStatus]:
        """``GET /api/v2/status``: encoding status of every output file, page by page.

        ``start``/``end`` (timezone-aware) bound the work start time and are sent as
        ``workStartTimeFrom``/``workStartTimeTo`` in epoch milliseconds. ``page_size``
        (``pageSizeNo``) is documented from 10 up. Returns a ``Pager`` at once.
        """
        query = time_window(start, end)
        return self._list(
            ("status",), EncodingStatus, query, page_size, start_page, max_items, prefetch,
            min_page_size=_defaults.ENCODING_STATUS_MIN_PAGE_SIZE,
        )  # fmt: skip

    async def status_statistics(
        self, *, start: datetime | None = None, end: datetime | None = None
    ) -> StatusStatistics:
        """``GET /api/v2/status/status-statistic``: job counts per state in a time window.

        The page's parameter table swaps ``workStartTimeFrom``/``workStartTimeTo``; like the
        encoding status list, ``start`` goes in From and ``end`` in To (epoch milliseconds).
        Counts sent as strings or numbers both come back as ``int``.
        """
        query = time_window(start, end)
        return await self._get(("status", "status-statistic"), structure_statistics, query)

    def watch_encoding_statuses(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        page_size: int = _defaults.ENCODING_WALK_PAGE_SIZE,
        prefetch: int = _defaults.ENCODING_WALK_PREFETCH,
    ) -> AsyncGenerator[EncodingStatus, None]:
        """Re-walk the encoding status list every ``interval`` seconds and yield what changed.

        The first walk yields every status; later walks yield a status whose ``status`` or
        ``percent`` changed (an output file is identified by ``EncodingStatus.output_key``).
        Ends when every status in the window is terminal (COMPLETE, FAILURE, CANCELED; a status
        the service left out counts as unfinished). ``interval`` is the pause between the end
        of one walk and the start of the next; ``timeout`` (seconds) bounds the whole wait, a
        walk under way included (``PollTimeoutError``, naming the output keys still
        unfinished); a walk that fails transiently is walked again, up to ``max_failures`` in a
        row (``polling.sweep``).
        """
        rows = self.encoding_statuses(start=start, end=end, page_size=page_size, prefetch=prefetch)
        # What changed between two walks, and what is unfinished. An output is known by
        # ``EncodingStatus.output_key`` (category, file path, output type), and the documents
        # give no finer id: the same file submitted twice to one category gives two outputs
        # with one key. So each walk is compared with the one before as a multiset per key: a
        # status is given when the walk before had no equal one (same ``status`` and
        # ``percent``) under its key left to match, and the two jobs of a key are not given
        # again at every walk because they differ. A key missing from a walk keeps what was
        # last seen.
        seen: _Counts = {}
        unfinished: list[Hashable] = []  # as the last complete walk found them
        #: The walk under way (or the last one): its counts (its keys: the keys it reached), and
        #: the keys it found unfinished.
        now: _Counts = {}
        found: list[Hashable] = []

        def pending() -> tuple[Hashable, ...]:
            """The output keys found unfinished: by this walk so far (a timeout may stop one
            under way) and, for keys it has not reached yet, by the walk before (between walks:
            by the last walk, which reached every key it found)."""
            return (*found, *(key for key in unfinished if key not in now))

        wait = self._wait(
            "watch_encoding_statuses", "encoding", interval=interval, timeout=timeout,
            max_failures=max_failures, return_exceptions=True, jitter=0.0, pending=pending,
        )  # fmt: skip

        async def step(_: object) -> object:
            """One walk: ``emit`` the statuses that are new or changed since the walk before."""
            nonlocal unfinished, now, found
            now, found = {}, []
            async with contextlib.aclosing(aiter(rows)) as walk:  # a new walk each time
                async for status in walk:
                    key, snapshot = status.output_key, (status.status, status.percent)
                    counts = now.setdefault(key, Counter())
                    counts[snapshot] += 1
                    # New or changed: more such statuses under its key than the walk before had.
                    if key not in seen or counts[snapshot] > seen[key][snapshot]:
                        await wait.emit(status)
                    if not status.terminal:
                        found.append(key)
            seen.update(now)  # only now: while it walks, ``seen`` is the walk before's
            unfinished = found
            return AGAIN if unfinished else DONE

        return raising(wait.run(("list",), step))

    # -- channels -------------------------------------------------------------------------------

    def channels(
        self,
        *,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[VodChannel]:
        """``GET /api/v2/channels``: every VOD Station channel, page by page (a ``Pager``, at
        once). The list shows fewer fields than ``channel`` (no CDN domain, no encrypted
        bucket name)."""
        return self._list(("channels",), VodChannel, (), page_size, start_page, max_items, prefetch)

    async def channel(self, channel_id: str) -> VodChannel:
        """``GET /api/v2/channels/{channelId}``: one channel with every documented field. An
        unknown id raises ``NotFoundError`` (code 260004 or 260017)."""
        return await self._get(channel_path(channel_id), content_of(VodChannel))

    async def start_channel(self, channel_id: str) -> VodChannel:
        """``PUT /api/v2/channels/{channelId}/start``: start a ``STOPPED`` channel; returns the
        channel as the call left it (a transitional state: the final ``READY`` arrives later, by
        ``channel``, ``channel_events`` or the channel callback). A channel in any other state
        raises ``ConflictError`` (code 260022). Sent without a body or a ``Content-Type``, as
        the documented curl does.

        Not sent again once it may have reached the service: a repeated start would only fail
        with ``ConflictError``, hiding the outcome of the first; on ``OutcomeUnknownError`` read
        the channel.
        """
        return await self._write("PUT", channel_path(channel_id, "start"), content_of(VodChannel))

    async def stop_channel(self, channel_id: str) -> VodChannel:
        """``PUT /api/v2/channels/{channelId}/stop``: stop a ``READY`` channel (see
        ``start_channel``); a channel in any other state raises ``ConflictError`` (code
        260023)."""
        return await self._write("PUT", channel_path(channel_id, "stop"), content_of(VodChannel))

    def channel_events(
        self,
        channel_id: str,
        *,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[ChannelEvent]:
        """``GET /api/v2/channels/{channelId}/events``: a channel's events, newest first.

        The page gives no bounds for ``pageSizeNo``; sizes from 1 to 1,000 are accepted. Event
        ``time`` is sent in epoch seconds and given as an aware UTC datetime. An unknown channel
        raises ``NotFoundError``.
        """
        path = channel_path(channel_id, "events")
        return self._list(path, ChannelEvent, (), page_size, start_page, max_items, prefetch)


# -- callbacks ------------------------------------------------------------------------------------


def parse_callback(
    body: bytes | bytearray | memoryview | str | Mapping[str, Any],
) -> EncodingCallback | ChannelCallback:
    """A VOD Station callback → ``EncodingCallback`` (a category's encoding callback: has
    ``fileId``/``encodingOptionId``/``outputType``) or ``ChannelCallback`` (has
    ``channelStatus``); no client needed.

    ``body`` is the raw request body (``bytes`` or ``str``, JSON, at most
    ``MAX_CALLBACK_BYTES``, 64 KiB) or the decoded JSON object. Ids sent as text or numbers
    both read as ``int`` (the older pages type them as strings); both spellings of the forced
    channel states are kept (``VodChannelStatus.canonical`` merges them). The service documents
    nothing of the delivery (retries, order, duplicates, expected status): answer 2xx at once
    and drop repeats by ``key``. The documents' own channel example with typographic quotes
    around the name is a typo in the page, not JSON, and is refused like any body that is not.

    Raises ``ResponseError`` (with a short excerpt) for anything else: a body too long, not
    JSON, not an object, not a VOD Station callback (a Live Station event, say), or whose
    fields have the wrong types.
    """
    data = callback_json(body, "VOD Station", "a callback")
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise refusal(f"not a VOD Station callback: expected a JSON object, got {kind}", data)
    if "channelStatus" in data and "fileId" not in data:
        return structure(data, ChannelCallback)
    if {"fileId", "encodingOptionId", "outputType"} & data.keys():
        return structure(data, EncodingCallback)
    raise refusal(
        "not a VOD Station callback: an encoding callback has fileId and encodingOptionId, "
        "a channel callback channelStatus",
        data,
    )


# -- add_files: arguments, responses, failures ----------------------------------------------------

#: How far before the earliest submission a walk of the status list starts: the client signs
#: with its clock plus what it learnt of the gateway's, and learns only an offset over a minute.
_WINDOW_SLACK: Final = timedelta(seconds=_defaults.ENCODING_WINDOW_SLACK)
#: How far before its submission a row of a job may have last changed (clocks that disagree by
#: less than the client corrects): an older row of the same input is an earlier job's.
_ROW_SLACK: Final = timedelta(seconds=_defaults.CLOCK_SKEW_THRESHOLD)

#: Per output key, how many statuses a walk found of each (``status``, ``percent``).
_Counts = dict[Hashable, Counter[tuple[str | None, float | None]]]


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _job(
    file_id: int | None, category: int, item: str, bucket: str | None, at: datetime, **more: Any
) -> EncodingJob:
    """The ``EncodingJob`` of input ``item`` submitted ``at`` (a URL has no bucket)."""
    return EncodingJob(file_id, category, item, None if _is_url(item) else bucket, at, **more)


@attrs.frozen
class _AddedFile:
    """One element of the add-files response's ``content`` (only ``id`` is documented)."""

    id: int | None = None


def _file_ids(count: int, body: Any) -> list[int | None]:
    """The add-files response ``{"content": [{"id": ...}, ...]}`` → the ids, in order;
    ``ResponseError`` unless there are ``count`` of them (one per file sent)."""
    ids = [item.id for item in structure_list(body, _AddedFile)[0]]
    if len(ids) != count:
        raise ResponseError(f"{len(ids)} ids for {count} files")
    return ids


def _fate(error: NcpError) -> Literal["uncertain", "rejected", "unsent"]:
    """What a failed add-files request did to its inputs.

    Refused (not taken): a 4xx, or a 429 the retries could not get past. Not sent: a connection
    that was never made, a wait before sending that outlasted the call's deadline, a client
    closed before sending (any ``TransportError`` but ``OutcomeUnknownError``, and
    ``ClientClosedError``: the transport turns a close under a write in flight into
    ``OutcomeUnknownError``). Uncertain: everything that may have reached the service (the
    connection broke after sending, a timeout, a 5xx).
    """
    if isinstance(error, ApiError):
        return "rejected" if error.status < 500 else "uncertain"
    return "uncertain" if isinstance(error, OutcomeUnknownError) else "unsent"


def _job_detail(body: Any) -> EncodingJobDetail:
    """``GET /status/{fileId}``: ``content`` and the category fields beside or inside it (inside
    wins: a field beside it fills only one left empty inside). The body itself is read as a
    detail for the fields beside ``content``."""
    detail = structure_content(body, EncodingJobDetail)
    outside = structure(body, EncodingJobDetail)  # ``content`` is there: checked above
    inside = {k: v for k, v in attrs.asdict(detail, recurse=False).items() if v is not None}
    return attrs.evolve(outside, **{**inside, "content": body["content"]})


# -- wait_for_encodings: matching rows to jobs, one walk for every job due ------------------------

RowKey = tuple[int | None, str]


def _path_keys(job: EncodingJob) -> tuple[RowKey, ...]:
    """The (category, ``filePath``) a status row of ``job`` may carry, without a leading ``/``.

    An object path is shown as given (``a.mp4`` or ``/a.mp4``). For a URL the documents do not
    say: the URL, its path, or its file name.
    """
    text = job.input_path
    if not _is_url(text):
        return ((job.category_id, text.lstrip("/")),)
    path = URL(text).path
    paths = dict.fromkeys(k for k in (text, path.lstrip("/"), path.rsplit("/", 1)[-1]) if k)
    return tuple((job.category_id, p) for p in paths)


async def _found(
    jobs: list[EncodingJob], walk: Pager[EncodingStatus]
) -> dict[EncodingJob, EncodingJob]:
    """Each job with its ``outputs`` in one walk of the status list: at most one row per output
    type, sorted by output type, and ``ambiguous`` where the list cannot tell its row from
    another job's of the same input (see ``VodStation.wait_for_encodings``). A row is taken
    once however often the walk serves it (a list that shifts under the walker)."""
    keys = {key for job in jobs for key in _path_keys(job)}
    rows: dict[RowKey, dict[EncodingStatus, None]] = {}
    async with contextlib.aclosing(aiter(walk)) as statuses:
        async for row in statuses:
            key = (row.category_id, (row.file_path or "").lstrip("/"))
            if key in keys:
                rows.setdefault(key, {})[row] = None
    found = {}
    for job in jobs:
        since = None if job.submitted_at is None else job.submitted_at - _ROW_SLACK
        by_type: dict[str | None, list[EncodingStatus]] = {}
        for key in _path_keys(job):
            for row in rows.get(key, ()):
                if since is None or row.last_work_time is None or row.last_work_time >= since:
                    by_type.setdefault(row.output_type, []).append(row)
        groups = [by_type[kind] for kind in sorted(by_type, key=lambda kind: kind or "")]
        outputs = tuple(max(g, key=lambda row: row.last_work_time or _EPOCH) for g in groups)
        found[job] = attrs.evolve(job, outputs=outputs, ambiguous=any(len(g) > 1 for g in groups))
    return found


_EPOCH: Final = datetime.min.replace(tzinfo=UTC)
