"""The progress display: plain lines with an injected clock, and the live bar as a person sees
it, in a pseudo-terminal of 80 columns read back through a terminal emulator (pyte)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pyte
import pytest

from ncp_media_async.cli._output import Output
from ncp_media_async.cli._progress import ProgressDisplay, describe, fmt_seconds

# ------------------------------------------------------------------------------ the words


def test_describe_says_percent_failures_rate_elapsed_and_eta() -> None:
    assert describe(200, 1501, 18, 1.0) == (
        "200/1,501 (13%), 18 failed, 200/s, elapsed 1.0s, ETA 6.5s"
    )
    # Done, or ended early (Ctrl-C, a timeout): no ETA.
    assert describe(1501, 1501, 182, 9.84) == "1,501/1,501 (100%), 182 failed, 153/s, elapsed 9.8s"
    assert describe(700, 1501, 0, 5.0, ended=True) == (
        "700/1,501 (47%), 0 failed, 140/s, elapsed 5.0s"
    )
    assert describe(0, 10, 0, 0.5) == "0/10 (0%), 0 failed, 0/s, elapsed 0.5s"  # no rate yet


def test_fmt_seconds() -> None:
    assert [fmt_seconds(s) for s in (0.04, 9.84, 59.94, 61, 3599, 3600, 7380)] == [
        "0.0s",
        "9.8s",
        "59.9s",
        "1m01s",
        "59m59s",
        "1h00m",
        "2h03m",
    ]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_at_most_every_interval_and_the_last_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    with ProgressDisplay(Output(as_json=False), "plain", every=1.0, clock=clock) as display:
        stage = display.stage("imports", 1000)
        for done in range(1, 1001):
            clock.now += 0.004  # 250 a second: a line every 250 items
            stage.update(done=done, failed=done // 10)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "progress: imports 250/1,000 (25%), 25 failed, 250/s, elapsed 1.0s, ETA 3.0s",
        "progress: imports 500/1,000 (50%), 50 failed, 250/s, elapsed 2.0s, ETA 2.0s",
        "progress: imports 750/1,000 (75%), 75 failed, 250/s, elapsed 3.0s, ETA 1.0s",
        "progress: imports 1,000/1,000 (100%), 100 failed, 250/s, elapsed 4.0s",
    ]


def test_a_stage_left_early_prints_its_state_once_without_eta(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    with (
        pytest.raises(KeyboardInterrupt),
        ProgressDisplay(Output(as_json=False), "plain", clock=clock) as display,
    ):
        imports = display.stage("import", 10)
        indexes = display.stage("index", 10)
        clock.now += 0.5
        imports.update(done=10, failed=1)
        indexes.update(done=3, failed=0)
        raise KeyboardInterrupt
    assert capsys.readouterr().err.splitlines() == [
        "progress: import 10/10 (100%), 1 failed, 20/s, elapsed 0.5s",
        "progress: index 3/10 (30%), 0 failed, 6/s, elapsed 0.5s",
    ]


def test_off_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressDisplay(Output(as_json=False), "off") as display:
        display.stage("imports", 3).update(done=3, failed=0)
    assert capsys.readouterr() == ("", "")


# ------------------------------------------------------------------- the bar in a terminal

COLUMNS, ROWS = 80, 30


@contextlib.contextmanager
def in_a_terminal(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``python -m ncp_media_async ARGS`` on a pseudo-terminal of 80 x 30 (stdout and stderr);
    yields the process and the terminal's master side."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "NO_COLOR"}}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(
        [sys.executable, "-m", "ncp_media_async", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # the terminal's Ctrl-C goes to this process group
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    try:
        yield process, master
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(10)
        os.close(master)


def read_until(master: int, pattern: bytes | None, timeout: float) -> bytes:
    """What the terminal shows the user, until ``pattern`` (or EOF) or the timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        data += chunk
        if pattern is not None and re.search(pattern, data):
            break
    return data


def screen_of(data: bytes) -> list[str]:
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    stream.feed(data)
    return [line.rstrip() for line in screen.display]


BAR = re.compile(r"imports \S+ ([\d,]+)/([\d,]+) \(\d+%\), [\d,]+ failed, [\d,]+/s, elapsed \S+")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_the_finished_bar_once_with_no_eta() -> None:
    args = ("demo", "--imports", "150", "--interval", "0.05", "--watch", "0", "--latency-ms", "1",
            "--ingest", "0")
    with in_a_terminal(*args) as (process, master):
        data = read_until(master, None, 60)
        assert process.wait(10) == 0
    lines = screen_of(data)
    bars = [line for line in lines if BAR.search(line)]
    assert len(bars) == 1, lines
    (bar,) = bars
    assert "153/153 (100%)" in bar and "ETA" not in bar
    assert max(map(len, lines)) <= COLUMNS


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_ctrl_c_leaves_the_bar_once() -> None:
    args = ("demo", "--imports", "3000", "--interval", "1", "--watch", "0", "--latency-ms", "2",
            "--ingest", "0")
    with in_a_terminal(*args) as (process, master):
        # Once the bar is at its widest (thousands done, hundreds failed, an ETA: a full line
        # of 80 columns unless the display keeps some spare), type Ctrl-C as a person would;
        # the terminal echoes "^C" after the bar.
        seen = read_until(master, rb"[1-9],\d{3}/3,003 \(\d+%\), [1-9]\d\d failed", 60)
        os.write(master, b"\x03")
        seen += read_until(master, None, 30)
        assert process.wait(10) == 130
    lines = screen_of(seen)
    bars = [line for line in lines if BAR.search(line)]
    assert len(bars) == 1, lines
    done, total = BAR.search(bars[0]).groups()  # type: ignore[union-attr]
    assert int(done.replace(",", "")) < int(total.replace(",", "")) == 3003
    assert "ETA" not in bars[0]
    assert [line for line in lines if line.startswith("error:")] == ["error: interrupted"]
