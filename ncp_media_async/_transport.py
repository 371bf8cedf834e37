"""The one place that talks HTTP, and the owner of every policy that spans requests.

Every request of the package is a ``Request`` (method, service, the exact URL, an optional JSON
body, whether it may be sent twice, its deadline) passed to ``Transport.send``, which is one
short loop:

```text
while True:
    for step in (host clock, 429 gate, rate limit, pool):   # admission: wait, or give up
        await step.admit(request.deadline)
    outcome = await self._attempt(...)                # sign, send, read, decode (pool released)
    decision = decide(outcome, attempt, request, policy)   # pure: retry, re-sign or raise
```

Admission steps, each a small object with one method (``admit(deadline) -> bool``: True to go
on, False when the wait would end past the call's deadline, so the request is not sent):

* the host's clock (``_HostClock``): until a host has answered once, its requests go one at a
  time behind the first (the calibration probe), so that a local clock minutes off gets one
  request rejected, not fifty;
* the 429 gate (``_retry.BackoffGate``): after a 429 every request of the client waits;
* the rate limit (``_ratelimit``), when the client has one;
* the connection pool (``_Pool``), ``max_connections`` attempts at once, on the client's own
  session (a caller's session queues in its own connector).

Every wait of a call (an admission step, a back-off) goes through ``Transport.hold`` (a pause
to inject through ``Transport.pause``, which holds on the injected sleep), which ``close()``
ends: the call then raises ``ClientClosedError`` (``OutcomeUnknownError`` for a write that may
have reached the server). Nothing is retried after ``close()``.

The URL is encoded once (each path segment escaped exactly once) and signed as the exact
``path?query`` that goes on the wire, sent as a ``yarl.URL(..., encoded=True)`` so aiohttp cannot
re-quote it; each attempt gets a fresh timestamp and signature. A body is read in chunks and
counted after decompression, never past ``max_body_size``. Error texts never carry the request's
credentials: a body that echoes them is scrubbed before anything quotes it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import random
import re
import socket
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import aiohttp
import attrs
from yarl import URL

from . import _defaults
from ._config import Config
from ._http import parse_http_date
from ._ratelimit import make_pacer
from ._retry import Action, BackoffGate, Outcome, decide
from ._signing import Signer, encode_query
from .errors import (
    ApiError,
    BodyTooLargeError,
    ClientClosedError,
    NcpError,
    OutcomeUnknownError,
    RequestTimeoutError,
    ResponseError,
    TransportError,
    error_from_response,
    excerpt,
    scrub,
    shorten,
)

if TYPE_CHECKING:
    from ._otel import Otel


logger: Final = logging.getLogger("ncp_media_async")

T = TypeVar("T")
Query = Sequence[tuple[str, str | int]]

#: A query string in a library's message (aiohttp quotes the URL it was given).
_QUERY: Final = re.compile(r"\?[^\s'\"<>)]*")
#: ``getaddrinfo`` answers that mean the name does not exist (not a resolver hiccup).
_NO_SUCH_NAME: Final = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


@functools.cache
def telemetry() -> Otel | None:
    """The client's OpenTelemetry instruments (``_otel``), when ``opentelemetry-api`` is
    installed (the ``otel`` extra); else ``None``, and nothing is imported."""
    try:
        from ._otel import Otel
    except ImportError:
        return None
    return Otel()


def default_json_loads() -> Callable[[bytes], Any]:
    """``orjson.loads`` when the ``fast`` extra is installed, else ``strict_json_loads``: both
    refuse what JSON does not allow (``NaN``, ``Infinity``, a number too large for a float)."""
    try:
        import orjson
    except ImportError:
        return strict_json_loads
    return orjson.loads


def strict_json_loads(data: bytes | str) -> Any:
    """``json.loads`` refusing ``NaN``, ``Infinity`` and numbers that overflow a float (as
    ``orjson`` does, so that a body reads the same whichever decoder is installed; a
    ``ValueError``, which the transport reports as an unreadable body)."""
    return json.loads(data, parse_constant=_not_json, parse_float=_finite)


def encode_json(value: Any) -> bytes:
    """A request body: compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number too large for a float: {shorten(text, 40)}")
    return value


