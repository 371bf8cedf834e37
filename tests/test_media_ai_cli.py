"""``ncp-media import``, ``index`` and ``ingest`` against the emulator over loopback: what they
print (a row or a JSON object per key, a progress line per stage), what they send, how they exit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _loopback import LoopbackEmulator
from click.testing import Result

from ncp_media_async.testing import Emulator, Route, Scenario

QUICK = ("--interval", "0.005", "--index-interval", "0.005")


@pytest.fixture
def mi() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario.empty())
    emulator.media_ai.add_project("ws", 7)
    emulator.media_ai.plan_object("missing.mp4", import_outcome="FILE_NOT_EXIST")
    emulator.media_ai.plan_object("broken.mp4", index_outcome="ANALYZE_FAIL")
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


def json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_ingest_json_one_object_per_key(mi: LoopbackEmulator) -> None:
    keys = ["a.mp4", "b.mp4", "missing.mp4", "broken.mp4", "dir/"]
    result = mi.invoke("--json", "ingest", "ws", "7", *keys, "--bucket", "b", *QUICK)
    assert result.exit_code == 1
    lines = {line["key"]: line for line in json_lines(result)}
    assert set(lines) == set(keys)
    assert [k for k, line in lines.items() if line["ok"]] == sorted(
        ["a.mp4", "b.mp4"], key=list(lines).index
    )
    good = lines["a.mp4"]
    assert good["ref"]["asset_id"] == str(good["import_status"]["asset_id"])
    assert good["index_status"]["status"] == "ANALYZE_COMPLETED"
    assert good["stage"] == "DONE" and good["error"] is None
    assert lines["missing.mp4"]["import_status"]["upload_status"] == "FILE_NOT_EXIST"
    assert lines["broken.mp4"]["index_status"]["status"] == "ANALYZE_FAIL"
    folder = lines["dir/"]
    assert (folder["stage"], folder["ref"]) == ("IMPORT", None)
    assert (folder["error"]["type"], folder["error"]["code"]) == ("BadRequestError", "10016")
    for stage in ("import", "imported", "index", "indexed"):
        assert f"progress: {stage} 5/5 (100%)" in result.stderr
    assert "progress: indexed 5/5 (100%), 3 failed" in result.stderr
    assert "5 keys in" in result.stderr
    assert "2 indexed, 3 failed (1 ANALYZE_FAIL, 1 FILE_NOT_EXIST, 1 error at import)" in (
        result.stderr
    )


def test_ingest_table_keys_file_and_options(mi: LoopbackEmulator, tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("# clips\nin/one.mp4\n\nin/two.mp4\nin/one.mp4\n", encoding="utf-8")
    result = mi.invoke(
        "ingest", "ws", "7", "--bucket", "b", "--file", str(keys), "--scene-range", "LONG",
        "--persons", "2", "--tag", "101", "--tag", "203", "--language", "KO", "--audio-effects",
        *QUICK,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["key", "asset", "import", "index", "stopped", "at", "note"]
    assert sorted(row.split()[0] for row in rows[2:]) == ["in/one.mp4", "in/two.mp4"]
    store = mi.emulator.media_ai
    (asset,) = store.assets_for_key("in/one.mp4")
    assert store.index_request(*asset) == {
        "sceneRange": "LONG", "analysisPersonCount": 2, "tagIdList": [101, 203],
        "sourceLanguage": "KO", "detectAudioEffects": True,
    }  # fmt: skip
    assert "2 keys in" in result.stderr and "2 indexed" in result.stderr


def test_ingest_without_index(mi: LoopbackEmulator) -> None:
    result = mi.invoke("--json", "ingest", "ws", "7", "a.mp4", "--bucket", "b", "--no-index",
                       *QUICK)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (line,) = json_lines(result)
    assert line["ok"] and line["index_status"] is None
    assert "progress: index " not in result.stderr
    assert mi.emulator.stats.requests[Route.START_INDEX] == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--scene-range", "LONG", "--min-scene", "10", "--max-scene", "20"], "not both"),
        (["--min-scene", "10"], "--min-scene and --max-scene go together"),
        (["--min-scene", "5", "--max-scene", "20"], "--min-scene must be between 10 and 30"),
        (["--tag", "x"], "--tag ids must be non-negative integers"),
        (["--persons", "11"], "Invalid value for '--persons'"),
    ],
)
def test_invalid_analysis_options_are_usage_errors(
    mi: LoopbackEmulator, args: list[str], error: str
) -> None:
    for command in (["ingest", "ws", "7", "a.mp4", "--bucket", "b"], ["index", "ws", "7", "1"]):
        result = mi.invoke(*command, *args)
        assert result.exit_code == 2, result.stderr
        assert error in result.stderr
        assert result.stderr.count("\n") == 1
    assert mi.emulator.stats.total_requests == 0


def test_import_prints_each_asset_id(mi: LoopbackEmulator) -> None:
    result = mi.invoke("--json", "import", "ws", "7", "a.mp4", "b.mp4", "dir/", "--bucket", "b")
    assert result.exit_code == 1
    lines = {line["key"]: line for line in json_lines(result)}
    store = mi.emulator.media_ai
    for key in ("a.mp4", "b.mp4"):
        assert [lines[key]["ref"]["asset_id"]] == [a[2] for a in store.assets_for_key(key)]
        assert lines[key]["import_status"] is None  # not waited for
    assert lines["dir/"]["error"]["code"] == "10016"
    assert "3 keys in" in result.stderr and "2 created, 1 failed" in result.stderr
    assert mi.emulator.stats.requests == {Route.IMPORT_ASSET: 3}


def test_import_wait(mi: LoopbackEmulator) -> None:
    result = mi.invoke("import", "ws", "7", "a.mp4", "missing.mp4", "--bucket", "b", "--wait",
                       "--interval", "0.005")  # fmt: skip
    assert result.exit_code == 1
    assert "2 keys in" in result.stderr
    assert "1 imported, 1 failed (1 FILE_NOT_EXIST)" in result.stderr
    assert "missing.mp4  FILE_NOT_EXIST: No file" in result.stderr
    assert mi.emulator.stats.requests[Route.START_INDEX] == 0


def test_index_requests_then_waits(mi: LoopbackEmulator) -> None:
    store = mi.emulator.media_ai
    for asset_id in (5, 6):
        store.add_import("ws", 7, asset_id, polls=1)
    assert mi.invoke("import-status", "ws", "7", "5").exit_code == 0  # the imports complete
    assert mi.invoke("import-status", "ws", "7", "6").exit_code == 0
    result = mi.invoke("--json", "index", "ws", "7", "5", "6", "999", "--wait",
                       "--interval", "0.005", "--scene-range", "SHORT")  # fmt: skip
    assert result.exit_code == 1  # 999 does not exist
    lines = json_lines(result)
    failed = [line for line in lines if "error" in line]
    assert [(f["asset"]["asset_id"], f["error"]["type"]) for f in failed] == [
        ("999", "NotFoundError")
    ]
    done = sorted((line["asset"]["asset_id"], line["status"]) for line in lines if "status" in line)
    assert done == [("5", "ANALYZE_COMPLETED"), ("6", "ANALYZE_COMPLETED")]
    assert store.index_request("ws", 7, 5) == {"sceneRange": "SHORT", "analysisPersonCount": 6}
    assert "progress: index 3/3 (100%), 1 failed" in result.stderr
    assert "3 analyses: 2 ANALYZE_COMPLETED, 1 failed" in result.stderr


def test_index_without_wait_and_a_running_analysis(mi: LoopbackEmulator) -> None:
    store = mi.emulator.media_ai
    store.add_import("ws", 7, 5, polls=1)
    assert mi.invoke("import-status", "ws", "7", "5").exit_code == 0
    store.begin_analysis("ws", 7, 5, polls=2)
    refused = mi.invoke("index", "ws", "7", "5")
    assert refused.exit_code == 1
    assert "REQUEST FAILED" in refused.stdout and "ConflictError (HTTP 409" in refused.stdout
    waited = mi.invoke("index", "ws", "7", "5", "--if-running", "wait", "--interval", "0.005")
    assert waited.exit_code == 0, waited.stderr
    assert "REQUESTED" in waited.stdout
    assert "1 of 1 analysis requested" in waited.stderr
    assert mi.emulator.stats.requests[Route.START_INDEX] == 3
    bad = mi.invoke("index", "ws", "7", "x5")
    assert bad.exit_code == 2 and "'x5' is not an asset id" in bad.stderr


def test_no_keys_is_a_usage_error(mi: LoopbackEmulator) -> None:
    result = mi.invoke("ingest", "ws", "7", "--bucket", "b")
    assert result.exit_code == 2
    assert "no targets: give object keys or --file" in result.stderr
