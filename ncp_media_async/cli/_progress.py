"""Progress of a batch on stderr (``--progress``): a live rich bar on a terminal, plain
``progress:`` lines otherwise, or nothing."""

from __future__ import annotations

import sys
import time
from typing import Any, Literal

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ._output import Output

ProgressMode = Literal["auto", "bar", "plain", "off"]
PROGRESS_MODES: tuple[ProgressMode, ...] = ("auto", "bar", "plain", "off")


class _RateColumn(ProgressColumn):
    """Completed items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class ProgressReporter:
    """Progress of a batch on stderr: a live rich bar when stderr is a terminal (``auto``),
    plain ``progress:`` lines at most every ``every`` seconds otherwise, or nothing (``off``).

    While the bar is live and stdout is the same terminal, ``output.live`` is set so that rows
    are printed above the bar."""

    def __init__(
        self,
        output: Output,
        total: int,
        *,
        label: str,
        mode: ProgressMode = "auto",
        every: float = 1.0,
    ) -> None:
        if mode == "auto":
            mode = "bar" if output.err.is_terminal else "plain"
        self.mode = mode
        self.output = output
        self.total = total
        self.label = label
        self.every = every
        self.done = 0
        self.failed = 0
        self._start = time.monotonic()
        self._last_print = self._start
        self._printed = -1
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> ProgressReporter:
        self._start = self._last_print = time.monotonic()
        if self.mode == "bar":
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TimeElapsedColumn(),
                console=self.output.err,
                redirect_stdout=sys.stdout.isatty(),
                redirect_stderr=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, failed=0)
            if sys.stdout.isatty():  # one terminal: rows go above the bar
                self.output.live = self._bar.console
        return self

    def update(self, *, done: int, failed: int) -> None:
        """``done`` items finished so far, ``failed`` of them badly."""
        self.done, self.failed = done, failed
        if self._bar is not None:
            self._bar.update(self._task, completed=done, failed=failed)
        elif self.mode == "plain":
            now = time.monotonic()
            if now - self._last_print >= self.every:
                self._last_print = now
                self._print_line(now)

    def _print_line(self, now: float) -> None:
        self._printed = self.done
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        eta = (
            f"ETA {(self.total - self.done) / rate:.0f}s"
            if rate > 0 and self.done < self.total
            else f"in {elapsed:.1f}s"
        )
        click.echo(
            f"progress: {self.label} {self.done:,}/{self.total:,}{share}, {rate:,.1f}/s, "
            f"{self.failed:,} failed, {eta}",
            err=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self.output.live = None
        elif self.mode == "plain" and self._printed != self.done:
            self._print_line(time.monotonic())
