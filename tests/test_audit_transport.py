"""Defects found in the transport audit, each pinned by a test through the public API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
import attrs
import pytest
from _clocks import Recorder
from _live import until
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async.testing import (
    Call,
    Emulator,
    EmulatorServer,
    Fault,
    Route,
    Scenario,
)

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


# -- a caller-owned session ------------------------------------------------------------------


async def test_a_caller_session_that_raises_for_status_still_gives_typed_api_errors(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        client_for(ncp_emulator_server, session=session) as client,
    ):
        with pytest.raises(ncp.NotFoundError) as info:
            await client.vod_station.channel_events("vs-nope").to_list()
    assert (info.value.status, info.value.code) == (404, "260004")
    # Answered once: a refusal is not a connection failure to retry.
    assert emulator.stats.requests[Route.CHANNEL_EVENTS] == 1


async def test_a_caller_session_that_does_not_decompress_still_gets_bodies_decoded(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.force_faults(Fault.GZIP_BOMB)
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        client_for(ncp_emulator_server, session=session) as client,
    ):
        # The bomb is inflated and counted as it is read (without decompression its 256 KiB
        # were read whole, taken for broken JSON and fetched again).
        with pytest.raises(ncp.BodyTooLargeError, match="33,554,432 bytes"):
            await client.vod_station.status_statistics()
    assert emulator.stats.total_requests == 1


# -- a shared rate limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("socket_timeout=abc", "socket_timeout"),  # a value redis-py cannot read
        ("health_check_interval=x", "health_check_interval"),
        ("sockettimeout=1", "sockettimeout"),  # an option redis-py does not have
    ],
)
def test_a_redis_url_whose_options_redis_cannot_use_fails_when_the_client_is_built(
    query: str, named: str
) -> None:
    # It used to be accepted, and then every request of the client raised redis-py's bare
    # ValueError or TypeError.
    limit = ncp.RateLimit.per_second(10, shared=f"redis://:hunter2@127.0.0.1:6379/0?{query}")
    with pytest.raises(ncp.ConfigurationError, match=named) as info:
        ncp.MediaClient(ncp.Credentials("AK", "SK"), rate_limit=limit)
    assert "hunter2" not in str(info.value)


# -- close() while calls are in flight ------------------------------------------------------


class EndlessSleep:
    """An injected sleep that never ends by itself (a long back-off), recording what it was
    asked for."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.Event().wait()


async def closed_while(client: ncp.MediaClient, call: asyncio.Future[Any]) -> BaseException:
    """Close ``client`` and return what ``call`` then raised (within a generous bound)."""
    await client.close()
    async with asyncio.timeout(10):
        with pytest.raises(ncp.ClientClosedError) as info:
            await call
    return info.value


async def test_close_ends_a_read_in_flight_at_once_without_a_retry(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    sleep = EndlessSleep()
    client = client_for(ncp_emulator_server, sleep=sleep)
    await client.vod_station.status_statistics()
    emulator.force_faults(Fault.SLOW, slow_seconds=30)
    call = asyncio.ensure_future(client.vod_station.status_statistics())
    await until(lambda: emulator.stats.in_flight == 1)
    # It used to take the broken connection for a transient failure and wait a back-off
    # (seconds, or a Retry-After) before failing.
    await closed_while(client, call)
    assert sleep.slept == []
    assert emulator.stats.total_requests == 2


@pytest.mark.parametrize("waiting_for", ["back-off", "429 gate", "rate-limit slot"])
async def test_close_ends_a_call_that_waits(
    ncp_emulator_server: EmulatorServer, waiting_for: str
) -> None:
    emulator = ncp_emulator_server.emulator
    sleep = EndlessSleep()
    if waiting_for == "rate-limit slot":
        limit = ncp.RateLimit.per_minute(1)
        client = client_for(ncp_emulator_server, rate_limit=limit, sleep=sleep)
        await client.vod_station.status_statistics()  # the next slot is 60 s away
        wait = 60.0
    else:
        client = client_for(ncp_emulator_server, sleep=sleep)
        fault = Fault.UNAVAILABLE if waiting_for == "back-off" else Fault.THROTTLE
        emulator.force_faults(fault, retry_after="30")
        wait = 30.0
    call = asyncio.ensure_future(client.vod_station.status_statistics())
    await until(lambda: len(sleep.slept) == 1)
    assert sleep.slept[0] == pytest.approx(wait, abs=1.0)
    # It used to wait that long, whatever close() said, and only then fail.
    await closed_while(client, call)
    assert emulator.stats.total_requests == 1


async def test_close_during_a_write_in_flight_still_says_it_may_have_been_sent(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    client = client_for(ncp_emulator_server, sleep=EndlessSleep())
    await client.vod_station.status_statistics()
    emulator.force_faults(Fault.SLOW, slow_seconds=30)
    call = asyncio.ensure_future(
        client.media_ai.import_asset("ws", "1", bucket="b", key="in/a.mp4")
    )
    await until(lambda: emulator.stats.in_flight == 1)
    await client.close()
    async with asyncio.timeout(10):
        with pytest.raises(ncp.OutcomeUnknownError):
            await call


# -- options --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"trace_configs": aiohttp.TraceConfig()},  # one, not a sequence of them
        {"trace_configs": ["not a TraceConfig"]},
        {"json_loads": 42},
        {"on_attempt": "print"},
        {"clock": None},
        {"monotonic": 1.0},
        {"sleep": None},
    ],
)
def test_options_that_cannot_be_called_or_used_fail_at_construction(
    options: dict[str, Any],
) -> None:
    # They were accepted, and the first request (or every one) raised a bare TypeError.
    (name,) = options
    with pytest.raises(TypeError, match=name):
        ncp.MediaClient(ncp.Credentials("AKEY", "secret"), **options)