@attrs.frozen
class Service:
    """Where one API lives and what it needs beyond the signature.

    ``name`` is what errors report (``"vod_station"``, ``"live_station"``, ``"media_ai"``);
    ``base_url`` (without a trailing slash) may carry a path prefix (a proxy, the financial
    zone), which is then part of what is signed; ``headers`` go with every request to the
    service. ``content_type`` is sent on ``GET`` and ``DELETE`` requests, which have no body
    (Live Station and Media Intelligence show ``application/json`` on them; a request with a
    JSON body always says so, and a ``POST`` or ``PUT`` without one sends none, as the
    documents' examples do). ``refusal`` reads a success body and says whether it is a refusal
    all the same (Media Intelligence can answer HTTP 200 with an error ``code``): it is then
    raised as the ``ApiError`` its code maps to. ``host`` (``host:port``) keys the per-host
    clock and names the host in errors.
    """

    name: str
    base_url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    content_type: str | None = None
    refusal: Callable[[Any], bool] | None = None
    host: str = attrs.field(init=False)

    @host.default
    def _host(self) -> str:
        url = URL(self.base_url)
        return f"{url.host}:{url.port}"


@attrs.frozen
class Request:
    """One call, as the transport sends it (every attempt signs it afresh).

    ``url`` is the base URL plus the encoded ``path?query``, sent exactly as is (its
    ``raw_path_qs`` is what is signed); ``body`` is the JSON body, encoded once. ``idempotent``
    says whether sending it twice is harmless: a request that is not is only sent again when it
    cannot have reached the service (the connection was never made, the gateway answered 429,
    or it rejected the timestamp). ``deadline`` is the ``monotonic`` time (seconds) by which the
    call gives up, waits included.
    """

    method: str
    service: Service
    url: URL
    body: bytes | None = None
    idempotent: bool = True
    deadline: float | None = None

    @property
    def label(self) -> str:
        """``"GET /api/v2/status"``: method and path, for logs and errors (no query, no keys)."""
        return f"{self.method} {self.url.raw_path}"


@attrs.frozen
class AttemptEvent:
    """What one attempt did, for an ``on_attempt`` metrics hook. Never holds credentials.

    ``status`` is ``None`` when no response arrived; ``elapsed_ms`` is milliseconds from sending to
    the last body byte (or the failure); ``retry_in`` is the back-off in seconds before the next
    attempt, ``None`` when there is none.
    """

    service: str
    method: str
    path: str
    attempt: int
    status: int | None
    elapsed_ms: float
    error: str | None
    retry_in: float | None


@attrs.define
class _Answer(Generic[T]):
    """What one attempt gave: a value, or an error with what ``decide`` needs (``status``: the
    HTTP status, ``None`` when no answer came; ``sent`` is False only when the request certainly
    did not leave; ``timed_out``: no answer came in time). ``date`` is the raw ``Date`` header.
    """

    started: float  # the client's ``monotonic`` time when it began
    value: T | None = None
    error: NcpError | None = None
    status: int | None = None
    sent: bool = True
    date: str | None = None
    timed_out: bool = False


