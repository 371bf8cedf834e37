"""A defect of the shared rate limit, found under load (see ``tests/README.md``): the one second
a call may wait for Redis also counted the wait for one of the client's 8 pooled Redis
connections. A batch of more concurrent calls than that queued on its own pool, and on a loaded
machine the end of the queue passed the second: the client logged "Redis cannot be reached" and
paced alone at its share, while Redis answered every command in time.

Here Redis answers each command 0.1 s late (a proxy in between), with 3 s allowed for an answer
(30 times the delay, so that a loaded machine's slow turns do not look like an outage), the
client has 2 pooled connections, and 80 calls start at once: the last ones wait forty round
trips (4 s) for a connection. And the other way
round: behind a Redis that never answers, the calls queued for a connection do not each wait
their own second once the first ones have failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import attrs
import pytest
from _clocks import Recorder
from _redis import RedisServer
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async import _defaults
from ncp_media_async.testing import Emulator, EmulatorServer, Scenario

DELAY = 0.1  # seconds added to each answer of Redis
TIMEOUT = 3.0  # seconds allowed for each answer (``_defaults.SHARED_LIMIT_REDIS_TIMEOUT``)
CONNECTIONS = 2  # the client's pooled Redis connections (``_defaults.SHARED_LIMIT_CONNECTIONS``)
CALLS = 80  # 40 rounds of the pooled connections: 4 s of queue, past ``TIMEOUT``


@attrs.frozen
class Proxy:
    url: str  # the Redis URL of the proxy
    writers: list[asyncio.StreamWriter]  # two per connection it accepted


@contextlib.asynccontextmanager
async def slow_redis(server: RedisServer, delay: list[float]) -> AsyncIterator[Proxy]:
    """A TCP proxy to ``server`` that holds every chunk Redis sends for ``delay[0]`` seconds
    (read at each chunk: a test may change it)."""
    target = URL(server.url)
    pumps: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def pump(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, hold: list[float]
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await source.read(65536):
                if hold[0]:
                    await asyncio.sleep(hold[0])
                sink.write(chunk)
                await sink.drain()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target.host, target.port)
        writers.extend((writer, up_writer))
        for task in (pump(reader, up_writer, [0.0]), pump(up_reader, writer, delay)):
            pumps.add(asyncio.ensure_future(task))

    proxy = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    try:
        yield Proxy(str(target.with_port(port)), writers)
    finally:
        proxy.close()
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
        await proxy.wait_closed()


def _client(server: EmulatorServer, proxy: Proxy, name: str, time: Recorder) -> ncp.MediaClient:
    """A client of the emulator at 1,000 requests a second, shared through ``proxy``'s Redis,
    on the ``time`` recorder's clock."""
    limit = ncp.RateLimit.per_second(1000, shared=proxy.url, name=name)
    return ncp.MediaClient(
        server.credentials, endpoints=ncp.Endpoints.at(server.url), rate_limit=limit,
        monotonic=time.monotonic, sleep=time.sleep,
    )  # fmt: skip


async def test_a_queue_for_the_pooled_redis_connections_is_no_redis_outage(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_defaults, "SHARED_LIMIT_REDIS_TIMEOUT", TIMEOUT)
    monkeypatch.setattr(_defaults, "SHARED_LIMIT_CONNECTIONS", CONNECTIONS)
    assert CALLS // CONNECTIONS * DELAY > TIMEOUT  # the queue outlasts it
    caplog.set_level(logging.INFO, logger="ncp_media_async")
    name = f"test-{uuid.uuid4().hex[:12]}"
    time = Recorder()
    async with (
        slow_redis(redis_server, [DELAY]) as proxy,
        EmulatorServer(Emulator(Scenario.empty())) as server,
        _client(server, proxy, name, time) as client,
    ):
        await asyncio.gather(*(client.vod_station.status_statistics() for _ in range(CALLS)))
    assert server.emulator.stats.total_requests == CALLS
    assert "cannot be reached" not in caplog.text  # every command was answered in 0.1 s


async def test_calls_queued_behind_a_redis_that_stops_answering_do_not_ask_it_again(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_defaults, "SHARED_LIMIT_REDIS_TIMEOUT", 0.3)
    name = f"test-{uuid.uuid4().hex[:12]}"
    time = Recorder()
    delay = [0.0]
    async with (
        slow_redis(redis_server, delay) as proxy,
        EmulatorServer(Emulator(Scenario.empty())) as server,
        _client(server, proxy, name, time) as client,
    ):
        await client.vod_station.status_statistics()  # one connection, shared
        delay[0] = 60.0  # Redis answers no more (within the test)
        await asyncio.gather(*(client.vod_station.status_statistics() for _ in range(40)))
        # The first 8 (the pool's size) asked Redis; the 32 queued behind them did not
        # open connections of their own to wait out the timeout again, 8 at a time.
        assert len(proxy.writers) == 2 * _defaults.SHARED_LIMIT_CONNECTIONS
    assert server.emulator.stats.total_requests == 41  # the 40 paced alone, once Redis failed
