"""What the VOD Station tests share: an emulator on a manual clock, served on loopback, and a
client that signs with the same clock (so time moves only when a test says so)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import attrs

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, ManualClock, Scenario

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


@attrs.define
class Vod:
    """A served emulator on a manual clock and a client on the same clock, whose every wait
    (a poller's interval, a back-off) is recorded in ``slept`` and moves that clock."""

    emulator: Emulator
    server: EmulatorServer
    clock: ManualClock
    client: ncp.MediaClient = attrs.field(init=False)
    slept: list[float] = attrs.field(factory=list)

    @property
    def store(self) -> Any:
        return self.emulator.vod_station

    @property
    def api(self) -> ncp.VodStation:
        return self.client.vod_station

    async def sleep(self, seconds: float) -> None:
        """An injected sleep: the emulator's time moves to the end of the sleep, no real time
        passes (two sleeps begun at once end at once, as they would in real time)."""
        self.slept.append(seconds)
        wake = self.clock() + seconds
        await asyncio.sleep(0)
        self.clock.advance(max(0.0, wake - self.clock()))

    def requests(self, route: str) -> int:
        return self.emulator.stats.requests[route]


@contextlib.asynccontextmanager
async def served_vod(
    scenario: Scenario | None = None, **options: Any
) -> AsyncIterator[Vod]:
    clock = ManualClock(time.time())
    emulator = Emulator(scenario or Scenario.empty(), clock=clock)
    options.setdefault("retry", FAST)
    async with EmulatorServer(emulator) as server:
        vod = Vod(emulator, server, clock)
        options.setdefault("sleep", vod.sleep)
        vod.client = ncp.MediaClient(
            server.credentials, endpoints=ncp.Endpoints.at(server.url), clock=clock,
            monotonic=clock, **options,
        )  # fmt: skip
        async with vod.client:
            yield vod
