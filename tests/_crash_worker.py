"""``ncp-media`` run in a child of a fork server, for tests/test_journal_crash.py.

Starting the command line in a fresh interpreter takes about a second on a loaded machine (its
imports); a child forked from a server that has imported it already starts in milliseconds, so
that twenty rounds of kill -9 cost little more than the work itself. The child is an ordinary
process: ``Process.kill()`` is SIGKILL, and nothing of it runs after that (no ``finally``, no
flush, no ``atexit``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from multiprocessing.context import ForkServerContext

#: What the fork server imports once, before forking each child.
PRELOAD = ["ncp_media_async.cli._app", "_crash_worker"]


def context() -> ForkServerContext:
    """The fork-server context, its server importing ``PRELOAD`` (it starts with the first
    process)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def stop_server() -> None:
    """Stop the fork server (started again by the next process, if any)."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # type: ignore[attr-defined]


def run(argv: Sequence[str], env: Mapping[str, str], out: str, err: str) -> None:
    """``ncp-media ARGV`` with ``env`` added to the environment, its stdout in the file ``out``
    and its stderr in ``err``; the child's exit code is the command's."""
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(file, fd)
        os.close(file)
    from ncp_media_async.cli import main

    main(list(argv))  # raises SystemExit: multiprocessing makes it the exit code
