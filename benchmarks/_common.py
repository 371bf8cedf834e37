"""What every benchmark shares: options, reports and tables, the environment header, the event
loop runner, CPU/wall timing and the emulator in its own process."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

from ncp_media_async import Credentials
from ncp_media_async.testing import Banner

__all__ = [
    "REPO_ROOT",
    "EmulatorProcess",
    "Measure",
    "Options",
    "Report",
    "Table",
    "cpu_seconds",
    "cpu_split",
    "environment",
    "measure",
    "run_async",
]

T = TypeVar("T")

#: The directory holding the ``benchmarks`` package (subprocesses run from there).
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    """How to run: ``quick`` for the short smoke run, ``uvloop`` for the client's event loop."""

    quick: bool = False
    uvloop: bool = False


# -- reports --------------------------------------------------------------------------------


@dataclass
class Table:
    """A plain-text table with right-aligned numeric columns (left-aligned first column)."""

    headers: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    caption: str = ""

    def add(self, *cells: object) -> None:
        """Append a row (cells are turned into text)."""
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

        def line(cells: Sequence[str]) -> str:
            first, *rest = cells
            out = [first.ljust(widths[0])]
            out += [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
            return "| " + " | ".join(out) + " |"

        rule = (
            "|"
            + "|".join(
                "-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths)
            )
            + "|"
        )
        text = [line(self.headers), rule, *(line(r) for r in self.rows)]
        if self.caption:
            text.insert(0, self.caption + "\n")
        return "\n".join(text)


@dataclass
class Report:
    """What one benchmark found: its tables, its target and whether the run met it."""

    name: str
    title: str
    target: str
    passed: bool | None = None
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        parts = [f"## {self.name}: {self.title}", ""]
        for table in self.tables:
            parts += [table.render(), ""]
        parts += [f"- {note}" for note in self.notes]
        if self.notes:
            parts.append("")
        status = {True: "PASS", False: "MISS", None: "n/a"}[self.passed]
        parts.append(f"**Target:** {self.target} → **{status}**  ({self.seconds:.1f} s)")
        return "\n".join(parts)


# -- the environment --------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(options: Options) -> list[str]:
    """The header lines: machine, Python, library versions, event loop."""
    loop = f"uvloop {_version('uvloop')}" if options.uvloop else "asyncio"
    split = cpu_split()
    pinning = (
        f"client pinned to CPU {','.join(map(str, sorted(split[0])))}, emulator to CPU "
        f"{','.join(map(str, sorted(split[1])))}"
        if split is not None
        else "no CPU pinning (one CPU)"
    )
    libs = ", ".join(
        f"{name} {_version(name)}"
        for name in ("aiohttp", "yarl", "cattrs", "attrs", "orjson", "pydantic", "msgspec")
    )
    return [
        f"- machine: {os.cpu_count()} CPUs, {_cpu_model()}, {platform.system()} "
        f"{platform.release()}",
        f"- python: {platform.python_implementation()} {platform.python_version()}",
        f"- libraries: {libs}",
        f"- client event loop: {loop}; emulator: own process, "
        f"{'uvloop' if _has_uvloop() else 'asyncio'}; {pinning}",
    ]


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# -- running and measuring --------------------------------------------------------------------


def run_async(main: Callable[[], Coroutine[Any, Any, T]], *, use_uvloop: bool = False) -> T:
    """Run ``main()`` in a fresh event loop (uvloop's when asked)."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if use_uvloop:
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


@dataclass(frozen=True)
class Measure:
    """Wall and CPU seconds of one measured stretch (CPU: this process, all threads)."""

    wall: float
    cpu: float


@contextmanager
def measure() -> Iterator[list[Measure]]:
    """``with measure() as m: ...`` then ``m[0]`` holds the wall and CPU seconds taken.

    A full garbage collection runs first so that one variant does not pay for another's garbage.
    """
    gc.collect()
    out: list[Measure] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    yield out
    out.append(Measure(time.perf_counter() - wall0, time.process_time() - cpu0))


# -- the emulator, in its own process ---------------------------------------------------------


def cpu_split() -> tuple[set[int], set[int]] | None:
    """(client CPUs, emulator CPUs): the last allowed CPU for the emulator, the rest for the
    client; ``None`` on a single CPU or where affinity cannot be set."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is None:
        return None
    cpus = sorted(getaffinity(0))
    if len(cpus) < 2:
        return None
    return set(cpus[:-1]), {cpus[-1]}


def cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far (user + system).

    Read from ``/proc/PID/stat`` on Linux, else with psutil (the ``bench`` extra).
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # Fields 14 and 15 (utime, stime, in clock ticks) follow the ")" of the name.
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        import psutil  # type: ignore[import-untyped,unused-ignore]

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)


