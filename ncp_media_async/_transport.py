"""The one place that talks HTTP, and the owner of every policy that spans requests.

Every request of the package is a ``Request`` (method, service, the exact URL, an optional JSON
body, whether it may be sent twice, its deadline) passed to ``Transport.send``. The URL is encoded
once (each path segment escaped exactly once) and signed as the exact ``path?query`` that goes on
the wire, sent as a ``yarl.URL(..., encoded=True)`` so aiohttp cannot re-quote it. Each attempt
gets a fresh timestamp and signature.

What the transport owns, for all requests of a client at once:

* the retry decision (``_retry.classify``; a write that may have reached the server is never
  repeated, see ``Request.idempotent``);
* the 429 back-off gate, the optional rate limit, and the connection pool's limit;
* clock calibration, per host: the first request to a host goes alone, a request rejected for
  its timestamp is re-signed once with the offset the gateway's ``Date`` shows;
* body limits: a body is read in chunks and counted after decompression, never past
  ``max_body_size``;
* every wait before sending (the gate, the rate limit, calibration) ends by the call's deadline;
* ``close()`` ends every call of the client at once: a wait (a back-off, the gate, a rate-limit
  slot) or an attempt it cut short raises ``ClientClosedError`` (``OutcomeUnknownError`` for a
  write that may have reached the server), nothing is retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

import aiohttp
import attrs
from yarl import URL

from . import _defaults
from ._config import Config
from ._http import parse_http_date
from ._ratelimit import account_id, make_pacer
from ._retry import BackoffGate, Verdict, classify
from ._signing import Signer, encode_query
from .errors import (
    ApiError,
    BodyTooLargeError,
    ClientClosedError,
    NcpError,
    OutcomeUnknownError,
    ResponseError,
    TransportError,
    error_from_response,
    excerpt,
    shorten,
)

__all__ = ["AttemptEvent", "Request", "Service", "Transport", "default_json_loads"]

logger: Final = logging.getLogger("ncp_media_async")

T = TypeVar("T")
Query = Sequence[tuple[str, str | int]]

#: Methods that are safe to send twice unless a resource says otherwise.
_SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
#: How much of a body too large to read is read for the error's excerpt (bytes).
_EXCERPT_BYTES: Final = _defaults.EXCERPT_CHARS * 4


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


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number too large for a float: {shorten(text, 40)}")
    return value


def encode_json(value: Any) -> bytes:
    """A request body: compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@attrs.frozen
class Service:
    """Where one API lives and what it needs beyond the signature.

    ``name`` is what errors report (``"vod_station"``, ``"live_station"``, ``"media_ai"``);
    ``base_url`` may carry a path prefix (a proxy, the financial zone), which is then part of what
    is signed; ``headers`` go with every request to the service. ``host`` (``host:port``) keys the
    per-host clock calibration and names the host in errors.
    """

    name: str
    base_url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    host: str = attrs.field(init=False)
    root: str = attrs.field(init=False)  # ``base_url`` without a trailing slash

    @host.default
    def _host(self) -> str:
        url = URL(self.base_url)
        return f"{url.host}:{url.port}" if url.port else str(url.host)

    @root.default
    def _root(self) -> str:
        return self.base_url.rstrip("/")


@attrs.frozen
class Request:
    """One call, as the transport sends it (every attempt signs it afresh).

    ``url`` is the base URL plus the encoded ``path?query``, sent exactly as is; ``body`` is the
    JSON body, encoded once. ``idempotent`` says whether sending it twice is harmless: a request
    that is not is only sent again when it cannot have reached the service (the connection was
    never made, the gateway answered 429, or it rejected the timestamp). ``deadline`` is the
    ``monotonic`` time (seconds) by which the call gives up, waits included.
    """

    method: str
    service: Service
    url: URL
    body: bytes | None = None
    idempotent: bool = True
    deadline: float | None = None

    @property
    def path_qs(self) -> str:
        """The encoded ``path?query``: what is signed."""
        return self.url.raw_path_qs

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
class _Outcome(Generic[T]):
    """What one attempt gave: a value, or an error with what the loop needs to decide.

    ``sent`` is False only when the request certainly did not leave (the connection failed).
    ``date`` is the response's raw ``Date`` header.
    """

    value: T | None = None
    error: NcpError | None = None
    status: int | None = None
    sent: bool = True
    date: str | None = None


