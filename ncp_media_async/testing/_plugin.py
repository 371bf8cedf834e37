"""pytest fixtures: an emulator, a running server for it, and a client pointed at it.

Load with ``pytest -p ncp_media_async.testing`` or ``pytest_plugins = ["ncp_media_async.testing"]``
in a top-level ``conftest.py``. Every fixture is function-scoped, so each test gets fresh data
and fresh statistics. Override ``ncp_scenario`` in a ``conftest.py`` to change the data every
test starts with, or ``ncp_emulator`` to configure the emulator itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .._retry import RetryPolicy
from ..client import Endpoints, MediaClient
from ._data import Scenario
from ._gateway import Emulator
from ._server import EmulatorServer

__all__ = ["ncp_client", "ncp_emulator", "ncp_emulator_server", "ncp_scenario"]


@pytest.fixture
def ncp_scenario() -> Scenario:
    """The data :func:`ncp_emulator` starts with: the default seeded :class:`Scenario`."""
    return Scenario()


@pytest.fixture
def ncp_emulator(ncp_scenario: Scenario) -> Emulator:
    """A fresh :class:`Emulator` loaded with ``ncp_scenario``."""
    return Emulator(ncp_scenario)


@pytest_asyncio.fixture
async def ncp_emulator_server(ncp_emulator: Emulator) -> AsyncIterator[EmulatorServer]:
    """``ncp_emulator`` served on a free loopback port, closed after the test."""
    async with EmulatorServer(ncp_emulator) as server:
        yield server


@pytest_asyncio.fixture
async def ncp_client(ncp_emulator_server: EmulatorServer) -> AsyncIterator[MediaClient]:
    """A ``MediaClient`` for the emulator, with millisecond retry back-off, closed after."""
    client = MediaClient(
        ncp_emulator_server.credentials,
        endpoints=Endpoints.at(ncp_emulator_server.url),
        retry=RetryPolicy(initial_delay=0.001, max_delay=0.01),
    )
    async with client:
        yield client
