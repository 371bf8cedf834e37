"""``ncp-media categories``, ``vod-channels`` and ``add-files [--wait]`` against the emulator
over loopback (a thread of its own), as from a shell."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from _loopback import LoopbackEmulator
from click.testing import Result

from ncp_media_async.testing import Emulator, Fault, Route, Scenario


@pytest.fixture
def served() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario(seed=5, encodings=20, vod_channels=2, imports=0))
    store = emulator.vod_station
    store.encoding_queue_seconds = store.encoding_run_seconds = 0.0  # done at the first walk
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


def lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def first_category(served: LoopbackEmulator) -> int:
    return int(served.emulator.vod_station.categories()[0]["id"])


def test_categories(served: LoopbackEmulator) -> None:
    got = lines(ok(served.invoke("--json", "categories", "--page-size", "2", "--prefetch", "2")))
    raw = served.emulator.vod_station.categories()
    assert [c["id"] for c in got] == [c["id"] for c in raw]
    assert got[0]["encoding_options"] == raw[0]["encodingOptions"]
    assert got[2]["encoding_option_template_id"] == 2
    table = ok(served.invoke("categories", env={"COLUMNS": "80"}))
    header, _, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["id", "name", "options"]
    assert len(rows) == 5 and "template 2" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert table.stderr.strip() == "5 categories"


def test_vod_channels(served: LoopbackEmulator) -> None:
    got = lines(ok(served.invoke("--json", "vod-channels")))
    assert [c["id"] for c in got] == served.emulator.vod_station.channel_ids
    assert {c["channel_status"] for c in got} <= {"READY", "STOPPED"}
    table = ok(served.invoke("vod-channels"))
    assert all(channel in table.stdout for channel in served.emulator.vod_station.channel_ids)


def test_add_files_prints_a_job_per_input(served: LoopbackEmulator) -> None:
    cid = first_category(served)
    got = lines(ok(served.invoke("--json", "add-files", str(cid), "--bucket", "in", "a.mp4",
                                 "b.mp4")))  # fmt: skip
    ids = served.emulator.vod_station.file_ids
    assert [(j["file_id"], j["input_path"], j["bucket_name"]) for j in got] == [
        (ids[0], "a.mp4", "in"), (ids[1], "b.mp4", "in")
    ]  # fmt: skip
    table = ok(served.invoke("add-files", str(cid), "https://cdn.example/c.mp4"))
    last = served.emulator.vod_station.file_ids[-1]
    assert re.search(rf"{last}\s+{cid}\s+https://cdn.example/c.mp4", table.stdout)
    assert "1 file submitted" in table.stderr


def test_add_files_wait_prints_each_file_when_its_outputs_end(served: LoopbackEmulator) -> None:
    cid = first_category(served)
    served.emulator.vod_station.input_outcomes["bad.mp4"] = "FAILURE"
    result = ok(
        served.invoke("--json", "add-files", str(cid), "--bucket", "in", "good.mp4", "bad.mp4",
                      "--wait", "--interval", "0", "--progress", "plain"),
        1,  # an output failed
    )  # fmt: skip
    jobs = {job["input_path"]: job for job in lines(result)}
    assert set(jobs) == {"good.mp4", "bad.mp4"}
    assert {o["status"] for o in jobs["good.mp4"]["outputs"]} == {"COMPLETE"}
    assert {o["status"] for o in jobs["bad.mp4"]["outputs"]} == {"FAILURE"}
    assert len(jobs["good.mp4"]["outputs"]) == 3
    for output in ("AVC_HD_1Pass_30fps", "AVC_SD_1Pass_30fps", "AVC_SD_1Pass_30fps_1"):
        assert f"progress: {output} 2/2 (100%), 1 failed" in result.stderr  # a bar per output
    assert "progress: files 2/2 (100%), 1 failed" in result.stderr
    assert "1 of 2 files encoded, 1 with failed outputs in" in result.stderr


def test_add_files_wait_table_and_exit_0(served: LoopbackEmulator) -> None:
    cid = first_category(served)
    result = ok(served.invoke("add-files", str(cid), "--bucket", "in", "x.mp4", "--wait",
                              "--interval", "0", "--progress", "off", env={"COLUMNS": "80"}))
    header, _, *rows = result.stdout.splitlines()
    assert header.split()[:5] == ["file", "id", "input", "output", "status"]
    assert len(rows) == 3 and all("COMPLETE" in row for row in rows)
    assert "1 of 1 file encoded in" in result.stderr


def test_inputs_from_a_file(served: LoopbackEmulator) -> None:
    cid = first_category(served)
    text = "# clips\nin/1.mp4\n\nin/2.mp4\n"
    got = lines(ok(served.invoke("--json", "add-files", str(cid), "--bucket", "b", "--file", "-",
                                 input=text)))  # fmt: skip
    assert [j["input_path"] for j in got] == ["in/1.mp4", "in/2.mp4"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["1"], "no inputs"),
        (["1", "a.mp4"], "urls must be http:// or https:// URLs"),
        (["x", "--bucket", "b", "a.mp4"], "category_id must be a number"),
        (["1", "--bucket", "b", "a.mp4", "--output-bucket", "o"], "together"),
        (["1", "--bucket", "b", "a.mp4", "--notification", "mailto:x"], "notification"),
    ],
)
def test_bad_command_lines_send_nothing(
    served: LoopbackEmulator, args: list[str], says: str
) -> None:
    result = ok(served.invoke("add-files", *args), 2)
    assert says in result.stderr and result.stderr.startswith("error: ")
    assert served.emulator.stats.requests[Route.ADD_FILES] == 0


def test_a_request_that_may_have_arrived_is_reported_not_resent(served: LoopbackEmulator) -> None:
    cid = first_category(served)
    served.emulator.force_faults(Fault.RESET_BEFORE_BODY, routes=Route.ADD_FILES)
    paths = [f"p{i}.mp4" for i in range(150)]
    result = ok(served.invoke("add-files", str(cid), "--bucket", "in", *paths), 1)
    assert "100 may have been submitted (look them up before sending them again):" in result.stderr
    assert "  p0.mp4" in result.stderr and "... and 90 more" in result.stderr
    assert "50 not sent:" in result.stderr
    assert re.search(r"^error: add_files to category \d+ stopped \(0 submitted, 100 uncertain",
                     result.stderr, re.M)  # fmt: skip
    assert served.emulator.stats.requests[Route.ADD_FILES] == 1


def test_an_unknown_category_is_one_line_and_exit_1(served: LoopbackEmulator) -> None:
    result = ok(served.invoke("add-files", "4242", "--bucket", "in", "a.mp4"), 1)
    assert result.stderr.splitlines() == [
        "error: HTTP 404 code 260004: Requested resource not found.: Category 4242 not found. "
        "(vod_station: PUT /api/v2/category/4242/add-files)"
    ]