class _HostClock:
    """One host's gateway clock: the learnt offset, the last ``Date`` read, and the
    first-request hold."""

    __slots__ = ("answered", "last_date", "offset", "probe")

    def __init__(self) -> None:
        self.offset = 0.0
        self.last_date: str | None = None
        self.answered = False
        self.probe: asyncio.Future[None] | None = None


class Transport:
    """The single place that talks HTTP. Created by ``MediaClient`` from its ``Config``."""

    def __init__(
        self,
        signer: Signer,
        config: Config,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._signer = signer
        self.config = config
        self.policy = config.retry_policy
        self._timeout = aiohttp.ClientTimeout(
            total=config.timeout, sock_connect=config.connect_timeout
        )
        self._session = session
        self._owns_session = session is None
        self._loads = config.json_loads or default_json_loads()
        self._clock = config.clock
        self._monotonic = config.monotonic
        self._sleep = config.sleep
        self._rng = config.rng or random.Random()
        # Every wait of a call (back-off, gate, rate-limit slot) goes through ``_pause``, which
        # ``close()`` ends.
        self.gate = BackoffGate(config.monotonic, self._pause)
        self.pacer = (
            None
            if config.rate_limit is None
            else make_pacer(config.rate_limit, config.monotonic, self._pause,
                            account=account_id(signer._access_key))
        )
        self._hosts: dict[str, _HostClock] = {}
        self._closed = False
        self._closing: asyncio.Future[None] | None = None  # done once close() is called

    # -- session ------------------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this MediaClient is closed")
        session = self._session
        if session is None:
            # Created on first use, inside the running loop, as aiohttp requires.
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.config.max_connections),
                timeout=self._timeout,
                trace_configs=list(self.config.trace_configs or ()) or None,
                raise_for_status=False,
            )
            # aiohttp silently sends a PUT or DELETE again after a dropped keep-alive connection;
            # a write that may have reached the server is never repeated here, so that is off
            # (aiohttp's own test client does the same). The transport retries what is safe.
            session._retry_connection = False
        elif not self._owns_session and session.closed:
            raise ClientClosedError("the aiohttp session given to this MediaClient is closed")
        return session

    @property
    def connection_limit(self) -> int | None:
        """The most connections the session will open at once (``None``: no limit)."""
        if self._session is None or self._owns_session:
            return self.config.max_connections
        connector = self._session.connector
        return (connector.limit or None) if connector is not None else None

    def concurrency(self, wanted: int, what: str) -> int:
        """``wanted`` concurrent requests, capped at the connection limit (with a warning):
        more would only queue inside aiohttp's connector, costing CPU for nothing."""
        limit = self.connection_limit
        if limit is None or wanted <= limit:
            return wanted
        logger.warning(
            "%s(concurrency=%d) is capped at the client's %d connections; "
            "raise MediaClient(max_connections=...) to go higher",
            what, wanted, limit,
        )
        return limit

    async def close(self) -> None:
        """Close the session if this transport created it, and the rate limit's connections
        (a shared one's Redis). Idempotent. Calls in flight end at once with
        ``ClientClosedError`` (or ``OutcomeUnknownError``: a write that may have been sent)."""
        self._closed = True
        if self._closing is not None and not self._closing.done():
            self._closing.set_result(None)
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()
        if self.pacer is not None:
            await self.pacer.close()

    async def _pause(self, seconds: float) -> None:
        """The injected ``sleep(seconds)``, ended early by ``close()`` (``ClientClosedError``)."""
        if self._closed:
            raise ClientClosedError("this MediaClient is closed")
        closing = self._closing
        if closing is None:
            closing = self._closing = asyncio.get_running_loop().create_future()
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait((sleeper, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
        if self._closed:
            raise ClientClosedError("the MediaClient was closed while the call waited")
        sleeper.result()  # an injected sleep that failed says so

    def clock_offset(self, host: str | None = None) -> float:
        """Seconds the gateway's clock at ``host`` is ahead of the local one (0 until learnt);
        without a host, the offset of the host that taught one most recently."""
        if host is not None:
            clock = self._hosts.get(host)
            return 0.0 if clock is None else clock.offset
        offsets = [c.offset for c in self._hosts.values() if c.offset]
        return offsets[-1] if offsets else 0.0

    # -- requests -----------------------------------------------------------------------------

    def request(
        self,
        service: Service,
        method: str,
        path: str,
        query: Query = (),
        *,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Request:
        """A ``Request`` for an encoded ``path`` (``_signing.encode_path``) and ``query``
        (encoded here, in the given order), with the policy's deadline from now. ``idempotent``
        defaults to True for GET and HEAD only."""
        path_qs = f"{path}?{encode_query(query)}" if query else path
        deadline = self.policy.deadline
        return Request(
            method,
            service,
            URL(service.root + path_qs, encoded=True),
            None if json is None else encode_json(json),
            method in _SAFE_METHODS if idempotent is None else idempotent,
            None if deadline is None else self._monotonic() + deadline,
        )

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
        """Build a ``Request`` (see ``request``) and return the coroutine that ``send``s it.

        A plain function, not a coroutine of its own: every suspension of a request resumes
        through each coroutine that awaits it, so the layers between a resource method and the
        attempt are kept to ``send`` alone.
        """
        request = self.request(service, method, path, query, json=json, idempotent=idempotent)
        return self.send(request, parse)

    async def send(self, request: Request, parse: Callable[[Any], T]) -> T:
        """Send ``request``, retrying as the policy and ``Request.idempotent`` allow; ``parse``
        the decoded JSON of the success.

        Raises ``ApiError`` subclasses, ``TransportError`` (``OutcomeUnknownError`` for a write
        that may have taken effect), ``ResponseError`` or ``ClientClosedError``.
        """
        if self._closed:  # fail fast, before any waiting
            raise ClientClosedError("this MediaClient is closed")
        host = request.service.host
        known = self._hosts.get(host)
        probe = known is None or not known.answered
        if probe:
            probe = await self._hold_for_calibration(host, request.deadline)
        clock = self._hosts[host]  # made by the hold if it was not there
        delays: Iterator[float] | None = None  # the back-off, drawn only after a failure
        attempt = 0
        resigned = False
        last: NcpError | None = None
        try:
            while True:
                started = self._monotonic()
                if self.gate.closed_at(started) or self.pacer is not None:
                    blocked = await self._admit(request)
                    if blocked is not None:
                        if last is not None:
                            raise last
                        raise self._deadline_error(request, attempt, blocked)
                    started = self._monotonic()
                attempt += 1
                offset = clock.offset
                outcome = await self._attempt(request, parse, offset, attempt)
                if not clock.answered:
                    self._answered(host)
                error = outcome.error
                if error is None:
                    if outcome.date != clock.last_date:  # ``Date`` moves once a second
                        self._learn(host, outcome.date, offset, rejected=False)
                    self._report(request, attempt, outcome.status, started, None, None)
                    return outcome.value  # type: ignore[return-value]
                last = error
                # A rejection always teaches the clock (a second one corrects a bogus first
                # Date), but a call is re-signed only once.
                rejected = outcome.status == 401
                learnt = rejected and self._learn(host, outcome.date, offset, rejected=True)
                if learnt and not resigned:  # re-signed with the learnt offset: not a retry
                    resigned = True
                    self._report(request, attempt, 401, started, error, 0.0)
                    continue
                if delays is None:
                    delays = self.policy.delays(self._rng)
                delay = self.policy.delay_for(error, next(delays))
                if outcome.status == 429:
                    # The gateway throttles the client, not one call: every request waits,
                    # even when this call gives up (its deadline, its retries, or a write).
                    self.gate.trip(delay)
                wait = delay if self._may_retry(request, outcome, attempt, delay) else None
                self._report(request, attempt, outcome.status, started, error, wait)
                if wait is None:
                    if isinstance(error, TransportError):
                        error.attempts = attempt
                    raise error
                if logger.isEnabledFor(logging.WARNING):
                    logger.warning(
                        "retrying %s in %.3f s after %s (attempt %d of %d)",
                        request.label, wait, _reason(error), attempt,
                        self.policy.max_retries + 1,
                    )
                if outcome.status != 429:  # after a 429 the next admission waits at the gate
                    await self._pause(wait)
        finally:
            if probe:
                self._answered(host)

    def _may_retry(
        self, request: Request, outcome: _Outcome[Any], attempt: int, delay: float
    ) -> bool:
        """Whether to try again after ``outcome`` failed, waiting ``delay`` seconds first."""
        error = outcome.error
        assert error is not None
        if (
            classify(error) is not Verdict.TRANSIENT
            or attempt > self.policy.max_retries
            or self._closed
        ):
            return False
        if not request.idempotent and outcome.sent and outcome.status != 429:
            return False  # it may have taken effect: never repeated
        return request.deadline is None or self._monotonic() + delay < request.deadline

    async def _admit(self, request: Request) -> str | None:
        """Wait at the 429 gate and for a rate-limit slot; the reason when the deadline would
        pass first (nothing is waited for then)."""
        deadline = request.deadline
        if self.gate.closed_for > 0 and not await self.gate.wait(deadline):
            return "the 429 back-off gate stays closed past the call's deadline"
        if self.pacer is not None and not await self.pacer.acquire(deadline):
            return "the rate limit has no free slot before the call's deadline"
        return None

    def _deadline_error(self, request: Request, attempts: int, why: str) -> TransportError:
        return TransportError(
            f"gave up: {why} ({self.policy.deadline:g} s)",
            host=request.service.host,
            request=request.label,
            attempts=attempts,
        )

    async def _attempt(
        self, request: Request, parse: Callable[[Any], T], offset: float, attempt: int
    ) -> _Outcome[T]:
        session = self._get_session()
        stamp = int((self._clock() + offset) * 1000)
        service = request.service
        headers = {
            **service.headers,
            **self._signer.headers(request.method, request.path_qs, stamp),
        }
        if request.body is not None:  # a JSON body says so (VOD Station's GETs send no type)
            headers.setdefault("Content-Type", "application/json")
        timeout = self._timeout
        if request.deadline is not None:
            remaining = request.deadline - self._monotonic()
            if remaining < self.config.timeout:
                # The call's deadline is nearer than one attempt's timeout: the attempt gets less.
                timeout = aiohttp.ClientTimeout(
                    total=max(remaining, 0.001), sock_connect=self.config.connect_timeout
                )
        try:
            # No redirects: a signature is only valid for the path it was made for. The status
            # is read here whatever a caller-owned session's ``raise_for_status`` says (with it
            # on, a 404 would arrive as an aiohttp error and be retried as a broken connection),
            # and bodies are always inflated (the size limit counts inflated bytes; the JSON
            # decoder cannot read gzip).
            async with session.request(
                request.method,
                request.url,
                headers=headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
                raise_for_status=False,
                auto_decompress=True,
            ) as resp:
                status = resp.status
                success = 200 <= status < 300
                limit = self.config.max_body_size
                body, complete = await _read(resp, limit if success else min(
                    limit, _defaults.MAX_ERROR_BODY
                ))
                if not complete:
                    resp.close()  # unread bytes remain: the connection cannot be reused
                received = resp.headers
                date = received.get("Date")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return self._connection_failure(request, exc, attempt)
        except RuntimeError:
            if session.closed:  # closed under a request in flight (close() or the caller)
                raise ClientClosedError("the MediaClient was closed during the request") from None
            raise

        if not success:
            # A ``Retry-After`` date is the gateway's time: read it by the gateway's clock as
            # far as it is known (the local clock may be minutes off).
            error = error_from_response(
                status, body, service=service.name, request=request.label,
                retry_after=received.get("Retry-After"), now=self._clock() + offset,
            )
            return _Outcome(error=error, status=status, date=date)
        if not complete:
            return _Outcome(
                error=BodyTooLargeError(
                    f"response body exceeds max_body_size ({limit:,} bytes)",
                    excerpt=excerpt(body), request=request.label,
                ),
                status=status,
            )
        try:
            data = self._loads(body) if body else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _Outcome(
                error=ResponseError(
                    "body is not valid JSON", excerpt=excerpt(body), request=request.label
                ),
                status=status,
            )
        try:
            return _Outcome(value=parse(data), status=status, date=date)
        except ResponseError as exc:
            exc.request = request.label
            exc.excerpt = excerpt(body)
            return _Outcome(error=exc, status=status)
        except RecursionError:
            return _Outcome(
                error=ResponseError(
                    "body is nested too deeply", excerpt=excerpt(body), request=request.label
                ),
                status=status,
            )

    def _connection_failure(
        self, request: Request, exc: BaseException, attempt: int
    ) -> _Outcome[Any]:
        """A failed connection as an outcome: not sent when the connection was never made.
        ``ClientClosedError`` when ``close()`` broke it (unless a write may have been sent)."""
        sent = not isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
        if self._closed and (request.idempotent or not sent):
            raise ClientClosedError("the MediaClient was closed during the request") from None
        what = "timed out" if isinstance(exc, TimeoutError) else _describe(exc)
        cls = TransportError
        if sent and not request.idempotent:
            cls = OutcomeUnknownError
            what += "; the request may have reached the server and was not sent again"
        error = cls(what, host=request.service.host, request=request.label, attempts=attempt)
        return _Outcome(error=error, sent=sent)

    # -- clock skew ---------------------------------------------------------------------------

    async def _hold_for_calibration(self, host: str, deadline: float | None) -> bool:
        """Until a host has answered once, requests to it go one at a time.

        With a local clock 15 minutes off, every request sent before the first answer would be
        rejected; holding the others back for one round trip means at most one is. Only requests
        to the same host wait, and for at most ``connect_timeout`` seconds (or until their
        deadline): a host that hangs costs the others that long, once, and then they go.
        Returns True for the request that goes first (the probe).
        """
        clock = self._hosts.get(host)
        if clock is None:
            clock = self._hosts[host] = _HostClock()
        if clock.answered:
            return False
        if clock.probe is None:
            clock.probe = asyncio.get_running_loop().create_future()
            return True
        wait = self.config.connect_timeout
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - self._monotonic()))
        try:
            async with asyncio.timeout(wait):
                await asyncio.shield(clock.probe)
        except TimeoutError:
            pass  # go anyway: a rejected timestamp is re-signed once
        return False

    def _answered(self, host: str) -> None:
        """The host answered (or its probe ended): let the requests held for it go."""
        clock = self._hosts.get(host)
        if clock is not None and not clock.answered:
            clock.answered = True
            if clock.probe is not None and not clock.probe.done():
                clock.probe.set_result(None)

    def _learn(self, host: str, date: str | None, signed_with: float, *, rejected: bool) -> bool:
        """Learn the host's clock offset from a response's ``Date``; True when it shows the clock
        off from the offset the request was signed with by more than the threshold.

        Only two kinds of answer teach. A 401 (``rejected``): its ``Date`` may explain the
        rejection, and the request is then re-signed once with the learnt offset. A success:
        it proves that the offset it was signed with was within the gateway's window, so a
        ``Date`` that says otherwise is bogus (a proxy's, a cache's) and is ignored, while a
        smaller drift is learnt before it grows into rejections. ``Date`` on any other answer
        (which may come from a proxy in front) is not trusted with the clock. A bogus ``Date``
        on a 401 can mislead one request; the next rejection's ``Date`` corrects it.

        ``Date`` has a resolution of one second, so a success whose ``Date`` is the one last read
        at this host tells nothing new and is not parsed again.
        """
        clock = self._hosts.setdefault(host, _HostClock())
        if not rejected and date == clock.last_date:
            return False
        clock.last_date = date
        server_time = parse_http_date(date)
        if server_time is None:
            return False
        skew = server_time + 0.5 - self._clock()  # ``Date`` has a resolution of one second
        off_by = abs(skew - signed_with)
        if off_by <= _defaults.CLOCK_SKEW_THRESHOLD:
            return False
        if not rejected and off_by > _defaults.GATEWAY_TIMESTAMP_WINDOW:
            return False  # contradicts the acceptance of the request
        if abs(skew - clock.offset) > _defaults.CLOCK_SKEW_THRESHOLD:
            logger.warning("local clock is %+.0f s off the gateway's at %s; correcting", skew, host)
            clock.offset = skew
        return True

    # -- observability ------------------------------------------------------------------------

    def _report(
        self,
        request: Request,
        attempt: int,
        status: int | None,
        started: float,
        error: NcpError | None,
        retry_in: float | None,
    ) -> None:
        """One DEBUG line per attempt, and the ``on_attempt`` hook; free when neither is on."""
        hook = self.config.on_attempt
        debug = logger.isEnabledFor(logging.DEBUG)
        if hook is None and not debug:
            return
        elapsed_ms = (self._monotonic() - started) * 1000.0
        path = request.url.raw_path
        if debug:
            outcome = status if status is not None else (error.args[0] if error else "?")
            logger.debug(
                "%s %s -> %s (attempt %d, %.1f ms)",
                request.method, path, outcome, attempt, elapsed_ms,
            )
        if hook is not None:
            hook(
                AttemptEvent(
                    service=request.service.name,
                    method=request.method,
                    path=path,
                    attempt=attempt,
                    status=status,
                    elapsed_ms=elapsed_ms,
                    error=None if error is None else str(error),
                    retry_in=retry_in,
                )
            )


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
            return await resp.content.read(min(limit, _EXCERPT_BYTES)), False
        return await resp.read(), True
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], False
    return b"".join(chunks), True


def _reason(error: NcpError) -> str:
    """Why an attempt failed, in a few words, for the retry warning."""
    if isinstance(error, ApiError):
        return f"HTTP {error.status}"
    return str(error.args[0]) if error.args else type(error).__name__


def _describe(exc: BaseException) -> str:
    """A one-line description of a connection failure, free of headers and credentials."""
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "connection broke while reading the body"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