class _HostClock:
    """One host's gateway clock (the offset learnt from its ``Date``), and the admission step
    that holds its requests behind its first one until it has answered once.

    With a local clock 15 minutes off, every request sent before the first answer would be
    rejected; holding the others back for one round trip means at most one is. Only requests to
    the same host wait, and for at most ``connect_timeout`` seconds (``timeout``, the first
    request's own limit, when shorter): a host that hangs costs the others that long, once, and
    then they go. A request whose deadline comes first is not sent, even when the first request
    timed out just before (at its own deadline, a moment earlier).
    """

    refusal: Final = "the host's first request (clock calibration) got no answer by the deadline"

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.offset = 0.0
        self.last_date: str | None = None
        self.answered = False
        self.probe: asyncio.Future[None] | None = None

    async def admit(self, deadline: float | None) -> bool:
        if self.answered:
            return True
        if self.probe is None:  # the first request: it goes, the others wait for its answer
            self.probe = asyncio.get_running_loop().create_future()
            return True
        transport, config = self._transport, self._transport.config
        left = math.inf if deadline is None else deadline - transport.monotonic()
        hold = min(config.connect_timeout, config.timeout, left)
        if hold > 0:  # in the loop's time: the hold is for an answer, not a pause to inject
            await transport.hold(self.probe, hold)
        return deadline is None or transport.monotonic() < deadline

    def release(self, *, wake: bool = True) -> None:
        """The host answered (or its first request ended): hold no more requests, and let those
        waiting go (unless the first request timed out: they wait out their own hold, which a
        host that hangs costs them anyway, so that a deadline near theirs is not sent)."""
        self.answered = True
        if wake and self.probe is not None and not self.probe.done():
            self.probe.set_result(None)

    def learn(self, date: str | None, signed_with: float, now: float, *, rejected: bool) -> bool:
        """Learn the offset from an answer's ``Date`` (``now``: local epoch seconds); True when
        it shows the clock off from ``signed_with`` by more than the threshold.

        Only two kinds of answer teach. A 401 (``rejected``): its ``Date`` may explain the
        rejection, and the request is then re-signed once. A success: it proves the offset it was
        signed with was within the gateway's window, so a ``Date`` that says otherwise is bogus
        (a proxy's, a cache's) and ignored, while a smaller drift is learnt before it grows into
        rejections. ``Date`` has a resolution of one second: a success whose ``Date`` is the one
        last read tells nothing new and is not parsed again.
        """
        if not rejected and date == self.last_date:
            return False
        self.last_date = date
        server_time = parse_http_date(date)
        if server_time is None:
            return False
        skew = server_time + 0.5 - now  # ``Date`` has a resolution of one second
        off_by = abs(skew - signed_with)
        if off_by <= _defaults.CLOCK_SKEW_THRESHOLD:
            return False
        if not rejected and off_by > _defaults.GATEWAY_TIMESTAMP_WINDOW:
            return False  # contradicts the acceptance of the request
        if abs(skew - self.offset) > _defaults.CLOCK_SKEW_THRESHOLD:
            logger.warning("local clock is %+.0f s off the gateway's; correcting", skew)
            self.offset = skew
        return True


class _Pool:
    """The connection pool's admission step, on the client's own session: at most
    ``max_connections`` attempts at once, the others queued here, in the call's time, rather
    than in aiohttp's connector. So a call whose deadline passes while it waits for a connection
    is known unsent (a write in aiohttp's queue would time out as if it may have been sent), and
    ``close()`` ends the wait with ``ClientClosedError``. A slot is held from admission to the
    end of the attempt (``release``)."""

    refusal: Final = "no pooled connection came free before the call's deadline"

    def __init__(self, transport: Transport, size: int) -> None:
        self._transport = transport
        self.slots = asyncio.Semaphore(size)

    async def admit(self, deadline: float | None) -> bool:
        transport, slots = self._transport, self.slots
        if not slots.locked():
            return await slots.acquire()  # free: taken without suspending
        left = None if deadline is None else deadline - transport.monotonic()
        taking = asyncio.ensure_future(slots.acquire())
        try:  # in the loop's time, as the host clock's hold
            await transport.hold(taking, left)
        finally:
            taking.cancel()  # a slot it got before the cancel is given back by ``acquire``
        got = taking.done() and not taking.cancelled()
        if got and deadline is not None and transport.monotonic() >= deadline:
            slots.release()  # too late: not sent with no time left
            got = False
        return got

    def release(self) -> None:
        self.slots.release()


