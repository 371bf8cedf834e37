"""VOD Station's store: categories, encoding options, files added for encoding and their jobs,
encoding statuses and their statistics, channels and their events, callbacks.

Error dialect: the gateway envelope ``{"error": {"errorCode": "2600xx", "message": ...,
"details": ...}}`` with a *string* code (``VodStationError``). The HTTP status of each code
is not documented; the store answers 404 for ``260004`` (not found), 400 for validation codes and
``state_error_status`` (400) for the channel state codes ``260022``/``260023``. Units as the
service uses them: work starts and windows in epoch *milliseconds*, ``lastWorkTime`` ISO 8601
with ``+0900``, channel event ``time`` in epoch *seconds*, category and channel-list times in
epoch *milliseconds*, channel start/stop answers in epoch *seconds* (their pages say so).

Moving state: files added to a category become one encoding per encoding option of the
category, each ``WAITING`` for ``encoding_queue_seconds``, then ``RUNNING`` for
``encoding_run_seconds`` (a quarter longer for each further option), then ``COMPLETE`` (or
``FAILURE``), by the emulator's clock. A channel started or stopped goes through ``STARTING``
or ``STOPPING`` for ``channel_transition_seconds``. Each change is also a callback, POSTed when
it falls due (in the background while the emulator is served, or by
``VodStationStore.drain_callbacks``) to the add-files ``notification`` (or
``notificationUrl``), else the category's ``notificationUrl``, and to a channel's
``notificationUrl``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import aiohttp
import attrs
from aiohttp import web

from ._data import (
    WORK_START_KEY,
    EncodingStore,
    ProgressingEncoding,
    Scenario,
    _categories,
    encoding_fields,
    generate_channel_events,
    generate_encodings,
    generate_progressing_encodings,
    remove_from_end,
    work_start_of,
)
from ._routes import Route
from ._store import (
    Call,
    CallbackDelivery,
    Gateway,
    ParameterError,
    Rejection,
    Store,
    StoreRoute,
    int_param,
    post_callback,
)
from ._wire import gateway_error, is_decimal, json_response

__all__ = ["VodStationError", "VodStationStore"]

_WINDOW_PARAMS: Final = ("workStartTimeFrom", "workStartTimeTo")

#: The most inputs one add-files request may carry (documented).
MAX_ADD_FILES: Final = 100

#: NCP's encoding option presets, as the emulator serves them: the documents name ids 1 to 3 (in
#: their examples) and templates using 1 to 4 and 10 to 13; the rest is made up alike.
#: (id, name, type, width, height, video Kbps)
_PRESETS: Final = (
    (1, "AVC_SD_1Pass_30fps", "NORMAL", 640, 360, 800),
    (2, "AVC_SD_1Pass_30fps_1", "NORMAL", 854, 480, 1200),
    (3, "AVC_HD_1Pass_30fps", "NORMAL", 1280, 720, 2500),
    (4, "AVC_FHD_2Pass_30fps", "NORMAL", 1920, 1080, 5000),
    (10, "AVC_QHD_2Pass_30fps", "NORMAL", 2560, 1440, 9000),
    (11, "AVC_UHD_2Pass_30fps", "NORMAL", 3840, 2160, 16000),
    (12, "AVC_UHD_2Pass_60fps", "NORMAL", 3840, 2160, 24000),
    (13, "AAC_AUDIO_128k", "AUDIO", 0, 0, 0),
)
#: The template list of the documents' example, verbatim.
_TEMPLATES: Final = (
    (1, "Practical content", (1, 2, 3)),
    (2, "Business content", (2, 3, 4)),
    (3, "Ultra-high-definition content", (10, 11, 12, 13)),
)
#: How the seeded categories (the ones the seeded encodings belong to) make their outputs:
#: encoding option ids, or a template id.
_CATEGORY_OPTIONS: Final[tuple[tuple[int, ...] | int, ...]] = (
    (1, 2, 3), (3, 4), 2, (1,), (2, 3, 4),
)  # fmt: skip

_FIRST_FILE_ID: Final = 1_163_694  # the documents' example fileId
_OBJECT_STORAGE: Final = "https://kr.object.ncloudstorage.com"


class VodStationError(Rejection):
    """VOD Station's error body: the gateway envelope with a ``2600xx`` *string* code.

    ``{"error": {"errorCode": "260004", "message": "not found", "details": "..."}}``;
    ``details`` is left out when ``None``.
    """

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(status, gateway_error(code, message, details))


def _not_found(what: str) -> VodStationError:
    return VodStationError(404, "260004", "Requested resource not found.", f"{what} not found.")


def _invalid(detail: str, code: str = "260002") -> VodStationError:
    return VodStationError(400, code, "Invalid input value.", detail)


@attrs.define
class _Job:
    """One input added to a category: its encodings (one per encoding option) and metadata."""

    file_id: int
    category_id: int
    category_name: str
    bucket: str | None
    input: str
    outputs: list[tuple[int, ProgressingEncoding]]
    metadata: dict[str, Any]


@attrs.define
class _Channel:
    """A channel's record (camelCase, as the detail page shows it) and the changes under way:
    ``(due ms, status, event)``, applied when the clock reaches them."""

    record: dict[str, Any]
    notification_url: str | None = None
    pending: list[tuple[int, str, dict[str, Any]]] = attrs.field(factory=list)


class VodStationStore(Store):
    """VOD Station behind the gateway (``emulator.vod_station``).

    Settings (mutable attributes):

    * ``status_statistics_as_strings`` sends ``waiting``, ``running`` and ``failure`` as strings,
      as the status-statistics page's field table says (its example sends integers);
    * ``encoding_queue_seconds`` (2.0) and ``encoding_run_seconds`` (8.0): how long an added
      file's encodings wait and run (*seconds*, emulator clock);
    * ``encoding_failure_rate`` (0.0): the share of encodings that end in ``FAILURE`` (seeded by
      file id and option, so reproducible); ``input_outcomes`` maps an input (path or URL) to
      the outcome of all its encodings, overriding the rate;
    * ``job_category_inside`` (``False``): ``GET /status/{fileId}`` puts ``categoryId`` and
      ``categoryName`` beside ``content`` (current documents); ``True`` puts them inside (older);
    * ``state_error_status`` (400): the HTTP status of the channel state codes (undocumented);
    * ``channel_transition_seconds`` (30.0): how long ``STARTING``/``STOPPING`` last;
    * ``callback_repeat`` (1): how many times each callback is POSTed (2 or more: duplicates,
      which the service does not rule out); ``callback_timeout`` (5.0 *seconds*) per POST;
      ``callback_check_seconds`` (0.2, real time): how often a served emulator looks for
      callbacks that fell due;
    * ``max_page_size`` (1000: ``pageSizeNo`` above it is a 400 ``260002``) and
      ``page_size_cap`` (see ``Store``).

    Counters: ``added_inputs`` counts each ``(category id, input)`` every time an add-files
    request adds it (a client that never submits a file twice keeps every count at 1);
    ``deliveries`` lists every callback POST (``CallbackDelivery``), in order.

    Callbacks fall due by the emulator's clock; while the emulator is served they are POSTed in
    the background soon after (every ``callback_check_seconds``); ``drain_callbacks`` POSTs
    what is due now and waits for it (a test on a ``ManualClock`` advances the clock, then
    drains).
    """

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway, max_page_size=1000)
        self.status_statistics_as_strings = False
        self.encoding_queue_seconds = 2.0
        self.encoding_run_seconds = 8.0
        self.encoding_failure_rate = 0.0
        self.input_outcomes: dict[str, str] = {}
        self.job_category_inside = False
        self.state_error_status = 400
        self.channel_transition_seconds = 30.0
        self.callback_repeat = 1
        self.callback_timeout = 5.0
        self.callback_check_seconds = 0.2
        self.added_inputs: Counter[tuple[int, str]] = Counter()
        self.deliveries: list[CallbackDelivery] = []
        self._seed = 0
        self._encodings = EncodingStore()
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._channels: dict[str, _Channel] = {}
        self._categories: dict[int, dict[str, Any]] = {}
        self._options = [_preset(*preset) for preset in _PRESETS]
        self._templates = [
            {"id": tid, "name": name, "encodingOptionIds": list(ids)}
            for tid, name, ids in _TEMPLATES
        ]
        self._jobs: dict[int, _Job] = {}
        self._file_ids = itertools.count(_FIRST_FILE_ID)
        self._outbox: list[tuple[int, int, str, dict[str, Any]]] = []
        self._outbox_seq = itertools.count()
        self._sending = asyncio.Lock()
        self._sender: asyncio.Task[None] | None = None
        self._statistics_override: Any = None

    def __repr__(self) -> str:
        return (
            f"VodStationStore(encodings={len(self._encodings)}, channels={len(self._events)}, "
            f"categories={len(self._categories)}, jobs={len(self._jobs)})"
        )

    def routes(self) -> Sequence[StoreRoute]:
        """``GET /api/v2/status``, ``/status/status-statistic``, ``/status/{fileId}``;
        ``GET /api/v2/category``, ``/category/{categoryId}``, ``PUT
        /category/{categoryId}/add-files``; ``GET /api/v2/encoding-option``,
        ``/encoding-option/template``; ``GET /api/v2/channels``, ``/channels/{channelId}``,
        ``/channels/{channelId}/events``, ``PUT /channels/{channelId}/start`` and ``/stop``."""
        return (
            StoreRoute("GET", "/api/v2/status", Route.ENCODING_STATUSES, self._encoding_statuses),
            StoreRoute(
                "GET",
                "/api/v2/status/status-statistic",
                Route.STATUS_STATISTICS,
                self._status_statistics,
            ),
            # After status-statistic: the router tries routes in the order they are declared.
            StoreRoute("GET", "/api/v2/status/{fileId}", Route.ENCODING_JOB, self._encoding_job),
            StoreRoute("GET", "/api/v2/category", Route.CATEGORIES, self._category_list),
            StoreRoute("GET", "/api/v2/category/{categoryId}", Route.CATEGORY, self._category),
            StoreRoute(
                "PUT",
                "/api/v2/category/{categoryId}/add-files",
                Route.ADD_FILES,
                self._add_files,
                json_body=True,
            ),
            StoreRoute(
                "GET", "/api/v2/encoding-option", Route.ENCODING_OPTIONS, self._encoding_options
            ),
            StoreRoute(
                "GET",
                "/api/v2/encoding-option/template",
                Route.ENCODING_OPTION_TEMPLATES,
                self._encoding_option_templates,
            ),
            StoreRoute("GET", "/api/v2/channels", Route.VOD_CHANNELS, self._channel_list),
            StoreRoute(
                "GET", "/api/v2/channels/{channelId}", Route.VOD_CHANNEL, self._channel_detail
            ),
            StoreRoute(
                "GET",
                "/api/v2/channels/{channelId}/events",
                Route.CHANNEL_EVENTS,
                self._channel_events,
            ),
            StoreRoute(
                "PUT",
                "/api/v2/channels/{channelId}/start",
                Route.VOD_CHANNEL_START,
                self._channel_start,
                json_body=True,
            ),
            StoreRoute(
                "PUT",
                "/api/v2/channels/{channelId}/stop",
                Route.VOD_CHANNEL_STOP,
                self._channel_stop,
                json_body=True,
            ),
        )

    # ------------------------------------------------------------------------ error dialect

    def bad_body(self, detail: str) -> Rejection:
        """400 ``260033`` (invalid request data)."""
        return VodStationError(400, "260033", "Invalid request data.", detail)

    def bad_parameter(self, error: ParameterError) -> Rejection:
        """400 ``260026`` for a time window bound, ``260025`` for ``pageNo`` below 1, else
        ``260002`` (invalid input value)."""
        if error.name in _WINDOW_PARAMS:
            return VodStationError(
                400, "260026", "Invalid DATE format.", f"{error.name} must be epoch milliseconds."
            )
        if error.name == "pageNo" and error.too_small:
            return VodStationError(400, "260025", "pageNo must be greater than or equal to 1.")
        return VodStationError(400, "260002", f"{error.name}: invalid value.", error.detail)

    # ----------------------------------------------------------------------- data: loading

    def load(self, scenario: Scenario, *, anchor_ms: int, now_ms: int) -> None:
        """Add the scenario's encodings (static and progressing), channels with events, and,
        when the scenario has any VOD Station data, the categories its encodings belong to."""
        self._seed = scenario.seed
        self._encodings.add(generate_encodings(scenario, anchor_ms))
        progressing = generate_progressing_encodings(scenario, now_ms)
        self._encodings.add((job.work_start_ms, job) for job in progressing)
        events = generate_channel_events(scenario, anchor_ms)
        self._events.update(events)
        for index, (channel_id, channel_events) in enumerate(events.items()):
            self._channels[channel_id] = _Channel(
                _seeded_channel(channel_id, index, channel_events, scenario.seed)
            )
        if scenario.encodings or scenario.progressing_encodings or scenario.vod_channels:
            for (category_id, name), options in zip(
                _categories(scenario.seed), _CATEGORY_OPTIONS, strict=True
            ):
                self.add_category(
                    category_id,
                    name=name,
                    encoding_options=options if isinstance(options, tuple) else None,
                    template_id=options if isinstance(options, int) else None,
                    create_time_ms=anchor_ms - 90 * 86_400_000,
                )

    def clear(self) -> None:
        """Remove every encoding, channel, category, job, pending callback and the statistics
        override (the encoding option presets stay)."""
        self._encodings.clear()
        self._events.clear()
        self._channels.clear()
        self._categories.clear()
        self._jobs.clear()
        self._outbox.clear()
        self._statistics_override = None

    def info(self) -> dict[str, Any]:
        """``vod_channels`` (ids) and ``encoding_statuses`` (how many)."""
        return {"vod_channels": self.channel_ids, "encoding_statuses": len(self._encodings)}

    # ------------------------------------------------------------ data: encoding statuses

    def set_encoding_statuses(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace the encoding statuses with raw camelCase items, served as given.

        Each item's work start (epoch *ms*, used for ``workStartTimeFrom``/``To``) is its
        ``"_workStartTimeMs"`` key, stripped from the body, else its parsed ``lastWorkTime``.
        Items are served newest work start first; equal starts keep the given order.
        """
        self._encodings.clear()
        self.add_encoding_statuses(items)

    def add_encoding_statuses(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Add raw items beside the existing ones (a start newer than all goes to the head)."""
        pairs = []
        for item in items:
            start = work_start_of(item)
            body = {k: v for k, v in item.items() if k != WORK_START_KEY}
            pairs.append((start, body))
        self._encodings.add(pairs)

    def add_progressing_encoding(
        self,
        *,
        work_start_ms: int | None = None,
        queue_seconds: float = 0.0,
        run_seconds: float = 60.0,
        outcome: str = "COMPLETE",
        final_percent: float | None = None,
        output_size: int = 12_345_678,
        fields: Mapping[str, Any] | None = None,
    ) -> ProgressingEncoding:
        """Add a job that progresses with the emulator's clock (see ``ProgressingEncoding``).

        ``work_start_ms`` is epoch *milliseconds* (default: now); it waits ``queue_seconds``
        then runs ``run_seconds`` (*seconds*) to ``outcome``. ``final_percent`` defaults to
        100 for ``COMPLETE`` and 50 otherwise. ``fields`` overrides the constant fields.
        """
        start = self.gateway.now_ms() if work_start_ms is None else work_start_ms
        base = encoding_fields((10_001, "VOD-Category"), "upload/progressing", "AVC_HD_1Pass_30fps")
        base.update(fields or {})
        if final_percent is None:
            final_percent = 100.0 if outcome == "COMPLETE" else 50.0
        job = ProgressingEncoding(
            work_start_ms=start,
            queue_ms=int(queue_seconds * 1000),
            run_ms=int(run_seconds * 1000),
            outcome=outcome,
            final_percent=final_percent,
            output_size=output_size,
            fields=base,
        )
        self._encodings.add([(start, job)])
        return job

    def remove_encoding_statuses(self, count: int, *, newest: bool = True) -> int:
        """Remove ``count`` items from the head (newest) or tail; return how many went."""
        return self._encodings.remove(count, newest=newest)

    def encoding_statuses(
        self, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """The items of a work-start window (epoch *ms*, inclusive) as served now, newest first."""
        return self._encodings.snapshot(start_ms, end_ms, self.gateway.now_ms())

    def set_status_statistics(self, raw_content: Any) -> None:
        """Serve ``{"content": raw_content}`` from status-statistic (``None``: compute again)."""
        self._statistics_override = raw_content

    # ------------------------------------------------ data: categories, options, jobs

    def add_category(
        self,
        category_id: int | None = None,
        *,
        name: str = "VOD-Category",
        encoding_options: Sequence[int] | None = (1, 2, 3),
        template_id: int | None = None,
        notification_url: str | None = None,
        output_bucket: str = "station-000",
        output_path: str = "/",
        create_time_ms: int | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> int:
        """Add (or replace) a category; return its id (default: the next free from 13814).

        Its outputs: ``encoding_options`` (option ids, sent as ``encodingOptions``, a field
        the older documents show) or ``template_id`` (``encodingOptionTemplateId``); with
        neither, the category does not say (as the current documents' table, which stops
        early). ``raw`` replaces the whole served object (camelCase; its ``id`` is set).
        """
        if category_id is None:
            category_id = max([13_813, *self._categories]) + 1
        now = self.gateway.now_ms()
        if raw is not None:
            category = {**raw, "id": category_id}
        else:
            category = {
                "disabled": False,
                "id": category_id,
                "name": name,
                "thumbnail": False,
                "output": {
                    "bucketName": output_bucket,
                    "filePath": output_path,
                    "accessControl": "PRIVATE",
                    "thumbnailAccessControl": "PRIVATE",
                    "thumbnailBucketName": output_bucket,
                    "thumbnailFilePath": output_path,
                },
                "lastWorkStart": None,
                "createTime": now if create_time_ms is None else create_time_ms,
            }
            if notification_url is not None:
                category["notificationUrl"] = notification_url
            if encoding_options is not None:
                category["encodingOptions"] = list(encoding_options)
            if template_id is not None:
                category["encodingOptionTemplateId"] = template_id
        self._categories[category_id] = category
        return category_id

    def category(self, category_id: int) -> dict[str, Any]:
        """The served object of a category (``KeyError`` if unknown)."""
        return self._categories[category_id]

    def categories(self) -> list[dict[str, Any]]:
        """Every category, in the order served."""
        return list(self._categories.values())

    def remove_category(self, category_id: int) -> None:
        """Forget a category (its routes then answer 404 ``260004``)."""
        self._categories.pop(category_id, None)

    def set_encoding_options(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace the encoding options with raw camelCase items, served as given."""
        self._options = [dict(item) for item in items]

    def set_encoding_option_templates(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace the templates with raw camelCase items, served as given."""
        self._templates = [dict(item) for item in items]

    def job(self, file_id: int) -> dict[str, Any]:
        """What ``GET /status/{fileId}`` would serve as ``content`` now (``KeyError`` if
        unknown), with ``outputs``: the job's encodings as the status list shows them."""
        job = self._jobs[file_id]
        now = self.gateway.now_ms()
        return {
            **self._job_content(job),
            "outputs": [encoding.render(now) for _, encoding in job.outputs],
        }

    @property
    def file_ids(self) -> list[int]:
        """The file ids of every job added, in order."""
        return list(self._jobs)

    # --------------------------------------------------------------------- data: channels

    @property
    def channel_ids(self) -> list[str]:
        """Channel ids that have an event list."""
        return list(self._events)

    def add_vod_channel(
        self,
        channel_id: str | None = None,
        *,
        name: str = "ch-emulator",
        status: str = "READY",
        bucket: str = "station-000",
        notification_url: str | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> str:
        """Add (or replace) a channel with an empty event list; return its id.

        ``notification_url`` receives its state changes as channel callbacks. ``raw``
        replaces the whole served detail object (camelCase; its ``id`` is set).
        """
        if channel_id is None:
            channel_id = f"vs-20250821095732-{len(self._channels):07d}"
        record = (
            {**raw, "id": channel_id}
            if raw is not None
            else _channel_record(channel_id, name, status, bucket, self.gateway.now_ms())
        )
        self._channels[channel_id] = _Channel(record, notification_url)
        self._events.setdefault(channel_id, [])
        return channel_id

    def vod_channel(self, channel_id: str) -> dict[str, Any]:
        """A channel's detail object as served now (``KeyError`` if unknown)."""
        return dict(self._settled(channel_id).record)

    def set_channel_status(self, channel_id: str, status: str) -> None:
        """Put a channel in ``status`` now, with a callback to its ``notificationUrl``."""
        channel = self._settled(channel_id)
        channel.pending.clear()
        self._move(channel, status, self.gateway.now_ms())

    def set_channel_events(self, channel_id: str, events: Iterable[Mapping[str, Any]]) -> None:
        """Create or replace a channel's events: raw dicts served in the given order.

        Give them newest first, as the service does (``time`` in epoch *seconds*).
        """
        self._events[channel_id] = [dict(e) for e in events]

    def add_channel_events(
        self, channel_id: str, events: Iterable[Mapping[str, Any]], *, at_head: bool = True
    ) -> None:
        """Insert events at the head (newest) or the tail of an existing channel's list."""
        new = [dict(e) for e in events]
        current = self._events[channel_id]
        self._events[channel_id] = new + current if at_head else current + new

    def remove_channel_events(self, channel_id: str, count: int, *, newest: bool = True) -> int:
        """Remove ``count`` events from the head (newest) or tail; return how many went."""
        return remove_from_end(self._events[channel_id], count, newest=newest)

    def remove_channel(self, channel_id: str) -> None:
        """Forget a channel (its routes then answer 404 ``260004``)."""
        self._events.pop(channel_id, None)
        self._channels.pop(channel_id, None)

    def channel_events(self, channel_id: str) -> list[dict[str, Any]]:
        """A copy of a channel's events, newest first."""
        self._settle_all()
        return list(self._events[channel_id])

    # --------------------------------------------------------------------------- callbacks

    @property
    def pending_callbacks(self) -> int:
        """Callbacks scheduled and not delivered yet (some may not be due)."""
        return len(self._outbox)

    async def drain_callbacks(self) -> list[CallbackDelivery]:
        """POST every callback due by the emulator's clock now, in the order they fell due
        (after any delivery under way); return ``deliveries``.

        Each message is POSTed ``callback_repeat`` times, as JSON, once each: an answer that is
        not 2xx or a failed connection is recorded, not tried again (the service's retries are
        not documented).
        """
        async with self._sending:
            self._settle_all()
            now = self.gateway.now_ms()
            due = []
            while self._outbox and self._outbox[0][0] <= now:
                _, _, url, body = heapq.heappop(self._outbox)
                due.append((url, body))
            if due:
                timeout = aiohttp.ClientTimeout(total=self.callback_timeout)
                async with aiohttp.ClientSession(timeout=timeout) as session:
                    for url, body in due:
                        for _ in range(self.callback_repeat):
                            self.deliveries.append(await post_callback(session, url, body))
        return list(self.deliveries)

    async def close(self) -> None:
        """Stop the background delivery of callbacks (those not sent yet stay scheduled)."""
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    def _schedule(self, due_ms: int, url: str | None, body: dict[str, Any]) -> None:
        """Send ``body`` to ``url`` once the clock reaches ``due_ms`` (nowhere without a URL)."""
        if not url:
            return
        heapq.heappush(self._outbox, (due_ms, next(self._outbox_seq), url, body))
        if self._sender is None or self._sender.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not served: drain_callbacks sends them
                return
            self._sender = loop.create_task(self._send_in_background())

    async def _send_in_background(self) -> None:
        while self._outbox:
            await self.drain_callbacks()
            await asyncio.sleep(self.callback_check_seconds)

    # ----------------------------------------------------------------------------- handlers

    def _window(self, call: Call) -> tuple[int | None, int | None]:
        start, end = (int_param(call, name) for name in _WINDOW_PARAMS)
        return start, end

    def _encoding_statuses(self, call: Call) -> web.StreamResponse:
        """Encoding status list: newest first, windowed on work start (ms)."""
        paging = self.paging(call)
        lo, hi = self._encodings.window(*self._window(call))
        items = self._encodings.page(lo, hi, paging.page_no, paging.size, self.gateway.now_ms())
        response = json_response({"content": items, "total": hi - lo})
        self.page_served(call, paging.page_no)
        return response

    def _status_statistics(self, call: Call) -> web.StreamResponse:
        """Status statistics over a work-start window (``From`` = start)."""
        window = self._window(call)
        if self._statistics_override is not None:
            return json_response({"content": self._statistics_override})
        lo, hi = self._encodings.window(*window)
        counts: dict[str, Any] = self._encodings.counts(lo, hi, self.gateway.now_ms())
        if self.status_statistics_as_strings:
            # The page's field table types these three as String (the example sends numbers).
            for key in ("waiting", "running", "failure"):
                counts[key] = str(counts[key])
        return json_response({"content": counts})

    def _encoding_job(self, call: Call) -> web.StreamResponse:
        """One job: its category (beside or inside ``content``) and its input."""
        text = call.params["fileId"]
        job = self._jobs.get(int(text)) if is_decimal(text) and len(text) < 19 else None
        if job is None:
            raise _not_found(f"File {text}")
        content = self._job_content(job)
        category = {"categoryId": job.category_id, "categoryName": job.category_name}
        if self.job_category_inside:
            return json_response({"content": {**category, **content}})
        return json_response({**category, "content": content})

    def _job_content(self, job: _Job) -> dict[str, Any]:
        return {
            "input": {
                "fileId": job.file_id,
                "bucketName": job.bucket,
                "filePath": job.input,
                "metadata": job.metadata,
            }
        }

    def _category_list(self, call: Call) -> web.StreamResponse:
        paging = self.paging(call)
        categories = list(self._categories.values())
        response = json_response({"content": paging.take(categories), "total": len(categories)})
        self.page_served(call, paging.page_no)
        return response

    def _category_of(self, call: Call) -> dict[str, Any]:
        text = call.params["categoryId"]
        category = self._categories.get(int(text)) if is_decimal(text) and len(text) < 19 else None
        if category is None:
            raise _not_found(f"Category {text}")
        return category

    def _category(self, call: Call) -> web.StreamResponse:
        return json_response({"content": self._category_of(call)})

    def _add_files(self, call: Call) -> web.StreamResponse:
        """Add files: one job per input, one encoding per option of the category."""
        category = self._category_of(call)
        bucket, inputs, notification, output = _add_files_request(call.body)
        options = self._options_of(category)
        now = self.gateway.now_ms()
        url = notification or category.get("notificationUrl")
        out = output or category.get("output") or {}
        jobs = [self._new_job(category, bucket, item, options, out, now, url) for item in inputs]
        # One insertion for the whole request (each re-sorts the list).
        self._encodings.add((now, encoding) for job in jobs for _, encoding in job.outputs)
        for job in jobs:
            self.added_inputs[(job.category_id, job.input)] += 1
        category["lastWorkStart"] = now
        return json_response({"content": [{"id": job.file_id} for job in jobs]})

    def _options_of(self, category: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The encoding options a category makes its outputs with (its list, or its template's;
        option 3 alone when it names neither)."""
        ids = category.get("encodingOptions")
        template_id = category.get("encodingOptionTemplateId")
        if not ids and template_id is not None:
            template = next((t for t in self._templates if t.get("id") == template_id), {})
            ids = template.get("encodingOptionIds")
        by_id = {option.get("id"): option for option in self._options}
        chosen = [by_id[i] for i in ids or (3,) if i in by_id]
        return chosen or [self._options[0]]

    def _new_job(
        self,
        category: Mapping[str, Any],
        bucket: str | None,
        item: str,
        options: Sequence[Mapping[str, Any]],
        output: Mapping[str, Any],
        now: int,
        url: str | None,
    ) -> _Job:
        file_id = next(self._file_ids)
        name = str(category.get("name", ""))
        stem = item.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        out_bucket = output.get("bucketName", "station-000")
        folder = str(output.get("filePath", "/")).strip("/")
        folder = "/".join(part for part in (folder, name) if part)
        outputs = []
        for index, option in enumerate(options):
            option_id, output_type = int(option.get("id", 0)), str(option.get("name"))
            rng = random.Random(f"{self._seed}:{file_id}:{option_id}")
            outcome = self.input_outcomes.get(item) or (
                "FAILURE" if rng.random() < self.encoding_failure_rate else "COMPLETE"
            )
            queue_ms = int(self.encoding_queue_seconds * 1000)
            run_ms = int(self.encoding_run_seconds * 1000 * (1 + index / 4))
            out_path = f"/{folder}/{stem}_{output_type}.mp4".replace("//", "/")
            link = f"{_OBJECT_STORAGE}/{out_bucket}{out_path}"
            encoding = ProgressingEncoding(
                work_start_ms=now,
                queue_ms=queue_ms,
                run_ms=run_ms,
                outcome=outcome,
                final_percent=100.0 if outcome == "COMPLETE" else round(rng.uniform(5, 95), 1),
                output_size=rng.randrange(1_000_000, 300_000_000),
                fields={
                    "categoryId": category.get("id"),
                    "categoryName": name,
                    "filePath": item,
                    "outputType": output_type,
                    "link": link,
                },
            )
            outputs.append((option_id, encoding))
            message = {
                "categoryId": category.get("id"),
                "categoryName": name,
                "fileId": file_id,
                "filePath": "",
                "encodingOptionId": option_id,
                "outputType": output_type,
                "status": "WAITING",
            }
            self._schedule(now, url, message)
            running = {**message, "filePath": out_path, "status": "RUNNING"}
            self._schedule(now + queue_ms, url, running)
            final = {**running, "status": outcome}
            if outcome == "COMPLETE":  # link only when complete, before status as documented
                final = {**running, "link": link, "status": outcome}
            self._schedule(now + queue_ms + run_ms, url, final)
        job = _Job(
            file_id=file_id,
            category_id=int(category.get("id", 0)),
            category_name=name,
            bucket=bucket,
            input=item,
            outputs=outputs,
            metadata=_metadata(file_id),
        )
        self._jobs[file_id] = job
        return job

    def _encoding_options(self, call: Call) -> web.StreamResponse:
        return json_response({"content": self._options, "total": len(self._options)})

    def _encoding_option_templates(self, call: Call) -> web.StreamResponse:
        return json_response({"content": self._templates})  # no total, as documented

    def _channel_list(self, call: Call) -> web.StreamResponse:
        """Channels: the list's fields only, times in epoch milliseconds."""
        self._settle_all()
        paging = self.paging(call)
        records = [_list_fields(channel.record) for channel in self._channels.values()]
        response = json_response({"content": paging.take(records), "total": len(records)})
        self.page_served(call, paging.page_no)
        return response

    def _channel_of(self, call: Call) -> _Channel:
        channel_id = call.params["channelId"]
        if channel_id not in self._channels:
            raise _not_found(f"Channel {channel_id}")
        return self._settled(channel_id)

    def _channel_detail(self, call: Call) -> web.StreamResponse:
        return json_response({"content": self._channel_of(call).record})

    def _channel_start(self, call: Call) -> web.StreamResponse:
        """Start: only from ``STOPPED`` (else ``260022``); ``STARTING`` then ``READY``."""
        return self._transition(
            call, "START", "STOPPED", "260022", ("STARTING", "READY"),
            ("CHANNEL_STOPPED_TO_STARTING", "CHANNEL_START_TO_READY"),
        )  # fmt: skip

    def _channel_stop(self, call: Call) -> web.StreamResponse:
        """Stop: only from ``READY`` (else ``260023``); ``STOPPING`` then ``STOPPED``."""
        return self._transition(
            call, "STOP", "READY", "260023", ("STOPPING", "STOPPED"),
            ("CHANNEL_READY_TO_STOPPING", "CHANNEL_STOPPING_TO_STOPPED"),
        )  # fmt: skip

    def _transition(
        self,
        call: Call,
        action: str,
        required: str,
        code: str,
        states: tuple[str, str],
        event_codes: tuple[str, str],
    ) -> web.StreamResponse:
        """Move a channel in ``required`` state through ``states``, with an event for each."""
        channel = self._channel_of(call)
        current = channel.record.get("channelStatus")
        if current != required:
            raise VodStationError(
                self.state_error_status,
                code,
                f"{action.title()} is allowed only when the channel is {required}.",
                f"Channel status is {current}.",
            )
        now = self.gateway.now_ms()
        self._move(channel, states[0], now, _event(now, action, event_codes[0]))
        done = now + int(self.channel_transition_seconds * 1000)
        channel.pending.append((done, states[1], _event(done, action, event_codes[1])))
        self._schedule(done, channel.notification_url, _channel_message(channel, states[1]))
        # The start and stop pages give the channel's times in epoch seconds.
        return json_response({"content": _times_in_seconds(channel.record)})

    def _channel_events(self, call: Call) -> web.StreamResponse:
        """Channel events: newest first, ``time`` in epoch seconds."""
        channel_id = call.params["channelId"]
        self._settle_all()
        events = self._events.get(channel_id)
        if events is None:
            raise VodStationError(404, "260004", "not found", f"Channel {channel_id} not found.")
        paging = self.paging(call)
        response = json_response({"content": paging.take(events), "total": len(events)})
        self.page_served(call, paging.page_no)
        return response

    # --------------------------------------------------------------- channel state changes

    def _move(
        self, channel: _Channel, status: str, now: int, event: dict[str, Any] | None = None
    ) -> None:
        """Put ``channel`` in ``status`` now: record, event (if any), callback."""
        channel.record["channelStatus"] = status
        if status == "STOPPED":
            channel.record["stopTime"] = now
        if event is not None:
            self._events.setdefault(str(channel.record["id"]), []).insert(0, event)
        self._schedule(now, channel.notification_url, _channel_message(channel, status))

    def _settled(self, channel_id: str) -> _Channel:
        """The channel, with the changes whose time has come applied."""
        channel = self._channels[channel_id]
        now = self.gateway.now_ms()
        while channel.pending and channel.pending[0][0] <= now:
            due, status, event = channel.pending.pop(0)
            channel.record["channelStatus"] = status
            if status == "READY":
                channel.record["readyTime"] = due
            elif status == "STOPPED":
                channel.record["stopTime"] = due
            self._events.setdefault(channel_id, []).insert(0, event)
        return channel

    def _settle_all(self) -> None:
        for channel_id in self._channels:
            self._settled(channel_id)


# -- helpers ---------------------------------------------------------------------------------------


def _preset(
    option_id: int, name: str, kind: str, width: int, height: int, kbps: int
) -> dict[str, Any]:
    """One encoding option as the list serves it (a preset: ``defaultSet`` true)."""
    option: dict[str, Any] = {
        "disabled": False,
        "id": option_id,
        "encodingOptionType": kind,
        "name": name,
        "format": "MP4",
        "defaultSet": True,
        "audio": {"codec": "AAC", "channel": 2, "bitrate": 128, "samplingRate": 48000},
    }
    if kind == "NORMAL":
        option["video"] = {
            "codec": "AVC",
            "codecOptions": {"profile": "HIGH" if height >= 720 else "MAIN", "level": "4.1"},
            "bitrate": kbps,
            "width": width,
            "height": height,
            "framerate": 60.0 if name.endswith("60fps") else 30.0,
            "maxFramerate": 60.0,
            "keyframeInterval": 2.0,
            "rateControl": "VBR",
        }
    return option


def _metadata(file_id: int) -> dict[str, Any]:
    """Plausible input metadata, derived from the file id."""
    rng = random.Random(f"metadata:{file_id}")
    width, height = rng.choice(((1920, 1080), (1280, 720), (3840, 2160)))
    return {
        "duration": round(rng.uniform(5.0, 3600.0), 2),
        "videoCodec": "h264",
        "videoBitrate": float(rng.randrange(1000, 20000)),
        "width": width,
        "height": height,
        "framerate": rng.choice((23.976, 29.97, 30.0, 59.94)),
        "audioCodec": "aac",
        "audioBitrate": 128.0,
        "audioSamplingRate": 48000.0,
    }


def _add_files_request(
    body: Any,
) -> tuple[str | None, list[str], str | None, dict[str, Any] | None]:
    """(bucket, inputs, notification URL, output) of an add-files body, or a 400."""
    if not isinstance(body, dict):
        raise VodStationError(400, "260033", "Invalid request data.", "A JSON object is required.")
    from_bucket = "bucketName" in body or "pathList" in body
    urls = body.get("httpDownloadUrlList")
    if from_bucket and urls is not None:
        raise _invalid("httpDownloadUrlList cannot be used with bucketName and pathList.")
    if from_bucket:
        bucket, inputs = body.get("bucketName"), body.get("pathList")
        if not isinstance(bucket, str) or not bucket:
            raise _invalid("bucketName is required with pathList.", "260011")
        field = "pathList"
    elif urls is not None:
        bucket, inputs, field = None, urls, "httpDownloadUrlList"
    else:
        raise _invalid("bucketName and pathList, or httpDownloadUrlList, are required.")
    if not isinstance(inputs, list) or not inputs:
        raise _invalid(f"{field} must be a non-empty array.", "260011")
    if len(inputs) > MAX_ADD_FILES:
        raise _invalid(f"{field} can hold at most {MAX_ADD_FILES} items.")
    for item in inputs:
        if not isinstance(item, str) or not item:
            raise _invalid(f"{field} items must be non-empty strings.", "260011")
        if field == "httpDownloadUrlList" and not item.startswith(("http://", "https://")):
            raise _invalid(f"{item} is not an HTTP URL.")
    # The current documents name the callback field ``notification``, the older ``notificationUrl``.
    notification = body.get("notification", body.get("notificationUrl"))
    if notification is not None and not isinstance(notification, str):
        raise _invalid("notification must be a string.")
    output = body.get("output")
    required = ("bucketName", "filePath")
    if output is not None and not (
        isinstance(output, dict) and all(isinstance(output.get(k), str) for k in required)
    ):
        raise _invalid("output needs bucketName and filePath.", "260011")
    return bucket, list(inputs), notification, output


def _channel_record(
    channel_id: str, name: str, status: str, bucket: str, now_ms: int
) -> dict[str, Any]:
    """A channel's detail object (times in epoch milliseconds)."""
    domain = f"{channel_id[-7:].lower()}.edge.naverncp.com"
    encrypted = f"enc{zlib.crc32(channel_id.encode()):08x}"
    return {
        "disabled": False,
        "id": channel_id,
        "name": name,
        "channelStatus": status,
        "storageBucketName": bucket,
        "encryptedBucketName": encrypted,
        "segmentDuration": 10,
        "segmentDurationOption": "BASIC",
        "accessPrivateFiles": False,
        "protocolList": ["HLS", "DASH"],
        "createTime": now_ms - 30_000,
        "readyTime": now_ms,
        "cdnCreatedTime": now_ms,
        "playUrl": (f"https://{domain}/[protocol]/{encrypted}/[path]/[video filename]/[manifest]"),
        "cdnStatus": "RUNNING",
        "cdnDomain": domain,
        "cdnServiceName": f"vod-{channel_id[-7:].lower()}",
    }


def _seeded_channel(
    channel_id: str, index: int, events: Sequence[Mapping[str, Any]], seed: int
) -> dict[str, Any]:
    """The record of a seeded channel, consistent with its events (newest first, seconds)."""
    created = int(events[-1]["time"]) * 1000 if events else 0
    stopped = bool(events) and events[0].get("messageCode") == "CHANNEL_STOPPING_TO_STOPPED"
    record = _channel_record(
        channel_id, f"ch-emulator-{index + 1}", "STOPPED" if stopped else "READY",
        f"station-{seed:03d}", created,
    )  # fmt: skip
    if stopped:
        record["stopTime"] = int(events[0]["time"]) * 1000
    return record


#: The fields the channel list shows (the detail page adds the others).
_LIST_FIELDS: Final = (
    "disabled", "id", "name", "channelStatus", "storageBucketName", "segmentDuration",
    "protocolList", "createTime", "readyTime", "cdnCreatedTime", "stopTime", "playUrl",
)  # fmt: skip
_TIME_FIELDS: Final = ("createTime", "readyTime", "cdnCreatedTime", "stopTime")


def _list_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in _LIST_FIELDS if key in record}


def _times_in_seconds(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value // 1000 if key in _TIME_FIELDS and isinstance(value, int) else value
        for key, value in record.items()
    }


def _event(time_ms: int, action: str, code: str) -> dict[str, Any]:
    """A channel event, as ``GET /channels/{id}/events`` serves it (``time`` in seconds)."""
    return {
        "time": time_ms // 1000,
        "actionType": action,
        "requestType": "API",
        "resultCode": "SUCCESS",
        "messageCode": code,
        "message": code.lower().replace("_", " "),
    }


def _channel_message(channel: _Channel, status: str) -> dict[str, Any]:
    """A channel callback body, as documented."""
    return {"id": channel.record.get("id"), "name": channel.record.get("name"),
            "channelStatus": status}  # fmt: skip
