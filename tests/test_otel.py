"""OpenTelemetry (issue 18): a span per public call, page request and wait, a CLIENT span and a
histogram point per attempt, events for back-offs, the 429 gate and re-signs, nothing secret.

Each client gets its own SDK providers (in-memory exporter and reader), so no global provider is
set in the test process; the global path (the API with no SDK, then an SDK set later) and the
client without the API at all run in subprocesses.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import pytest
from _clocks import Recorder
from aiohttp import web
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import ncp_media_async as ncp
from ncp_media_async._otel import Otel
from ncp_media_async.testing import Emulator, EmulatorServer, Fault
from ncp_media_async.vod_station import VodStation

STREAM_KEY, BACKUP_KEY = "sk-OTEL-3b9e1f77", "sk-OTEL-BACKUP-c40d"
SECRET_HEADERS = ("x-ncp-iam-access-key", "x-ncp-apigw-signature-v2", "x-ncp-apigw-timestamp")


@attrs.define
class Telemetry:
    """An SDK of the test's own: what the client's spans and histogram export."""

    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.finished() if s.name == name]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        parent_id = parent.context.span_id
        return [s for s in self.finished() if s.parent and s.parent.span_id == parent_id]

    def points(self) -> list[HistogramDataPoint]:
        data = self.reader.get_metrics_data()
        if data is None:
            return []
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "http.client.request.duration"
            for point in metric.data.data_points  # type: ignore[union-attr]
        ]

    def caller(self, name: str = "caller") -> Any:
        """A span of the application's, current while the client is called."""
        return self.tracer_provider.get_tracer("app").start_as_current_span(name)


@attrs.define
class Wire:
    """The emulator served, with every request's headers as it saw them."""

    server: EmulatorServer
    headers: list[dict[str, str]]

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator


@pytest.fixture
def telemetry() -> Telemetry:
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return Telemetry(spans, reader, provider)


@pytest.fixture
async def wire(ncp_emulator: Emulator) -> AsyncIterator[Wire]:
    headers: list[dict[str, str]] = []
    make_app = ncp_emulator.make_app

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        headers.append(dict(request.headers))

    def recording_app() -> web.Application:
        app = make_app()
        app.on_response_prepare.append(record)
        return app

    ncp_emulator.make_app = recording_app  # type: ignore[method-assign]
    async with EmulatorServer(ncp_emulator) as server:
        yield Wire(server, headers)


@pytest.fixture
def time() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(
    wire: Wire, telemetry: Telemetry, time: Recorder
) -> AsyncIterator[ncp.MediaClient]:
    """A client whose back-offs are recorded, not slept, reporting to ``telemetry``."""
    client = ncp.MediaClient(
        wire.server.credentials, endpoints=ncp.Endpoints.at(wire.server.url), sleep=time.sleep
    )
    client._transport.otel = Otel(telemetry.tracer_provider, MeterProvider([telemetry.reader]))
    async with client:
        yield client


def dump(telemetry: Telemetry) -> str:
    """Every span (names, attributes, events, status, links) and every metric, as text."""
    spans = [span.to_json() for span in telemetry.finished()]
    data = telemetry.reader.get_metrics_data()
    metrics = "" if data is None else data.to_json()
    return "\n".join([*spans, metrics])


# -- calls and attempts ----------------------------------------------------------------------


async def test_a_503_then_a_200_is_one_call_span_over_two_client_spans(
    client: ncp.MediaClient, wire: Wire, telemetry: Telemetry, time: Recorder
) -> None:
    wire.emulator.force_faults(Fault.UNAVAILABLE, retry_after=None)
    with telemetry.caller() as caller:
        await client.vod_station.status_statistics()

    [call] = telemetry.named("vod_station.status_statistics")
    assert call.parent is not None and call.parent.span_id == caller.get_span_context().span_id
    assert call.kind is SpanKind.INTERNAL and call.status.status_code is StatusCode.UNSET
    first, second = sorted(telemetry.children(call), key=lambda s: s.start_time or 0)
    assert telemetry.children(caller) == [call]  # type: ignore[arg-type]
    port = wire.server.port
    url = f"{wire.server.url.rstrip('/')}/api/v2/status/status-statistic"
    common = {"http.request.method": "GET", "server.address": "127.0.0.1", "server.port": port}
    assert (first.name, first.kind, second.name, second.kind) == (
        "GET", SpanKind.CLIENT, "GET", SpanKind.CLIENT
    )
    assert dict(first.attributes or {}) == {
        **common, "url.full": url, "http.response.status_code": 503, "error.type": "503"
    }
    assert dict(second.attributes or {}) == {
        **common, "url.full": url, "http.response.status_code": 200,
        "http.request.resend_count": 1,
    }  # fmt: skip
    assert first.status.status_code is StatusCode.ERROR
    assert second.status.status_code is StatusCode.UNSET
    # The back-off is an event of the call's span, with the delay the call waited (seconds).
    [backoff] = call.events
    assert backoff.name == "ncp.backoff"
    assert dict(backoff.attributes or {}) == {"ncp.delay": time.slept[0], "error.type": "503"}

    points = {p.attributes["http.response.status_code"]: p for p in telemetry.points()}
    assert sorted(points) == [200, 503]
    assert dict(points[503].attributes) == {**common, "http.response.status_code": 503,
                                            "error.type": "503"}  # fmt: skip
    assert "url.full" not in points[200].attributes  # unbounded: not a metric attribute
    assert points[200].count == points[503].count == 1
    assert all(0 < p.sum < 5 for p in points.values())  # seconds, not milliseconds


