"""One aiohttp session: build the URL once, sign each attempt, send, retry, decode, structure.

Every request of the package goes through ``Transport.get``. The URL is encoded once (each path
segment escaped exactly once), signed as the exact ``path?query`` string that goes on the wire, and
sent as a ``yarl.URL(..., encoded=True)`` so aiohttp cannot re-quote it. Each attempt gets a fresh
timestamp and signature. Error responses become typed exceptions in one place
(``errors.error_from_response``); retries follow ``RetryPolicy``; a 429 closes the client-wide
``BackoffGate``; a 401 whose ``Date`` shows the local clock is off teaches the client the offset,
and the call is re-signed and sent once more.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import aiohttp
import attrs
from yarl import URL

from . import _defaults
from ._retry import BackoffGate, Clock, RetryPolicy, Sleep, skew_from_date
from ._signing import Signer, encode_query
from .errors import (
    ApiError,
    AuthenticationError,
    NcpError,
    ResponseError,
    TransportError,
    error_from_response,
    excerpt,
)

__all__ = ["AttemptEvent", "Service", "Transport", "default_json_loads"]

logger: Final = logging.getLogger("ncp_media_async")

T = TypeVar("T")
Query = Sequence[tuple[str, str | int]]


def default_json_loads() -> Callable[[bytes], Any]:
    """``orjson.loads`` when the ``fast`` extra is installed, else ``json.loads``."""
    try:
        import orjson
    except ImportError:
        return json.loads
    return orjson.loads


@attrs.frozen
class Service:
    """Where one API lives and what it needs beyond the signature.

    ``name`` is what errors report (``"vod_station"``, ``"live_station"``, ``"media_ai"``);
    ``base_url`` may carry a path prefix (a proxy), which is then part of what is signed.
    """

    name: str
    base_url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def host(self) -> str:
        """``host:port`` of ``base_url``, for error messages."""
        url = URL(self.base_url)
        return f"{url.host}:{url.port}" if url.port else str(url.host)


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


class _Attempt(Exception):
    """A failed attempt that the loop may retry: ``error`` is what the caller sees if not.

    ``resign`` is set when the gateway rejected the signature and its ``Date`` header showed the
    local clock off: the call is then signed again with the learnt offset and sent once more.
    """

    def __init__(self, error: NcpError, *, resign: bool = False) -> None:
        self.error = error
        self.resign = resign


class Transport:
    """The single place that talks HTTP. Created by ``MediaClient``; not public API.

    ``clock`` (epoch seconds) stamps signatures; ``monotonic`` and ``sleep`` time back-offs and
    deadlines; ``rng`` draws jitter. All four are injectable for tests.
    """

    def __init__(
        self,
        signer: Signer,
        *,
        policy: RetryPolicy,
        timeout: float = _defaults.TIMEOUT,
        connect_timeout: float = _defaults.CONNECT_TIMEOUT,
        max_connections: int = _defaults.MAX_CONNECTIONS,
        session: aiohttp.ClientSession | None = None,
        json_loads: Callable[[bytes], Any] | None = None,
        on_attempt: Callable[[AttemptEvent], None] | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be > 0 seconds")
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self._signer = signer
        self.policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._timeout_s = timeout
        self._max_connections = max_connections
        self._session = session
        self._owns_session = session is None
        self._loads = json_loads or default_json_loads()
        self._on_attempt = on_attempt
        self._trace_configs = list(trace_configs or ())
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.gate = BackoffGate(monotonic, sleep)
        #: Server clock minus local clock, in seconds, once learnt from a ``Date`` header.
        self.clock_offset = 0.0
        self._calibrated = False
        self._calibration: asyncio.Future[None] | None = None
        self._closed = False

    # -- session ------------------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this MediaClient is closed")
        if self._session is None:
            # Created on first use, inside the running loop, as aiohttp requires.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=self._timeout,
                trace_configs=self._trace_configs or None,
                raise_for_status=False,
            )
        return self._session

    @property
    def connection_limit(self) -> int | None:
        """The most connections the session will open at once (``None``: no limit)."""
        if self._session is None or self._owns_session:
            return self._max_connections
        connector = self._session.connector
        return (connector.limit or None) if connector is not None else None

    async def close(self) -> None:
        """Close the session if this transport created it. Idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    # -- requests -----------------------------------------------------------------------------

    @staticmethod
    def url(service: Service, path: str, query: Query = ()) -> tuple[URL, str]:
        """The URL to send and the ``path?query`` string to sign, built once.

        ``path`` is already encoded (``_signing.encode_path``); the query is encoded here, in the
        given order. The URL is marked encoded so aiohttp sends these exact bytes.
        """
        url = _encoded_url(service.base_url, f"{path}?{encode_query(query)}" if query else path)
        return url, url.raw_path_qs

    async def get(
        self,
        service: Service,
        path: str,
        parse: Callable[[Any], T],
        query: Query = (),
    ) -> T:
        """GET an encoded ``path`` with ``query``; ``parse`` the decoded JSON.

        Raises ``ApiError`` subclasses, ``TransportError`` or ``ResponseError`` after retries.
        """
        url, path_qs = self.url(service, path, query)
        return await self.send(service, "GET", url, path_qs, parse)

    async def send(
        self,
        service: Service,
        method: str,
        url: URL,
        path_qs: str,
        parse: Callable[[Any], T],
    ) -> T:
        """Send a prepared request with retries. ``path_qs`` must be ``url.raw_path_qs``."""
        probe = False if self._calibrated else await self._await_calibration()
        try:
            return await self._retrying(service, method, url, path_qs, parse)
        finally:
            if probe:
                self._release_calibration()

    async def _retrying(
        self,
        service: Service,
        method: str,
        url: URL,
        path_qs: str,
        parse: Callable[[Any], T],
    ) -> T:
        """The retry loop: one ``_attempt`` after another until success or a final error."""
        policy = self.policy
        label = f"{method} {url.raw_path}"
        deadline = None if policy.deadline is None else self._monotonic() + policy.deadline
        delays = policy.delays(self._rng)
        attempt = 0
        skew_retried = False
        while True:
            attempt += 1
            if self.gate.closed_for > 0:
                await self.gate.wait()
            started = self._monotonic()
            status: int | None = None
            try:
                status, result = await self._attempt(
                    service, method, url, path_qs, parse, label, deadline, attempt
                )
                self._report(service, method, url, attempt, status, started, None, None)
                return result
            except _Attempt as failed:
                error, resign = failed.error, failed.resign
            status = error.status if isinstance(error, ApiError) else None

            if resign and not skew_retried:
                skew_retried = True  # re-sign with the learnt offset; not a retry
                self._report(service, method, url, attempt, status, started, error, 0.0)
                continue
            reason = policy.reason(error)
            wait: float | None = None
            if reason is not None and attempt <= policy.max_retries:
                wait = policy.delay_for(error, next(delays))
                if deadline is not None and self._monotonic() + wait >= deadline:
                    wait = None
            self._report(service, method, url, attempt, status, started, error, wait)
            if wait is None:
                if isinstance(error, TransportError):
                    error.attempts = attempt
                raise error
            if logger.isEnabledFor(logging.WARNING):
                logger.warning(
                    "retrying %s in %.3f s after %s (attempt %d of %d)",
                    label, wait, reason, attempt, policy.max_retries + 1,
                )
            if status == 429:
                self.gate.trip(wait)
                await self.gate.wait()
            else:
                await self._sleep(wait)

    async def _attempt(
        self,
        service: Service,
        method: str,
        url: URL,
        path_qs: str,
        parse: Callable[[Any], T],
        label: str,
        deadline: float | None,
        attempt: int,
    ) -> tuple[int, T]:
        session = self._get_session()
        stamp = int((self._clock() + self.clock_offset) * 1000)
        headers = {**service.headers, **self._signer.headers(method, path_qs, stamp)}
        timeout = self._timeout
        if deadline is not None and (remaining := deadline - self._monotonic()) < self._timeout_s:
            # The call's deadline is nearer than one attempt's timeout: the attempt gets less.
            timeout = aiohttp.ClientTimeout(
                total=max(remaining, 0.001), sock_connect=timeout.sock_connect
            )
        try:
            # No redirects: a signature is only valid for the path it was made for.
            async with session.request(
                method, url, headers=headers, timeout=timeout, allow_redirects=False
            ) as resp:
                body = await resp.read()
                status = resp.status
                date = resp.headers.get("Date")
                retry_after = resp.headers.get("Retry-After")
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._release_calibration()
            what = "timed out" if isinstance(exc, TimeoutError) else _describe(exc)
            raise _Attempt(
                TransportError(what, host=service.host, request=label, attempts=attempt)
            ) from exc

        # The first answer calibrates the clock; later ones only when the gateway says 401.
        resign = (status == 401 or not self._calibrated) and self._calibrate(date, status == 401)
        if not 200 <= status < 300:
            error = error_from_response(
                status, body, service=service.name, request=label,
                retry_after=retry_after, now=self._clock(),
            )
            raise _Attempt(error, resign=resign and isinstance(error, AuthenticationError))
        try:
            data = self._loads(body) if body else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise _Attempt(
                ResponseError("body is not valid JSON", excerpt=excerpt(body), request=label)
            ) from None
        try:
            return status, parse(data)
        except ResponseError as exc:
            exc.request = label
            exc.excerpt = excerpt(body)
            raise _Attempt(exc) from None

    # -- clock skew ---------------------------------------------------------------------------

    async def _await_calibration(self) -> bool:
        """Until the first response has told the server's clock, only one request goes out.

        With a local clock 15 minutes off, every request sent before the first answer would be
        rejected; holding the others back for one round trip means at most one is. Returns True
        for the request that goes first (the probe).
        """
        if self._calibration is None:
            self._calibration = asyncio.get_running_loop().create_future()
            return True
        await asyncio.shield(self._calibration)
        return False

    def _calibrate(self, date: str | None, rejected: bool) -> bool:
        """Learn the clock offset from ``Date``; True if a rejected request should be re-signed.

        Called with the first answer and with every 401 (``rejected``); also lets the requests
        that waited for the first answer go.
        """
        corrected = False
        if date is not None:
            skew = skew_from_date(date, self._clock())
            if skew is not None and abs(skew - self.clock_offset) > _defaults.CLOCK_SKEW_THRESHOLD:
                if logger.isEnabledFor(logging.WARNING):
                    logger.warning("local clock is %+.0f s off the gateway's; correcting", skew)
                self.clock_offset = skew
                corrected = rejected
        self._release_calibration()
        return corrected

    def _release_calibration(self) -> None:
        """Let waiting requests go once the probe ended, even without an answer (cancelled)."""
        if not self._calibrated:
            self._calibrated = True
            if self._calibration is not None and not self._calibration.done():
                self._calibration.set_result(None)

    # -- observability ------------------------------------------------------------------------

    def _report(
        self,
        service: Service,
        method: str,
        url: URL,
        attempt: int,
        status: int | None,
        started: float,
        error: NcpError | None,
        retry_in: float | None,
    ) -> None:
        """One DEBUG line per attempt, and the ``on_attempt`` hook; free when neither is on."""
        debug = logger.isEnabledFor(logging.DEBUG)
        if self._on_attempt is None and not debug:
            return
        elapsed_ms = (self._monotonic() - started) * 1000.0
        if debug:
            outcome = status if status is not None else (error.args[0] if error else "?")
            logger.debug(
                "%s %s -> %s (attempt %d, %.1f ms)",
                method, url.raw_path, outcome, attempt, elapsed_ms,
            )
        if self._on_attempt is not None:
            self._on_attempt(
                AttemptEvent(
                    service=service.name,
                    method=method,
                    path=url.raw_path,
                    attempt=attempt,
                    status=status,
                    elapsed_ms=elapsed_ms,
                    error=None if error is None else str(error),
                    retry_in=retry_in,
                )
            )


@functools.lru_cache(maxsize=1024)
def _encoded_url(base_url: str, path_qs: str) -> URL:
    """``base_url`` + an encoded ``path?query`` as a URL aiohttp must not re-quote (cached:
    the same statistics or status URL is asked for again and again)."""
    return URL(base_url.rstrip("/") + path_qs, encoded=True)


def _describe(exc: BaseException) -> str:
    """A one-line description of a connection failure, free of headers and credentials."""
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "connection broke while reading the body"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
