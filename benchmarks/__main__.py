"""``python -m benchmarks [NAME ...] [--quick] [--uvloop] [--markdown FILE]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import BENCHMARKS, load
from ._common import Options, environment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of ncp_media_async against raw aiohttp, pydantic and msgspec; "
        "every ratio is measured in the same run.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run ({', '.join(BENCHMARKS)})"
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (< 30 s)")
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report to FILE")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    options = Options(quick=args.quick, uvloop=args.uvloop)
    names = args.names or list(BENCHMARKS)

    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    out = [
        "# ncp_media_async benchmarks" + (" (quick)" if options.quick else ""),
        "",
        f"`{command.strip()}`",
        "",
        *environment(options),
        "",
    ]
    print("\n".join(out), flush=True)
    started = time.perf_counter()
    verdicts: list[tuple[str, bool | None]] = []
    for name in names:
        module = load(name)
        t0 = time.perf_counter()
        report = module.run(options)
        report.seconds = time.perf_counter() - t0
        verdicts.append((name, report.passed))
        text = report.render()
        print(text + "\n", flush=True)
        out += [text, ""]
    summary = ", ".join(
        f"{n} {'PASS' if ok else 'MISS' if ok is False else 'n/a'}" for n, ok in verdicts
    )
    tail = f"Summary: {summary} ({time.perf_counter() - started:.0f} s in all)"
    print(tail)
    out.append(tail)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
