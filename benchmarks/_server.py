"""``python -m benchmarks._server``: the project's emulator, loaded with benchmark data.

Like ``python -m ncp_media_async.testing`` it prints ``listening on http://HOST:PORT`` first,
then ``NCP_ACCESS_KEY=...`` and ``NCP_SECRET_KEY=...``. It adds what that command has no flags
for: exactly ``--encodings N`` realistic encoding statuses (``benchmarks._data``) and
``--imports N`` Media AI assets that each turn ``COMPLETED`` at poll ``--import-polls``. It runs on
uvloop when installed (it is the load generator, not what is measured) and stops on SIGTERM,
SIGINT or when its standard input closes (the parent died).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence

from ncp_media_async.testing import Emulator, EmulatorServer, Scenario

from ._data import FIRST_ASSET_ID, PROJECT_ID, WORKSPACE, encoding_items

__all__ = ["build_emulator", "main"]


def build_emulator(
    *, latency_ms: float = 0.0, encodings: int = 0, imports: int = 0, import_polls: int = 1
) -> Emulator:
    """An emulator holding exactly the benchmark data asked for."""
    emulator = Emulator(Scenario.empty(), latency=latency_ms / 1000)
    if encodings:
        emulator.vod_station.set_encoding_statuses(encoding_items(encodings, work_start=True))
    for i in range(imports):
        emulator.media_ai.add_import(
            WORKSPACE, PROJECT_ID, FIRST_ASSET_ID + i, outcome="COMPLETED", polls=import_polls
        )
    return emulator


async def _serve(args: argparse.Namespace) -> None:
    emulator = build_emulator(
        latency_ms=args.latency_ms,
        encodings=args.encodings,
        imports=args.imports,
        import_polls=args.import_polls,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    async with EmulatorServer(emulator, port=args.port) as server:
        print(f"listening on {server.url}", flush=True)
        print(f"NCP_ACCESS_KEY={emulator.access_key}")
        print(f"NCP_SECRET_KEY={emulator.secret_key}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--encodings", type=int, default=0)
    parser.add_argument("--imports", type=int, default=0)
    parser.add_argument("--import-polls", type=int, default=1)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(_serve(args))
        else:
            uvloop.run(_serve(args))


if __name__ == "__main__":
    main()
