"""Memory: streaming a million encoding statuses keeps the peak RSS flat; ``to_list`` grows.

The emulator (own process) holds 1,000,000 distinct encoding statuses. Each case runs in a
fresh Python process (``python -m benchmarks.memory --child MODE N``) that walks the first N
items with page size 1000 and reports its own peak RSS (``VmHWM``, see ``_peak_rss_mb``):
``async for`` over the pager (each record dropped once seen) and ``await pager.to_list()``
(every record kept), at 100,000 and 1,000,000 items, plus a baseline process that fetches one
page. Streaming should cost the same at 100k and 1M; ``to_list`` grows with N, and its growth
per item is what a held record costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import ncp_media_async as ncp

from ._common import REPO_ROOT, EmulatorProcess, Options, Report, Table, run_async

NAME = "memory"
TITLE = "peak RSS: async for over 100k and 1M items vs to_list()"
PAGE_SIZE = 1000
#: Streaming 1M may use at most this much more peak RSS than streaming 100k.
FLAT_TOLERANCE_MB = 5.0
URL_ENV = "NCP_BENCH_URL"


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB.

    On Linux, ``VmHWM`` from ``/proc/self/status``: ``getrusage``'s ``ru_maxrss`` would include
    the *parent's* RSS, which the kernel carries over into the child's at ``exec``, so a child of
    a big benchmark process would report the parent's size. Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _child_walk(mode: str, count: int) -> dict[str, Any]:
    creds = ncp.Credentials.from_env()
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(os.environ[URL_ENV])) as client:
        pager = client.vod_station.encoding_statuses(page_size=PAGE_SIZE, max_items=count)
        t0, c0 = time.perf_counter(), time.process_time()
        if mode == "list":
            seen = len(await pager.to_list())
        else:
            seen = 0
            async for _status in pager:
                seen += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"items": seen, "wall": wall, "cpu": cpu, "peak_rss_mb": _peak_rss_mb()}


def child_main(argv: Sequence[str]) -> int:
    """Entry point of one measured process: prints one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory --child")
    parser.add_argument("mode", choices=("stream", "list"))
    parser.add_argument("count", type=int)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args(argv)
    result = run_async(lambda: _child_walk(args.mode, args.count), use_uvloop=args.uvloop)
    print(json.dumps(result), flush=True)
    return 0


def _measure(emu: EmulatorProcess, mode: str, count: int, options: Options) -> dict[str, Any]:
    env = {
        **os.environ,
        URL_ENV: emu.url,
        "NCP_ACCESS_KEY": emu.credentials.access_key,
        "NCP_SECRET_KEY": emu.credentials.secret_key,
    }
    cmd = [sys.executable, "-m", "benchmarks.memory", "--child", mode, str(count)]
    if options.uvloop:
        cmd.append("--uvloop")
    out = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True, timeout=600
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["items"] != count:
        raise RuntimeError(f"{mode} {count}: walked {result['items']} items")
    return result


def run(options: Options) -> Report:
    small, large = (10_000, 100_000) if options.quick else (100_000, 1_000_000)
    report = Report(
        NAME,
        TITLE,
        f"streaming peak RSS at {large:,} ≤ at {small:,} + {FLAT_TOLERANCE_MB:g} MB",
    )
    cases = [
        ("baseline (one page)", "stream", PAGE_SIZE),
        ("async for", "stream", small),
        ("async for", "stream", large),
        ("to_list()", "list", small),
        ("to_list()", "list", large),
    ]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with EmulatorProcess(encodings=large) as emu:
        _measure(emu, "stream", PAGE_SIZE, options)  # the emulator's first request indexes it
        for _label, mode, count in cases:
            results[(mode, count)] = _measure(emu, mode, count, options)
    base = results[("stream", PAGE_SIZE)]["peak_rss_mb"]
    table = Table(
        ["case", "items", "peak RSS MB", "over baseline MB", "walk s", "CPU µs/item"],
        caption=f"one fresh process per case, page size {PAGE_SIZE}, emulator holds {large:,}",
    )
    for label, mode, count in cases:
        r = results[(mode, count)]
        table.add(
            label,
            f"{count:,}",
            f"{r['peak_rss_mb']:.1f}",
            f"{r['peak_rss_mb'] - base:+.1f}",
            f"{r['wall']:.2f}",
            f"{r['cpu'] / count * 1e6:.2f}",
        )
    report.tables.append(table)
    growth = results[("stream", large)]["peak_rss_mb"] - results[("stream", small)]["peak_rss_mb"]
    per_record = (
        (results[("list", large)]["peak_rss_mb"] - results[("list", small)]["peak_rss_mb"])
        * 1024
        * 1024
        / (large - small)
    )
    report.notes.append(
        f"streaming: {growth:+.1f} MB from {small:,} to {large:,} items; to_list(): "
        f"{per_record:,.0f} bytes of peak RSS per extra record held."
    )
    report.passed = growth <= FLAT_TOLERANCE_MB
    return report


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child_main(sys.argv[2:]))
    print("usage: python -m benchmarks memory   (this module is run by python -m benchmarks)")
    sys.exit(2)
