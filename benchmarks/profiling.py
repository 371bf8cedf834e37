"""``python -m benchmarks.profiling {per_call,per_item} [--pyinstrument] [--top N] [--out FILE]``.

Runs the client's side of a benchmark under a profiler against the emulator in its own process
and prints where the client's time goes. ``per_call``: ``status_statistics()`` at concurrency
50; ``per_item``: walking 20,000 encoding statuses in pages of 100, three times. With
``cProfile`` (the default) the top functions by ``--sort`` (``tottime``) are printed and
``--out`` keeps the ``pstats`` file; with ``--pyinstrument`` (``pip install pyinstrument``) a
sampled call tree is printed instead (less distorted for many small calls; time spent waiting in
``select`` is the emulator's, not the client's).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import ncp_media_async as ncp

from ._common import EmulatorProcess, run_async

CALLS, CONCURRENCY = 20_000, 50
ITEMS, PAGE_SIZE, WALKS = 20_000, 100, 3


class _Profiler(Protocol):
    def start(self) -> None: ...

    def stop(self) -> object: ...


class _CProfile:
    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def start(self) -> None:
        self.profile.enable()

    def stop(self) -> None:
        self.profile.disable()


async def _per_call(client: ncp.MediaClient, profile: _Profiler) -> None:
    await client.vod_station.status_statistics()  # warm-up
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < CALLS:
            await client.vod_station.status_statistics()

    profile.start()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    profile.stop()


async def _per_item(client: ncp.MediaClient, profile: _Profiler) -> None:
    await client.vod_station.encoding_statuses(page_size=PAGE_SIZE).to_list()  # warm-up
    profile.start()
    for _ in range(WALKS):
        async for _status in client.vod_station.encoding_statuses(page_size=PAGE_SIZE):
            pass
    profile.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("workload", choices=("per_call", "per_item"))
    parser.add_argument("--top", type=int, default=30, help="rows to print (30)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime)")
    parser.add_argument("--out", help="write the pstats data to this file")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true", help="sample with pyinstrument")
    args = parser.parse_args(argv)
    profiler: _Profiler
    if args.pyinstrument:
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0002, async_mode="disabled")
    else:
        profiler = _CProfile()
    workload: Callable[[ncp.MediaClient, _Profiler], Awaitable[None]]
    workload = _per_call if args.workload == "per_call" else _per_item

    with EmulatorProcess(encodings=ITEMS) as emu:

        async def go() -> None:
            async with ncp.MediaClient(
                emu.credentials, endpoints=ncp.Endpoints.at(emu.url), max_connections=CONCURRENCY
            ) as client:
                await workload(client, profiler)

        run_async(go, use_uvloop=args.uvloop)
    if isinstance(profiler, _CProfile):
        stats = pstats.Stats(profiler.profile, stream=sys.stdout)
        if args.out:
            stats.dump_stats(args.out)
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    else:
        print(profiler.output_text(unicode=True, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
