"""Run an ``Emulator`` on a real loopback socket."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web

from ..client import Credentials
from ._gateway import Emulator

__all__ = ["EmulatorServer"]


class EmulatorServer:
    """An ``Emulator`` served over HTTP on ``host:port`` (port 0: a free port).

    Use as ``async with EmulatorServer(Emulator()) as server:`` and point a client at
    ``server.url`` with ``server.credentials``. Leaving the block closes the listening socket
    and every connection; handlers still running (``latency``, ``SLOW``) are cancelled after
    ``shutdown_timeout`` *seconds*. Handlers are also cancelled when their client disconnects,
    as a real server stops working on a request nobody waits for.
    """

    def __init__(
        self,
        emulator: Emulator | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shutdown_timeout: float = 0.25,
    ) -> None:
        self.emulator = emulator if emulator is not None else Emulator()
        self.host = host
        self._requested_port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not started"
        return f"EmulatorServer({where})"

    @property
    def port(self) -> int:
        """The TCP port actually bound (the real one when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("the EmulatorServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``"http://127.0.0.1:41234"`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def credentials(self) -> Credentials:
        """``ncp_media_async.Credentials`` for the emulator's key pair."""
        return Credentials(self.emulator.access_key, self.emulator.secret_key)

    async def start(self) -> Self:
        """Bind and start serving; returns ``self``."""
        if self._runner is not None:
            raise RuntimeError("the EmulatorServer is already started")
        runner = web.AppRunner(
            self.emulator.make_app(),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
