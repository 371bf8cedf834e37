"""``Hostile``: a small ``aiohttp.web`` server written by a test (every request goes to one
handler the test gives), on a free loopback port, that records what arrived; and a client for it.

The handler sees the ``web.Request`` and the number of requests that arrived before it, and
answers as the test wants: echo the headers, hang, drop the connection, lie.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

import ncp_media_async as ncp

#: Credentials of the tests' client: long enough that a fragment of one means something.
ACCESS_KEY = "AKHOSTILE7Q2VX9ZK3LM8NP4RT6"
SECRET_KEY = "SKHOSTILEsecret0123456789abcdefXYZ"
FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)

Handler = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@attrs.define
class Hostile:
    """The running server: ``url``, and ``seen``, every request in arrival order."""

    url: str
    seen: list[Seen] = attrs.field(factory=list)

    def count(self, method: str, path_end: str) -> int:
        """How many ``method`` requests arrived on a path ending with ``path_end``."""
        return sum(1 for s in self.seen if s.method == method and s.path.endswith(path_end))

    def client(self, **options: Any) -> ncp.MediaClient:
        """A client of every service at this server (retrying after milliseconds unless
        ``retry`` says otherwise)."""
        options.setdefault("retry", FAST)
        return ncp.MediaClient(
            ncp.Credentials(ACCESS_KEY, SECRET_KEY), endpoints=ncp.Endpoints.at(self.url),
            **options,
        )  # fmt: skip


@contextlib.asynccontextmanager
async def hostile(handler: Handler) -> AsyncIterator[Hostile]:
    """Serve ``handler`` on a free loopback port for the block."""
    server: Hostile | None = None

    async def record(request: web.Request) -> web.StreamResponse:
        assert server is not None
        before = len(server.seen)
        server.seen.append(
            Seen(request.method, request.path, request.query_string, dict(request.headers))
        )
        return await handler(request, before)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server = Hostile(f"http://{host}:{port}")
    try:
        yield server
    finally:
        await runner.cleanup()


def drop(request: web.Request) -> web.Response:
    """Close the connection without answering (the response returned is never sent)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()


async def hang_until_cancelled() -> web.Response:
    """A handler's body that never answers (the server cancels it when the client hangs up)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")
