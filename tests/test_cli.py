"""The ``ncp-media`` command against a real emulator over loopback (no mocks).

The emulator runs in a background thread with its own event loop; each command runs through
click's ``CliRunner`` with its own ``asyncio.run``, exactly as from a shell. ``--json`` output is
parsed back and checked against the emulator's own data.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from _loopback import LoopbackEmulator
from click.testing import CliRunner, Result

import ncp_media_async as ncp
from ncp_media_async.cli import CLI_EXTRA_HINT
from ncp_media_async.cli._app import cli
from ncp_media_async.cli._columns import ID_MIN, TEXT_FLOOR, UTC_ZONE, Kind, Zone, fit_widths
from ncp_media_async.cli._errors import ERROR_LINE_CHARS, error_message
from ncp_media_async.cli._output import to_jsonable
from ncp_media_async.cli._params import parse_asset_ref
from ncp_media_async.records import AssetRef, EncodingState
from ncp_media_async.testing import Emulator, ManualClock, Route, Scenario

# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def served() -> Iterator[LoopbackEmulator]:
    """The default seeded data, shared by the tests that only read it."""
    with LoopbackEmulator(Emulator(Scenario.default(seed=7))) as loopback:
        yield loopback


@pytest.fixture
def fresh() -> Iterator[LoopbackEmulator]:
    """An empty emulator for tests that shape their own data."""
    with LoopbackEmulator(Emulator(Scenario.empty())) as loopback:
        yield loopback


def json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def same_instant(iso: str, wire: str) -> bool:
    """An ISO 8601 time from the CLI and a ``+0900`` time from the wire mean the same instant."""
    return datetime.fromisoformat(iso) == datetime.strptime(wire, "%Y-%m-%dT%H:%M:%S%z")


# ------------------------------------------------------------------------- VOD Station


def test_encoding_status_json_matches_the_emulator(served: LoopbackEmulator) -> None:
    result = ok(served.invoke("--json", "encoding-status", "--page-size", "25", "--prefetch", "4"))
    lines = json_lines(result)
    raw = served.emulator.vod_station.encoding_statuses()
    assert len(lines) == len(raw) == 300
    for line, item in zip(lines, raw, strict=True):
        assert line["status"] == item["status"]
        assert line["category_id"] == item["categoryId"]
        assert line["file_path"] == item["filePath"]
        assert line["output_type"] == item["outputType"]
        assert line["output_total_size"] == item["outputTotalSize"]
        assert line["percent"] == item["percent"]
        assert same_instant(line["last_work_time"], item["lastWorkTime"])
    assert "300 encoding statuses" in result.stderr


def test_encoding_status_window_and_max_items(served: LoopbackEmulator) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(hours=12), now - timedelta(hours=2)
    expected = served.emulator.vod_station.encoding_statuses(
        int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    )
    assert 0 < len(expected) < 300
    args = ["--start", start.isoformat(), "--end", end.astimezone().isoformat()]
    lines = json_lines(ok(served.invoke("encoding-status", *args, "--json", "--page-size", "10")))
    assert [x["file_path"] for x in lines] == [x["filePath"] for x in expected]

    lines = json_lines(ok(served.invoke("--json", "encoding-status", "--max-items", "7")))
    assert [x["file_path"] for x in lines] == [
        x["filePath"] for x in served.emulator.vod_station.encoding_statuses()[:7]
    ]


def test_statistics_counts_match(served: LoopbackEmulator) -> None:
    (stats,) = json_lines(ok(served.invoke("--json", "statistics")))
    items = served.emulator.vod_station.encoding_statuses()
    counts = Counter(item["status"].lower() for item in items)
    assert stats == {
        "waiting": counts["waiting"],
        "running": counts["running"],
        "complete": counts["complete"],
        "failure": counts["failure"],
        "canceled": counts["canceled"],
    }


def test_channel_events_paged_with_prefetch(served: LoopbackEmulator) -> None:
    channel = served.emulator.vod_station.channel_ids[0]
    raw = served.emulator.vod_station.channel_events(channel)
    lines = json_lines(
        ok(
            served.invoke(
                "--json", "channel-events", channel, "--page-size", "7", "--prefetch", "3"
            )
        )
    )
    assert len(lines) == len(raw) > 7
    for line, event in zip(lines, raw, strict=True):
        assert datetime.fromisoformat(line["time"]).timestamp() == event["time"]
        assert line["action_type"] == event["actionType"]
        assert line["request_type"] == event["requestType"]
        assert line["result_code"] == event["resultCode"]
        assert line["message"] == event["message"]

    lines = json_lines(ok(served.invoke("channel-events", channel, "--max-items", "5", "--json")))
    assert len(lines) == 5


# -------------------------------------------------------------------- Live Station, Media AI


def test_records_json(served: LoopbackEmulator) -> None:
    channel = served.emulator.live_station.channel_ids[0]
    raw = served.emulator.live_station.recordings(channel)
    lines = json_lines(ok(served.invoke("--json", "records", channel)))
    assert sorted(x["record_id"] for x in lines) == sorted(raw)
    for line in lines:
        item = raw[line["record_id"]]
        assert line["record_type"] == item["recordType"]
        assert line["duration_ms"] == item.get("duration")
        url = item["objectStorageUrl"]
        assert line["object_storage_url"] == (None if url == "-" else url)
        began = datetime.fromisoformat(line["record_begin_time"])
        assert round(began.timestamp() * 1000) == item["recordBeginTime"]


def test_import_status(fresh: LoopbackEmulator) -> None:
    fresh.emulator.media_ai.add_import("cli-ws", 77, 5001, outcome="INVALID_METADATA", polls=1)
    (line,) = json_lines(ok(fresh.invoke("--json", "import-status", "cli-ws", "77", "5001")))
    assert line["upload_status"] == "INVALID_METADATA"
    assert line["asset_id"] == 5001
    assert line["asset"] == {
        "workspace": "cli-ws", "project_id": "77", "asset_id": "5001", "key": None,
        "from_journal": False,
    }
    assert set(line["metadata"]) == {"resolution", "duration_ms", "size", "format"}


# ------------------------------------------------------------------------------- tables


def test_tables_render(served: LoopbackEmulator) -> None:
    channel = served.emulator.live_station.channel_ids[0]
    out = ok(served.invoke("records", channel)).stdout
    assert out.splitlines()[0].split()[:3] == ["record", "type", "status"]
    for record_id, record in served.emulator.live_station.recordings(channel).items():
        assert f"\n{record_id} " in out
        assert f" {record['fileName']} " in out  # a pipe gets the whole table, nothing cut
        assert f" {record['objectStorageUrl']}" in out

    out = ok(served.invoke("statistics")).stdout
    assert out.split()[:6] == ["waiting", "running", "complete", "failure", "canceled", "total"]



AT_80 = {"COLUMNS": "80"}


def lines_of(result: Result) -> list[str]:
    return ok(result).stdout.splitlines()


def test_at_80_columns_no_id_is_cut_and_wide_shows_everything(served: LoopbackEmulator) -> None:
    channel = served.emulator.live_station.channel_ids[0]
    records = served.emulator.live_station.recordings(channel)
    lines = lines_of(served.invoke("records", channel, env=AT_80))
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["record", "type", "status", "duration", "file"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == set(records)
    for record_id, record in records.items():
        assert rows[record_id].endswith(f"  {record['fileName']}")  # whole, not cut

    wide = lines_of(served.invoke("--wide", "records", channel, env=AT_80))
    assert max(map(len, wide)) > 80
    assert "object storage" in wide[0] and "began (UTC)" in wide[0]
    for record in records.values():
        assert any(line.endswith(f"  {record['objectStorageUrl']}") for line in wide)

    items = served.emulator.vod_station.encoding_statuses()[:30]
    lines = lines_of(served.invoke("encoding-status", "--max-items", "30", env=AT_80))
    assert len(lines) == 2 + 30  # header, rule, one line per item
    assert max(map(len, lines)) <= 80
    for line, item in zip(lines[2:], items, strict=True):
        assert f"  {item['filePath']}  " in line
        assert line.split()[0] == item["status"]


def test_at_80_columns_free_text_gives_way_first(served: LoopbackEmulator) -> None:
    channel = served.emulator.vod_station.channel_ids[0]
    events = served.emulator.vod_station.channel_events(channel)[:5]
    lines = lines_of(served.invoke("channel-events", channel, "--max-items", "5", env=AT_80))
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["time", "(UTC)", "action", "by", "result", "code", "message"]
    for line, event in zip(lines[2:], events, strict=True):
        assert len(event["message"]) > len(line) - line.index("  ch-") - 2  # cut ...
        assert line.endswith("…")  # ... with an ellipsis
        assert f"  {event['messageCode']}  " in line  # the others whole
    wide = lines_of(served.invoke("channel-events", channel, "--max-items", "5", "--wide"))
    for line, event in zip(wide[2:], events, strict=True):
        assert line.endswith(f"  {event['message']}")


def test_streamed_rows_cut_a_long_asset_ref_in_the_middle(fresh: LoopbackEmulator) -> None:
    # (Issue 19: it was printed whole, and the table was 88 columns wide at 80.)
    long_workspace = "a-workspace-with-a-rather-long-name-for-its-assets"
    fresh.emulator.media_ai.add_import(long_workspace, "12345", 6789, outcome="FAILED", polls=2)
    ref = f"{long_workspace}/12345/6789"
    result = fresh.invoke("wait-imports", ref, "--interval", "0", env=AT_80)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[2].startswith("a-workspace-with-a-r…s-assets/12345/6789  FAILED")  # 40: half
    assert max(map(len, lines)) <= 80
    wide = fresh.invoke("--wide", "wait-imports", ref, "--interval", "0", env=AT_80)
    assert wide.stdout.splitlines()[2].startswith(f"{ref}  FAILED")


@pytest.mark.parametrize(
    ("zone", "header", "offset"),
    [
        (None, "time (UTC)", timedelta(0)),
        ("+09:00", "time (+09:00)", timedelta(hours=9)),
        ("Asia/Seoul", "time (Asia/Seoul)", timedelta(hours=9)),
        ("-0530", "time (-05:30)", -timedelta(hours=5, minutes=30)),
    ],
)
def test_one_time_zone_named_in_the_header(
    served: LoopbackEmulator, zone: str | None, header: str, offset: timedelta
) -> None:
    channel = served.emulator.vod_station.channel_ids[0]
    args = ["channel-events", channel, "--max-items", "3", *(["--tz", zone] if zone else [])]
    lines = lines_of(served.invoke(*args))
    assert lines[0].startswith(header + "  ")
    events = served.emulator.vod_station.channel_events(channel)
    for line, event in zip(lines[2:], events, strict=False):
        shown = datetime.fromtimestamp(event["time"], UTC) + offset
        assert line.startswith(shown.strftime("%Y-%m-%d %H:%M:%S  "))


@pytest.mark.parametrize(
    ("command", "has_table_options"),
    [("records", True), ("wait-imports", True), ("emulator", False), ("demo", False)],
)
def test_table_options_only_where_tables_are_printed(command: str, has_table_options: bool) -> None:
    out = ok(CliRunner().invoke(cli, [command, "--help"], catch_exceptions=False)).stdout
    assert ("--tz ZONE" in out) is has_table_options
    assert ("--wide" in out) is has_table_options


def test_an_unknown_time_zone_is_a_usage_error(served: LoopbackEmulator) -> None:
    result = served.invoke("--tz", "Mars/Olympus", "statistics")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--tz': unknown time zone")
    assert len(result.stderr.splitlines()) == 1


def test_global_options_also_after_the_subcommand(served: LoopbackEmulator) -> None:
    channel = served.emulator.live_station.channel_ids[0]
    result = CliRunner().invoke(
        cli,
        ["records", channel, "--json", "--endpoint", served.url],
        env=served.env(),
        catch_exceptions=False,
    )
    assert len(json_lines(ok(result))) == len(served.emulator.live_station.recordings(channel))


# ------------------------------------------------------------------------------- errors


def test_unknown_channel_is_one_line_and_exit_1(served: LoopbackEmulator) -> None:
    result = served.invoke("records", "nope")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: HTTP 400 code 250100: Channel is not found "
        "(live_station: GET /api/v2/channels/nope/records)\n"
    )


def test_wrong_secret_is_reported_and_never_printed(served: LoopbackEmulator) -> None:
    secret = "wrong-secret-do-not-print-me"
    result = served.invoke(
        "-v", "--access-key", served.emulator.access_key, "--secret-key", secret, "statistics"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: HTTP 401 code 200: Authentication Failed: The signature does not match the "
        "request. (vod_station: GET /api/v2/status/status-statistic)"
    )
    assert "Traceback" not in result.stderr
    assert secret not in result.stdout + result.stderr
    assert served.emulator.secret_key not in result.stdout + result.stderr


def test_missing_credentials(served: LoopbackEmulator, tmp_path: Path) -> None:
    unset = {"NCP_ACCESS_KEY": None, "NCP_SECRET_KEY": None, "HOME": str(tmp_path)}
    result = served.invoke("statistics", env=unset)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no credentials: looked at $NCP_ACCESS_KEY")
    assert result.stderr.rstrip().endswith("(or give --access-key and --secret-key)")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["statistics", "--start", "2025-08-01T00:00:00"], "has no UTC offset"),
        (["statistics", "--start", "yesterday"], "is not an ISO 8601 date"),
        (
            ["statistics", "--start", "2025-08-02T00:00Z", "--end", "2025-08-01T00:00Z"],
            "is after --end",
        ),
        (["encoding-status", "--page-size", "5"], "'--page-size'"),
        (["channel-events", "vs-1", "--prefetch", "0"], "'--prefetch'"),
        (["wait-imports", "just-one-part"], "is not workspace/project_id/asset_id"),
        (["wait-imports", "a/b/c/d"], "'a/b/c/d' is not workspace/project_id/asset_id"),
        (["--timeout", "5", "statistics"], "Did you mean '--request-timeout'?"),
        (["wait-imports"], "no targets"),
        (["--endpoint", "ftp://example.com", "statistics"], "is not an http(s) URL"),
        (["--access-key", "AKIA", "statistics"], "give both --access-key and --secret-key"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_command_lines_are_one_line_and_exit_2(
    served: LoopbackEmulator, args: list[str], message: str
) -> None:
    result = served.invoke(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_targets_file_every_bad_line_by_number_and_not_utf8(served: LoopbackEmulator) -> None:
    text = b"\xef\xbb\xbfws/p/1\n# comment\n\nws/p\n\xff\xfebad\nws/p/2\na/b/c/d\n"
    result = served.invoke("wait-imports", "--file", "-", input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: Invalid value for '--file': 3 bad lines: "
        "line 4: 'ws/p' is not workspace/project_id/asset_id; "
        "line 5: not UTF-8 (byte 0xff at column 1); "
        "line 7: 'a/b/c/d' is not workspace/project_id/asset_id "
        "(see 'cli wait-imports --help')\n"
    )


def test_targets_file_bad_lines_beyond_the_shown_are_counted(served: LoopbackEmulator) -> None:
    text = "".join(f"bad-{i}\n" for i in range(25))
    result = served.invoke("wait-imports", "--file", "-", input=text)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "25 bad lines: line 1: 'bad-0' is not" in result.stderr
    assert "line 20: 'bad-19'" in result.stderr and "line 21:" not in result.stderr
    assert "; ... and 5 more" in result.stderr


def test_request_timeout_is_per_attempt(fresh: LoopbackEmulator) -> None:
    fresh.emulator.latency = 30.0  # every answer takes 30 s (dropped when the client leaves)
    # Half a second: time enough for the request to reach the emulator on a loaded machine.
    result = fresh.invoke("statistics", "--request-timeout", "0.5", "--max-retries", "0")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "timed out" in result.stderr.lower() or "timeout" in result.stderr.lower()
    assert fresh.emulator.stats.total_requests == 1


def test_verbose_logs_requests_to_stderr(served: LoopbackEmulator) -> None:
    result = ok(served.invoke("-v", "--json", "statistics"))
    assert "debug ncp_media_async: GET /api/v2/status/status-statistic -> 200" in result.stderr
    assert len(json_lines(result)) == 1  # stdout stays data only


# ------------------------------------------------------------------------- wait-imports


def test_wait_imports_json_small_batch(fresh: LoopbackEmulator) -> None:
    emulator = fresh.emulator
    outcomes = ["COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"] * 3
    for i, outcome in enumerate(outcomes):
        emulator.media_ai.add_import("ws", "p1", 100 + i, outcome=outcome, polls=1 + i % 3)
    targets = [f"ws/p1/{100 + i}" for i in range(len(outcomes))] + ["ws/p1/999"]
    result = fresh.invoke(
        "--json", "wait-imports", *targets, "--interval", "0.01", "--concurrency", "4"
    )
    assert result.exit_code == 1  # some imports failed
    lines = json_lines(result)
    assert len(lines) == len(targets)
    statuses = {x["asset"]["asset_id"]: x for x in lines if "upload_status" in x}
    assert {k: v["upload_status"] for k, v in statuses.items()} == {
        str(100 + i): outcome for i, outcome in enumerate(outcomes)
    }
    (failure,) = [x for x in lines if "error" in x]
    assert failure["asset"]["asset_id"] == "999"
    assert failure["error"]["type"] == "NotFoundError"
    assert failure["error"]["status"] == 404
    # Plain progress (stderr is not a terminal), then the summary and the failures.
    # The progress's "failed" is the summary's: every asset that ended without COMPLETED.
    assert "progress: imports 13/13 (100%), 10 failed, " in result.stderr
    assert re.search(
        r"^13 imports in \d+\.\ds: 3 COMPLETED, 10 failed \(3 FAILED, 3 FILE_NOT_EXIST, "
        r"3 INVALID_METADATA, 1 could not be polled\)$",
        result.stderr,
        re.MULTILINE,
    )
    assert "ws/p1/999  NotFoundError (HTTP 404, code 10404)" in result.stderr
    assert "9 did not complete" in result.stderr
    assert emulator.stats.total_polls_after_terminal == 0
    assert emulator.stats.peak_in_flight <= 4


def test_wait_imports_from_stdin_all_complete(fresh: LoopbackEmulator) -> None:
    for i in range(5):
        fresh.emulator.media_ai.add_import("ws", "p2", 200 + i, outcome="COMPLETED", polls=2)
    text = "# assets to wait for\n\n" + "".join(f" ws/p2/{200 + i}\n" for i in range(5))
    result = ok(
        fresh.invoke("wait-imports", "--file", "-", "ws/p2/200", "--interval", "0.01", input=text)
    )
    rows = result.stdout.splitlines()
    assert rows[0].split()[:2] == ["asset", "status"]
    assert set(rows[1]) == {"─", " "}  # the rule under the header
    assert sorted(row.split()[0] for row in rows[2:]) == [f"ws/p2/{200 + i}" for i in range(5)]
    assert all(row.split()[1] == "COMPLETED" for row in rows[2:])
    assert "5 imports in" in result.stderr
    assert "did not complete" not in result.stderr


def test_wait_imports_timeout_names_the_pending(fresh: LoopbackEmulator) -> None:
    fresh.emulator.media_ai.add_import("ws", "p3", 300, outcome="COMPLETED", polls=1)
    fresh.emulator.media_ai.add_import("ws", "p3", 301, outcome="COMPLETED", polls=10_000)
    result = fresh.invoke(
        "--json",
        "wait-imports",
        "ws/p3/300",
        "ws/p3/301",
        "--interval",
        "0.02",
        "--timeout",
        "0.3",
    )
    assert result.exit_code == 1
    assert [x["asset"]["asset_id"] for x in json_lines(result)] == ["300"]
    assert "1 still pending (timed out)" in result.stderr
    assert "still pending: ws/p3/301" in result.stderr


# ---------------------------------------------------------------------- watch-encodings


def _one_second_encoding() -> Emulator:
    # The emulator's clock moves only when a walk has read the list: each walk sees the one-second
    # encoding a quarter of a second further on, whatever the speed of the machine.
    clock = ManualClock(float(int(time.time())))  # a whole second: exact quarters
    emulator = Emulator(Scenario.empty(), clock=clock)
    emulator.vod_station.add_progressing_encoding(queue_seconds=0.0, run_seconds=1.0)

    def tick(route: str, page_no: int) -> None:
        if route == Route.ENCODING_STATUSES and page_no == 1:
            clock.advance(0.25)

    emulator.after_page = tick
    return emulator


def test_watch_encodings_prints_changes_until_done() -> None:
    with LoopbackEmulator(_one_second_encoding()) as loopback:
        result = ok(
            loopback.invoke("--json", "watch-encodings", "--interval", "0", "--timeout", "30")
        )
    assert [(x["status"], x["percent"]) for x in json_lines(result)] == [
        ("RUNNING", 0.0),  # the first walk prints every status
        ("RUNNING", 25.0),  # then each change
        ("RUNNING", 50.0),
        ("RUNNING", 75.0),
        ("COMPLETE", 100.0),
    ]
    assert "every encoding finished (5 statuses and changes printed)" in result.stderr


def test_watch_encodings_table_marks_the_first_listing_apart() -> None:
    with LoopbackEmulator(_one_second_encoding()) as loopback:
        result = loopback.invoke("watch-encodings", "--interval", "0", "--timeout", "30")
    lines = ok(result).stdout.splitlines()
    assert lines[0].split()[:2] == ["status", "%"]
    assert [line.split()[:2] for line in lines[2:3]] == [["RUNNING", "0.0"]]
    assert lines[3].startswith("── changes ──")
    assert [line.split()[:2] for line in lines[4:]] == [
        ["RUNNING", "25.0"],
        ["RUNNING", "50.0"],
        ["RUNNING", "75.0"],
        ["COMPLETE", "100.0"],
    ]


def test_watch_encodings_timeout(fresh: LoopbackEmulator) -> None:
    fresh.emulator.vod_station.add_progressing_encoding(queue_seconds=0.0, run_seconds=600)
    result = fresh.invoke("watch-encodings", "--interval", "0.05", "--timeout", "0.2")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split()[:2] == ["status", "%"]
    assert "RUNNING" in result.stdout
    assert result.stderr.startswith("error: 1 encoding still unfinished after 0.2 s")


# ---------------------------------------------------------------------------------- demo


def test_demo_json_summary_matches_the_scenario() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--json",
            "--imports",
            "200",
            "--interval",
            "0.02",
            "--watch",
            "0",
            "--latency-ms",
            "1",
            "--ingest",
            "0",
        ],
        env={"NCP_ACCESS_KEY": None, "NCP_SECRET_KEY": None},  # needs none
        catch_exceptions=False,
    )
    (report,) = json_lines(ok(result))
    expected = Counter(
        asset.outcome
        for asset in Emulator(attrs.evolve(Scenario.demo(0), imports=200)).media_ai.imports()
    )
    imports = report["imports"]
    assert imports["states"] == dict(expected)
    assert imports["total"] == 203
    assert len(imports["poll_errors"]) == 3
    assert len(imports["failures"]) == 200 - expected["COMPLETED"]
    assert report["polls_after_terminal"] == 0
    assert 1 <= report["peak_in_flight"] <= 64
    assert report["encoding_walk"]["items"] == 660
    assert set(report["encoding_walk"]["seconds_by_prefetch"]) == {"1", "8"}
    assert report["total_requests"] == sum(report["requests"].values())
    assert report["requests"]["import_status"] == imports["requests"]


def test_demo_table_with_watch() -> None:
    result = CliRunner().invoke(
        cli,
        ["demo", "--imports", "40", "--interval", "0.02", "--watch", "0.6", "--latency-ms", "1",
         "--ingest", "30"],
        catch_exceptions=False,
    )
    out = ok(result).stdout
    for text in (
        "1. Waiting for 43 imports",
        "prefetch=8",
        "3. Watching encodings",
        "4. Ingesting 30 files",
        "Summary",
        "polls after terminal",
        "wall time",
    ):
        assert text in out
    assert "progress: imports 43/43 (100%)" in result.stderr
    for stage in ("import", "imported", "index", "indexed"):
        assert f"progress: {stage} 30/30 (100%)" in result.stderr


# ----------------------------------------------------------- processes: Ctrl-C, emulator


def _python_m(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ncp_media_async", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error::ResourceWarning", **env},
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_exits_130_cleanly(fresh: LoopbackEmulator) -> None:
    fresh.emulator.vod_station.add_progressing_encoding(queue_seconds=0.0, run_seconds=600)
    env = {k: v for k, v in fresh.env().items() if v is not None}
    process = _python_m("--endpoint", fresh.url, "watch-encodings", "--interval", "0.05", env=env)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().split()[:2] == ["status", "%"]  # it is running
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == 130
    assert err.strip() == "error: interrupted"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_emulator_command_serves_until_stopped(stop: signal.Signals) -> None:
    process = _python_m("emulator", "--port", "0", "--seed", "3", env={})
    try:
        assert process.stdout is not None
        first = process.stdout.readline().split()
        assert first[:2] == ["listening", "on"]
        url = first[2]
        export, *assignments = shlex.split(process.stdout.readline())  # as a shell reads it
        assert export == "export"
        exports = dict(assignment.split("=", 1) for assignment in assignments)
        assert exports["NCP_MEDIA_ENDPOINT"] == url
        result = CliRunner().invoke(
            cli, ["--json", "statistics"], env=exports, catch_exceptions=False
        )
        (stats,) = json_lines(ok(result))
        assert sum(stats.values()) == Scenario.default(3).encodings
        deadline = time.monotonic() + 5
        while "press Ctrl-C" not in process.stdout.readline() and time.monotonic() < deadline:
            pass
        process.send_signal(stop)
        _, err = process.communicate(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == 0
    assert "emulator stopped" in err
    assert "Traceback" not in err


# ----------------------------------------------------------------- installing, no arguments


@pytest.mark.parametrize("missing", ["click", "rich"])
def test_without_the_cli_extra_one_line_and_exit_1(missing: str) -> None:
    # A lean install: the library imports, the command says in one line what to install.
    code = (
        f"import sys; sys.modules[{missing!r}] = None; import ncp_media_async; "
        "from ncp_media_async.cli import main; main(['demo'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", CLI_EXTRA_HINT + "\n")
    assert "pip install 'ncp_media_async[cli]'" in CLI_EXTRA_HINT


def test_no_subcommand_prints_the_help_and_exits_0() -> None:
    result = ok(CliRunner().invoke(cli, [], catch_exceptions=False))
    assert result.stdout.startswith("Usage: ")
    assert "Commands:" in result.stdout and "wait-imports" in result.stdout
    assert result.stderr == ""


# ---------------------------------------------------------------------------------- units


def test_to_jsonable() -> None:
    when = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    assert to_jsonable({"t": when, "s": EncodingState("PAUSED"), "x": (1, 2)}) == {
        "t": "2025-08-01T09:00:00+00:00",
        "s": "PAUSED",
        "x": [1, 2],
    }
    assert to_jsonable(AssetRef("w", "1", "2")) == {
        "workspace": "w",
        "project_id": "1",
        "asset_id": "2",
        "key": None,
        "from_journal": False,
    }


def test_zone_parse() -> None:
    assert Zone.parse("utc") is Zone.parse("Z") is Zone.parse("+00:00") is UTC_ZONE
    seoul = Zone.parse("+0900")
    assert seoul.name == "+09:00"
    assert seoul.format(datetime(2025, 8, 1, 0, 0, tzinfo=UTC)) == "2025-08-01 09:00:00"
    assert Zone.parse("-03").name == "-03:00"
    assert Zone.parse("Asia/Seoul").format(datetime(2025, 8, 1, tzinfo=UTC)).endswith("09:00:00")
    for bad in ("+24:00", "9", "Nowhere/Else", "../etc/passwd", ""):
        with pytest.raises(ValueError, match=r"time zone|UTC offset"):
            Zone.parse(bad)


def test_parse_asset_ref() -> None:
    assert parse_asset_ref(" w/1/2 ") == AssetRef("w", "1", "2")
    for bad in ("w/1", "w//2", "/1/2", "", "a/b/c/d", "w/1/2/"):
        with pytest.raises(ValueError, match="workspace/project_id/asset_id"):
            parse_asset_ref(bad)


ID, TEXT, OTHER = Kind.ID, Kind.TEXT, Kind.OTHER


def test_fit_widths_keeps_natural_widths_when_they_fit() -> None:
    kinds, prio = [ID, TEXT, OTHER], [0, 0, 0]
    assert fit_widths([10, 40, 30], kinds, prio, 84) == [10, 40, 30]  # 80 + 2 gaps of 2
    assert fit_widths([10, 40, 30], kinds, prio, None) == [10, 40, 30]  # --wide, a pipe


def test_fit_widths_narrows_the_widest_text_first_down_to_the_floor() -> None:
    kinds, prio = [ID, TEXT, TEXT, OTHER], [0, 0, 0, 0]
    assert fit_widths([10, 40, 30, 6], kinds, prio, 76) == [10, 27, 27, 6]
    assert fit_widths([10, 40, 30, 6], kinds, prio, 38) == [10, TEXT_FLOOR, TEXT_FLOOR, 6]
    # Two too many: the rightmost text column goes and the other one widens back.
    assert fit_widths([10, 40, 30, 6], kinds, prio, 36) == [10, 16, None, 6]


def test_fit_widths_then_drops_the_least_important_column_and_never_an_id() -> None:
    kinds = [ID, OTHER, TEXT, OTHER, ID]
    prio = [0, 3, 1, 0, 0]
    natural = [20, 10, 30, 12, 25]
    # 20+10+8+12+25 + 4 gaps of 2 = 83 > 80: the OTHER column of priority 0 goes, and the text
    # gets its width back as far as the budget allows.
    assert fit_widths(natural, kinds, prio, 80) == [20, 10, 19, None, 25]
    # Narrower: the text (priority 1) goes next, then the priority-3 column; ids stay whole
    # while they fit, and are cut when they alone are wider than the budget (issue 19).
    assert fit_widths(natural, kinds, prio, 60) == [20, 10, None, None, 25]
    assert fit_widths(natural, kinds, prio, 50) == [20, None, None, None, 25]
    assert fit_widths(natural, kinds, prio, 40) == [19, None, None, None, 19]
    assert fit_widths(natural, kinds, prio, 10) == [ID_MIN, None, None, None, ID_MIN]


def test_fit_widths_keeps_a_narrower_less_important_column_that_still_fits() -> None:
    assert fit_widths([10, 30, 5], [ID, OTHER, OTHER], [0, 2, 1], 20) == [10, None, 5]


def test_fit_widths_at_equal_priority_text_goes_first_then_the_rightmost() -> None:
    assert fit_widths([10, 10, 10], [OTHER, TEXT, OTHER], [0, 0, 0], 25) == [10, None, 10]
    assert fit_widths([10, 10, 10], [OTHER, OTHER, OTHER], [0, 0, 0], 25) == [10, 10, None]


def test_the_error_line_is_one_bounded_line() -> None:
    failures = {f"ws/p/{i}": ncp.NotFoundError("x" * 400 + "\n" + "y" * 400, status=404,
                                                request="GET /x") for i in range(5)}
    batch = ncp.PollingError(
        "5 of 5 targets failed: " + ", ".join(f"{t}: {e}" for t, e in failures.items()),
        failures=failures,
    )
    line = error_message(batch)
    assert "\n" not in line
    assert len(line) == ERROR_LINE_CHARS
    assert line.endswith("…")
    assert error_message(ncp.NcpError()) == "NcpError"
