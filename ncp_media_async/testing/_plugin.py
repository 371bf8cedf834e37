"""pytest fixtures: an emulator, a running server for it, and a client pointed at it.

pytest loads this module by itself through the package's ``pytest11`` entry point (named
``ncp_media_async``; ``-p no:ncp_media_async`` turns it off); ``pytest -p
ncp_media_async.testing`` or ``pytest_plugins = ["ncp_media_async.testing"]`` also work.
Every fixture is function-scoped, so each test gets fresh data and fresh statistics. Override
``ncp_scenario`` in a ``conftest.py`` to change the data every test starts with, or
``ncp_emulator`` to configure the emulator itself.

``ncp_emulator_server`` and ``ncp_client`` are async fixtures of pytest-asyncio (the
``testing`` extra installs it); without pytest-asyncio they are not defined, and a pytest run
that does not use them goes on undisturbed. They run in the event loop pytest-asyncio gives
fixtures (the loop of the test by default, ``asyncio_default_fixture_loop_scope`` otherwise).
In pytest-asyncio's default *strict* mode a coroutine test must be marked to run; this plugin
marks ``@pytest.mark.asyncio`` a coroutine test that asks for ``ncp_emulator_server`` or
``ncp_client`` by name (a test that reaches them through a fixture of its own, or that wants
another loop scope, marks itself).

This module itself imports only pytest (and pytest-asyncio when present): the emulator, aiohttp
and the client are imported when a fixture first runs. (Python imports its parent packages
first, ``ncp_media_async`` and ``ncp_media_async.testing``; what pytest's start-up costs is
what they import.)
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..client import MediaClient
    from ._data import Scenario
    from ._gateway import Emulator
    from ._server import EmulatorServer

try:
    import pytest_asyncio
except ImportError:  # the `testing` extra is not installed: only the synchronous fixtures
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["ASYNC_FIXTURES", "ncp_emulator", "ncp_scenario"]

#: The fixtures that need a running event loop (defined only with pytest-asyncio).
ASYNC_FIXTURES = frozenset({"ncp_emulator_server", "ncp_client"})


@pytest.fixture
def ncp_scenario() -> Scenario:
    """The data ``ncp_emulator`` starts with: the default seeded ``Scenario``.

    Examples:
        Fewer encodings, no imports, for every test of a project (in its ``conftest.py``):

        ```python
        import pytest
        from ncp_media_async.testing import Scenario

        @pytest.fixture
        def ncp_scenario() -> Scenario:
            return Scenario(seed=7, encodings=50, imports=0)
        ```
    """
    from ._data import Scenario

    return Scenario()


@pytest.fixture
def ncp_emulator(ncp_scenario: Scenario) -> Emulator:
    """A fresh ``Emulator`` loaded with ``ncp_scenario``.

    Examples:
        Seed what a test needs, then look at what the client sent:

        ```python
        async def test_a_failed_import_is_reported(ncp_emulator, ncp_client):
            ncp_emulator.media_ai.add_import("ws", "1", 42, outcome="FAILED", polls=1)
            status = await ncp_client.media_ai.import_status("ws", "1", "42")
            assert status.upload_status == "FAILED"
            assert ncp_emulator.stats.total_requests == 1
        ```
    """
    from ._gateway import Emulator

    return Emulator(ncp_scenario)


if pytest_asyncio is not None:
    __all__ += sorted(ASYNC_FIXTURES)

    @pytest_asyncio.fixture
    async def ncp_emulator_server(ncp_emulator: Emulator) -> AsyncIterator[EmulatorServer]:
        """``ncp_emulator`` served on a free loopback port, closed after the test.

        Examples:
            A client of your own (your options) against it:

            ```python
            import ncp_media_async as ncp

            async def test_my_client(ncp_emulator_server):
                endpoints = ncp.Endpoints.at(ncp_emulator_server.url)
                async with ncp.MediaClient(
                    ncp_emulator_server.credentials, endpoints=endpoints, max_retries=0
                ) as client:
                    assert (await client.vod_station.status_statistics()).total >= 0
            ```
        """
        from ._server import EmulatorServer

        async with EmulatorServer(ncp_emulator) as server:
            yield server

    @pytest_asyncio.fixture
    async def ncp_client(ncp_emulator_server: EmulatorServer) -> AsyncIterator[MediaClient]:
        """A ``MediaClient`` for the emulator, with millisecond retry back-off, closed after.

        Examples:
            ```python
            async def test_statistics(ncp_client):
                stats = await ncp_client.vod_station.status_statistics()
                assert stats.total == stats.waiting + stats.running + stats.complete + (
                    stats.failure + stats.canceled
                )
            ```
        """
        from .._retry import RetryPolicy
        from ..client import Endpoints, MediaClient

        client = MediaClient(
            ncp_emulator_server.credentials,
            endpoints=Endpoints.at(ncp_emulator_server.url),
            retry=RetryPolicy(initial_delay=0.001, max_delay=0.01),
        )
        async with client:
            yield client

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(
        collector: pytest.Module | pytest.Class, name: str, obj: object
    ) -> None:
        """Mark ``asyncio`` a coroutine test that asks for an async fixture of this plugin by
        name, unless it, its class or its module already carries an ``asyncio`` mark (whose
        loop scope then holds). Collection itself is left to pytest and pytest-asyncio."""
        if not (inspect.iscoroutinefunction(obj) and collector.istestfunction(obj, name)):
            return
        if ASYNC_FIXTURES.isdisjoint(inspect.signature(obj).parameters):
            return
        marks = getattr(obj, "pytestmark", [])
        if any(mark.name == "asyncio" for mark in marks):
            return
        if collector.get_closest_marker("asyncio") is None:
            pytest.mark.asyncio(obj)
