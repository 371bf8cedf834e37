"""A hostile or broken server: bounded memory and only typed errors, through the public API.

Gzip bombs, endless bodies, absurdly deep JSON, lying ``Date`` headers, absurd ``Retry-After``
values, and ``Retry-After`` on a 503. Waits are recorded by an injected sleep, never waited.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import orjson
import pytest
from _clocks import Recorder
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async._transport import strict_json_loads
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, Route, Scenario

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
MiB = 1 << 20


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


@pytest.fixture
async def server() -> Any:
    async with EmulatorServer(Emulator(Scenario.empty())) as server:
        yield server


# -- memory ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [Fault.GZIP_BOMB, Fault.ENDLESS_BODY])
async def test_a_body_that_never_ends_costs_at_most_the_limit(
    server: EmulatorServer, fault: Fault
) -> None:
    emulator = server.emulator
    emulator.force_faults(fault, fault)
    async with client_for(server, max_body_size=4 * MiB) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ncp.BodyTooLargeError, match="4,194,304 bytes"):
                await client.vod_station.status_statistics()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # The bomb inflates to 256 MiB and the endless body never stops: reading stopped just
        # past the 4 MiB limit (the chunks held, then one copy of them).
        assert peak < 16 * MiB
        # Not retried (the same request would get the same body), and the client still works.
        assert emulator.stats.total_requests == 1
        emulator.clear_faults()
        assert (await client.vod_station.status_statistics()).total == 0


async def test_the_default_limit_stops_a_gzip_bomb(server: EmulatorServer) -> None:
    server.emulator.force_faults(Fault.GZIP_BOMB)
    async with client_for(server) as client:
        with pytest.raises(ncp.BodyTooLargeError, match="33,554,432 bytes"):
            await client.vod_station.status_statistics()


# -- bodies no decoder can read ---------------------------------------------------------------


@pytest.mark.parametrize("loads", [json.loads, orjson.loads], ids=["json", "orjson"])
async def test_absurdly_deep_json_is_a_response_error(server: EmulatorServer, loads: Any) -> None:
    emulator = server.emulator
    emulator.force_faults(*[Fault.DEEP_JSON] * 3)
    async with client_for(server, json_loads=loads, max_retries=2) as client:
        with pytest.raises(ncp.ResponseError, match="not valid JSON") as info:
            await client.vod_station.status_statistics()
    assert not isinstance(info.value, ncp.BodyTooLargeError)
    assert len(info.value.excerpt) <= 200
    assert emulator.stats.total_requests == 3  # an unreadable success body is transient


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "1e400"])
@pytest.mark.parametrize(
    "loads", [strict_json_loads, orjson.loads], ids=["json (default without orjson)", "orjson"]
)
async def test_numbers_json_does_not_allow_are_a_response_error_with_either_decoder(
    loads: Any, value: str
) -> None:
    """``json.loads`` alone would read them as floats, orjson refuses them: the body reads the
    same whichever decoder is installed."""
    result = '{"assetId":5,"uploadStatus":"COMPLETED","metaData":{"durationMs":' + value + "}}"
    body = '{"code":"0","message":"success","result":' + result + "}"

    def answer(call: object) -> web.Response:
        return web.Response(body=body.encode(), content_type="application/json")

    emulator = Emulator(Scenario.empty())
    emulator.media_ai._import_status = answer  # type: ignore[method-assign]
    async with (
        EmulatorServer(emulator) as server,
        client_for(server, json_loads=loads, max_retries=0) as client,
    ):
        with pytest.raises(ncp.ResponseError, match="not valid JSON"):
            await client.media_ai.import_status("ws", 7, 5)
    with pytest.raises(ncp.ResponseError, match="not JSON"):
        ncp.vod_station.parse_callback(body.encode())


# -- clocks and headers that lie ------------------------------------------------------------


@pytest.mark.parametrize(
    "date",
    [
        None,  # a day ahead
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Fri, 31 Dec 99999 23:59:59 GMT",  # OverflowError inside email.utils
        "garbage",
        "",
    ],
)
async def test_a_bogus_date_never_poisons_the_clock(
    server: EmulatorServer, date: str | None
) -> None:
    emulator = server.emulator
    async with client_for(server) as client:
        emulator.force_faults(Fault.BOGUS_DATE, date=date)
        await client.vod_station.status_statistics()  # accepted, with a Date that lies
        assert client.clock_offset == 0.0
        for _ in range(3):  # the requests that follow are signed with the true clock
            await client.vod_station.status_statistics()
    assert emulator.stats.rejected_signatures == 0
    assert emulator.stats.total_requests == 4


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.THROTTLE, ncp.RateLimitError), (Fault.UNAVAILABLE, ncp.ServerError)],
)
@pytest.mark.parametrize(
    "retry_after",
    ["1e400", "-5", "nan", "99999999999999999999999999", "Fri, 31 Dec 99999 23:59:59 GMT",
     "soon"],
)
async def test_absurd_retry_after_values_count_as_absent(
    server: EmulatorServer, fault: Fault, error: type[ncp.ApiError], retry_after: str
) -> None:
    emulator = server.emulator
    time = Recorder()
    emulator.force_faults(fault, fault, retry_after=retry_after)
    policy = ncp.RetryPolicy(max_retries=1, initial_delay=0.5, max_delay=0.5)
    async with client_for(
        server, retry=policy, monotonic=time.monotonic, sleep=time.sleep
    ) as client:
        with pytest.raises(error) as info:
            await client.vod_station.status_statistics()
    huge = retry_after == "99999999999999999999999999"
    assert info.value.retry_after == (float(retry_after) if huge else None)
    assert emulator.stats.total_requests == 2
    if not huge:  # absent: the jittered back-off, within its 0.5 s ceiling
        assert len(time.slept) <= 1
        assert all(0 <= s <= 0.5 for s in time.slept)


async def test_retry_after_on_a_503_is_honoured(server: EmulatorServer) -> None:
    emulator = server.emulator
    time = Recorder()
    emulator.force_faults(Fault.UNAVAILABLE, retry_after="3")
    async with client_for(server, monotonic=time.monotonic, sleep=time.sleep) as client:
        await client.vod_station.status_statistics()
    assert time.slept == [3.0]
    assert emulator.stats.requests[Route.STATUS_STATISTICS] == 2
