"""Shared fixtures. The emulator's fixtures come from the package's own pytest plugin, loaded by
its ``pytest11`` entry point as in users' projects."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterator

import pytest
from _redis import RedisServer, running


def pytest_configure(config: pytest.Config) -> None:
    # A shell without job control starts a background command with SIGINT ignored, and a child
    # process inherits that: the Ctrl-C tests would then wait for a command that cannot hear
    # the signal. Take SIGINT back so that the commands the tests start hear it as a user's do.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


async def _leftover_tasks(rounds: int = 20) -> list[asyncio.Task[object]]:
    """Client-side tasks still pending after the loop ran ``rounds`` times (no real time).

    The emulator's own connection handlers (aiohttp ``RequestHandler``) live on the same loop
    and are not the client's: they are left out.
    """
    for _ in range(rounds):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    return [
        t
        for t in asyncio.all_tasks()
        if t is not current
        and not t.done()
        and not t.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
    ]


@pytest.fixture
def leftover_tasks() -> Callable[[], Awaitable[list[asyncio.Task[object]]]]:
    """``await leftover_tasks()``: the client's tasks still pending (should be none)."""
    return _leftover_tasks


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port for the whole session (tests share it:
    give every shared limit a name of its own). Skips when redis-server is absent locally;
    fails instead in CI, which installs it."""
    with running() as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A ``redis-server`` of the test's own, which it may stop and start again (same port)."""
    with running() as server:
        yield server
