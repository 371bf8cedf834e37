"""The emulator: three service stores behind one emulated API Gateway, as an aiohttp app.

``Emulator`` is the gateway. It keeps what spans services (key pairs, the clock, latency,
faults, statistics, the ``after_page`` hook) and owns one store per service:
``emulator.vod_station``, ``emulator.live_station`` and ``emulator.media_ai``, each with its
data, its routes, its settings and its error dialect. ``Emulator.make_app`` builds an
``aiohttp.web.Application`` serving all three under one base URL, as ``Endpoints.at(url)``
expects.

Each request goes through the same pipeline (one middleware, so nothing is skipped):

1. routing: the path and method pick a store's route; VOD Station and Live Station share paths
   on their real hosts (``/api/v2/channels``...), so a route two stores declare goes to the one
   whose requests carry ``x-ncp-region_code`` (Live Station) when the header is there, to the
   other (VOD Station) when it is not; a route one store declares goes to it whatever the
   headers;
2. counted (per route, total, in flight, peak in flight), then ``latency`` *seconds* of delay;
3. fault decision; a *gateway fault* (429/502/503/504, connection reset, ``SLOW``) is answered
   here, before authentication, as a gateway or proxy in front of the service would;
4. an unknown path gets the gateway's 404 (``errorCode`` ``"300"``);
5. signature v2 check, exactly as the NCP API Gateway (see ``_protocol``): missing header,
   unknown access key, a timestamp more than ``timestamp_tolerance`` *seconds* (300) from the
   emulator's clock, or a wrong signature is a 401 with ``errorCode`` ``"200"``;
6. the store: its checks for every request (Live Station's region header), the JSON body for
   routes that read one (more than ``max_body_size`` bytes is the gateway's 413 ``"430"``; not
   JSON is the service's 400), then the handler, which refuses in the service's dialect;
7. a *body fault* damages a 200 on its way out; every response gets a ``Date`` header from the
   emulator's clock, offset included, so a client can learn its clock skew.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._data import Scenario
from ._faults import (
    BODY_FAULTS,
    Fault,
    FaultDecision,
    FaultInjector,
    FaultPlan,
    deep_json,
    gateway_fault_response,
    gzip_bomb,
    truncate_json,
    wrong_shape,
)
from ._live_station import LiveStationStore
from ._media_ai import MediaAiStore
from ._protocol import ACCESS_KEY_HEADER, REGION_HEADER, authenticate
from ._quota import Quota, QuotaKeeper
from ._routes import UNMATCHED
from ._stats import EmulatorStats
from ._store import Call, ParameterError, Rejection, Store, StoreRoute
from ._vod_station import VodStationStore
from ._wire import gateway_error, http_date, json_response

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "Emulator",
    "ManualClock",
    "Target",
    "choose_target",
    "route_table",
]

DEFAULT_ACCESS_KEY: Final = "NCPEMULATORACCESSKEY"
DEFAULT_SECRET_KEY: Final = "ncp-emulator-secret-key-not-a-real-secret"

_BODY_CHUNK: Final = 65_536


class ManualClock:
    """A clock for tests: returns ``now`` (epoch *seconds*) until told to ``advance``.

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


# -------------------------------------------------------------------------------- routing


@attrs.frozen
class Target:
    """A store's route, with the store that answers it."""

    store: Store
    route: StoreRoute


def route_table(stores: Iterable[Store]) -> dict[tuple[str, str], tuple[Target, ...]]:
    """Every ``(method, path)`` the stores declare, with the routes declaring it.

    A ``(method, path)`` may be declared by two stores, one with ``region_header`` and one
    without (the gateway tells them apart by ``x-ncp-region_code``). A store may give one route
    name to several paths (Live Station serves each route under every zone's prefix). Anything
    else (two declarations the header cannot tell apart, a route name two stores use) is a
    ``ValueError``.
    """
    table: defaultdict[tuple[str, str], list[Target]] = defaultdict(list)
    owners: dict[str, Store] = {}
    for store in stores:
        for route in store.routes():
            if owners.setdefault(route.name, store) is not store:
                raise ValueError(f"route name '{route.name}' is declared twice")
            table[(route.method, route.path)].append(Target(store, route))
    for (method, path), targets in table.items():
        sides = sorted(target.store.region_header for target in targets)
        if len(targets) > 1 and sides != [False, True]:
            stores_named = ", ".join(type(target.store).__name__ for target in targets)
            raise ValueError(
                f"{method} {path} is declared by {stores_named}: a shared path needs exactly "
                "one store with region_header and one without"
            )
    return {key: tuple(targets) for key, targets in table.items()}