# -- Retry-After ----------------------------------------------------------------------------


async def test_a_retry_after_date_is_read_by_the_gateways_clock_not_a_skewed_local_one(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.clock_offset = 15 * 60.0  # the local clock is 15 minutes behind the gateway's
    time = Recorder()
    async with client_for(ncp_emulator_server, monotonic=time.monotonic, sleep=time.sleep) as c:
        await c.vod_station.status_statistics()  # rejected once, re-signed: the offset is learnt
        assert c.clock_offset == pytest.approx(900.0, abs=2.0)
        in_5_s = format_datetime(
            datetime.fromtimestamp(emulator.now() + 5, UTC), usegmt=True
        )
        emulator.force_faults(Fault.THROTTLE, retry_after=in_5_s)
        await c.vod_station.status_statistics()
    # It was resolved against the local clock: 15 minutes and 5 s, cut to the 60 s cap.
    assert time.slept == [pytest.approx(5.0, abs=1.5)]


@pytest.mark.parametrize(
    "url",
    [
        "redis://:hunter2@127.0.0.1:6379/0\n",  # a newline from an environment file
        "redis://user:hunter2@127.0.0.1:6379/0 ",
        "redis://:hunt er2@127.0.0.1:6379/0",
        "redis ://:hunter2@127.0.0.1:6379/0",
        "redis//:hunter2@127.0.0.1:6379/0",  # a typo that hides the user info from a parser
    ],
)
def test_a_refused_redis_url_does_not_show_its_password(url: str) -> None:
    with pytest.raises(ValueError, match="shared must be a Redis URL") as info:
        ncp.RateLimit.per_second(10, shared=url)
    assert "hunter2" not in str(info.value)
    assert "hunt er2" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "unix:///run/redis.sock?db=0&password=hunter2",  # redis-py's documented unix form
        "redis://127.0.0.1:6379/0?password=hunter2",
        "redis://:hunter1@127.0.0.1:6379/0?password=hunter2",
        "redis:/:hunter2@127.0.0.1:6379/0",  # a typo that hides the user info from a parser
    ],
)
def test_a_redis_password_in_the_query_or_behind_a_typo_is_hidden_too(url: str) -> None:
    limit = ncp.RateLimit.per_second(10, shared=url)
    assert limit.shared == url
    assert "hunter" not in repr(limit)
    assert "***" in repr(limit)


# -- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["htps://user:hunter2@127.0.0.1:8080", "ftp://:hunter2@h/x", "user:hunter2@h"]
)
def test_a_refused_endpoint_url_does_not_show_a_password_in_it(url: str) -> None:
    with pytest.raises(ncp.ConfigurationError, match="http") as info:
        ncp.Endpoints.at(url)
    assert "hunter2" not in str(info.value)


# -- bodies ---------------------------------------------------------------------------------


async def test_an_error_page_over_the_error_body_limit_is_quoted_not_called_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = Emulator(Scenario.empty())
    store = emulator.vod_station
    page = "<html><title>502 Bad Gateway</title>" + "<!-- padding -->" * 8192 + "</html>"

    def proxy_page(call: Call) -> web.StreamResponse:
        return web.Response(status=502, text=page, content_type="text/html")

    # The statistics route answers with a proxy's error page instead.
    routes = tuple(
        attrs.evolve(r, handler=proxy_page) if r.name == Route.STATUS_STATISTICS else r
        for r in store.routes()
    )
    monkeypatch.setattr(store, "routes", lambda: routes)
    async with EmulatorServer(emulator) as server, client_for(server, max_retries=0) as client:
        with pytest.raises(ncp.ServerError) as info:
            await client.vod_station.status_statistics()
    # A 128 KiB page (over the 64 KiB read of an error body) used to be reported as "HTTP 502
    # with an empty body".
    assert "empty body" not in info.value.message
    assert info.value.message.startswith("<html><title>502 Bad Gateway</title>")
    assert len(info.value.message) <= 200
