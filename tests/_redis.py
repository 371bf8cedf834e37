"""``RedisServer``: a real ``redis-server`` on a free loopback port, in a process of its own,
without persistence, for the tests of the shared rate limit and the scale-out recipe."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Self

import pytest

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """``redis-server`` on ``127.0.0.1:port`` (a free one unless given), started by ``start``
    and stopped by ``stop``; ``start`` again brings it back on the same port, empty."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.mkdtemp(prefix="ncp-redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Self:
        self._proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self._dir, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return self
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[RedisServer]:
    """A started ``RedisServer`` for the ``with`` block (see ``require_redis``)."""
    require_redis()
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()