class EmulatorProcess:
    """The project's emulator launcher (``python -m ncp_media_async.testing``) in a child
    process, so its CPU is not the client's, holding exactly the benchmark data asked for.

    ``with EmulatorProcess(latency_ms=30, encodings=4000) as emu:`` then ``emu.url`` and
    ``emu.credentials``. It holds ``encodings`` realistic encoding statuses (the ``empty``
    scenario with that count: distinct items, thousands of distinct ``lastWorkTime`` values)
    and ``imports`` Media AI imports in ``benchmarks._data.WORKSPACE``/``PROJECT_ID`` from
    ``FIRST_ASSET_ID``, each ``COMPLETED`` at poll ``import_polls``; ``quota``
    (``REQUESTS/SECONDS``) is the launcher's ``--quota``. The child runs on uvloop
    when installed (it is the load generator, not what is measured) and stops when the block
    ends (or when this process dies: it watches its standard input); what it writes on stderr
    is kept for the error of a failed start. While it runs, it and this process are pinned to
    different CPUs (``cpu_split``): on a small machine the scheduler otherwise moves them onto
    one CPU now and then, and the client's CPU time per request jumps by a quarter from run to
    run.
    """

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        encodings: int = 0,
        imports: int = 0,
        import_polls: int = 1,
        quota: str | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self._args = [
            "--port=0",
            "--scenario=empty",
            f"--latency-ms={latency_ms}",
            f"--encodings={encodings}",
            f"--imports={imports}",
            f"--import-polls={import_polls}",
            "--import-failure-rate=0",
            "--stop-on-stdin-eof",
            *([f"--quota={quota}"] if quota else []),
        ]
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._affinity: set[int] | None = None
        self.url = ""
        self._credentials: Credentials | None = None

    def __enter__(self) -> Self:
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ncp_media_async.testing", *self._args],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        split = cpu_split()
        if split is not None:
            self._affinity = os.sched_getaffinity(0)
            os.sched_setaffinity(0, split[0])
            os.sched_setaffinity(self._proc.pid, split[1])
        assert self._proc.stdout is not None
        timer = threading.Timer(self._startup_timeout, self._proc.kill)  # a hung start ends
        timer.start()
        try:
            banner = Banner.parse(self._proc.stdout)  # its first two lines
        except ValueError as exc:
            self._stderr.seek(0)
            said = self._stderr.read().decode(errors="replace").strip()
            self.__exit__(None, None, None)
            raise RuntimeError(f"the emulator process did not start: {exc} {said}") from None
        finally:
            timer.cancel()
        self.url = banner.url
        self._credentials = Credentials(banner.access_key, banner.secret_key)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self._affinity is not None:
            os.sched_setaffinity(0, self._affinity)
            self._affinity = None
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, self._stderr):
            if stream is not None:
                stream.close()
        self._stderr = None

    @property
    def credentials(self) -> Credentials:
        """The emulator's key pair (once it has started)."""
        if self._credentials is None:
            raise RuntimeError("the emulator process is not running")
        return self._credentials

    def cpu_seconds(self) -> float:
        """CPU seconds the emulator process has used so far (user + system).

        Read from ``/proc/PID/stat`` on Linux, else with psutil (the ``bench`` extra).
        """
        if self._proc is None:
            raise RuntimeError("the emulator process is not running")
        return cpu_seconds(self._proc.pid)

    def stats(self) -> dict[str, Any]:
        """The emulator's counters (``GET /_emulator/stats``)."""
        with urllib.request.urlopen(f"{self.url}/_emulator/stats", timeout=10) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]