def choose_target(targets: Sequence[Target], headers: Mapping[str, str]) -> Target:
    """The target of a request among the routes declaring its path (see ``route_table``).

    One target: that one, whatever the headers (so Live Station can answer a request without
    its region header with its own 250003). Two: the one whose store expects
    ``x-ncp-region_code`` when the header is present (even empty), the other when it is not.
    """
    if len(targets) == 1:
        return targets[0]
    wants_region = REGION_HEADER in headers
    return next(target for target in targets if target.store.region_header is wants_region)


async def _answered_by_the_middleware(request: web.Request) -> web.StreamResponse:
    raise AssertionError("store routes are answered by the gateway middleware")


# -------------------------------------------------------------------------------- gateway


class Emulator:
    """An in-process NCP: VOD Station, Live Station and Media AI behind an API Gateway.

    Args:
        scenario: the seeded data to start with (default ``Scenario`` ``()``; use
            ``Scenario.empty`` to start empty and ``Scenario.demo`` for the CLI demo).
        access_key: the access key of the key pair the gateway accepts (more with
            ``add_credentials``).
        secret_key: its secret key.
        clock: the emulator's clock, epoch *seconds* (default ``time.time``).
        clock_offset: *seconds* added to ``clock``; the ``Date`` header, the signature time
            window and encoding progress all follow the offset clock (mutable).
        latency: delay in *seconds* before each request is handled (mutable).
        route_latency: per-route delay in *seconds*, overriding ``latency`` (mutable dict).
        fault_plan: faults to inject (see ``FaultPlan``; mutable via ``fault_plan``).
        timestamp_tolerance: how far, in *seconds*, a request timestamp may be from the
            emulator's clock (NCP: 5 minutes).
        max_body_size: the largest request body, in *bytes*, a route that reads JSON accepts
            (more is the gateway's 413, ``errorCode`` ``"430"``; mutable).
        sleep: the coroutine used for ``latency`` and ``SLOW`` (injectable for tests).
        quota: requests allowed per access key and window (``Quota``), 429 beyond;
            ``emulator.quotas.quota`` changes it, ``emulator.quotas`` counts what it did.

    The data and the per-service settings live in the stores: ``vod_station``
    (``VodStationStore``), ``live_station`` (``LiveStationStore``) and
    ``media_ai`` (``MediaAiStore``). Attributes set after construction:
    ``after_page`` (a ``(route_name, page_no)`` callback run after each page of a paginated
    route is built, e.g. to change the data between pages), ``stats``
    (``EmulatorStats``).
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
        timestamp_tolerance: float = 300.0,
        max_body_size: int = 1_048_576,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        quota: Quota | None = None,
    ) -> None:
        self.scenario: Final = scenario if scenario is not None else Scenario()
        self.access_key: Final = access_key
        self.secret_key: Final = secret_key
        self.clock: Callable[[], float] = clock
        self.clock_offset = clock_offset
        self.latency = latency
        self.route_latency: dict[str, float] = dict(route_latency or {})
        self.timestamp_tolerance = timestamp_tolerance
        self.max_body_size = max_body_size
        self.sleep = sleep
        self.after_page: Callable[[str, int], None] | None = None
        self.stats = EmulatorStats()
        self.vod_station: Final = VodStationStore(self)
        self.live_station: Final = LiveStationStore(self)
        self.media_ai: Final = MediaAiStore(self)
        self._keys: dict[str, str] = {access_key: secret_key}
        self._faults = FaultInjector(fault_plan)
        self.quotas: Final = QuotaKeeper(quota)
        self._trace_ids = itertools.count(1)
        self._date_cache: tuple[int, str] = (-1, "")
        self.load_scenario(self.scenario)

    def __repr__(self) -> str:
        return (
            f"Emulator(seed={self.scenario.seed}, {self.vod_station!r}, {self.live_station!r}, "
            f"{self.media_ai!r}, access_key={self.access_key!r})"
        )

    @property
    def stores(self) -> tuple[Store, ...]:
        """The three stores, in the order VOD Station, Live Station, Media AI."""
        return (self.vod_station, self.live_station, self.media_ai)

    # ---------------------------------------------------------------------------- clock & keys

    def now(self) -> float:
        """The emulator's time in epoch *seconds*: ``clock() + clock_offset``."""
        return self.clock() + self.clock_offset

    def now_ms(self) -> int:
        """The emulator's time in epoch *milliseconds*."""
        return int(self.now() * 1000)

    def add_credentials(self, access_key: str, secret_key: str) -> None:
        """Accept another key pair (e.g. to test a client that rotates keys)."""
        self._keys[access_key] = secret_key

    def remove_credentials(self, access_key: str) -> None:
        """Stop accepting ``access_key`` (its requests then fail as an unknown key)."""
        self._keys.pop(access_key, None)

    # ------------------------------------------------------------------------- faults & stats

    @property
    def fault_plan(self) -> FaultPlan | None:
        """The active ``FaultPlan``; assigning one restarts its seeded sequence."""
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
        date: str | None = None,
    ) -> None:
        """Make the next requests (to ``routes``, default any) fail with ``kinds``, in order.

        One request per listed fault, ahead of any ``FaultPlan``: e.g.
        ``force_faults(Fault.THROTTLE, Fault.UNAVAILABLE)`` fails the next two requests with a
        429 then a 503. ``throttle_code`` is the gateway code of a forced ``THROTTLE``
        (``"400"``, ``"410"`` or ``"420"``), ``retry_after`` the ``Retry-After`` header of a
        forced ``THROTTLE`` or ``UNAVAILABLE`` (*seconds* or an HTTP date, sent as given;
        ``None``: no header), ``slow_seconds`` the delay of a forced ``SLOW``, ``date`` the
        ``Date`` header of a forced ``BOGUS_DATE`` (default: a day ahead).
        """
        self._faults.force(
            kinds,
            routes=routes,
            throttle_code=throttle_code,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
            date=date,
        )

    def clear_faults(self) -> None:
        """Drop queued forced faults and the fault plan."""
        self._faults.clear()

    def reset_stats(self) -> None:
        """Start counting afresh (requests still in flight stay counted as in flight)."""
        in_flight = self.stats.in_flight
        self.stats = EmulatorStats(in_flight=in_flight, peak_in_flight=in_flight)

    def page_served(self, route: str, page_no: int) -> None:
        """Run ``after_page`` (if set) for a page a store has just built."""
        hook = self.after_page
        if hook is not None:
            hook(route, page_no)

    # ----------------------------------------------------------------------------------- data

    def load_scenario(self, scenario: Scenario) -> None:
        """Add the seeded data of ``scenario`` to every store (beside what is loaded already)."""
        now_ms = self.now_ms()
        anchor = scenario.anchor_ms if scenario.anchor_ms is not None else now_ms // 1000 * 1000
        for store in self.stores:
            store.load(scenario, anchor_ms=anchor, now_ms=now_ms)

    def clear(self) -> None:
        """Remove every item of every store (settings and statistics stay)."""
        for store in self.stores:
            store.clear()

    def info(self) -> dict[str, Any]:
        """What is loaded, for humans and for processes that cannot see this object:
        ``vod_channels``, ``encoding_statuses``, ``live_channels`` and ``imports``."""
        info: dict[str, Any] = {}
        for store in self.stores:
            info.update(store.info())
        return info

    # -------------------------------------------------------------------------------- the app

    def make_app(self) -> web.Application:
        """A new ``aiohttp.web.Application`` serving this emulator (state is shared).

        Besides the stores' routes it serves unauthenticated helpers for processes that
        cannot reach this object: ``GET /_emulator/info`` (channel ids, asset refs),
        ``GET /_emulator/stats`` and ``POST /_emulator/reset-stats``. They are not counted,
        delayed or faulted. Raises ``ValueError`` if the stores' routes clash (see
        ``route_table``).

        ``EmulatorServer`` runs it with ``handler_cancellation=True`` so that a request
        whose client gave up (``SLOW``, long ``latency``) stops at once; do the same when
        running the app under your own ``aiohttp.web.AppRunner``.
        """
        targets: dict[web.AbstractRoute, tuple[Target, ...]] = {}
        app = web.Application(middlewares=[self._make_middleware(targets)])
        for (method, path), declared in route_table(self.stores).items():
            targets[app.router.add_route(method, path, _answered_by_the_middleware)] = declared
        app.router.add_get("/_emulator/info", self._admin_info)
        app.router.add_get("/_emulator/stats", self._admin_stats)
        app.router.add_post("/_emulator/reset-stats", self._admin_reset_stats)
        app.on_cleanup.append(self._close_stores)
        return app

    async def _close_stores(self, app: web.Application) -> None:
        for store in self.stores:
            await store.close()

    def _make_middleware(
        self, targets: Mapping[web.AbstractRoute, tuple[Target, ...]]
    ) -> Middleware:
        @web.middleware
        async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
            match = request.match_info
            declared = targets.get(match.route)
            if declared is None and match.http_exception is None:
                return await handler(request)  # an admin helper
            target = choose_target(declared, request.headers) if declared else None
            stats = self.stats
            stats.requests[target.route.name if target else UNMATCHED] += 1
            stats.total_requests += 1
            stats.in_flight += 1
            if stats.in_flight > stats.peak_in_flight:
                stats.peak_in_flight = stats.in_flight
            try:
                return await self._pipeline(request, target)
            finally:
                self.stats.in_flight -= 1

        return gateway

    async def _pipeline(self, request: web.Request, target: Target | None) -> web.StreamResponse:
        route = target.route.name if target else None
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

        if target is None:
            return self._finish(json_response(gateway_error("300", "Not Found"), 404))

        failure = authenticate(
            request.headers,
            request.method,
            request.raw_path,
            keys=self._keys,
            now=self.now(),
            tolerance=self.timestamp_tolerance,
        )
        if failure is not None:
            self.stats.rejected_signatures += 1
            self.stats.auth_failures[failure.reason] += 1
            body = gateway_error("200", "Authentication Failed", failure.details)
            return self._finish(json_response(body, 401))
        refused = self.quotas.check(request.headers[ACCESS_KEY_HEADER], self.now())
        if refused is not None:
            return self._finish(refused)

        response = await self._answer(request, target, damaged=body_fault is not None)
        if body_fault is not None and response.status == 200:
            assert isinstance(response, web.Response)
            return await self._body_fault(request, response, body_fault)
        return self._finish(response)

    async def _answer(
        self, request: web.Request, target: Target, *, damaged: bool
    ) -> web.StreamResponse:
        """The store's answer: its checks, the JSON body, the handler; a refusal in the
        service's dialect."""
        store, route = target.store, target.route
        call = Call(request, route.name, damaged=damaged)
        try:
            store.admit(call)
            if route.json_body:
                call = attrs.evolve(call, body=await self._read_json(request, store))
            return route.handler(call)
        except ParameterError as error:
            return store.bad_parameter(error).response()
        except Rejection as rejection:
            return rejection.response()

    async def _read_json(self, request: web.Request, store: Store) -> Any:
        """The request body parsed as JSON (``None`` if empty); reading stops as soon as more
        than ``max_body_size`` bytes have arrived, so memory stays bounded."""
        limit = self.max_body_size
        raw = bytearray()
        async for chunk in request.content.iter_chunked(_BODY_CHUNK):
            raw += chunk
            if len(raw) > limit:
                raise Rejection(413, gateway_error("430", "Request Entity Too Large"))
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise store.bad_body("The request body is not valid JSON.") from None

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
        self, request: web.Request, response: web.Response, decision: FaultDecision
    ) -> web.StreamResponse:
        body = response.body
        assert isinstance(body, bytes)
        fault = decision.fault
        self.stats.faults[fault] += 1
        if fault is Fault.TRUNCATED_JSON:
            response.body = truncate_json(body)
        elif fault is Fault.WRONG_SHAPE:
            response.body = wrong_shape(body)
        elif fault is Fault.DEEP_JSON:
            response.body = deep_json()
        elif fault is Fault.GZIP_BOMB:
            response.body = gzip_bomb()
            response.headers["Content-Encoding"] = "gzip"
        elif fault is Fault.BOGUS_DATE:
            self._finish(response)
            response.headers["Date"] = decision.date or http_date(self.now() + 86_400)
            return response
        elif fault is Fault.RESET_MID_BODY:
            # Announce the whole body, send half of it, hang up.
            stream = web.StreamResponse(status=200, headers=response.headers)
            stream.content_length = len(body)
            self._finish(stream)
            await stream.prepare(request)
            await stream.write(body[: len(body) // 2])
            if request.transport is not None:
                request.transport.close()
            return stream
        elif fault is Fault.ENDLESS_BODY:
            # Chunked, never finished: the handler is cancelled when the client hangs up.
            stream = web.StreamResponse(status=200, headers=response.headers)
            stream.enable_chunked_encoding()
            self._finish(stream)
            await stream.prepare(request)
            chunk = b" " * _BODY_CHUNK
            while True:
                await stream.write(chunk)
        else:
            raise AssertionError(f"{fault} is not a body fault")
        return self._finish(response)

    # ------------------------------------------------------------------------ admin helpers

    async def _admin_info(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.info())

    async def _admin_stats(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.stats.as_dict())

    async def _admin_reset_stats(self, request: web.Request) -> web.StreamResponse:
        self.reset_stats()
        return web.Response(status=204)
