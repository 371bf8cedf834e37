"""``LoopbackEmulator``: the project's emulator on a free loopback port, served by an event loop
in a thread of its own, for tests that run the command line or other processes against it."""

from __future__ import annotations

import asyncio
import threading

from click.testing import CliRunner, Result

from ncp_media_async.cli._app import cli
from ncp_media_async.testing import Emulator, EmulatorServer


class LoopbackEmulator:
    """An ``EmulatorServer`` on a free loopback port, served by a loop in its own thread."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = EmulatorServer(emulator)

    def __enter__(self) -> LoopbackEmulator:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    @property
    def url(self) -> str:
        return self.server.url

    def env(self) -> dict[str, str | None]:
        """The environment a user of this emulator would set (and nothing inherited)."""
        return {
            "NCP_ACCESS_KEY": self.emulator.access_key,
            "NCP_SECRET_KEY": self.emulator.secret_key,
            "NCLOUD_ACCESS_KEY": None,
            "NCLOUD_SECRET_KEY": None,
            "NCP_MEDIA_ENDPOINT": None,
            "COLUMNS": None,
        }

    def invoke(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        """``ncp-media --endpoint URL ARGS...`` with the emulator's credentials."""
        return CliRunner().invoke(
            cli,
            ["--endpoint", self.url, *args],
            input=input,
            env={**self.env(), **(env or {})},
            catch_exceptions=False,
        )
