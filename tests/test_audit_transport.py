"""Defects found in the transport audit, each pinned by a test through the public API."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

import ncp_media_async as ncp
from ncp_media_async.testing import EmulatorServer, Fault, Route

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
