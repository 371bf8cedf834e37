"""``ncp-media`` as an operator uses it, at the edges: bad ids and numbers, environments that
claim a terminal, time zones, a group without a subcommand, an output that cannot be written,
Ctrl-C while writes are in flight, what the service sends (control characters, markup), long
bad lines. The commands run against the emulator over loopback (``LoopbackEmulator``), through
click's runner or as processes, as from a shell."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import pytest
from _loopback import LoopbackEmulator
from click.testing import Result

from ncp_media_async.cli._output import Output
from ncp_media_async.cli._params import BAD_LINE_CHARS
from ncp_media_async.cli._progress import ProgressDisplay
from ncp_media_async.testing import Emulator, Route, Scenario


@pytest.fixture(scope="module")
def served() -> Iterator[LoopbackEmulator]:
    with LoopbackEmulator(Emulator(Scenario.default(seed=3))) as loopback:
        yield loopback


def one_error_line(result: Result, status: int) -> str:
    """The command failed with ``status`` and said why in one ``error:`` line on stderr."""
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def refused_before_any_request(served: LoopbackEmulator, args: tuple[str, ...]) -> str:
    """``ncp-media ARGS`` is a usage error (status 2, one line) and sends no request."""
    before = served.emulator.stats.total_requests
    line = one_error_line(served.invoke(*args), 2)
    assert served.emulator.stats.total_requests == before
    return line


# ----------------------------------------------------------------------------------- bad ids

BAD_IDS = [
    ("channel-events", ".."),
    ("channel-events", ""),
    ("records", "."),
    ("service-urls", ""),
    ("wait-channel", ".."),
    ("record", "start", ""),
    ("record", "stop", ".."),
    ("import-status", "", "1234", "10000"),
    ("import-status", "emulator-workspace", "..", "10000"),
    ("import-status", "emulator-workspace", "1234", "."),
    ("wait-imports", "emulator-workspace/../10000"),
    ("wait-imports", "emulator-workspace/1234/.."),
    ("upload-records", "..", "1"),
    ("import", "emulator-workspace", "..", "a.mp4", "--bucket", "b"),
    ("import", "", "1234", "a.mp4", "--bucket", "b"),
    ("import", "emulator-workspace", "1234", "a.mp4", "--bucket", " "),
    ("import", "emulator-workspace", "1234", "", "--bucket", "b"),
    ("import", "emulator-workspace", "..", "a.mp4", "--bucket", "b", "--wait"),
    ("ingest", "emulator-workspace", ".", "a.mp4", "--bucket", "b"),
    ("ingest", "emulator-workspace", "1234", " ", "--bucket", "b"),
    ("index", "..", "1234", "10000"),
]


@pytest.mark.parametrize("args", BAD_IDS, ids=" ".join)
def test_an_id_that_cannot_go_in_a_path_is_a_usage_error_before_any_request(
    served: LoopbackEmulator, args: tuple[str, ...]
) -> None:
    # An empty id, "." or ".." (which would change the request's path) and a blank object key
    # or bucket were refused by the client only once the command ran: a ValueError traceback
    # and status 1 (the wait-imports batch, the import requests: all of them lost).
    assert "must not be" in refused_before_any_request(served, args)


def test_a_dot_segment_in_a_targets_file_is_a_bad_line(
    served: LoopbackEmulator, tmp_path: Path
) -> None:
    refs = tmp_path / "refs.txt"
    refs.write_text("emulator-workspace/1234/10000\nemulator-workspace/./10001\n")
    line = one_error_line(served.invoke("wait-imports", "--file", str(refs)), 2)
    assert "1 bad line: line 2: project_id must not be '.'" in line


# ------------------------------------------------------------------------------- numbers

NOT_A_NUMBER_OF_SECONDS = [
    ("--request-timeout", "nan", "statistics"),
    ("wait-imports", "emulator-workspace/1234/10000", "--interval", "nan"),
    ("wait-imports", "emulator-workspace/1234/10000", "--timeout", "nan"),
    ("watch-encodings", "--interval", "nan"),
    ("wait-channel", "ls-x", "--timeout", "nan"),
    ("ingest", "emulator-workspace", "1234", "a.mp4", "--bucket", "b", "--index-interval", "nan"),
    ("ingest", "emulator-workspace", "1234", "a.mp4", "--bucket", "b", "--interval", "inf"),
    ("demo", "--imports", "0", "--bad-refs", "0", "--ingest", "0", "--watch", "inf"),
    ("demo", "--imports", "0", "--bad-refs", "0", "--ingest", "0", "--watch", "nan"),
]


@pytest.mark.parametrize("args", NOT_A_NUMBER_OF_SECONDS, ids=" ".join)
def test_nan_and_infinity_are_usage_errors(
    served: LoopbackEmulator, args: tuple[str, ...]
) -> None:
    # click's FloatRange lets "nan" through (every comparison with it is false): the client
    # (or the demo's emulator) refused it later with a ValueError traceback and status 1.
    assert "is not a finite number" in refused_before_any_request(served, args)


# ------------------------------------------------------------------------------ progress


@pytest.mark.parametrize("claim", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_progress_is_plain_lines_when_stderr_is_not_a_terminal_whatever_the_environment_says(
    served: LoopbackEmulator, claim: dict[str, str | None]
) -> None:
    # FORCE_COLOR asks for colours (CI systems set it), not for a live display: rich takes it
    # for a terminal, so a log file got the bar's frames (cursor codes, a frame per refresh)
    # and none of the plain progress lines.
    result = served.invoke(
        "wait-imports", "emulator-workspace/1234/10000", "--interval", "0.05", env=claim
    )
    assert result.exit_code in (0, 1), result.stderr
    assert "progress: imports 1/1 (100%)" in result.stderr
    # Colours are what FORCE_COLOR asks for; hiding the cursor and redrawing a line are not.
    for code in ("\x1b[?25l", "\x1b[2K", "\r"):
        assert code not in result.stderr


# ---------------------------------------------------------------------------- time zones


@pytest.mark.parametrize("offset", ["+09:99", "-0560", "+05:60"])
def test_an_offset_with_more_than_59_minutes_is_refused(
    served: LoopbackEmulator, offset: str
) -> None:
    # "+09:99" was taken as 10:39 ahead of UTC while the header named it "+09:99".
    line = one_error_line(served.invoke("--tz", offset, "statistics"), 2)
    assert f"{offset!r} is not a UTC offset" in line


def test_an_offset_is_named_as_applied(served: LoopbackEmulator) -> None:
    (status,) = served.emulator.vod_station.encoding_statuses()[:1]
    result = served.invoke("--tz", "+0530", "encoding-status", "--max-items", "1")
    assert result.exit_code == 0, result.stderr
    header, _, row = result.stdout.splitlines()
    assert header.endswith("last work (+05:30)")
    wire = datetime.strptime(status["lastWorkTime"], "%Y-%m-%dT%H:%M:%S%z")
    shown = wire.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert row.endswith(shown.strftime("%Y-%m-%d %H:%M:%S"))


# ------------------------------------------------------------------------------- groups


def test_record_without_start_or_stop_is_one_error_line(served: LoopbackEmulator) -> None:
    # click's "no arguments: the help" for a group is a usage error from click 8.2 on: the
    # whole help came out as the message of one "error: Usage: ..." of eleven lines.
    line = one_error_line(served.invoke("record"), 2)
    assert line.startswith("error: Missing command. (see '") and line.endswith(" record --help')")


# ------------------------------------------------------------------------ stdout that fails


def process_env(served: LoopbackEmulator) -> dict[str, str]:
    """This environment, with the emulator's key pair and nothing ``served.env`` unsets."""
    base = {k: v for k, v in os.environ.items() if k not in served.env()}
    return {**base, **{k: v for k, v in served.env().items() if v is not None}}