async def test_a_call_that_raises_ends_its_span_in_error_with_the_exception(
    client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    with pytest.raises(ncp.NotFoundError):
        await client.vod_station.category(987654)

    [call] = telemetry.named("vod_station.category")
    assert call.status.status_code is StatusCode.ERROR
    assert call.status.description and call.status.description.startswith("NotFoundError: ")
    [exception] = [e for e in call.events if e.name == "exception"]
    assert (exception.attributes or {})["exception.type"] == "ncp_media_async.errors.NotFoundError"
    [attempt] = telemetry.children(call)
    assert attempt.status.status_code is StatusCode.ERROR
    attributes = attempt.attributes or {}
    assert (attributes["error.type"], attributes["http.response.status_code"]) == ("404", 404)
    assert "http.request.resend_count" not in attributes  # the first attempt is not a resend
    [point] = telemetry.points()
    assert point.attributes["error.type"] == "404"


async def test_a_connection_failure_is_typed_by_its_error_class(
    telemetry: Telemetry, time: Recorder
) -> None:
    async with ncp.MediaClient(
        ncp.Credentials("AK", "SK"), endpoints=ncp.Endpoints.at("http://127.0.0.1:9"),
        max_retries=0, sleep=time.sleep,
    ) as client:  # fmt: skip
        client._transport.otel = Otel(telemetry.tracer_provider)
        with pytest.raises(ncp.TransportError):
            await client.vod_station.status_statistics()
    [attempt] = [s for s in telemetry.finished() if s.kind is SpanKind.CLIENT]
    assert (attempt.attributes or {})["error.type"] == "TransportError"
    assert "http.response.status_code" not in (attempt.attributes or {})


async def test_a_429_shows_the_wait_at_the_gate_and_a_rejected_clock_the_re_sign(
    client: ncp.MediaClient, wire: Wire, telemetry: Telemetry, time: Recorder
) -> None:
    wire.emulator.force_faults(Fault.THROTTLE, retry_after="2")
    await client.vod_station.status_statistics()
    [call] = telemetry.named("vod_station.status_statistics")
    [gate] = call.events
    assert gate.name == "ncp.gate"
    assert (gate.attributes or {})["ncp.delay"] == pytest.approx(2.0, abs=0.5)
    assert [(a.attributes or {}).get("error.type") for a in telemetry.children(call)] == [
        "429", None
    ]

    telemetry.spans.clear()
    wire.emulator.clock_offset = 15 * 60.0  # the local clock is 15 minutes behind the gateway's
    await client.vod_station.encoding_options()
    [call] = telemetry.named("vod_station.encoding_options")
    [resign] = [e for e in call.events if e.name != "ncp.gate"]  # the gate: still closed
    assert resign.name == "ncp.resign"
    assert (resign.attributes or {})["ncp.clock_offset"] == pytest.approx(900.0, abs=2.0)
    statuses = [(a.attributes or {})["http.response.status_code"] for a in telemetry.children(call)]
    assert statuses == [401, 200]


# -- pagers and waits --------------------------------------------------------------------------


async def test_a_walk_makes_a_call_span_per_page_named_after_the_pager(
    client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    with telemetry.caller() as caller:
        jobs = client.vod_station.encoding_statuses(page_size=10, max_items=35, prefetch=2)
        items = await jobs.to_list()
    assert len(items) == 35

    pages = telemetry.named("vod_station.encoding_statuses")
    assert sorted((p.attributes or {})["ncp.page"] for p in pages) == [1, 2, 3, 4]
    assert {p.parent.span_id for p in pages if p.parent} == {caller.get_span_context().span_id}
    for page in pages:
        [attempt] = telemetry.children(page)
        assert (attempt.attributes or {})["url.full"].endswith("/api/v2/status")  # no query


async def test_a_bulk_wait_is_one_span_with_an_event_per_round(
    wire: Wire, client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    media_ai = wire.emulator.media_ai
    media_ai.add_workspace("ws")
    media_ai.add_project("ws", 1)
    refs = [ncp.AssetRef("ws", 1, n) for n in range(300)]
    for n in range(300):
        media_ai.add_import("ws", 1, n, polls=n % 3 + 1)  # a third finish at each of 3 polls
    wire.emulator.force_faults(Fault.UNAVAILABLE)  # one poll retried: its event is the wait's

    with telemetry.caller() as caller:
        finished = [s async for s in client.media_ai.wait_for_imports(refs, interval=0.0)]
    assert len(finished) == 300

    # No span per poll: the application's span and the wait's, nothing else.
    [wait] = telemetry.named("media_ai.wait_for_imports")
    assert sorted(s.name for s in telemetry.finished()) == ["caller", "media_ai.wait_for_imports"]
    assert wait.parent is not None and wait.parent.span_id == caller.get_span_context().span_id
    assert wait.status.status_code is StatusCode.UNSET
    assert (wait.attributes or {})["ncp.wait.targets"] == 300
    rounds = [dict(e.attributes or {}) for e in wait.events if e.name == "ncp.wait.round"]
    assert [r["ncp.wait.round"] for r in rounds] == list(range(1, len(rounds) + 1))
    assert rounds[0]["ncp.wait.pending"] < 300 and rounds[-1]["ncp.wait.pending"] == 0
    assert 3 <= len(rounds) <= 6  # about one a poll of every target, not one a poll
    assert [e.name for e in wait.events].count("ncp.backoff") == 1
    # Every attempt is still a histogram point.
    assert sum(p.count for p in telemetry.points()) == 100 * 1 + 100 * 2 + 100 * 3 + 1


async def test_a_wait_that_fails_ends_its_span_in_error(
    wire: Wire, client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    wire.emulator.media_ai.add_workspace("ws")
    wire.emulator.media_ai.add_project("ws", 1)
    wire.emulator.media_ai.add_import("ws", 1, 1)
    refs = [ncp.AssetRef("ws", 1, 1), ncp.AssetRef("ws", 1, 404)]
    with pytest.raises(ncp.PollingError):
        async for _ in client.media_ai.wait_for_imports(refs, interval=0.0):
            pass
    [wait] = telemetry.named("media_ai.wait_for_imports")
    assert wait.status.status_code is StatusCode.ERROR
    assert [e.name for e in wait.events][-1] == "exception"


async def test_a_public_coroutine_that_waits_has_its_call_span_over_the_waits(
    wire: Wire, client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    channel = wire.emulator.live_station.add_channel(status="READY")
    await client.live_station.wait_for_channel(channel, interval=0.0)
    # The wait is closed before the call returns: its span ends inside the call's.
    spans = telemetry.named("live_station.wait_for_channel")
    [call] = [s for s in spans if s.parent is None]
    [wait] = [s for s in spans if s is not call]
    assert call.end_time is not None and wait.end_time is not None
    assert wait.end_time <= call.end_time
    assert wait.parent is not None and wait.parent.span_id == call.context.span_id
    assert [e.name for e in wait.events] == ["ncp.wait.round"]
    assert len(telemetry.finished()) == 2  # the poll itself (``channel``) makes no span


# -- nothing secret ----------------------------------------------------------------------------


async def test_no_key_signature_timestamp_or_stream_key_is_exported(
    wire: Wire, client: ncp.MediaClient, telemetry: Telemetry
) -> None:
    emulator = wire.emulator
    channel = emulator.live_station.add_channel(stream_key=STREAM_KEY, backup_stream_key=BACKUP_KEY)
    assert (await client.live_station.channel(channel)).stream_key == ncp.Secret(STREAM_KEY)
    emulator.force_faults(Fault.UNAVAILABLE, Fault.THROTTLE)
    await client.vod_station.status_statistics()
    emulator.clock_offset = 15 * 60.0
    await client.vod_station.channels(page_size=10).to_list()
    with pytest.raises(ncp.NotFoundError):
        await client.live_station.channel("ls-missing")
    emulator.add_credentials("OTHER-KEY", "OTHER-SECRET")
    async with ncp.MediaClient(
        ncp.Credentials("OTHER-KEY", "WRONG-SECRET"), endpoints=ncp.Endpoints.at(wire.server.url),
        max_retries=0,
    ) as wrong:  # fmt: skip
        wrong._transport.otel = client._transport.otel
        with pytest.raises(ncp.AuthenticationError):
            await wrong.vod_station.status_statistics()

    text = dump(telemetry)
    assert "vod_station.status_statistics" in text and "ncp.resign" in text  # it is all there
    credentials = wire.server.credentials
    secrets = {credentials.access_key, credentials.secret_key, "OTHER-KEY",
               "WRONG-SECRET", STREAM_KEY, BACKUP_KEY}  # fmt: skip
    seen = {h[name] for h in wire.headers for name in SECRET_HEADERS if name in h}
    assert len(seen) > 10
    for secret in secrets | seen:
        assert not re.search(rf"(?<![0-9A-Za-z+/=]){re.escape(secret)}(?![0-9A-Za-z+/=])", text), (
            secret
        )


# -- with aiohttp's own instrumentation --------------------------------------------------------


@pytest.fixture
def aiohttp_instrumented(telemetry: Telemetry) -> Iterator[None]:
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


async def test_aiohttp_instrumentation_adds_no_second_client_span_per_attempt(
    aiohttp_instrumented: None, wire: Wire, telemetry: Telemetry
) -> None:
    url = wire.server.url
    async with ncp.MediaClient(wire.server.credentials, endpoints=ncp.Endpoints.at(url)) as client:
        client._transport.otel = Otel(telemetry.tracer_provider)
        await client.vod_station.status_statistics()
        await client.vod_station.channels(page_size=10).to_list()
    scopes = {s.instrumentation_scope for s in telemetry.finished()}
    [ours] = scopes
    assert ours is not None and ours.name == "ncp_media_async"
    assert len([s for s in telemetry.finished() if s.kind is SpanKind.CLIENT]) == 2

    # The instrumentation is on, and would have made them: a client without OpenTelemetry.
    async with ncp.MediaClient(wire.server.credentials, endpoints=ncp.Endpoints.at(url)) as client:
        client._transport.otel = None
        await client.vod_station.status_statistics()
    theirs = [s for s in telemetry.finished() if s.instrumentation_scope not in (None, ours)]
    assert [(s.kind, s.instrumentation_scope.name) for s in theirs if s.instrumentation_scope] == [
        (SpanKind.CLIENT, "opentelemetry.instrumentation.aiohttp_client")
    ]


# -- the wrapped methods -----------------------------------------------------------------------


def test_a_wrapped_method_keeps_its_name_signature_and_docstring() -> None:
    method = VodStation.add_files
    assert inspect.unwrap(method) is not method  # wrapped (``Resource.__init_subclass__``)
    assert method.__name__ == "add_files" and method.__qualname__ == "VodStation.add_files"
    assert (method.__doc__ or "").startswith("``PUT /api/v2/category/{categoryId}/add-files``")
    assert list(inspect.signature(method).parameters)[:3] == ["self", "category_id", "bucket"]
    assert inspect.iscoroutinefunction(inspect.unwrap(method))


# -- the global providers, and no API at all (subprocesses) ------------------------------------

_SERVE = """
import asyncio, sys
import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, Scenario

async def use(server):
    async with ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url)) as c:
        await c.vod_station.status_statistics()
        await c.vod_station.encoding_statuses(page_size=10, max_items=25).to_list()
        refs = [ncp.AssetRef("ws", 1, n) for n in range(5)]
        assert len([s async for s in c.media_ai.wait_for_imports(refs, interval=0.0)]) == 5
        return c._transport.otel

async def serve(then):
    emulator = Emulator(Scenario(encodings=30, imports=0))
    emulator.media_ai.add_workspace("ws")
    emulator.media_ai.add_project("ws", 1)
    for n in range(5):
        emulator.media_ai.add_import("ws", 1, n, polls=2)
    async with EmulatorServer(emulator) as server:
        return await then(server)
"""


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SERVE) + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_the_api_nothing_of_opentelemetry_is_imported() -> None:
    out = run_python(
        """
        import importlib.abc

        class NoOpenTelemetry(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, NoOpenTelemetry())
        otel = asyncio.run(serve(use))
        print(otel, sorted(m for m in sys.modules if "opentelemetry" in m or "_otel" in m))
        """
    )
    assert out.split() == ["None", "[]"]


def test_with_the_api_alone_no_span_is_started_until_a_provider_is_set() -> None:
    out = run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        async def check(server):
            otel = await use(server)  # the API alone: nothing to record
            call = asyncio.sleep(0)
            assert otel.span("x.y", call) is call  # not even a no-op span
            await call
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)  # later, while the client module is loaded
            assert await use(server) is otel
            return sorted({s.name for s in exporter.get_finished_spans()})

        print(json.dumps(asyncio.run(serve(check))))
        """
    )
    assert json.loads(out) == [
        "GET", "media_ai.wait_for_imports", "vod_station.encoding_statuses",
        "vod_station.status_statistics",
    ]  # fmt: skip
