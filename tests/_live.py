"""``served_live``: an emulator on a manual clock, served on loopback, and a client for it (the
Live Station tests' common setting)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async.testing import (
    Call,
    Emulator,
    EmulatorServer,
    LiveStationStore,
    ManualClock,
    Route,
    Scenario,
    StoreRoute,
)

T0 = 1_755_590_400.0  # 2025-08-19T08:00:00Z, epoch seconds
FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


@attrs.define
class Live:
    """The emulator, its clock, its server and a client pointed at it."""

    emulator: Emulator
    clock: ManualClock
    server: EmulatorServer
    client: ncp.MediaClient

    @property
    def store(self) -> LiveStationStore:
        return self.emulator.live_station

    @property
    def api(self) -> ncp.LiveStation:
        return self.client.live_station

    def requests(self, route: Route) -> int:
        """Requests the emulator saw on ``route`` (both zones)."""
        return self.emulator.stats.requests[route]


@contextlib.asynccontextmanager
async def served_live(
    scenario: Scenario | None = None,
    *,
    zone: Callable[[str], ncp.Endpoints] = ncp.Endpoints.at,
    **options: Any,
) -> AsyncIterator[Live]:
    """An empty emulator (unless ``scenario``) at ``T0``, and a client in ``zone`` signing with
    the emulator's clock and retrying after milliseconds."""
    clock = ManualClock(T0)
    emulator = Emulator(scenario or Scenario.empty(), clock=clock)
    async with EmulatorServer(emulator) as server:
        client = ncp.MediaClient(
            server.credentials, endpoints=zone(server.url), clock=clock, retry=FAST, **options
        )
        async with client:
            yield Live(emulator, clock, server, client)


def serve_raw(
    monkeypatch: pytest.MonkeyPatch, route: Route, body: bytes, status: int = 200
) -> None:
    """Make every Live Station store created from now on answer ``route`` with ``body`` as is
    (for the answers the documents allow but the emulator does not give)."""
    declared = LiveStationStore.routes

    def answer(call: Call) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type="application/json")

    def routes(store: LiveStationStore) -> tuple[StoreRoute, ...]:
        return tuple(
            attrs.evolve(r, handler=answer) if r.name == route else r for r in declared(store)
        )

    monkeypatch.setattr(LiveStationStore, "routes", routes)


async def until(condition: Callable[[], bool], *, seconds: float = 5.0) -> None:
    """Let the event loop run until ``condition()`` holds (checked every millisecond, for at
    most ``seconds``)."""
    for _ in range(int(seconds * 1000)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"not met within {seconds} s")
