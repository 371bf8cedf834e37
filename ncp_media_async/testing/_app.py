"""The emulator: five NCP media endpoints behind an emulated API Gateway, as an aiohttp app.

One :class:`Emulator` holds the data, the gateway's settings and the instrumentation;
:meth:`Emulator.make_app` builds an :class:`aiohttp.web.Application` serving it (all three
services under one base URL, as ``Endpoints.at(url)`` expects).

Each request goes through the same pipeline (one middleware, so nothing is skipped):

1. counted (per route, total, in flight, peak in flight), then ``latency`` *seconds* of delay;
2. fault decision; a *gateway fault* (429/502/503/504, connection reset, ``SLOW``) is answered
   here, before authentication, as a gateway or proxy in front of the service would;
3. routing: an unknown path gets the gateway's 404 (``errorCode`` ``"300"``);
4. signature v2 check, exactly as the NCP API Gateway: missing header, unknown access key, a
   timestamp more than ``timestamp_tolerance`` *seconds* (300) from the emulator's clock, or a
   signature that does not match ``METHOD + " " + raw path and query + "\\n" + timestamp +
   "\\n" + access key`` is a 401 with ``errorCode`` ``"200"``;
5. the service handler, with the service's own error dialect;
6. a *body fault* damages a 200 on its way out; every response gets a ``Date`` header from the
   emulator's clock, offset included, so a client can learn its clock skew.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Final

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .._signing import ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Signer
from ._data import (
    WORK_START_KEY,
    EncodingStore,
    ImportAsset,
    ImportState,
    ProgressingEncoding,
    Scenario,
    default_metadata,
    encoding_fields,
    generate_channel_events,
    generate_encodings,
    generate_imports,
    generate_progressing_encodings,
    generate_recordings,
    remove_from_end,
    work_start_of,
)
from ._faults import (
    BODY_FAULTS,
    Fault,
    FaultDecision,
    FaultInjector,
    FaultPlan,
    gateway_fault_response,
    truncate_json,
    wrong_shape,
)
from ._wire import (
    gateway_error,
    http_date,
    is_decimal,
    json_response,
    live_error,
    media_ai_error,
    vod_error,
)

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "REGION_HEADER",
    "Emulator",
    "EmulatorStats",
    "ManualClock",
    "Route",
]

DEFAULT_ACCESS_KEY: Final = "NCPEMULATORACCESSKEY"
DEFAULT_SECRET_KEY: Final = "ncp-emulator-secret-key-not-a-real-secret"
REGION_HEADER: Final = "x-ncp-region_code"
"""Header Live Station requires (``KR``)."""

UNMATCHED: Final = "unmatched"
"""Route name counted in ``stats.requests`` for paths no route matches."""

_BODY_FAULT_KEY: Final = web.RequestKey("ncp_emulator_body_fault", FaultDecision)
"""Set on a request whose successful answer a body fault will damage."""
_INT_RE: Final = re.compile(r"-?[0-9]{1,18}")


class Route(StrEnum):
    """Route names, as used in ``stats.requests``, ``route_latency`` and ``FaultPlan.routes``."""

    ENCODING_STATUSES = "encoding_statuses"
    """VOD Station ``GET /api/v2/status``."""
    STATUS_STATISTICS = "status_statistics"
    """VOD Station ``GET /api/v2/status/status-statistic``."""
    CHANNEL_EVENTS = "channel_events"
    """VOD Station ``GET /api/v2/channels/{channelId}/events``."""
    RECORDS = "records"
    """Live Station ``GET /api/v2/channels/{channelId}/records``."""
    IMPORT_STATUS = "import_status"
    """Media AI ``GET /api/v1/workspaces/{w}/projects/{p}/video-assets/{a}/import-status``."""


_PATHS: Final = {
    Route.ENCODING_STATUSES: "/api/v2/status",
    Route.STATUS_STATISTICS: "/api/v2/status/status-statistic",
    Route.CHANNEL_EVENTS: "/api/v2/channels/{channelId}/events",
    Route.RECORDS: "/api/v2/channels/{channelId}/records",
    Route.IMPORT_STATUS: (
        "/api/v1/workspaces/{workspace}/projects/{projectId}"
        "/video-assets/{videoAssetId}/import-status"
    ),
}
_ADMIN_PREFIX: Final = "_emulator"

AssetKey = tuple[str, str, str]


@attrs.define
class EmulatorStats:
    """What the emulator has seen since it was created or :meth:`Emulator.reset_stats` ran.

    ``requests`` counts requests per route name (see :class:`Route`; ``"unmatched"`` for unknown
    paths), faulted and rejected ones included. ``in_flight`` is the number of requests being
    handled right now (latency included) and ``peak_in_flight`` its maximum. Authentication
    rejections (any 401) are counted in ``rejected_signatures`` and, per reason
    (``missing_header``, ``invalid_timestamp``, ``unknown_access_key``, ``timestamp_skew``,
    ``bad_signature``), in ``auth_failures``. ``statuses`` counts responses per HTTP status
    (connection resets send none). ``import_polls`` counts import-status polls the service
    handled per ``(workspace, project_id, video_asset_id)``; ``polls_after_terminal`` counts,
    per asset, polls that arrived after a terminal status had reached the client intact.
    ``faults`` counts injected faults per kind.
    """

    requests: Counter[str] = attrs.field(factory=Counter)
    total_requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    rejected_signatures: int = 0
    auth_failures: Counter[str] = attrs.field(factory=Counter)
    statuses: Counter[int] = attrs.field(factory=Counter)
    import_polls: Counter[AssetKey] = attrs.field(factory=Counter)
    polls_after_terminal: Counter[AssetKey] = attrs.field(factory=Counter)
    faults: Counter[Fault] = attrs.field(factory=Counter)

    @property
    def total_polls_after_terminal(self) -> int:
        """Polls of already-finished assets, over all assets (a correct poller keeps it 0)."""
        return sum(self.polls_after_terminal.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (asset keys joined with ``/``)."""
        return {
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "rejected_signatures": self.rejected_signatures,
            "auth_failures": dict(self.auth_failures),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "import_polls": {"/".join(k): v for k, v in self.import_polls.items()},
            "polls_after_terminal": {"/".join(k): v for k, v in self.polls_after_terminal.items()},
            "faults": {str(k): v for k, v in self.faults.items()},
        }