def run_process(
    served: LoopbackEmulator, *args: str, stdout: IO[str] | int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m ncp_media_async --endpoint URL ARGS`` with the emulator's key pair."""
    return subprocess.run(
        [sys.executable, "-m", "ncp_media_async", "--endpoint", served.url, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**process_env(served), **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["table", "json"])
def test_a_full_disk_is_one_error_line(
    served: LoopbackEmulator, json_flag: tuple[str, ...]
) -> None:
    # Writing to a full disk (ENOSPC) was a traceback: only a closed pipe was expected.
    with open("/dev/full", "w") as full:
        done = run_process(served, *json_flag, "encoding-status", stdout=full)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: [Errno 28] No space left on device"]


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell closes stdout")
def test_a_closed_stdout_is_one_error_line_before_any_request(served: LoopbackEmulator) -> None:
    # Started with stdout closed (``>&-``), Python has no sys.stdout: an AttributeError
    # traceback, after the requests were sent.
    sent = served.emulator.stats.total_requests
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "ncp_media_async",
         "--endpoint", served.url, "statistics"],
        stderr=subprocess.PIPE, text=True, env=process_env(served), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: standard output is closed"]
    assert served.emulator.stats.total_requests == sent


def test_an_output_encoding_that_cannot_show_the_table_is_one_error_line(
    served: LoopbackEmulator,
) -> None:
    # A stdout in ASCII (or a legacy code page, as a redirect on Windows gets) could not take
    # the tables' rules: a UnicodeEncodeError traceback.
    channel = served.emulator.vod_station.channel_ids[0]
    done = run_process(
        served, "channel-events", channel, stdout=subprocess.PIPE,
        env={"PYTHONIOENCODING": "ascii"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: the output's encoding (ascii) cannot show '───────────────────': "
        "set PYTHONIOENCODING=utf-8"
    ]


# ------------------------------------------------------------------------------- Ctrl-C


def interrupt_when(
    emulator: Emulator, args: tuple[str, ...], ready: Callable[[], bool]
) -> tuple[int, str, list[str]]:
    """``ncp-media ARGS`` against ``emulator``, sent SIGINT once ``ready()``; its status, its
    stdout and the lines of its stderr."""
    with LoopbackEmulator(emulator) as served:
        process = subprocess.Popen(
            [sys.executable, "-m", "ncp_media_async", "--endpoint", served.url, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=process_env(served),
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not ready() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert ready()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    return process.returncode, out, err.splitlines()



@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_while_files_are_submitted_says_they_may_have_been() -> None:
    # add-files prints the jobs once every request is answered: interrupted in between, it
    # said only "error: interrupted", and a user who ran it again could encode every file of
    # the first requests twice.
    emulator = Emulator(Scenario.default(seed=3), route_latency={Route.ADD_FILES: 120.0})
    category = str(emulator.vod_station.categories()[0]["id"])
    args = ("add-files", category, "a.mp4", "b.mp4", "--bucket", "in")
    status, out, err = interrupt_when(emulator, args, lambda: emulator.stats.in_flight > 0)
    assert status == 130
    *notes, last = err
    assert last == "error: interrupted"
    note = " ".join(notes)
    assert "2 files may have been submitted" in note
    assert "encoding-status --start 20" in note
    assert out == ""


KEYS = ("emulator-workspace", "1234", "a.mp4", "b.mp4", "c.mp4", "--bucket", "in")
MAY_HAVE_BEEN = (
    "interrupted: 3 keys did not finish; those whose import request was sent may have been "
    "imported: look for their assets before importing them again"
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
@pytest.mark.parametrize("command", ["import", "ingest"])
def test_ctrl_c_while_keys_are_imported_says_they_may_have_been(command: str) -> None:
    # Interrupted with import requests in flight (up to --concurrency of them), import and
    # ingest said only "error: interrupted": nothing said that the keys whose request was in
    # flight may have been imported.
    emulator = Emulator(Scenario.default(seed=3))
    emulator.route_latency[Route.IMPORT_ASSET] = 120.0
    status, _, err = interrupt_when(
        emulator, (command, *KEYS, "--concurrency", "1"), lambda: emulator.stats.in_flight > 0
    )
    assert status == 130
    assert err[-1] == "error: interrupted"
    assert MAY_HAVE_BEEN in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_during_an_ingest_lists_the_assets_it_created() -> None:
    # A key is printed once it ends (indexed, or stopped): interrupted while the imports were
    # copied, ingest never showed the assets it had created, and running it again imported
    # every key a second time.
    emulator = Emulator(Scenario.default(seed=3))
    emulator.route_latency[Route.IMPORT_STATUS] = 120.0
    stats = emulator.stats  # ready: each key's first import poll (sent once it was imported)
    status, _, err = interrupt_when(
        emulator, ("ingest", *KEYS), lambda: stats.requests[Route.IMPORT_STATUS] == 3
    )
    assert status == 130
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 3
    assert not any("may have been" in line for line in err)
    at = err.index("interrupted: 3 keys were imported (assets created) but did not finish:")
    listed = sorted(line.split() for line in err[at + 1 : at + 4])
    assert [key for key, _ in listed] == ["a.mp4", "b.mp4", "c.mp4"]
    assert all(ref.startswith("emulator-workspace/1234/") for _, ref in listed)


# ------------------------------------------------------------------ text the service sends


def test_control_characters_from_the_service_are_shown_escaped() -> None:
    # An object key may hold a newline; a hostile server may send escape sequences. Both went
    # to the terminal as they were: a newline split a row in two, ESC [2J cleared the screen
    # (cells, the error line).
    emulator = Emulator(Scenario.empty())
    path = "in/a\x1b[2Jb\nc\x9b1m.mp4"
    emulator.vod_station.add_progressing_encoding(
        queue_seconds=0, run_seconds=0, fields={"filePath": path, "outputType": "HD\x07"}
    )
    with LoopbackEmulator(emulator) as served:
        result = served.invoke("encoding-status", "--wide")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 3  # the header, the rule, one row
        row = lines[2]
        assert "in/a\\x1b[2Jb\\nc\\x9b1m.mp4" in row and "HD\\x07" in row
        failed = served.invoke("channel-events", "vs-\x1b]0;owned\x07")
        line = one_error_line(failed, 1)
        assert "vs-\\x1b]0;owned\\x07" in line
    for text in (result.stdout, failed.stderr):
        assert not any(c in text for c in "\x1b\x07\x9b")


def test_a_stage_named_by_the_service_is_not_read_as_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # add-files --wait names a bar after each output type the service reports: in a terminal,
    # a name with brackets ("[HD] 1080p", "[/x]") was read as rich markup, and a closing tag
    # that matched nothing crashed the command with a MarkupError.
    with ProgressDisplay(Output(as_json=False), "bar") as display:
        display.stage("[HD] 1080p[/x]\x1b", 2).update(done=1, failed=0)
    err = capsys.readouterr().err
    assert " [HD] 1080p[/x]\\x1b " in err and "1/2 (50%)" in err


# ------------------------------------------------------------------------ bounded error line


def test_a_bad_line_of_a_huge_file_gives_a_bounded_error_line(
    served: LoopbackEmulator, tmp_path: Path
) -> None:
    # The usage error quoted each bad line whole: a file of one long line (a JSON document
    # given by mistake) made an "error:" line of megabytes. Each bad line now takes at most
    # BAD_LINE_CHARS, and at most BAD_LINES_SHOWN are named.
    refs = tmp_path / "refs.json"
    refs.write_text('{"assets": [' + '"x", ' * 200_000 + "]}\n")
    line = refused_before_any_request(served, ("wait-imports", "--file", str(refs)))
    assert line.startswith("error: Invalid value for '--file': 1 bad line: line 1: '{\"assets")
    assert line.endswith(" wait-imports --help')")
    assert len(line) <= BAD_LINE_CHARS + 100
