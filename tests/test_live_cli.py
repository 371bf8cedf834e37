"""The Live Station subcommands of ``ncp-media`` against the emulator over loopback:
``live-channels``, ``service-urls``, ``wait-channel``, ``record start|stop``,
``upload-records`` (the stream keys' part is in test_live_secrets.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _loopback import LoopbackEmulator
from click.testing import Result

from ncp_media_async.testing import Emulator, Route, Scenario


@pytest.fixture
def fresh() -> Iterator[LoopbackEmulator]:
    """An empty emulator (on the real clock, which the command signs with)."""
    with LoopbackEmulator(Emulator(Scenario.empty())) as loopback:
        yield loopback


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_live_channels_lists_and_filters(fresh: LoopbackEmulator) -> None:
    store = fresh.emulator.live_station
    ids = [store.add_channel(name=name) for name in ("news-1", "news-2", "sports")]
    store.start_publishing(ids[1])
    every = lines(ok(fresh.invoke("--json", "live-channels", "--page-size", "2")))
    assert [c["channel_id"] for c in every] == ids[::-1]
    assert fresh.emulator.stats.requests[Route.LIVE_CHANNELS] == 2
    assert every[1]["channel_status"] == "PUBLISHING"
    found = lines(ok(fresh.invoke("--json", "live-channels", "--status", "ready",
                                  "--name", "news")))  # fmt: skip
    assert [c["channel_name"] for c in found] == ["news-1"]
    found = lines(ok(fresh.invoke("live-channels", "--id", ids[2][-5:], "--json")))
    assert [c["channel_id"] for c in found] == [ids[2]]

    table = ok(fresh.invoke("live-channels", env={"COLUMNS": "80"}))
    assert all(cid in table.stdout for cid in ids)  # ids are never cut
    assert max(map(len, table.stdout.splitlines())) <= 80
    assert "3 channels" in table.stderr


def test_live_channels_refuses_a_page_size_above_100(fresh: LoopbackEmulator) -> None:
    result = fresh.invoke("live-channels", "--page-size", "101")
    assert result.exit_code == 2 and "1<=x<=100" in result.stderr
    assert fresh.emulator.stats.total_requests == 0


def test_record_start_and_stop(fresh: LoopbackEmulator) -> None:
    store = fresh.emulator.live_station
    cid = store.add_channel()
    refused = fresh.invoke("record", "start", cid)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: HTTP 400 code 250134: ")

    store.start_publishing(cid)
    started = lines(ok(fresh.invoke("--json", "record", "start", cid)))
    assert [(r["record_type"], r["status"]) for r in started] == [
        ("MP4", "RECORDING"), ("HLS", "RECORDING")
    ]  # fmt: skip
    again = fresh.invoke("record", "start", cid)
    assert (again.exit_code, "code 250135" in again.stderr) == (1, True)
    stopped = ok(fresh.invoke("record", "stop", cid))
    assert stopped.stdout.count("PROCESSING") == 2
    assert f"recording stopped on {cid}: 2 records" in stopped.stderr
    assert fresh.emulator.stats.requests[Route.START_RECORD] == 3


def test_upload_records(fresh: LoopbackEmulator) -> None:
    store = fresh.emulator.live_station
    cid = store.add_channel()
    store.set_recordings(cid, {
        "7": {"recordType": "MP4", "status": "TRANSFER_READY", "fileName": "a.mp4",
              "uploadPath": "live-station/record/a.mp4"},
        "8": {"recordType": "HLS", "status": "RECORDING"},
    })  # fmt: skip
    uploaded = lines(ok(fresh.invoke("--json", "upload-records", "bucket000", "7",
                                     "--access-control", "public_read")))  # fmt: skip
    assert [(u["record_id"], u["status"], u["record_file_name"]) for u in uploaded] == [
        ("7", "TRANSFER", "a.mp4")
    ]
    refused = fresh.invoke("upload-records", "bucket000", "8")
    assert (refused.exit_code, "code 250507" in refused.stderr) == (1, True)
    bad = fresh.invoke("upload-records", "bucket000", "7", "x8")
    assert bad.exit_code == 2 and "record ids are whole numbers, got 'x8'" in bad.stderr
    assert fresh.emulator.stats.requests[Route.UPLOAD_RECORDS] == 2


def test_service_urls(fresh: LoopbackEmulator) -> None:
    cid = fresh.emulator.live_station.add_channel()
    urls = lines(ok(fresh.invoke("--json", "service-urls", cid, "--type", "thumbnail")))
    assert [u["name"] for u in urls] == ["thumbnail"]
    assert len(urls[0]["resized_url"]) == 3
    table = ok(fresh.invoke("service-urls", cid))
    assert "playlist.m3u8" in table.stdout and "3 GENERAL URLs" in table.stderr


def test_wait_channel(fresh: LoopbackEmulator) -> None:
    store = fresh.emulator.live_station
    cid = store.add_channel()
    (ready,) = lines(ok(fresh.invoke("--json", "wait-channel", cid, "--interval", "0.01")))
    assert ready["channel_status"] == "READY"
    late = fresh.invoke("wait-channel", cid, "--state", "PUBLISHING", "--interval", "0.01",
                        "--timeout", "0.1")  # fmt: skip
    assert late.exit_code == 1 and "still unfinished" in late.stderr
