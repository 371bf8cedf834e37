"""Benchmarks of ``ncp_media_async``: ``python -m benchmarks [NAME ...] [--quick] [--uvloop]``.

Each benchmark module measures one thing against a baseline in the same run and says whether
its target was met; ``benchmarks/README.md`` describes them. Modules are imported only when run
(the emulator subprocess, ``python -m ncp_media_async.testing``, needs none of them).
"""

from __future__ import annotations

import importlib
from typing import Protocol

from ._common import Options, Report

__all__ = ["BENCHMARKS", "Benchmark", "load"]

#: Every benchmark, in the order a full run goes through them.
BENCHMARKS = (
    "per_call", "per_item", "structuring", "prefetch", "polling", "memory", "processes",
    "ingest",
    "encodings", "journal", "otel",
)


class Benchmark(Protocol):
    """What a benchmark module provides."""

    NAME: str
    TITLE: str

    def run(self, options: Options) -> Report: ...


def load(name: str) -> Benchmark:
    """The benchmark module called ``name`` (one of ``BENCHMARKS``)."""
    if name not in BENCHMARKS:
        raise KeyError(name)
    module: Benchmark = importlib.import_module(f"{__name__}.{name}")
    return module
