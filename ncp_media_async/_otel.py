"""OpenTelemetry traces and metrics, when the ``otel`` extra (``opentelemetry-api``) is installed.

Imported by the transport on first use, and only then: without the API this module is never
imported, and nothing of OpenTelemetry is. What it makes (see the README's section):

* a span per public call, ``service.method`` (``Resource.__init_subclass__`` wraps every public
  coroutine method; ``Resource._list`` names each page request after its pager method), with
  the call's back-offs, 429-gate waits and clock re-signs as events (``Transport.send``);
* under it a ``CLIENT`` span per HTTP attempt, made after the fact from what
  ``Transport._report`` reports (so the DEBUG line, ``on_attempt`` and these share one seam),
  and the ``http.client.request.duration`` histogram, per the HTTP client semantic conventions;
* a span per wait (``polling.Wait``, named by ``Resource._wait``) with an event per round; the
  requests of a wait make no spans of their own (thousands of targets would make thousands a
  round), only histogram points, and their events go to the wait's span.

Nothing secret is ever given to OpenTelemetry: no header, no query string (``url.full`` stops at
the path), no body; exceptions are the client's, whose texts are scrubbed.

While no tracer provider is set (the API alone, no SDK), spans are not even started: the API's
no-op spans cost about 10 µs a call, an eighth of the client's own CPU per request. The
histogram is recorded always (the API's no-op instrument costs 0.15 µs).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import AsyncGenerator, Coroutine
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

from opentelemetry import context, metrics, trace
from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY as _NO_HTTP_SPANS
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._version import __version__

if TYPE_CHECKING:
    from ._transport import Request
    from .errors import NcpError

T = TypeVar("T")
Call: TypeAlias = Coroutine[Any, Any, T]

#: Set in a wait's context: its requests make no spans (the wait's span tells about them).
_IN_WAIT: Final = context.create_key("ncp_media_async.in_wait")
#: The semantic conventions' boundaries for ``http.client.request.duration`` (seconds), given
#: as advice (API 1.30+): an application's own view still wins.
_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


def _enter(span: trace.Span) -> context.Context:
    """The current context with ``span`` current, and ``opentelemetry-instrumentation-aiohttp-
    client`` told to stay out (the attempt spans are ours: no second CLIENT span per attempt)."""
    return context.set_value(_NO_HTTP_SPANS, True, trace.set_span_in_context(span))


class Otel:
    """The client's tracer and histogram. One is shared by every ``MediaClient`` (the global
    providers); tests give their own providers."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self.tracer = trace.get_tracer("ncp_media_async", __version__, tracer_provider)
        self._own = tracer_provider is not None
        self._servers: dict[str, dict[str, Any]] = {}  # ``server.*`` attributes per host
        meter = metrics.get_meter("ncp_media_async", __version__, meter_provider)
        self.duration = meter.create_histogram(
            "http.client.request.duration", "s", "Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=_BUCKETS,
        )  # fmt: skip

    @staticmethod
    def error_type(status: int | None, error: BaseException) -> str:
        """``error.type``: the HTTP status when it says the request failed, else the error's
        class (a connection failure, a 200 whose body could not be read)."""
        return str(status) if status is not None and status >= 400 else type(error).__qualname__

    @property
    def live(self) -> bool:
        """Whether a tracer provider is set: the API's own global, read because asking
        ``get_tracer_provider()`` costs 2 µs (an API without it gets spans always)."""
        return self._own or getattr(trace, "_TRACER_PROVIDER", self) is not None

    def _spans(self) -> bool:
        """Whether to make spans here: ``live``, and not for a request of a wait."""
        return self.live and not context.get_value(_IN_WAIT)

    def span(self, name: str, call: Call[T], attributes: dict[str, Any] | None = None) -> Call[T]:
        """``call`` run in a span ``name``, a child of the current one (``call`` as is when no
        span is made). A call that raises ends it with status ``ERROR`` and the exception."""
        return self._spanned(name, call, attributes) if self._spans() else call

    async def _spanned(self, name: str, call: Call[T], attributes: dict[str, Any] | None) -> T:
        span = self.tracer.start_span(name, attributes=attributes)
        token = context.attach(_enter(span))
        try:
            with trace.use_span(span, end_on_exit=True):  # ERROR and the exception if it raises
                return await call
        finally:
            context.detach(token)

    def attempt(self, request: Request, attempt: int, status: int | None, seconds: float,
                error: NcpError | None) -> None:  # fmt: skip
        """One attempt (``Transport._report``): a histogram point and, under the call's span, a
        ``CLIENT`` span that ended now after ``seconds``."""
        url, host = request.url, request.service.host
        if (server := self._servers.get(host)) is None:  # once per host: 0.4 µs an attempt
            server = self._servers[host] = {"server.address": url.host, "server.port": url.port}
        attributes: dict[str, Any] = {"http.request.method": request.method, **server}
        if status is not None:
            attributes["http.response.status_code"] = status
        if error is not None:
            attributes["error.type"] = self.error_type(status, error)
        self.duration.record(seconds, attributes)
        if not self._spans():
            return
        attributes["url.full"] = str(url.with_query(None))  # a query could hold anything
        if attempt > 1:
            attributes["http.request.resend_count"] = attempt - 1
        end = time.time_ns()
        span = self.tracer.start_span(
            request.method, kind=SpanKind.CLIENT, attributes=attributes,
            start_time=end - int(seconds * 1e9),
        )  # fmt: skip
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, attributes["error.type"]))
        span.end(end)

    def event(self, name: str, attributes: dict[str, Any]) -> None:
        """An event on the current span (the call's, or the wait's), if it records."""
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(name, attributes)

    def wait(self, name: str) -> WaitSpan | None:
        """The span of a wait about to be built (``None`` when no span is made)."""
        return WaitSpan(self.tracer, name) if self._spans() else None


class WaitSpan:
    """A wait's span (``polling.Wait.trace``): from the first result asked for to the end of the
    wait, a child of the consumer's current span, with an ``ncp.wait.round`` event per round.

    A round is as many steps as there were targets unfinished when it began (the first: every
    target), so each target is stepped about once a round; an event says how many targets are
    still unfinished after it (``ncp.wait.pending``). The wait's workers run in ``context``:
    this span current, and no span per request.
    """

    def __init__(self, tracer: trace.Tracer, name: str) -> None:
        self._tracer = tracer
        self._name = name
        self._span: trace.Span = trace.INVALID_SPAN
        self.context: contextvars.Context | None = None
        self._round = self._due = 0  # steps left in the round

    async def wrap(self, results: AsyncGenerator[T, None], targets: int) -> AsyncGenerator[T, None]:
        """``results``, in the span."""
        span = self._span = self._tracer.start_span(self._name)
        span.set_attribute("ncp.wait.targets", targets)
        self._due = targets
        self.context = contextvars.copy_context()
        self.context.run(context.attach, context.set_value(_IN_WAIT, True, _enter(span)))
        # Not made current here: a generator runs in its consumer's context, between yields too.
        try:
            async with contextlib.aclosing(results):
                async for item in results:
                    yield item
        except Exception as exc:  # as ``use_span`` does
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            span.end()

    def step(self, pending: int) -> None:
        """A step settled; ``pending`` targets are left unfinished."""
        self._due -= 1
        if self._due <= 0:
            self._round += 1
            self._due = pending
            details = {"ncp.wait.round": self._round, "ncp.wait.pending": pending}
            self._span.add_event("ncp.wait.round", details)