class ManualClock:
    """A clock for tests: returns ``now`` (epoch *seconds*) until told to :meth:`advance`.

    Pass it as ``Emulator(clock=ManualClock(...))`` to make time-dependent behaviour (encoding
    progress, the signature time window, the ``Date`` header) exact and instantaneous.
    """

    __slots__ = ("now",)

    def __init__(self, now: float = 1_755_590_400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


class _Rejection(Exception):
    """A handler's error answer, in the dialect of its service."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class Emulator:
    """An in-process NCP: VOD Station, Live Station and Media AI behind an API Gateway.

    Args:
        scenario: the seeded data to start with (default :class:`Scenario` ``()``; use
            :meth:`Scenario.empty` to start empty and :meth:`Scenario.demo` for the CLI demo).
        access_key, secret_key: the key pair the gateway accepts (more with
            :meth:`add_credentials`).
        clock: the emulator's clock, epoch *seconds* (default :func:`time.time`).
        clock_offset: *seconds* added to ``clock``; the ``Date`` header, the signature time
            window and encoding progress all follow the offset clock (mutable).
        latency: delay in *seconds* before each request is handled (mutable).
        route_latency: per-route delay in *seconds*, overriding ``latency`` (mutable dict).
        fault_plan: faults to inject (see :class:`FaultPlan`; mutable via :attr:`fault_plan`).
        status_statistics_as_strings: send ``waiting``/``running``/``failure`` as strings, as the
            status-statistics page's field table says (its example sends integers).
        regions: Live Station region codes accepted in ``x-ncp-region_code``.
        max_page_size: the largest ``pageSizeNo`` accepted; larger is a 400 (``260002``).
        timestamp_tolerance: how far, in *seconds*, a request timestamp may be from the
            emulator's clock (NCP: 5 minutes).
        sleep: the coroutine used for ``latency`` and ``SLOW`` (injectable for tests).

    Attributes set after construction: ``after_page`` (a ``(route_name, page_no)`` callback run
    after each page of a paginated route is built, e.g. to change the data between pages),
    ``stats`` (:class:`EmulatorStats`).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        clock: Callable[[], float] = time.time,
        clock_offset: float = 0.0,
        latency: float = 0.0,
        route_latency: Mapping[str, float] | None = None,
        fault_plan: FaultPlan | None = None,
        status_statistics_as_strings: bool = False,
        regions: Iterable[str] = ("KR",),
        max_page_size: int = 1000,
        timestamp_tolerance: float = 300.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.scenario: Final = scenario if scenario is not None else Scenario()
        self.access_key: Final = access_key
        self.secret_key: Final = secret_key
        self.clock: Callable[[], float] = clock
        self.clock_offset = clock_offset
        self.latency = latency
        self.route_latency: dict[str, float] = dict(route_latency or {})
        self.status_statistics_as_strings = status_statistics_as_strings
        self.regions: set[str] = set(regions)
        self.max_page_size = max_page_size
        self.timestamp_tolerance = timestamp_tolerance
        self.sleep = sleep
        self.after_page: Callable[[str, int], None] | None = None
        self.stats = EmulatorStats()
        self._signers: dict[str, Signer] = {access_key: Signer(access_key, secret_key)}
        self._faults = FaultInjector(fault_plan)
        self._trace_ids = itertools.count(1)
        self._date_cache: tuple[int, str] = (-1, "")
        self._encodings = EncodingStore()
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._records: dict[str, tuple[dict[str, Any], int | None]] = {}
        self._imports: dict[AssetKey, ImportState] = {}
        self._statistics_override: Any = None
        self.load_scenario(self.scenario)

    def __repr__(self) -> str:
        return (
            f"Emulator(seed={self.scenario.seed}, encodings={len(self._encodings)}, "
            f"vod_channels={len(self._events)}, live_channels={len(self._records)}, "
            f"imports={len(self._imports)}, access_key={self.access_key!r})"
        )

    # ---------------------------------------------------------------------------- clock & keys

    def now(self) -> float:
        """The emulator's time in epoch *seconds*: ``clock() + clock_offset``."""
        return self.clock() + self.clock_offset

    def now_ms(self) -> int:
        """The emulator's time in epoch *milliseconds*."""
        return int(self.now() * 1000)

    def add_credentials(self, access_key: str, secret_key: str) -> None:
        """Accept another key pair (e.g. to test a client that rotates keys)."""
        self._signers[access_key] = Signer(access_key, secret_key)

    def remove_credentials(self, access_key: str) -> None:
        """Stop accepting ``access_key`` (its requests then fail as an unknown key)."""
        self._signers.pop(access_key, None)

    # ------------------------------------------------------------------------- faults & stats

    @property
    def fault_plan(self) -> FaultPlan | None:
        """The active :class:`FaultPlan`; assigning one restarts its seeded sequence."""
        return self._faults.plan

    @fault_plan.setter
    def fault_plan(self, plan: FaultPlan | None) -> None:
        self._faults.plan = plan

    @contextmanager
    def faults(self, plan: FaultPlan | None) -> Iterator[FaultPlan | None]:
        """Install ``plan`` for the duration of a ``with`` block, then restore the previous."""
        previous = self._faults.plan
        self._faults.plan = plan
        try:
            yield plan
        finally:
            self._faults.plan = previous

    def force_faults(
        self,
        *kinds: Fault,
        routes: Iterable[str] | str | None = None,
        throttle_code: str = "410",
        retry_after: str | None = "0",
        slow_seconds: float = 5.0,
    ) -> None:
        """Make the next requests (to ``routes``, default any) fail with ``kinds``, in order.

        One request per listed fault, ahead of any :class:`FaultPlan`: e.g.
        ``force_faults(Fault.THROTTLE, Fault.UNAVAILABLE)`` fails the next two requests with a
        429 then a 503. ``throttle_code`` is the gateway code of a forced ``THROTTLE``
        (``"400"``, ``"410"`` or ``"420"``), ``retry_after`` its ``Retry-After`` header in
        *seconds* (``None``: no header), ``slow_seconds`` the delay of a forced ``SLOW``.
        """
        self._faults.force(
            kinds,
            routes=routes,
            throttle_code=throttle_code,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
        )

    def clear_faults(self) -> None:
        """Drop queued forced faults and the fault plan."""
        self._faults.clear()

    def reset_stats(self) -> None:
        """Start counting afresh (requests still in flight stay counted as in flight)."""
        in_flight = self.stats.in_flight
        self.stats = EmulatorStats(in_flight=in_flight, peak_in_flight=in_flight)

    # ------------------------------------------------------------------------------ data: all

    def load_scenario(self, scenario: Scenario) -> None:
        """Add the seeded data of ``scenario`` (beside whatever is loaded already)."""
        now_ms = self.now_ms()
        anchor = scenario.anchor_ms if scenario.anchor_ms is not None else now_ms // 1000 * 1000
        self._encodings.add(generate_encodings(scenario, anchor))
        progressing = generate_progressing_encodings(scenario, now_ms)
        self._encodings.add((job.work_start_ms, job) for job in progressing)
        self._events.update(generate_channel_events(scenario, anchor))
        for channel_id, records in generate_recordings(scenario, anchor).items():
            self._records[channel_id] = (records, None)
        for asset in generate_imports(scenario):
            self._imports[asset.key] = asset

    def clear(self) -> None:
        """Remove every item of every service (statistics override included); keep the stats."""
        self._encodings.clear()
        self._events.clear()
        self._records.clear()
        self._imports.clear()
        self._statistics_override = None

    def info(self) -> dict[str, Any]:
        """What is loaded, for humans and for processes that cannot see this object."""
        return {
            "vod_channels": self.vod_channel_ids,
            "live_channels": self.live_channel_ids,
            "encoding_statuses": len(self._encodings),
            "imports": [list(key) for key in self._imports],
        }

    # ------------------------------------------------------------------ data: encoding status

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
        """Add a job that progresses with the emulator's clock (see :class:`ProgressingEncoding`).

        ``work_start_ms`` is epoch *milliseconds* (default: now); it waits ``queue_seconds``
        then runs ``run_seconds`` (*seconds*) to ``outcome``. ``final_percent`` defaults to
        100 for ``COMPLETE`` and 50 otherwise. ``fields`` overrides the constant fields.
        """
        start = self.now_ms() if work_start_ms is None else work_start_ms
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
        return self._encodings.snapshot(start_ms, end_ms, self.now_ms())

    def set_status_statistics(self, raw_content: Any) -> None:
        """Serve ``{"content": raw_content}`` from status-statistic (``None``: compute again)."""
        self._statistics_override = raw_content

    # ------------------------------------------------------------------ data: channel events

    @property
    def vod_channel_ids(self) -> list[str]:
        """VOD Station channel ids that have an event list."""
        return list(self._events)

    def set_channel_events(self, channel_id: str, events: Iterable[Mapping[str, Any]]) -> None:
        """Create or replace a VOD channel's events: raw dicts served in the given order.

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

    def remove_vod_channel(self, channel_id: str) -> None:
        """Forget a VOD channel (its events route then answers 404 ``260004``)."""
        self._events.pop(channel_id, None)

    def channel_events(self, channel_id: str) -> list[dict[str, Any]]:
        """A copy of a VOD channel's events, newest first."""
        return list(self._events[channel_id])

    # ---------------------------------------------------------------------- data: recordings

    @property
    def live_channel_ids(self) -> list[str]:
        """Live Station channel ids that have a record map."""
        return list(self._records)

    def set_recordings(
        self, channel_id: str, record_map: Mapping[str, Any], total: int | None = None
    ) -> None:
        """Create or replace a Live channel's ``recordList`` (raw, keyed by record id).

        ``total`` is sent as given (the real service's ``total`` need not equal the map's
        size); ``None`` sends the map's size.
        """
        self._records[channel_id] = (dict(record_map), total)

    def recordings(self, channel_id: str) -> dict[str, Any]:
        """A copy of a Live channel's record map."""
        return dict(self._records[channel_id][0])

    def remove_live_channel(self, channel_id: str) -> None:
        """Forget a Live channel (its records route then answers 400 ``250100``)."""
        self._records.pop(channel_id, None)

    # ------------------------------------------------------------------------- data: imports

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
        return self._view(state)

    def remove_import(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> None:
        """Forget an asset (its import status then answers 404)."""
        self._imports.pop((workspace, str(project_id), str(video_asset_id)), None)

    def import_asset(
        self, workspace: str, project_id: str | int, video_asset_id: str | int
    ) -> ImportAsset:
        """A snapshot of one asset's import (``KeyError`` if unknown)."""
        return self._view(self._imports[(workspace, str(project_id), str(video_asset_id))])

    def imports(self) -> list[ImportAsset]:
        """Snapshots of every asset, in insertion order."""
        return [self._view(state) for state in self._imports.values()]

    def import_refs(self) -> list[AssetKey]:
        """``(workspace, project_id, video_asset_id)`` of every asset, in insertion order."""
        return list(self._imports)

    @staticmethod
    def _view(state: ImportState) -> ImportAsset:
        return ImportAsset(
            workspace=state.workspace,
            project_id=state.project_id,
            video_asset_id=state.video_asset_id,
            outcome=state.outcome,
            polls_to_complete=state.polls_to_complete,
            polls=state.polls,
            terminal_reported=state.terminal_reported,
        )

    # -------------------------------------------------------------------------------- the app

    def make_app(self) -> web.Application:
        """A new :class:`aiohttp.web.Application` serving this emulator (state is shared).

        Besides the five API routes it serves unauthenticated helpers for processes that
        cannot reach this object: ``GET /_emulator/info`` (channel ids, asset refs),
        ``GET /_emulator/stats`` and ``POST /_emulator/reset-stats``. They are not counted,
        delayed or faulted.

        :class:`EmulatorServer` runs it with ``handler_cancellation=True`` so that a request
        whose client gave up (``SLOW``, long ``latency``) stops at once; do the same when
        running the app under your own :class:`aiohttp.web.AppRunner`.
        """
        app = web.Application(middlewares=[self._make_middleware()])
        add = app.router.add_get
        add(_PATHS[Route.ENCODING_STATUSES], self._encoding_statuses, name=Route.ENCODING_STATUSES)
        add(_PATHS[Route.STATUS_STATISTICS], self._status_statistics, name=Route.STATUS_STATISTICS)
        add(_PATHS[Route.CHANNEL_EVENTS], self._channel_events, name=Route.CHANNEL_EVENTS)
        add(_PATHS[Route.RECORDS], self._records_handler, name=Route.RECORDS)
        add(_PATHS[Route.IMPORT_STATUS], self._import_status, name=Route.IMPORT_STATUS)
        add("/_emulator/info", self._admin_info, name=f"{_ADMIN_PREFIX}_info")
        add("/_emulator/stats", self._admin_stats, name=f"{_ADMIN_PREFIX}_stats")
        app.router.add_post(
            "/_emulator/reset-stats", self._admin_reset_stats, name=f"{_ADMIN_PREFIX}_reset"
        )
        return app

    def _make_middleware(self) -> Middleware:
        @web.middleware
        async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
            route = request.match_info.route.name
            if route is not None and route.startswith(_ADMIN_PREFIX):
                return await handler(request)
            stats = self.stats
            name = route if route is not None else UNMATCHED
            stats.requests[name] += 1
            stats.total_requests += 1
            stats.in_flight += 1
            if stats.in_flight > stats.peak_in_flight:
                stats.peak_in_flight = stats.in_flight
            try:
                return await self._pipeline(request, route, handler)
            finally:
                self.stats.in_flight -= 1

        return gateway

    async def _pipeline(
        self,
        request: web.Request,
        route: str | None,
        handler: Handler,
    ) -> web.StreamResponse:
        delay = self.route_latency.get(route, self.latency) if route else self.latency
        if delay > 0:
            await self.sleep(delay)

        decision = self._faults.decide(route) if route is not None else None
        body_fault: FaultDecision | None = None
        if decision is not None:
            if decision.fault in BODY_FAULTS:
                body_fault = decision
            else:
                self.stats.faults[decision.fault] += 1
                if decision.fault is Fault.SLOW:
                    await self.sleep(decision.slow_seconds)
                elif decision.fault is Fault.RESET_BEFORE_BODY:
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response()  # never sent: the connection is gone
                else:
                    return self._finish(gateway_fault_response(decision))

        if route is None:
            return self._finish(json_response(gateway_error("300", "Not Found"), 404))

        failure = self._authenticate(request)
        if failure is not None:
            reason, details = failure
            self.stats.rejected_signatures += 1
            self.stats.auth_failures[reason] += 1
            body = gateway_error("200", "Authentication Failed", details)
            return self._finish(json_response(body, 401))

        if body_fault is not None:
            request[_BODY_FAULT_KEY] = body_fault
        try:
            response = await handler(request)
        except _Rejection as rejection:
            response = json_response(rejection.body, rejection.status)
        if body_fault is not None and response.status == 200:
            assert isinstance(response, web.Response)
            return await self._body_fault(request, response, body_fault.fault)
        return self._finish(response)

    def _finish(self, response: web.StreamResponse) -> web.StreamResponse:
        headers = response.headers
        headers["Date"] = self._http_date()
        headers["Server"] = "nginx"
        headers["x-ncp-trace-id"] = f"emu{next(self._trace_ids):013x}"
        self.stats.statuses[response.status] += 1
        return response

    def _http_date(self) -> str:
        second = int(self.now())
        cached_second, text = self._date_cache
        if cached_second != second:
            text = http_date(second)
            self._date_cache = (second, text)
        return text

    async def _body_fault(
        self, request: web.Request, response: web.Response, fault: Fault
    ) -> web.StreamResponse:
        body = response.body
        assert isinstance(body, bytes)
        self.stats.faults[fault] += 1
        if fault is Fault.TRUNCATED_JSON:
            response.body = truncate_json(body)
            return self._finish(response)
        if fault is Fault.WRONG_SHAPE:
            response.body = wrong_shape(body)
            return self._finish(response)
        if fault is not Fault.RESET_MID_BODY:
            raise AssertionError(f"{fault} is not a body fault")
        # Announce the whole body, send half of it, hang up.
        stream = web.StreamResponse(status=200, headers=response.headers)
        stream.content_length = len(body)
        self._finish(stream)
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return stream

    def _authenticate(self, request: web.Request) -> tuple[str, str] | None:
        headers = request.headers
        timestamp = headers.get(TIMESTAMP_HEADER)
        access_key = headers.get(ACCESS_KEY_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not timestamp:
            return "missing_header", f"Missing required header {TIMESTAMP_HEADER}."
        if not access_key:
            return "missing_header", f"Missing required header {ACCESS_KEY_HEADER}."
        if not signature:
            return "missing_header", f"Missing required header {SIGNATURE_HEADER}."
        if not is_decimal(timestamp):
            return "invalid_timestamp", f"{TIMESTAMP_HEADER} must be epoch milliseconds."
        signer = self._signers.get(access_key)
        if signer is None:
            return "unknown_access_key", "The access key is not registered."
        skew = int(timestamp) / 1000 - self.now()
        if abs(skew) > self.timestamp_tolerance:
            return (
                "timestamp_skew",
                f"The timestamp differs from the gateway clock by more than "
                f"{self.timestamp_tolerance:g} seconds.",
            )
        expected = signer.signature(request.method, request.raw_path, timestamp)
        # A header that is not ASCII (undecodable bytes arrive as surrogates) cannot match a
        # base64 signature, and compare_digest only takes ASCII strings.
        if not signature.isascii() or not hmac.compare_digest(expected, signature):
            return "bad_signature", "The signature does not match the request."
        return None

    # ---------------------------------------------------------------------- request parsing

    @staticmethod
    def _int_param(request: web.Request, name: str) -> int | None:
        """``None`` if absent; raises ``ValueError`` if not an integer."""
        value = request.query.get(name)
        if value is None or value == "":
            return None
        if _INT_RE.fullmatch(value) is None:
            raise ValueError(name)
        return int(value)

    def _vod_paging(self, request: web.Request) -> tuple[int, int]:
        try:
            page_no = self._int_param(request, "pageNo")
        except ValueError:
            raise _Rejection(400, vod_error("260002", "pageNo: invalid value.")) from None
        if page_no is None:
            page_no = 1
        if page_no < 1:
            raise _Rejection(400, vod_error("260025", "pageNo must be greater than or equal to 1."))
        try:
            page_size = self._int_param(request, "pageSizeNo")
        except ValueError:
            page_size = 0
        if page_size is None:
            page_size = 20
        if not 1 <= page_size <= self.max_page_size:
            raise _Rejection(
                400,
                vod_error(
                    "260002",
                    "pageSizeNo: invalid value.",
                    f"pageSizeNo must be an integer from 1 to {self.max_page_size}.",
                ),
            )
        return page_no, page_size

    def _vod_window(self, request: web.Request) -> tuple[int | None, int | None]:
        try:
            return (
                self._int_param(request, "workStartTimeFrom"),
                self._int_param(request, "workStartTimeTo"),
            )
        except ValueError as exc:
            raise _Rejection(
                400,
                vod_error("260026", "Invalid DATE format.", f"{exc} must be epoch milliseconds."),
            ) from None

    def _page_served(self, route: Route, page_no: int) -> None:
        hook = self.after_page
        if hook is not None:
            hook(route, page_no)

    # ------------------------------------------------------------------------------ handlers

    async def _encoding_statuses(self, request: web.Request) -> web.StreamResponse:
        """VOD Station encoding status list: newest first, windowed on work start (ms)."""
        page_no, page_size = self._vod_paging(request)
        start_ms, end_ms = self._vod_window(request)
        lo, hi = self._encodings.window(start_ms, end_ms)
        items = self._encodings.page(lo, hi, page_no, page_size, self.now_ms())
        response = json_response({"content": items, "total": hi - lo})
        self._page_served(Route.ENCODING_STATUSES, page_no)
        return response

    async def _status_statistics(self, request: web.Request) -> web.StreamResponse:
        """VOD Station status statistics over a work-start window (``From`` = start)."""
        start_ms, end_ms = self._vod_window(request)
        if self._statistics_override is not None:
            return json_response({"content": self._statistics_override})
        lo, hi = self._encodings.window(start_ms, end_ms)
        counts: dict[str, Any] = self._encodings.counts(lo, hi, self.now_ms())
        if self.status_statistics_as_strings:
            # The page's field table types these three as String (the example sends numbers).
            for key in ("waiting", "running", "failure"):
                counts[key] = str(counts[key])
        return json_response({"content": counts})

    async def _channel_events(self, request: web.Request) -> web.StreamResponse:
        """VOD Station channel events: newest first, ``time`` in epoch seconds."""
        channel_id = request.match_info["channelId"]
        events = self._events.get(channel_id)
        if events is None:
            raise _Rejection(
                404, vod_error("260004", "not found", f"Channel {channel_id} not found.")
            )
        page_no, page_size = self._vod_paging(request)
        first = (page_no - 1) * page_size
        response = json_response(
            {"content": events[first : first + page_size], "total": len(events)}
        )
        self._page_served(Route.CHANNEL_EVENTS, page_no)
        return response

    async def _records_handler(self, request: web.Request) -> web.StreamResponse:
        """Live Station records: a map keyed by record id, times in epoch milliseconds."""
        region = request.headers.get(REGION_HEADER)
        if not region:
            raise _Rejection(400, live_error(250003))
        if region not in self.regions:
            raise _Rejection(400, live_error(250020, region))
        entry = self._records.get(request.match_info["channelId"])
        if entry is None:
            raise _Rejection(400, live_error(250100))
        record_map, total = entry
        return json_response(
            {
                "content": {"recordList": record_map},
                "total": len(record_map) if total is None else total,
            }
        )

    async def _import_status(self, request: web.Request) -> web.StreamResponse:
        """Media AI import status; each poll advances the asset toward its outcome."""
        info = request.match_info
        asset_id = info["videoAssetId"]
        if not is_decimal(asset_id):
            raise _Rejection(400, media_ai_error("10001", "Invalid Request"))
        key = (info["workspace"], info["projectId"], asset_id)
        state = self._imports.get(key)
        if state is None:
            raise _Rejection(404, media_ai_error("10404", "Video asset not found"))
        stats = self.stats
        stats.import_polls[key] += 1
        if state.terminal_reported:
            stats.polls_after_terminal[key] += 1
        state.polls += 1
        result, final = state.body_for_poll(state.polls)
        if final and _BODY_FAULT_KEY not in request:  # a damaged answer reports nothing
            state.terminal_reported = True
        return json_response({"code": "0", "message": "success", "result": result})

    # ------------------------------------------------------------------------ admin helpers

    async def _admin_info(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.info())

    async def _admin_stats(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.stats.as_dict())

    async def _admin_reset_stats(self, request: web.Request) -> web.StreamResponse:
        self.reset_stats()
        return web.Response(status=204)
