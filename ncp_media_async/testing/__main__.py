"""``python -m ncp_media_async.testing``: serve the emulator until SIGINT/SIGTERM.

The first line on stdout is exactly ``listening on http://HOST:PORT`` (the real port when
``--port 0``), flushed at once so that a parent process can read it; then
``NCP_ACCESS_KEY=...`` and ``NCP_SECRET_KEY=...`` (the key pair to sign with) and a summary of
the loaded data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._data import Scenario
from ._faults import DEFAULT_FAULT_KINDS, Fault, FaultPlan
from ._gateway import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from ._server import EmulatorServer

_SCENARIOS = {"default": Scenario.default, "demo": Scenario.demo, "empty": Scenario.empty}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ncp_media_async.testing",
        description="Serve an emulator of the NCP media APIs (VOD Station, Live Station, "
        "Media AI) with signature checking and optional fault injection.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port, 0 for any free (8080)")
    parser.add_argument("--seed", type=int, default=0, help="data and fault seed (0)")
    parser.add_argument("--scenario", choices=tuple(_SCENARIOS), default="default", help="data set")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay per request, milliseconds (0)"
    )
    parser.add_argument(
        "--clock-offset", type=float, default=0.0, help="server clock offset, seconds (0)"
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="probability of a fault per request (0)"
    )
    parser.add_argument(
        "--fault-kinds",
        default=",".join(kind.value for kind in Fault if kind in DEFAULT_FAULT_KINDS),
        help="comma-separated kinds: " + ", ".join(kind.value for kind in Fault),
    )
    parser.add_argument(
        "--retry-after",
        default="0",
        help="Retry-After seconds sent with 429 faults; 'none' for no header (0)",
    )
    parser.add_argument(
        "--slow-seconds", type=float, default=5.0, help="delay of a SLOW fault, seconds (5)"
    )
    parser.add_argument(
        "--statistics-as-strings",
        action="store_true",
        help="send waiting/running/failure counts as strings, as the doc's field table says",
    )
    parser.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    args = parser.parse_args(argv)
    try:
        args.fault_kinds = frozenset(
            Fault(kind.strip()) for kind in args.fault_kinds.split(",") if kind.strip()
        )
    except ValueError as exc:
        parser.error(str(exc))
    if not 0.0 <= args.fault_rate <= 1.0:
        parser.error("--fault-rate must be between 0 and 1")
    return args


def build_emulator(args: argparse.Namespace) -> Emulator:
    """The emulator the command-line options describe."""
    scenario = _SCENARIOS[args.scenario](args.seed)
    plan = None
    if args.fault_rate > 0:
        plan = FaultPlan(
            seed=args.seed,
            rate=args.fault_rate,
            kinds=args.fault_kinds,
            retry_after=None if args.retry_after.lower() == "none" else args.retry_after,
            slow_seconds=args.slow_seconds,
        )
    emulator = Emulator(
        scenario,
        access_key=args.access_key,
        secret_key=args.secret_key,
        clock_offset=args.clock_offset,
        latency=args.latency_ms / 1000,
        fault_plan=plan,
    )
    emulator.vod_station.status_statistics_as_strings = args.statistics_as_strings
    return emulator


async def _serve(args: argparse.Namespace) -> None:
    emulator = build_emulator(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(signum, stop.set)
    async with EmulatorServer(emulator, args.host, args.port) as server:
        print(f"listening on {server.url}", flush=True)
        print(f"NCP_ACCESS_KEY={emulator.access_key}")
        print(f"NCP_SECRET_KEY={emulator.secret_key}")
        info = emulator.info()
        print(f"vod channels: {' '.join(info['vod_channels']) or '-'}")
        print(f"live channels: {' '.join(info['live_channels']) or '-'}")
        print(f"encoding statuses: {info['encoding_statuses']}")
        refs = info["imports"]
        if refs:
            workspace, project, first = refs[0]
            print(
                f"imports: {len(refs)} in workspace {workspace!r} project {project!r}, "
                f"video asset ids {first}..{refs[-1][2]} (GET {server.url}/_emulator/info)"
            )
        if emulator.fault_plan is not None:
            print(f"faults: {emulator.fault_plan}")
        print("press Ctrl-C to stop", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
