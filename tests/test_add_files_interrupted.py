"""Ctrl-C during ``ncp-media add-files --wait`` (issue 19 item 4): the files were submitted and
encode on without the command, so the ones that had not ended are printed (stdout, as rows of the
same table, or JSON lines) before the usual 130. The command runs as a process, sent SIGINT."""

from __future__ import annotations

import json
import sys

import pytest
from test_audit_cli import interrupt_when

from ncp_media_async.testing import Emulator, Route, Scenario

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")

INPUTS = ("in/first.mp4", "in/second.mp4")


def interrupted_wait(*flags: str) -> tuple[int, str, list[str], Emulator]:
    """``add-files CATEGORY INPUTS --wait`` interrupted once the wait has walked the status list
    twice (every file submitted, none finished: they queue for an hour)."""
    emulator = Emulator(Scenario(seed=5, encodings=1, vod_channels=0, imports=0))
    emulator.vod_station.encoding_queue_seconds = 3600.0
    category = str(emulator.vod_station.categories()[0]["id"])
    args = (*flags, "add-files", category, *INPUTS, "--bucket", "b", "--wait", "--interval", "0",
            "--progress", "off")  # fmt: skip
    status, out, err = interrupt_when(
        emulator, args, lambda: emulator.stats.requests[Route.ENCODING_STATUSES] >= 2
    )
    return status, out, err, emulator


def test_ctrl_c_during_the_wait_prints_the_files_submitted() -> None:
    status, out, err, emulator = interrupted_wait()
    assert status == 130
    assert err[-1] == "error: interrupted"
    assert any("2 files submitted and still encoding" in line for line in err[:-1])
    header, _, *rows = out.splitlines()
    assert header.split()[:5] == ["file", "id", "input", "output", "status"]
    ids = emulator.vod_station.file_ids
    assert [row.split()[:3] for row in rows] == [
        [str(ids[0]), INPUTS[0], "-"], [str(ids[1]), INPUTS[1], "-"]
    ]  # fmt: skip
    assert all("UNFINISHED" in row for row in rows)


def test_ctrl_c_during_the_wait_prints_the_files_submitted_as_json_lines() -> None:
    status, out, err, emulator = interrupted_wait("--json")
    assert status == 130
    assert err[-1] == "error: interrupted"
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["job"]["file_id"], line["job"]["input_path"]) for line in lines] == list(
        zip(emulator.vod_station.file_ids, INPUTS, strict=True)
    )
    assert all(line["interrupted"] is True for line in lines)