class Transport:
    """The single place that talks HTTP. Created by ``MediaClient`` from its ``Config``.

    A caller-owned ``session`` is used as given, except that aiohttp's silent resend of a
    ``PUT`` or ``DELETE`` after a dropped keep-alive connection is turned off on it: a write
    that may have reached the server is never repeated, whoever owns the session.
    """

    def __init__(
        self, signer: Signer, config: Config, session: aiohttp.ClientSession | None = None
    ) -> None:
        self._signer = signer
        self.config = config
        self.policy = config.retry_policy
        #: One attempt's timeout, made once (an attempt whose call has less time left gets less).
        self._timeout = aiohttp.ClientTimeout(
            total=config.timeout, sock_connect=config.connect_timeout
        )
        self._session = session
        self._owns_session = session is None
        self._loads = config.json_loads or default_json_loads()
        self.monotonic = config.monotonic
        self._rng = config.rng or random.Random()
        self.gate = BackoffGate(config.monotonic, self.pause)
        self.pacer = make_pacer(config.rate_limit, config.monotonic, self.pause, signer.access_key)
        self.pool = _Pool(self, config.max_connections) if session is None else None
        steps = (self.gate, self.pacer, self.pool)
        self._steps = tuple(step for step in steps if step is not None)
        self._hosts: dict[str, _HostClock] = {}
        self.closed = False  # whether close() was called
        self._closing: asyncio.Future[None] | None = None  # done once close() is called
        self.otel = telemetry()

    # -- session and waits ----------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("this MediaClient is closed")
        if self._session is None:  # created on first use, inside the running loop (aiohttp's rule)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.config.max_connections),
                trace_configs=list(self.config.trace_configs or ()) or None,
            )
        elif not self._owns_session and self._session.closed:
            raise ClientClosedError("the aiohttp session given to this MediaClient is closed")
        self._session._retry_connection = False  # see the class docstring
        return self._session

    def concurrency(self, wanted: int, what: str) -> int:
        """``wanted`` concurrent requests, capped at the connection limit (with a warning):
        more would only queue for a connection, costing CPU for nothing."""
        limit = self.config.max_connections
        if not self._owns_session:  # the caller's connector: 0 when unlimited (or closed)
            limit = getattr(self._session and self._session.connector, "limit", 0)
        if not limit or wanted <= limit:
            return wanted
        logger.warning(
            "%s(concurrency=%d) is capped at the client's %d connections; "
            "raise MediaClient(max_connections=...) to go higher",
            what, wanted, limit,
        )  # fmt: skip
        return limit

    async def close(self) -> None:
        """Close the session if this transport created it, and the rate limit's connections
        (a shared one's Redis). Idempotent. Calls in flight end at once with
        ``ClientClosedError`` (or ``OutcomeUnknownError``: a write that may have been sent)."""
        self.closed = True
        if not (closing := self.closing()).done():
            closing.set_result(None)
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()
        if self.pacer is not None:
            await self.pacer.close()

    def closing(self) -> asyncio.Future[None]:
        """A future that ``close()`` completes: what every wait of the client waits on too."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_future()
        return self._closing

    async def pause(self, seconds: float) -> None:
        """The injected ``sleep(seconds)``, ended early by ``close()`` (``ClientClosedError``):
        every back-off and pacing wait of the client, and every wait's interval."""
        sleeper = asyncio.ensure_future(self.config.sleep(seconds))
        try:
            await self.hold(sleeper)
        finally:
            sleeper.cancel()
        sleeper.result()  # an injected sleep that failed says so

    async def hold(self, waiting: asyncio.Future[Any], seconds: float | None = None) -> None:
        """Wait until ``waiting`` is done, at most ``seconds`` of the loop's time (``None``: no
        limit), leaving it as it is; ``close()`` ends the wait with ``ClientClosedError``. The
        one way every wait of the client (``pause``, the host clock's, the pool's) ends at
        ``close()``."""
        await asyncio.wait(
            (waiting, self.closing()), timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        if self.closed:
            raise ClientClosedError("the MediaClient was closed while the call waited")

    def clock_offset(self, host: str | None = None) -> float:
        """Seconds the gateway's clock at ``host`` is ahead of the local one (0 until learnt);
        without a host, the offset of the host that taught one most recently."""
        if host is not None:
            return self._hosts[host].offset if host in self._hosts else 0.0
        return next((c.offset for c in reversed(self._hosts.values()) if c.offset), 0.0)

    # -- requests -------------------------------------------------------------------------------

    def call(
        self,
        service: Service,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        query: Query = (),
        *,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Coroutine[Any, Any, T]:
        """The coroutine that ``send``s a ``Request`` for an encoded ``path``
        (``_signing.encode_path``) and ``query`` (encoded here, in the given order), with the
        policy's deadline from now. ``idempotent`` defaults to True for GET and HEAD only.

        A plain function: every suspension resumes through each coroutine that awaits it, so
        the layers between a resource method and the attempt are kept to ``send`` alone.
        """
        path_qs = f"{path}?{encode_query(query)}" if query else path
        deadline = self.policy.deadline
        request = Request(
            method,
            service,
            URL(service.base_url + path_qs, encoded=True),
            None if json is None else encode_json(json),
            method in ("GET", "HEAD") if idempotent is None else idempotent,
            None if deadline is None else self.monotonic() + deadline,
        )
        return self.send(request, parse)

    async def send(self, request: Request, parse: Callable[[Any], T]) -> T:
        """Send ``request``, retrying as ``decide`` says; ``parse`` the decoded JSON of the
        success (see the module docstring).

        Raises ``ApiError`` subclasses, ``TransportError`` (``OutcomeUnknownError`` for a write
        that may have taken effect, ``RequestTimeoutError`` for a read that timed out),
        ``ResponseError`` or ``ClientClosedError``.
        """
        if self.closed:  # fail fast, before any waiting
            raise ClientClosedError("this MediaClient is closed")
        if (host := self._hosts.get(request.service.host)) is None:
            host = self._hosts[request.service.host] = _HostClock(self)
        probe = host.probe is None and not host.answered  # this call goes first to its host
        delays: Iterator[float] | None = None  # the back-off, drawn only after a failure
        attempt, resigned, last = 0, False, None
        otel = self.otel
        try:
            while True:
                if otel is not None and otel.live and (closed := self.gate.closed_for):
                    otel.event("ncp.gate", {"ncp.delay": closed})
                for step in (host, *self._steps):
                    if not await step.admit(request.deadline):
                        raise last or TransportError(
                            f"gave up: {step.refusal} ({self.policy.deadline:g} s); "
                            "the request was not sent",
                            host=request.service.host, request=request.label, attempts=attempt,
                        )  # fmt: skip
                attempt += 1
                offset = host.offset
                try:
                    answer = await self._attempt(request, parse, offset, attempt)
                finally:
                    if self.pool is not None:
                        self.pool.release()
                if probe:
                    probe = False
                    host.release(wake=not answer.timed_out)
                if (error := answer.error) is None:
                    if answer.date != host.last_date:  # a new second of the gateway's clock
                        host.learn(answer.date, offset, self.config.clock(), rejected=False)
                    self._report(request, attempt, answer, None)
                    return answer.value  # type: ignore[return-value]
                last = error
                # A rejection always teaches the clock (a second one corrects a bogus first
                # ``Date``); ``decide`` re-signs a call once.
                skewed = answer.status == 401 and host.learn(
                    answer.date, offset, self.config.clock(), rejected=True
                )
                delays = delays or self.policy.delays(self._rng)
                decision = decide(
                    Outcome(error, answer.status, answer.sent, skewed),
                    attempt,
                    request,
                    self.policy,
                    now=self.monotonic(),
                    jittered=next(delays),
                    resigned=resigned,
                )
                self.gate.trip(decision.gate)  # 0: no 429, the gate stays as it is
                retry_in = None if decision.action is Action.RAISE else decision.delay
                self._report(request, attempt, answer, retry_in)
                if decision.action is Action.RAISE:
                    raise error
                if decision.action is Action.RESIGN:
                    if otel is not None:
                        otel.event("ncp.resign", {"ncp.clock_offset": host.offset})
                    resigned = True
                    continue
                reason = f"HTTP {error.status}" if isinstance(error, ApiError) else error.args[0]
                logger.warning(
                    "retrying %s in %.3f s after %s (attempt %d of %d)",
                    request.label, decision.delay, reason, attempt, self.policy.max_retries + 1,
                )  # fmt: skip
                if answer.status != 429:  # after a 429 the next admission waits at the gate
                    if otel is not None:
                        reason = otel.error_type(answer.status, error)
                        why = {"ncp.delay": decision.delay, "error.type": reason}
                        otel.event("ncp.backoff", why)
                    await self.pause(decision.delay)
        finally:
            if probe:
                host.release()

    async def _attempt(
        self, request: Request, parse: Callable[[Any], T], offset: float, attempt: int
    ) -> _Answer[T]:
        # Not ``_Answer[T](...)``: a subscripted class costs a typing call per attempt.
        answer: _Answer[T] = _Answer(self.monotonic())
        service, config = request.service, self.config
        stamp = int((config.clock() + offset) * 1000)
        signed = self._signer.headers(request.method, request.url.raw_path_qs, stamp)
        headers = {**service.headers, **signed}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        elif service.content_type and request.method in ("GET", "DELETE"):
            headers["Content-Type"] = service.content_type
        # The call's deadline, when nearer than one attempt's timeout, gives the attempt less.
        left = math.inf if request.deadline is None else request.deadline - self.monotonic()
        timeout = self._timeout
        if left < config.timeout:
            timeout = aiohttp.ClientTimeout(
                total=max(left, 0.001), sock_connect=config.connect_timeout
            )
        try:
            # No redirects: a signature is only valid for the path it was made for. The status
            # is read here whatever a caller-owned session's ``raise_for_status`` says, and
            # bodies are always inflated (the size limit counts inflated bytes). No automatic
            # ``Content-Type``: aiohttp would add one to a ``PUT`` without a body.
            async with self._get_session().request(
                request.method,
                request.url,
                headers=headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
                raise_for_status=False,
                auto_decompress=True,
                skip_auto_headers=("Content-Type",),
            ) as resp:
                success = 200 <= resp.status < 300
                limit = config.max_body_size
                body, complete = await _read(
                    resp, limit if success else min(limit, _defaults.MAX_ERROR_BODY)
                )
                if not complete:
                    resp.close()  # unread bytes remain: the connection cannot be reused
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Not sent when the connection was never made. ``ClientClosedError`` when
            # ``close()`` broke it (unless a write may have been sent).
            answer.sent = not isinstance(
                exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
            )
            if self.closed and (request.idempotent or not answer.sent):
                raise ClientClosedError("the MediaClient was closed during the call") from None
            what, transient = _describe(exc, service.host)
            answer.timed_out = isinstance(exc, TimeoutError)
            cls = RequestTimeoutError if answer.timed_out else TransportError
            if answer.sent and not request.idempotent:
                cls = OutcomeUnknownError
                what += "; the request may have reached the server and was not sent again"
            answer.error = cls(
                what, host=service.host, request=request.label, attempts=attempt,
                transient=transient,
            )  # fmt: skip
            return answer
        except (asyncio.CancelledError, RuntimeError):
            # ``close()`` cancels the waits for a pooled connection and closes the session
            # under requests about to start: neither sent anything.
            task = asyncio.current_task()
            if self.closed and (task is None or not task.cancelling()):
                raise ClientClosedError("the MediaClient was closed during the call") from None
            raise
        answer.status, answer.date = resp.status, resp.headers.get("Date")
        try:
            if success and complete:
                try:
                    data = self._loads(body) if body else None
                except (ValueError, UnicodeDecodeError, RecursionError):
                    raise ResponseError("body is not valid JSON") from None
                if service.refusal is None or not service.refusal(data):
                    try:
                        answer.value = parse(data)
                    except RecursionError:
                        raise ResponseError("body is nested too deeply") from None
                    return answer
            elif success:
                raise BodyTooLargeError(f"response body exceeds max_body_size ({limit:,} bytes)")
            # A refusal, or an error status. A ``Retry-After`` date is the gateway's time: read
            # it by the gateway's clock as far as it is known (the local clock may be minutes off).
            answer.error = error_from_response(
                resp.status, scrub(body, signed.values()), service=service.name,
                request=request.label, retry_after=resp.headers.get("Retry-After"),
                now=config.clock() + offset,
            )  # fmt: skip
        except ResponseError as exc:  # its message may quote a value of the body
            exc.request = request.label
            exc.excerpt = excerpt(scrub(body, signed.values()))
            exc.args = (scrub(str(exc.args[0]).encode(), signed.values()).decode(),)
            answer.error = exc
        return answer

    def _report(
        self, request: Request, attempt: int, answer: _Answer[Any], retry_in: float | None
    ) -> None:
        """One DEBUG line per attempt, the ``on_attempt`` hook, and OpenTelemetry's span and
        histogram point (``_otel``); nothing at all when none of them listens."""
        hook, debug = self.config.on_attempt, logger.isEnabledFor(logging.DEBUG)
        if hook is None and not debug and self.otel is None:
            return
        status, error = answer.status, answer.error
        elapsed_ms = (self.monotonic() - answer.started) * 1000.0
        if self.otel is not None:
            self.otel.attempt(request, attempt, status, elapsed_ms / 1000.0, error)
        path = request.url.raw_path
        outcome = error.args[0] if status is None and error else status
        if debug:
            logger.debug(
                "%s -> %s (attempt %d, %.1f ms)", request.label, outcome, attempt, elapsed_ms
            )
        if hook is not None:
            text = None if error is None else str(error)
            hook(AttemptEvent(request.service.name, request.method, path, attempt, status,
                              elapsed_ms, text, retry_in))  # fmt: skip


async def _read(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """The body, up to ``limit`` bytes after decompression, and whether it was complete.

    A body of declared length that is not compressed is read in one go when it fits (aiohttp
    reads exactly ``Content-Length`` bytes) and, when it does not, only as far as an error's
    excerpt needs. Anything else (a compressed or chunked body, whose size only shows while
    reading) is read chunk by chunk and counted, stopping past the limit: a gzip bomb or an
    endless body costs at most ``limit``.
    """
    declared = resp.content_length
    if declared is not None and "Content-Encoding" not in resp.headers:
        if declared > limit:
            # only as far as an error's excerpt needs (bytes)
            return await resp.content.read(min(limit, _defaults.EXCERPT_CHARS * 4)), False
        return await resp.read(), True
    body = bytearray()
    async for chunk in resp.content.iter_any():
        body += chunk
        if len(body) > limit:
            return bytes(body[:limit]), False
    return bytes(body), True


def _describe(exc: BaseException, where: str) -> tuple[str, bool]:
    """A one-line description of a connection failure, free of headers, credentials and query
    strings, and whether it may pass by itself (``transient``). A host name that does not
    exist and TLS spoken to a plain-HTTP port will not: those say what is likely wrong."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror) and os_error.errno in _NO_SUCH_NAME:
            return f"cannot resolve the host name of {where}: check the endpoint URL", False
        if isinstance(exc, aiohttp.ClientSSLError) and "WRONG_VERSION_NUMBER" in str(exc):
            hint = "is the endpoint http:// rather than https://?"
            return f"{where} does not speak TLS on that port (WRONG_VERSION_NUMBER): {hint}", False
        return f"cannot connect: {os_error.strerror or os_error}", True
    if isinstance(exc, TimeoutError):
        return "timed out", True
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "connection broke while reading the body", True
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected", True
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return _QUERY.sub("?…", shorten(text, 300)), True
