"""First contact and the end of a client, against small ``aiohttp.web`` servers written here:

* unsent is not uncertain (issue 16, item 9): calls held behind a host's first request that
  hangs past their deadline are not sent, and ``add_files`` says so;
* hints where the user is wrong (issue 19, item 5): ``https://`` to a plain-HTTP port, a host
  name that does not resolve: one attempt, and a message that says what to check;
* ``close()`` (issue 15) while calls wait for a pooled connection or a wait polls 60 imports:
  ``ClientClosedError``, once, never a bare ``CancelledError`` or 60 failures.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from typing import Any

import pytest
from _hostile_server import FAST, hang_until_cancelled, hostile
from _live import until
from aiohttp import web
from yarl import URL

import ncp_media_async as ncp
from ncp_media_async._transport import Request

# -- issue 16, item 9: unsent is not uncertain ---------------------------------------------------


async def hang(request: web.Request, before: int) -> web.StreamResponse:
    return await hang_until_cancelled()


async def test_calls_held_behind_a_first_request_that_hangs_past_their_deadline_are_unsent() -> (
    None
):
    """50 ``add_files`` at a host's first contact: one goes, 49 wait for its answer, which never
    comes. 0.2.0 (and the 1.0 core until this test) released the 49 when the first one timed
    out at its deadline, microseconds before theirs: each went with a millisecond left, timed
    out before connecting, and all 50 were reported ``uncertain``."""
    deadline = 0.3  # seconds, for every call: the only real waiting of the test
    async with (
        hostile(hang) as server,
        server.client(retry=ncp.RetryPolicy(deadline=deadline)) as client,
    ):
        vod = client.vod_station
        calls = [vod.add_files(7, bucket="in", paths=[f"v{i:02d}.mp4"]) for i in range(50)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
    uncertain = [o for o in outcomes if isinstance(o, ncp.AddFilesError) and o.uncertain]
    unsent = [
        o for o in outcomes
        if type(o) is ncp.TransportError and str(o).count("the request was not sent") == 1
    ]  # fmt: skip
    # The one that went is uncertain (unless a loaded machine could not even connect it in time).
    assert len(unsent) >= 49, Counter(type(o).__name__ for o in outcomes)
    assert len(unsent) + len(uncertain) == 50 and len(server.seen) <= 1
    assert all(isinstance(o.error, ncp.OutcomeUnknownError) for o in uncertain)
    # Unsent, so safe to submit again: nothing was retried, nothing is in doubt.
    assert {o.attempts for o in unsent} == {0}
    assert all("clock calibration" in str(o) for o in unsent)


async def test_a_first_request_that_times_out_holds_the_others_no_longer_than_its_timeout() -> None:
    """The others are not released by a first request that times out (see above), but they wait
    no longer than one attempt's ``timeout`` (0.2 s here), not the 10 s ``connect_timeout``,
    and then go: a host that hangs costs them what it costs the first."""
    async with hostile(hang) as server, server.client(timeout=0.2, max_retries=0) as client:
        vod = client.vod_station
        async with asyncio.timeout(5):
            outcomes = await asyncio.gather(
                vod.status_statistics(), vod.status_statistics(), return_exceptions=True
            )
    assert [type(o) for o in outcomes] == [ncp.RequestTimeoutError] * 2, outcomes
    assert len(server.seen) == 2  # the second went once its hold ended


# -- issue 19, item 5: hints where the user is wrong ---------------------------------------------


async def ok(request: web.Request, before: int) -> web.StreamResponse:
    return web.json_response({"content": {}})


async def attempts_at(url: str) -> tuple[ncp.TransportError, list[ncp.AttemptEvent]]:
    """What a read at ``url`` raises, and its attempts (the policy would retry 4 times)."""
    events: list[ncp.AttemptEvent] = []
    client = ncp.MediaClient(
        ncp.Credentials("AK", "SK"), endpoints=ncp.Endpoints.at(url), retry=FAST,
        on_attempt=events.append,
    )  # fmt: skip
    async with client:
        with pytest.raises(ncp.TransportError) as info:
            await client.vod_station.status_statistics()
    return info.value, events


async def test_https_to_a_plain_http_port_is_not_retried_and_says_http() -> None:
    """0.2.0 retried 5 times and ended in ``[SSL: WRONG_VERSION_NUMBER]`` with no hint."""
    async with hostile(ok) as server:
        error, events = await attempts_at(server.url.replace("http://", "https://"))
    assert len(events) == 1 and error.attempts == 1
    assert error.transient is False
    assert "is the endpoint http:// rather than https://?" in str(error)
    assert server.seen == []  # no HTTP request arrived: the handshake failed


async def test_a_host_name_that_does_not_resolve_is_not_retried_and_says_check_the_endpoint() -> (
    None
):
    """0.2.0 asked the resolver 5 times for a name that does not exist."""
    host = "media.ncp-client-test.invalid"  # RFC 6761: never resolves
    try:
        await asyncio.get_running_loop().getaddrinfo(host, 443)
    except socket.gaierror as exc:
        if exc.errno != socket.EAI_NONAME:
            pytest.skip(f"this machine's resolver cannot say that a name does not exist: {exc}")
    error, events = await attempts_at(f"https://{host}")
    assert len(events) == 1 and error.attempts == 1
    assert error.transient is False
    assert "cannot resolve the host name of " + host in str(error)
    assert "check the endpoint URL" in str(error)


# -- issue 15: close() under waiting calls ------------------------------------------------------


async def test_close_under_calls_waiting_for_a_pooled_connection_raises_client_closed() -> None:
    """``max_connections=1``, the one connection held by a request the server does not answer,
    a read and a write waiting in the pool behind it: ``close()`` ends every call with
    ``ClientClosedError`` (the write too: it was never sent), never a bare ``CancelledError``."""

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        if before == 0:
            return web.json_response({"content": {}})  # the host answered once
        return await hang_until_cancelled()

    async with hostile(handler) as server:
        client = server.client(max_connections=1)
        await client.vod_station.status_statistics()
        vod = client.vod_station
        held = asyncio.ensure_future(vod.status_statistics())
        await until(lambda: len(server.seen) == 2)
        waiting = [
            asyncio.ensure_future(call)
            for call in (
                vod.status_statistics(),
                vod.channel("vs-1"),
                vod.add_files(7, bucket="in", paths=["a.mp4"]),
                vod.start_channel("vs-1"),
            )
        ]
        pool = client._transport.pool.slots  # type: ignore[union-attr]
        await until(lambda: len(pool._waiters or ()) == len(waiting))  # type: ignore[attr-defined]
        await client.close()
        async with asyncio.timeout(10):
            outcomes = await asyncio.gather(held, *waiting, return_exceptions=True)
    assert [type(o) for o in outcomes] == [ncp.ClientClosedError] * 5, outcomes
    assert len(server.seen) == 2  # none of the waiting calls was sent


async def test_close_during_a_wait_for_60_imports_raises_one_client_closed_error() -> None:
    """60 import-status requests in flight, each unanswered, when ``close()`` comes: the wait
    raises ``ClientClosedError`` (0.2.0: ``PollingError: 60 of 60 targets failed``)."""

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        if before == 0:  # the host answers once (no request is held behind a first one) ...
            return web.json_response({"code": "10404", "message": "no such workspace"}, status=404)
        return await hang_until_cancelled()  # ... and then never again

    async with hostile(handler) as server:
        client = server.client()
        with pytest.raises(ncp.NotFoundError):
            await client.media_ai.workspace("ws")
        refs = [ncp.AssetRef("ws", 7, n) for n in range(60)]
        got: list[Any] = []

        async def wait() -> None:
            async for status in client.media_ai.wait_for_imports(refs, concurrency=64):
                got.append(status)

        waiting = asyncio.ensure_future(wait())
        await until(lambda: len(server.seen) == 61, seconds=30)
        await client.close()
        async with asyncio.timeout(10):
            with pytest.raises(ncp.NcpError) as info:
                await waiting
    assert type(info.value) is ncp.ClientClosedError, repr(info.value)
    assert got == []


async def test_a_write_whose_time_runs_out_waiting_for_a_pooled_connection_is_unsent() -> None:
    """``max_connections=1``, the one connection taken by a read that is never answered (and has
    no deadline), and an ``add_files`` queued behind it until its deadline: it never got a
    connection, so it is unsent (nothing was submitted, nothing to reconcile). 1.0.0 said
    ``uncertain`` (an ``AddFilesError`` holding an ``OutcomeUnknownError``): the call waited in
    aiohttp's queue, whose timeout does not say whether the request went."""

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        if before == 0:
            return web.json_response({"content": {}})  # the host answered once
        return await hang_until_cancelled()

    deadline = 0.5  # seconds, for the write: the only real waiting of the test
    async with hostile(handler) as server:
        retry = ncp.RetryPolicy(deadline=deadline, initial_delay=0.001, max_delay=0.01)
        async with server.client(max_connections=1, retry=retry, timeout=60) as client:
            await client.vod_station.status_statistics()
            transport, service = client._transport, client.vod_station._service
            url = URL(f"{service.base_url}/status/status-statistic", encoded=True)
            read = transport.send(Request("GET", service, url), lambda body: body)  # no deadline
            held = asyncio.ensure_future(read)
            try:
                await until(lambda: len(server.seen) == 2)
                with pytest.raises(ncp.TransportError) as caught:
                    await client.vod_station.add_files(7, bucket="in", paths=["a.mp4"])
            finally:
                held.cancel()
                await asyncio.gather(held, return_exceptions=True)
    assert type(caught.value) is ncp.TransportError, repr(caught.value)
    assert "the request was not sent" in str(caught.value)
    assert "no pooled connection" in str(caught.value) and caught.value.attempts == 0
    assert len(server.seen) == 2  # the write never reached the server
