"""Progress of a command on stderr (``--progress``), stage by stage: a live rich bar per stage
on a terminal, plain ``progress:`` lines otherwise, or nothing.

A command opens one ``ProgressDisplay`` and adds a ``Stage`` per phase of its work (``wait-
imports`` has one, ``imports``; a pipeline can show ``import`` and ``index`` one under the
other). The bar and the plain lines say the same thing, from one formatter (``describe``):

```text
progress: imports 200/1,501 (13%), 18 failed, 199/s, elapsed 1.0s, ETA 7s
progress: imports 1,501/1,501 (100%), 182 failed, 153/s, elapsed 9.8s
```

``failed`` counts the items that ended without success, as the command's summary does; a
finished stage shows no ETA. The rate, and the ETA from it, count from the stage's first item
to end: a later stage of a pipeline (``indexed`` behind ``imported``) waits for its first input,
and counting that wait read one item in 2 s as 2,000 items in an hour (``ETA 1h06m`` for a
stage that took 12 s).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TaskID
from rich.text import Text

from ._columns import printable
from ._output import Output

ProgressMode = Literal["auto", "bar", "plain", "off"]
PROGRESS_MODES: tuple[ProgressMode, ...] = ("auto", "bar", "plain", "off")


def fmt_seconds(seconds: float) -> str:
    """A duration for people: ``9.8s``, ``4m05s``, ``2h03m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def describe(
    done: int,
    total: int,
    failed: int,
    elapsed: float,
    *,
    ended: bool = False,
    since: tuple[float, int] = (0.0, 0),
) -> str:
    """``200/1,501 (13%), 18 failed, 199/s, elapsed 1.0s, ETA 7s``.

    Args:
        done: items ended so far, ``failed`` of them without success, of ``total``.
        elapsed: seconds since the stage began.
        ended: the stage is over (done or not): no ETA.
        since: the stage's ``elapsed`` seconds and ``done`` count when its first item ended;
            the rate is the pace since then (the wait for a first input is not work), and
            there is no ETA until a later item ends.
    """
    share = f" ({done / total:.0%})" if total else ""
    began, before = since
    pace = (done - before) / (elapsed - began) if done > before and elapsed > began else None
    rate = done / max(elapsed, 1e-9) if pace is None else pace
    parts = [f"{done:,}/{total:,}{share}", f"{failed:,} failed", f"{rate:,.0f}/s"]
    parts.append(f"elapsed {fmt_seconds(elapsed)}")
    if pace is not None and done < total and not ended:
        parts.append(f"ETA {fmt_seconds((total - done) / pace)}")
    return ", ".join(parts)


class _DescribeColumn(ProgressColumn):
    """The bar's text: ``describe`` of the task (elapsed frozen once it finished or stopped)."""

    def render(self, task: Task) -> Text:
        total = int(task.total or 0)
        elapsed = task.finished_time if task.finished else task.elapsed
        failed: int = task.fields.get("failed", 0)
        ended = task.finished or task.stop_time is not None
        since: tuple[float, int] = task.fields.get("since", (0.0, 0))
        done = int(task.completed)
        return Text(describe(done, total, failed, elapsed or 0.0, ended=ended, since=since))


class Stage:
    """One phase of the work: ``total`` items, of which ``done`` ended, ``failed`` badly."""

    def __init__(self, display: ProgressDisplay, label: str, total: int) -> None:
        self.display = display
        #: The label, control characters escaped (it may be a name the service gave).
        self.label = printable(label)
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = display.clock()
        self._last_line = self.started
        self._line_done = -1  # ``done`` when the last plain line was printed
        #: Seconds into the stage and ``done`` when its first item ended (see ``describe``).
        self.since = (0.0, 0)
        self._task: TaskID | None = None
        if display.bar is not None:
            # The bar's description is rich markup: the label is shown as it is.
            self._task = display.bar.add_task(escape(self.label), total=total, failed=0)

    def update(self, *, done: int, failed: int) -> None:
        """``done`` items ended so far, ``failed`` of them without success."""
        now = self.display.clock()
        if self.done == 0 < done:
            self.since = (now - self.started, done)
        self.done, self.failed = done, failed
        if self.display.bar is not None and self._task is not None:
            self.display.bar.update(self._task, completed=done, failed=failed, since=self.since)
        elif self.display.mode == "plain":
            if done >= self.total:
                self.finish()
            elif now - self._last_line >= self.display.every:
                self._last_line = now
                self._line(now)

    def finish(self) -> None:
        """The stage is over (done or not): its clock stops, and its last plain line is
        printed unless it already was."""
        if self.display.bar is not None and self._task is not None:
            self.display.bar.stop_task(self._task)
        elif self.display.mode == "plain" and self._line_done != self.done:
            self._line(self.display.clock(), ended=True)

    def _line(self, now: float, *, ended: bool = False) -> None:
        self._line_done = self.done
        elapsed = now - self.started
        text = describe(self.done, self.total, self.failed, elapsed, ended=ended, since=self.since)
        click.echo(f"progress: {self.label} {text}", err=True)


def _is_a_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (not if it has no ``isatty`` or is closed)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressDisplay:
    """The progress of a command on stderr: ``with ProgressDisplay(output, mode) as progress:``,
    then ``progress.stage(label, total)`` for each phase.

    ``auto`` is a live bar when stderr is a terminal (really one: not a file that
    ``FORCE_COLOR`` makes rich take for one), else plain lines at most every ``every``
    seconds per stage (and a last one when the stage or the display ends); ``off`` shows
    nothing. While the bar is live and stdout is the same terminal, ``output.live`` is set so
    that rows are printed above the bar. Leaving the block (normally, on an error or on Ctrl-C)
    prints the final state of every stage exactly once."""

    def __init__(
        self,
        output: Output,
        mode: ProgressMode = "auto",
        *,
        every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode == "auto":
            # rich also takes FORCE_COLOR or TTY_COMPATIBLE for a terminal: a log file would
            # get the bar's frames. A live bar needs stderr to be one.
            mode = "bar" if _is_a_terminal(sys.stderr) and output.err.is_terminal else "plain"
        self.mode = mode
        self.output = output
        self.every = every
        self.clock = clock
        self.stages: list[Stage] = []
        self.bar: Progress | None = None

    def __enter__(self) -> ProgressDisplay:
        if self.mode == "bar":
            self.bar = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                "[bold]{task.description}",
                BarColumn(bar_width=8),
                _DescribeColumn(),
                # Two columns spare: the "^C" a terminal echoes on Ctrl-C lands there instead
                # of wrapping the bar onto a second line, which rich's last redraw (it only
                # knows the one line) would leave behind as a stale copy of the bar.
                console=Console(stderr=True, width=max(self.output.err.width - 2, 20)),
                redirect_stdout=sys.stdout.isatty(),
                redirect_stderr=True,
                get_time=self.clock,  # the stages' clock: their ``since`` is on it
            )
            self.bar.start()
            if sys.stdout.isatty():  # one terminal: rows go above the bar
                self.output.live = self.bar.console
        return self

    def stage(self, label: str, total: int) -> Stage:
        """A new phase, shown under the ones before it."""
        stage = Stage(self, label, total)
        self.stages.append(stage)
        return stage

    def __exit__(self, *exc: object) -> None:
        for stage in self.stages:
            stage.finish()
        if self.bar is not None:
            self.bar.stop()  # renders the final state once; the bar is not redrawn after
            self.bar = None
            self.output.live = None
