"""A real ``redis-server`` for the tests of the shared rate limit and the scale-out recipe:
``running()`` starts one (``ncp_media_async.testing._redis.RedisServer``) or skips the test
when ``redis-server`` is not installed (fails instead in CI)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

from ncp_media_async.testing._redis import RedisServer, free_port

__all__ = ["MISSING", "RedisServer", "free_port", "require_redis", "running"]

#: Why the tests that need Redis cannot run here (``None``: they can).
MISSING = (
    None
    if shutil.which("redis-server")
    else "redis-server is not installed (Debian: apt-get install redis-server; CI installs it)"
)


def require_redis() -> None:
    """Skip the test when ``redis-server`` is absent locally; in CI (``CI`` set), fail: CI
    installs it, so a missing one is a broken set-up, not a reason to run less."""
    if MISSING is not None:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)


@contextlib.contextmanager
def running() -> Iterator[RedisServer]:
    """A started ``RedisServer`` for the ``with`` block (see ``require_redis``)."""
    require_redis()
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()
