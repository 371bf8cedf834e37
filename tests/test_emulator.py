"""The emulator by itself, over loopback, with a raw aiohttp session and the client's signer
(the emulator verifies with its own spelling of the protocol, so the two check each other)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import pathlib
import re
import shlex
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import attrs
import pytest
import pytest_asyncio
import yarl
from aiohttp import web
from click.testing import CliRunner

import ncp_media_async as ncp
import ncp_media_async.testing
from ncp_media_async._signing import (
    ACCESS_KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Signer,
    encode_path,
)
from ncp_media_async.cli._app import cli
from ncp_media_async.testing import (
    WORK_START_KEY,
    Banner,
    Call,
    Emulator,
    EmulatorServer,
    Fault,
    FaultPlan,
    LaunchOptions,
    ManualClock,
    Route,
    Scenario,
    Store,
    StoreRoute,
)
from ncp_media_async.testing.__main__ import main as module_main
from ncp_media_async.testing._faults import FaultInjector
from ncp_media_async.testing._launch import FLAGS, argument_parser, banner
from ncp_media_async.testing._protocol import authenticate, signature_v2

T0 = 1_755_590_400.0  # 2025-08-19T08:00:00Z, epoch seconds
KR = {"x-ncp-region_code": "KR"}


@attrs.frozen
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Signs like a correct client: the encoded path and query exactly as sent."""

    def __init__(self, session: aiohttp.ClientSession, server: EmulatorServer, clock: ManualClock):
        self.session = session
        self.server = server
        self.clock = clock
        self.signer = Signer(server.emulator.access_key, server.emulator.secret_key)

    def headers(
        self,
        path_qs: str,
        *,
        skew: float = 0.0,
        signer: Signer | None = None,
        method: str = "GET",
    ) -> dict[str, str]:
        timestamp_ms = int((self.clock() + skew) * 1000)
        return (signer or self.signer).headers(method, path_qs, timestamp_ms)

    async def get(
        self,
        path_qs: str,
        *,
        headers: Mapping[str, str] | None = None,
        skew: float = 0.0,
        signed: bool = True,
        timeout: float | None = None,
    ) -> Reply:
        return await self.send(
            "GET", path_qs, headers=headers, skew=skew, signed=signed, timeout=timeout
        )

    async def send(
        self,
        method: str,
        path_qs: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        skew: float = 0.0,
        signed: bool = True,
        timeout: float | None = None,
    ) -> Reply:
        all_headers = self.headers(path_qs, skew=skew, method=method) if signed else {}
        all_headers.update(headers or {})
        url = yarl.URL(self.server.url + path_qs, encoded=True)
        client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else None
        async with self.session.request(
            method, url, data=body, headers=all_headers, timeout=client_timeout
        ) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())


@contextlib.asynccontextmanager
async def served(emulator: Emulator, clock: ManualClock) -> AsyncIterator[Api]:
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        yield Api(session, server, clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(Scenario(seed=1), clock=clock)


@pytest_asyncio.fixture
async def api(emulator: Emulator, clock: ManualClock) -> AsyncIterator[Api]:
    async with served(emulator, clock) as api:
        yield api


def declare(monkeypatch: pytest.MonkeyPatch, store: Store, *routes: StoreRoute) -> None:
    """Give ``store`` more routes, as a store of the future declares them (before serving)."""
    declared = store.routes()
    monkeypatch.setattr(store, "routes", lambda: (*declared, *routes))


def echo(call: Call) -> web.StreamResponse:
    return web.json_response({"route": call.route, "body": call.body})


def events_path(channel_id: str, query: str = "") -> str:
    path = encode_path("api", "v2", "channels", channel_id, "events")
    return f"{path}?{query}" if query else path


def records_path(channel_id: str) -> str:
    return encode_path("api", "v2", "channels", channel_id, "records")


def import_path(workspace: str, project: str, asset: str) -> str:
    return encode_path(
        "api", "v1", "workspaces", workspace, "projects", project, "assets", asset,
        "import-status",
    )  # fmt: skip


def video_import_path(workspace: str, project: str, asset: str) -> str:
    """The deprecated path (removed by NCP in January 2027)."""
    return encode_path(
        "api", "v1", "workspaces", workspace, "projects", project, "video-assets", asset,
        "import-status",
    )  # fmt: skip


def encoding_item(start_ms: int, status: str = "COMPLETE", **extra: Any) -> dict[str, Any]:
    return {
        WORK_START_KEY: start_ms,
        "categoryId": 1,
        "categoryName": "c",
        "filePath": f"f-{start_ms}.mp4",
        "outputType": "AVC_HD_1Pass_30fps",
        "link": "https://example.invalid/x.mp4",
        "outputTotalSize": 1,
        "lastWorkTime": "2025-08-19T17:08:03+0900",
        "status": status,
        "percent": 100.0,
        **extra,
    }


# ------------------------------------------------------------------------------ signatures


async def test_valid_signature_is_accepted_on_every_route(
    api: Api, emulator: Emulator, clock: ManualClock
) -> None:
    workspace, project, asset = emulator.media_ai.import_refs()[0]
    project_path = encode_path("api", "v1", "workspaces", workspace, "projects", project)
    live = emulator.live_station.add_channel()
    emulator.live_station.start_publishing(live)
    paths: list[tuple[str, str, dict[str, str], bytes | None]] = [
        ("GET", "/api/v2/status?pageNo=1&pageSizeNo=20", {}, None),
        ("GET", "/api/v2/status/status-statistic", {}, None),
        ("GET", events_path(emulator.vod_station.channel_ids[0]), {}, None),
        ("GET", import_path(workspace, project, asset), {}, None),
        ("GET", "/api/v2/channels?pageNo=1&pageSizeNo=20", KR, None),
        ("GET", f"/api/v2/channels/{live}", KR, None),
        ("GET", f"/api/v2/channels/{live}/serviceUrls?serviceUrlType=GENERAL", KR, None),
        ("PUT", f"/api/v2/channels/{live}/startRecord", KR, None),
        ("PUT", f"/api/v2/channels/{live}/stopRecord", KR, None),
        ("GET", records_path(live), KR, None),
        ("GET", "/api/v2/events/callbackEndpoint", KR, None),
        ("POST", "/api/v2/events/callbackEndpoint", KR, b'{"callbackUrl": "http://127.0.0.1:9/"}'),
        ("GET", video_import_path(workspace, project, asset), {}, None),
        ("GET", "/api/v1/workspaces?pageNum=1", {}, None),
        ("GET", encode_path("api", "v1", "workspaces", workspace), {}, None),
        ("GET", encode_path("api", "v1", "workspaces", workspace, "projects"), {}, None),
        ("GET", project_path, {}, None),
        ("GET", project_path + "/assets?pageNum=1", {}, None),
        ("GET", f"{project_path}/assets/{asset}", {}, None),
        ("POST", project_path + "/assets/import/object-storage", {},
         b'{"key": "a.mp4", "bucketName": "b"}'),
    ]
    vod = emulator.vod_station
    category, channel = vod.categories()[0]["id"], vod.channel_ids[0]
    vod.set_channel_status(channel, "READY")
    paths += [
        ("PUT", f"/api/v2/category/{category}/add-files", {},
         b'{"bucketName": "b", "pathList": ["a.mp4"]}'),
        ("PUT", f"/api/v2/channels/{channel}/stop", {}, None),
        ("GET", "/api/v2/category", {}, None),
        ("GET", f"/api/v2/category/{category}", {}, None),
        ("GET", "/api/v2/encoding-option", {}, None),
        ("GET", "/api/v2/encoding-option/template", {}, None),
        ("GET", "/api/v2/channels", {}, None),
        ("GET", f"/api/v2/channels/{channel}", {}, None),
    ]  # fmt: skip
    for method, path, headers, body in paths:
        reply = await api.send(method, path, headers=headers, body=body)
        assert reply.status == 200, (path, reply.body)
        assert reply.headers["Content-Type"] == "application/json;charset=utf-8"
    clock.advance(emulator.live_station.processing_seconds)  # the records can be uploaded now
    ids = [int(key) for key in emulator.live_station.recordings(live)]
    reply = await api.send(
        "POST", "/api/v2/buckets/bucket000/upload", headers=KR,
        body=json.dumps({"recordIds": ids}).encode(),
    )  # fmt: skip
    assert reply.status == 200, reply.body
    # Media Intelligence analyses, of an asset whose import completes at its first poll.
    emulator.media_ai.add_import(workspace, project, 42, polls=1)
    analysed = f"{project_path}/assets/42"
    steps = [("GET", "/import-status"), ("POST", "/index"), ("POST", "/index/cancel"),
             ("GET", "/index/status")]  # fmt: skip
    for method, path in steps:
        reply = await api.send(method, analysed + path, body=b"{}" if path == "/index" else None)
        assert reply.status == 200, (path, reply.body)
    assert (await api.get(analysed + "/index")).status == 404  # cancelled: no index was made
    assert (await api.send("DELETE", analysed + "/index")).status == 404
    # VOD Station: a job's status, and a stopped channel started again.
    vod.set_channel_status(channel, "STOPPED")
    for method, path in (("GET", f"/api/v2/status/{vod.file_ids[0]}"),
                         ("PUT", f"/api/v2/channels/{channel}/start")):  # fmt: skip
        reply = await api.send(method, path)
        assert reply.status == 200, (path, reply.body)
    assert emulator.stats.total_requests == len(paths) + 1 + len(steps) + 2 + 2
    assert emulator.stats.rejected_signatures == 0
    assert set(emulator.stats.requests) == set(Route)


async def test_bad_signature_is_rejected_without_leaking_the_expected_one(
    api: Api, emulator: Emulator
) -> None:
    path = "/api/v2/status?pageNo=1"
    headers = api.headers(path)
    expected = headers[SIGNATURE_HEADER]
    headers[SIGNATURE_HEADER] = Signer(emulator.access_key, "wrong-secret").signature(
        "GET", path, headers[TIMESTAMP_HEADER]
    )
    reply = await api.get(path, headers=headers, signed=False)
    assert reply.status == 401
    error = reply.json()["error"]
    assert error["errorCode"] == "200"
    assert error["message"] == "Authentication Failed"
    assert "signature" in error["details"].lower()
    assert expected.encode() not in reply.body
    assert emulator.secret_key.encode() not in reply.body
    assert emulator.stats.rejected_signatures == 1
    assert emulator.stats.auth_failures == {"bad_signature": 1}


async def test_signature_covers_the_query(api: Api) -> None:
    headers = api.headers("/api/v2/status?pageNo=1")
    reply = await api.get("/api/v2/status?pageNo=2", headers=headers, signed=False)
    assert reply.status == 401


async def test_undecodable_signature_is_a_401_not_a_500(api: Api, emulator: Emulator) -> None:
    # aiohttp's client will not send raw bytes in a header; write the request by hand.
    path = "/api/v2/status"
    headers = api.headers(path)
    del headers[SIGNATURE_HEADER]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n".encode()
        + head
        + SIGNATURE_HEADER.encode()
        + b": \xff\xfe\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(api.server.host, api.server.port)
    try:
        writer.write(request)
        status_line = await asyncio.wait_for(reader.readline(), 5)
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.1 401 ")
    assert emulator.stats.auth_failures == {"bad_signature": 1}


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, ACCESS_KEY_HEADER, SIGNATURE_HEADER])
async def test_missing_header_is_rejected(api: Api, emulator: Emulator, missing: str) -> None:
    headers = api.headers("/api/v2/status")
    del headers[missing]
    reply = await api.get("/api/v2/status", headers=headers, signed=False)
    assert reply.status == 401
    assert missing in reply.json()["error"]["details"]
    assert emulator.stats.auth_failures == {"missing_header": 1}


async def test_unknown_access_key_and_added_credentials(api: Api, emulator: Emulator) -> None:
    other = Signer("OTHERKEY", "other-secret")
    path = "/api/v2/status"
    reply = await api.get(path, headers=api.headers(path, signer=other), signed=False)
    assert reply.status == 401
    assert emulator.stats.auth_failures == {"unknown_access_key": 1}
    emulator.add_credentials("OTHERKEY", "other-secret")
    reply = await api.get(path, headers=api.headers(path, signer=other), signed=False)
    assert reply.status == 200


@pytest.mark.parametrize(("skew", "status"), [(-300, 200), (300, 200), (-301, 401), (301, 401)])
async def test_timestamp_window_is_five_minutes(api: Api, skew: float, status: int) -> None:
    assert (await api.get("/api/v2/status", skew=skew)).status == status


async def test_non_numeric_timestamp_is_rejected(api: Api, emulator: Emulator) -> None:
    headers = api.headers("/api/v2/status")
    headers[TIMESTAMP_HEADER] = "2025-08-19T08:00:00Z"
    assert (await api.get("/api/v2/status", headers=headers, signed=False)).status == 401
    assert emulator.stats.auth_failures == {"invalid_timestamp": 1}


async def test_clock_offset_moves_date_header_and_time_window(
    api: Api, emulator: Emulator, clock: ManualClock
) -> None:
    reply = await api.get("/api/v2/status")
    assert parsedate_to_datetime(reply.headers["Date"]).timestamp() == T0

    emulator.clock_offset = 3600.0
    rejected = await api.get("/api/v2/status")  # the client's clock is an hour behind
    assert rejected.status == 401
    assert emulator.stats.auth_failures == {"timestamp_skew": 1}
    # Every response, a rejection too, tells the client the server's time.
    server_time = parsedate_to_datetime(rejected.headers["Date"]).timestamp()
    assert server_time == T0 + 3600
    assert (await api.get("/api/v2/status", skew=server_time - clock())).status == 200


async def test_escaped_channel_id_round_trips_as_one_segment(api: Api, emulator: Emulator) -> None:
    channel_id = "vs-a b/ü?x=1"
    event = {
        "time": 1755758700,
        "actionType": "START",
        "requestType": "API",
        "resultCode": "SUCCESS",
        "messageCode": "CHANNEL_START_TO_READY",
        "message": "m",
    }
    emulator.vod_station.set_channel_events(channel_id, [event])
    path = events_path(channel_id, "pageNo=1&pageSizeNo=20")
    assert path == "/api/v2/channels/vs-a%20b%2F%C3%BC%3Fx%3D1/events?pageNo=1&pageSizeNo=20"
    reply = await api.get(path)
    assert reply.status == 200
    assert reply.json() == {"content": [event], "total": 1}

    # Signing the unescaped path (the bug of NCP's Python sample) fails.
    unescaped = f"/api/v2/channels/{channel_id}/events?pageNo=1&pageSizeNo=20"
    reply = await api.get(path, headers=api.headers(unescaped), signed=False)
    assert reply.status == 401

    emulator.live_station.set_recordings("ls-ä/b", {"1": {"recordType": "HLS"}})
    reply = await api.get(records_path("ls-ä/b"), headers=KR)
    assert reply.json() == {"content": {"recordList": {"1": {"recordType": "HLS"}}}, "total": 1}

    emulator.media_ai.add_import("my ws/ü", "12 34", 77)
    reply = await api.get(import_path("my ws/ü", "12 34", "77"))
    assert reply.json()["result"]["uploadStatus"] == "COMPLETED"


async def test_unknown_path_gets_the_gateway_404(api: Api, emulator: Emulator) -> None:
    reply = await api.get("/api/v2/nothing-here")
    assert reply.status == 404
    assert reply.json() == {"error": {"errorCode": "300", "message": "Not Found"}}
    assert emulator.stats.requests["unmatched"] == 1


# ---------------------------------------------------------------------------- error dialects


async def test_vod_station_errors(api: Api, emulator: Emulator) -> None:
    reply = await api.get(events_path("vs-nope"))
    assert reply.status == 404
    error = reply.json()["error"]
    assert error["errorCode"] == "260004"
    assert "not found" in error["message"]

    channel = emulator.vod_station.channel_ids[0]
    reply = await api.get(events_path(channel, "pageNo=0"))
    assert (reply.status, reply.json()["error"]["errorCode"]) == (400, "260025")
    for query in ("pageNo=-3", "pageNo=0&pageSizeNo=10"):
        assert (await api.get(f"/api/v2/status?{query}")).json()["error"]["errorCode"] == "260025"
    for size in ("0", "-1", "abc", "1000001", "2.5"):
        reply = await api.get(f"/api/v2/status?pageSizeNo={size}")
        assert (reply.status, reply.json()["error"]["errorCode"]) == (400, "260002"), size
    reply = await api.get("/api/v2/status?workStartTimeFrom=yesterday")
    assert (reply.status, reply.json()["error"]["errorCode"]) == (400, "260026")
    reply = await api.get("/api/v2/status/status-statistic?workStartTimeTo=1.5")
    assert (reply.status, reply.json()["error"]["errorCode"]) == (400, "260026")


async def test_live_station_errors_have_numeric_codes(api: Api, emulator: Emulator) -> None:
    channel = emulator.live_station.channel_ids[0]
    reply = await api.get(records_path(channel))
    assert reply.status == 400
    assert reply.json()["error"] == {
        "errorCode": 250003, "message": "Missing required header.", "errorName": "EXCEPTION"
    }  # fmt: skip
    reply = await api.get(records_path(channel), headers={"x-ncp-region_code": "JP"})
    assert reply.status == 400
    assert reply.json()["error"] == {
        "errorCode": 250020, "message": "Invalid region code JP.", "errorName": "EXCEPTION"
    }  # fmt: skip
    reply = await api.get(records_path("ls-nope"), headers=KR)
    assert reply.status == 400
    assert reply.json()["error"] == {
        "errorCode": 250100, "message": "Channel is not found", "errorName": "EXCEPTION"
    }  # fmt: skip


async def test_media_ai_errors(api: Api, emulator: Emulator) -> None:
    workspace, project, _ = emulator.media_ai.import_refs()[0]
    for bad in ("abc", "12a", "-5", "١٢"):
        reply = await api.get(import_path(workspace, project, bad))
        assert reply.status == 400, bad
        assert reply.json() == {"code": "10001", "message": "Invalid Request"}
    reply = await api.get(import_path(workspace, project, "99999999"))
    assert reply.status == 404
    assert reply.json()["code"] == "10404"


# ------------------------------------------------------------------------------------- data


def test_same_seed_same_data(clock: ManualClock) -> None:
    scenario = Scenario(seed=42, progressing_encodings=5)
    a, b = Emulator(scenario, clock=clock), Emulator(scenario, clock=clock)
    assert a.vod_station.encoding_statuses() == b.vod_station.encoding_statuses()
    vod_channels = a.vod_station.channel_ids
    assert vod_channels == b.vod_station.channel_ids
    assert all(
        a.vod_station.channel_events(c) == b.vod_station.channel_events(c) for c in vod_channels
    )
    assert all(
        a.live_station.recordings(c) == b.live_station.recordings(c)
        for c in a.live_station.channel_ids
    )
    assert a.media_ai.imports() == b.media_ai.imports()
    other = Emulator(Scenario(seed=43), clock=clock)
    assert other.vod_station.channel_ids != vod_channels
    assert other.media_ai.imports() != a.media_ai.imports()


def test_default_scenario_is_realistic(emulator: Emulator) -> None:
    items = emulator.vod_station.encoding_statuses()
    assert len(items) == 300
    assert {item["status"] for item in items} <= {"COMPLETE", "FAILURE", "CANCELED"}
    assert all(item["lastWorkTime"].endswith("+0900") for item in items)
    assert all(WORK_START_KEY not in item for item in items)
    assert len(emulator.vod_station.channel_ids) == 3
    assert all(c.startswith("vs-") for c in emulator.vod_station.channel_ids)
    events = emulator.vod_station.channel_events(emulator.vod_station.channel_ids[0])
    assert len(events) == 40
    times = [e["time"] for e in events]
    assert times == sorted(times, reverse=True)
    assert times[0] < T0  # epoch seconds, not milliseconds
    for channel in emulator.live_station.channel_ids:
        assert channel.startswith("ls-")
        for record in emulator.live_station.recordings(channel).values():
            assert record["recordBeginTime"] > 10**12  # epoch milliseconds
            if record["recordType"] == "HLS":
                assert "duration" not in record
                assert "audioCodec" not in record
            else:
                assert record["duration"] > 60_000  # milliseconds
            if record["status"] != "TRANSFER_FINISH":
                assert record["objectStorageUrl"] == "-"
    outcomes = {asset.outcome for asset in emulator.media_ai.imports()}
    assert outcomes == {"COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"}
    assert {asset.polls_to_complete for asset in emulator.media_ai.imports()} == {1, 2, 3, 4}


async def test_encoding_pages_and_totals(api: Api, emulator: Emulator) -> None:
    emulator.clear()
    minute = 60_000
    base = int(T0 * 1000)
    emulator.vod_station.set_encoding_statuses(encoding_item(base + i * minute) for i in range(45))
    starts = [base + i * minute for i in reversed(range(45))]  # newest first

    pages = []
    for page_no in (1, 2, 3, 4):
        reply = await api.get(f"/api/v2/status?pageNo={page_no}&pageSizeNo=20")
        body = reply.json()
        assert body["total"] == 45
        pages.append([item["filePath"] for item in body["content"]])
    assert [len(p) for p in pages] == [20, 20, 5, 0]
    assert [path for page in pages for path in page] == [f"f-{s}.mp4" for s in starts]

    # Default page size is 20; the window is inclusive at both ends (From = start).
    assert len((await api.get("/api/v2/status")).json()["content"]) == 20
    query = f"workStartTimeFrom={base + 10 * minute}&workStartTimeTo={base + 19 * minute}"
    body = (await api.get(f"/api/v2/status?{query}&pageSizeNo=100")).json()
    assert body["total"] == 10
    assert [i["filePath"] for i in body["content"]] == [f"f-{s}.mp4" for s in starts[25:35]]
    empty = (await api.get(f"/api/v2/status?workStartTimeFrom={base + 99 * minute}")).json()
    assert empty == {"content": [], "total": 0}


async def test_generated_encodings_walk_completely(api: Api, emulator: Emulator) -> None:
    seen: list[dict[str, Any]] = []
    page_no = 1
    while True:
        body = (await api.get(f"/api/v2/status?pageNo={page_no}&pageSizeNo=100")).json()
        assert body["total"] == 300
        if not body["content"]:
            break
        seen += body["content"]
        page_no += 1
    assert seen == emulator.vod_station.encoding_statuses()


async def test_status_statistics_match_the_list(api: Api, emulator: Emulator) -> None:
    emulator.clear()
    base = int(T0 * 1000)
    statuses = ["COMPLETE"] * 5 + ["FAILURE"] * 2 + ["WAITING", "CANCELED", "MYSTERY"]
    emulator.vod_station.set_encoding_statuses(
        encoding_item(base + i, s) for i, s in enumerate(statuses)
    )
    body = (await api.get("/api/v2/status/status-statistic")).json()
    assert body == {
        "content": {"waiting": 1, "running": 0, "complete": 5, "failure": 2, "canceled": 1}
    }
    # A window: From = start, To = end, both inclusive.
    query = f"workStartTimeFrom={base + 4}&workStartTimeTo={base + 6}"
    body = (await api.get(f"/api/v2/status/status-statistic?{query}")).json()
    assert body["content"] == {
        "waiting": 0,
        "running": 0,
        "complete": 1,
        "failure": 2,
        "canceled": 0,
    }

    emulator.vod_station.status_statistics_as_strings = True
    body = (await api.get("/api/v2/status/status-statistic")).json()
    assert body["content"] == {
        "waiting": "1", "running": "0", "complete": 5, "failure": "2", "canceled": 1
    }  # fmt: skip

    emulator.vod_station.set_status_statistics([{"waiting": "7"}])
    assert (await api.get("/api/v2/status/status-statistic")).json() == {
        "content": [{"waiting": "7"}]
    }


async def test_raw_items_are_served_as_given(api: Api, emulator: Emulator) -> None:
    emulator.clear()
    quirky = encoding_item(1, status="PAUSED", percent="12.5", link="-", extra=None)
    emulator.vod_station.set_encoding_statuses([quirky])
    content = (await api.get("/api/v2/status")).json()["content"]
    assert content == [{k: v for k, v in quirky.items() if k != WORK_START_KEY}]

    emulator.live_station.set_recordings("ls-x", {"5": {"objectStorageUrl": "-"}}, total=6)
    assert (await api.get(records_path("ls-x"), headers=KR)).json()["total"] == 6


async def test_encodings_progress_with_the_clock(
    api: Api, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.clear()
    emulator.vod_station.add_progressing_encoding(queue_seconds=10, run_seconds=100)
    emulator.vod_station.add_progressing_encoding(
        work_start_ms=int(T0 * 1000) - 1, run_seconds=50, outcome="FAILURE", final_percent=40.0
    )

    async def snapshot() -> list[tuple[str, float]]:
        items = (await api.get("/api/v2/status")).json()["content"]
        stats = (await api.get("/api/v2/status/status-statistic")).json()["content"]
        assert sum(stats.values()) == len(items)
        return [(item["status"], item["percent"]) for item in items]

    assert await snapshot() == [("WAITING", 0.0), ("RUNNING", 0.0)]
    clock.advance(35)
    assert await snapshot() == [("RUNNING", 25.0), ("RUNNING", 28.0)]
    clock.advance(60)
    assert await snapshot() == [("RUNNING", 85.0), ("FAILURE", 40.0)]
    clock.advance(60)
    items = (await api.get("/api/v2/status")).json()["content"]
    assert [(i["status"], i["percent"]) for i in items] == [("COMPLETE", 100.0), ("FAILURE", 40.0)]
    assert items[0]["outputTotalSize"] > 0
    assert items[1]["outputTotalSize"] == 0
    assert items[0]["lastWorkTime"] == "2025-08-19T17:01:50+0900"  # start + 10 s + 100 s


def test_demo_scenario_has_progressing_encodings(clock: ManualClock) -> None:
    emulator = Emulator(Scenario.demo(), clock=clock)
    before = {item["status"] for item in emulator.vod_station.encoding_statuses()}
    clock.advance(3600)
    after = {item["status"] for item in emulator.vod_station.encoding_statuses()}
    assert {"WAITING", "RUNNING"} & before
    assert not {"WAITING", "RUNNING"} & after
    assert len(emulator.media_ai.import_refs()) == 3000


async def test_channel_event_pages(api: Api, emulator: Emulator) -> None:
    channel = emulator.vod_station.channel_ids[1]
    expected = emulator.vod_station.channel_events(channel)
    pages = []
    for page_no in (1, 2, 3, 4):
        body = (await api.get(events_path(channel, f"pageNo={page_no}&pageSizeNo=15"))).json()
        assert body["total"] == 40
        pages.append(body["content"])
    assert [len(p) for p in pages] == [15, 15, 10, 0]
    assert [event for page in pages for event in page] == expected


async def test_after_page_hook_changes_the_list_mid_walk(api: Api, emulator: Emulator) -> None:
    channel = emulator.vod_station.channel_ids[0]
    served: list[tuple[str, int]] = []

    def grow(route: str, page_no: int) -> None:
        served.append((route, page_no))
        if route == Route.CHANNEL_EVENTS:
            new = {"time": 2_000_000_000, "actionType": "NEW"}
            emulator.vod_station.add_channel_events(channel, [new])
        else:
            emulator.vod_station.remove_encoding_statuses(5)

    emulator.after_page = grow
    totals = [
        (await api.get(events_path(channel, f"pageNo={n}&pageSizeNo=10"))).json()["total"]
        for n in (1, 2)
    ]
    assert totals == [40, 41]
    totals = [(await api.get(f"/api/v2/status?pageNo={n}")).json()["total"] for n in (1, 2)]
    assert totals == [300, 295]
    assert served == [("channel_events", 1), ("channel_events", 2),
                      ("encoding_statuses", 1), ("encoding_statuses", 2)]  # fmt: skip


# ----------------------------------------------------------------------------------- imports


async def test_import_progression_and_polls_after_terminal(api: Api, emulator: Emulator) -> None:
    emulator.media_ai.add_import("ws", "1", "5678", outcome="FAILED", polls=3)
    path = import_path("ws", "1", "5678")
    statuses = []
    for _ in range(4):
        body = (await api.get(path)).json()
        assert (body["code"], body["message"]) == ("0", "success")
        assert body["result"]["assetId"] == 5678
        statuses.append(body["result"]["uploadStatus"])
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "FAILED", "FAILED"]
    key = ("ws", "1", "5678")
    assert emulator.stats.import_polls[key] == 4
    assert emulator.stats.polls_after_terminal == {key: 1}
    assert emulator.stats.total_polls_after_terminal == 1
    asset = emulator.media_ai.get_import("ws", "1", 5678)
    assert (asset.polls, asset.terminal_reported) == (4, True)


async def test_import_result_body(api: Api, emulator: Emulator) -> None:
    meta = {"resolution": "1920x1080", "durationMs": 253702, "size": 120333399, "format": "mp4"}
    emulator.media_ai.add_import("ws", "1234", 5678, metadata=meta)
    assert (await api.get(video_import_path("ws", "1234", "5678"))).json() == {
        "code": "0",
        "message": "success",
        "result": {"videoId": 5678, "uploadStatus": "COMPLETED",
                   "uploadResult": "Video copy completed", "metaData": meta},
    }  # fmt: skip
    quirky = {"videoId": "9", "uploadStatus": "NEW_STATE"}
    emulator.media_ai.add_import("ws", "1234", 9, result=quirky)
    result = (await api.get(video_import_path("ws", "1234", "9"))).json()["result"]
    assert result == {"videoId": "9", "uploadStatus": "NEW_STATE"}


async def test_a_damaged_terminal_answer_does_not_count_as_reported(
    api: Api, emulator: Emulator
) -> None:
    emulator.media_ai.add_import("ws", "1", "7", polls=1)
    path = import_path("ws", "1", "7")
    emulator.force_faults(Fault.TRUNCATED_JSON)
    assert (await api.get(path)).status == 200  # truncated: the client learned nothing
    assert (await api.get(path)).json()["result"]["uploadStatus"] == "COMPLETED"
    assert emulator.stats.total_polls_after_terminal == 0
    await api.get(path)
    assert emulator.stats.total_polls_after_terminal == 1


async def test_a_gateway_fault_is_not_a_poll(api: Api, emulator: Emulator) -> None:
    emulator.media_ai.add_import("ws", "1", "7", polls=2)
    emulator.force_faults(Fault.UNAVAILABLE)
    assert (await api.get(import_path("ws", "1", "7"))).status == 503
    assert emulator.media_ai.get_import("ws", "1", "7").polls == 0


# ----------------------------------------------------------------------------- instrumentation


async def test_peak_in_flight_counts_concurrent_requests(api: Api, emulator: Emulator) -> None:
    gate = asyncio.Event()
    delays: list[float] = []

    async def held(seconds: float) -> None:
        delays.append(seconds)
        await gate.wait()

    emulator.sleep = held
    emulator.latency = 0.25
    emulator.route_latency[Route.RECORDS] = 0.5
    tasks = [asyncio.create_task(api.get("/api/v2/status")) for _ in range(8)]
    tasks.append(asyncio.create_task(api.get(records_path("ls-x"), headers=KR)))
    for _ in range(500):
        if emulator.stats.in_flight == 9:
            break
        await asyncio.sleep(0.002)
    assert emulator.stats.in_flight == 9
    gate.set()
    replies = await asyncio.gather(*tasks)
    assert [r.status for r in replies] == [200] * 8 + [400]
    assert emulator.stats.peak_in_flight == 9
    assert emulator.stats.in_flight == 0
    assert sorted(delays) == [0.25] * 8 + [0.5]
    assert emulator.stats.statuses == {200: 8, 400: 1}

    emulator.reset_stats()
    assert (emulator.stats.total_requests, emulator.stats.peak_in_flight) == (0, 0)


async def test_admin_routes_are_not_counted(api: Api, emulator: Emulator) -> None:
    await api.get("/api/v2/status")
    reply = await api.get("/_emulator/stats", signed=False)
    assert reply.json()["total_requests"] == 1
    info = (await api.get("/_emulator/info", signed=False)).json()
    assert info["vod_channels"] == emulator.vod_station.channel_ids
    assert info["imports"][0] == list(emulator.media_ai.import_refs()[0])
    assert emulator.stats.total_requests == 1


# ------------------------------------------------------------------------------------ faults


async def test_throttle(api: Api, emulator: Emulator) -> None:
    for code, message in (("400", "Quota Exceeded"), ("410", "Throttle Limited"),
                          ("420", "Rate Limited")):  # fmt: skip
        emulator.force_faults(Fault.THROTTLE, throttle_code=code)
        reply = await api.get("/api/v2/status")
        assert reply.status == 429
        assert reply.json() == {"error": {"errorCode": code, "message": message}}
        assert reply.headers["Retry-After"] == "0"
        assert "Date" in reply.headers
    emulator.force_faults(Fault.THROTTLE, retry_after=None)
    reply = await api.get("/api/v2/status")
    assert reply.status == 429
    assert "Retry-After" not in reply.headers
    assert emulator.stats.faults == {Fault.THROTTLE: 4}


async def test_plan_throttle_retry_after(api: Api, emulator: Emulator) -> None:
    emulator.fault_plan = FaultPlan(rate=1.0, kinds={Fault.THROTTLE}, retry_after=2)
    assert (await api.get("/api/v2/status")).headers["Retry-After"] == "2"
    emulator.fault_plan = FaultPlan(rate=1.0, kinds={Fault.THROTTLE}, retry_after=None)
    assert "Retry-After" not in (await api.get("/api/v2/status")).headers


async def test_status_code_faults(api: Api, emulator: Emulator) -> None:
    emulator.force_faults(Fault.BAD_GATEWAY_HTML, Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT)
    bad_gateway = await api.get("/api/v2/status")
    assert bad_gateway.status == 502
    assert bad_gateway.headers["Content-Type"] == "text/html"
    assert bad_gateway.body.startswith(b"<html>")
    unavailable = await api.get("/api/v2/status")
    assert unavailable.status == 503
    assert unavailable.json() == {"error": {"errorCode": "500", "message": "Endpoint Error"}}
    timeout = await api.get("/api/v2/status")
    assert timeout.status == 504
    assert timeout.json() == {"error": {"errorCode": "510", "message": "Endpoint Timeout"}}


async def test_reset_before_body(api: Api, emulator: Emulator) -> None:
    # aiohttp resends an idempotent request once, on a new connection, when the connection
    # drops before a response: one reset is absorbed, two in a row reach the caller.
    emulator.force_faults(Fault.RESET_BEFORE_BODY)
    assert (await api.get("/api/v2/status")).status == 200
    assert emulator.stats.total_requests == 2
    emulator.force_faults(Fault.RESET_BEFORE_BODY, Fault.RESET_BEFORE_BODY)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.get("/api/v2/status")
    assert emulator.stats.faults == {Fault.RESET_BEFORE_BODY: 3}
    assert emulator.stats.statuses == {200: 1}


async def test_reset_mid_body(api: Api, emulator: Emulator) -> None:
    emulator.force_faults(Fault.RESET_MID_BODY)
    url = yarl.URL(api.server.url + "/api/v2/status", encoded=True)
    async with api.session.get(url, headers=api.headers("/api/v2/status")) as resp:
        assert resp.status == 200
        announced = int(resp.headers["Content-Length"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
    intact = await api.get("/api/v2/status")
    assert announced == len(intact.body)
    assert emulator.stats.faults == {Fault.RESET_MID_BODY: 1}


async def test_truncated_json(api: Api, emulator: Emulator) -> None:
    emulator.force_faults(Fault.TRUNCATED_JSON)
    reply = await api.get("/api/v2/status")
    assert reply.status == 200
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert reply.body == (await api.get("/api/v2/status")).body[: len(reply.body)]


async def test_wrong_shape(api: Api, emulator: Emulator) -> None:
    workspace, project, asset = emulator.media_ai.import_refs()[0]
    emulator.force_faults(Fault.WRONG_SHAPE, Fault.WRONG_SHAPE)
    body = (await api.get("/api/v2/status")).json()
    assert isinstance(body["content"], str)
    body = (await api.get(import_path(workspace, project, asset))).json()
    assert isinstance(body["result"], str)


async def test_slow_holds_the_answer_back(api: Api, emulator: Emulator) -> None:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    emulator.sleep = fake_sleep
    emulator.force_faults(Fault.SLOW, slow_seconds=30)
    assert (await api.get("/api/v2/status")).status == 200
    assert delays == [30]


async def test_slow_outlasts_a_client_timeout(api: Api, emulator: Emulator) -> None:
    emulator.force_faults(Fault.SLOW, slow_seconds=30)
    with pytest.raises(asyncio.TimeoutError):  # after time enough to arrive, even on a busy box
        await api.get("/api/v2/status", timeout=0.5)
    for _ in range(500):  # the server drops the abandoned request
        if emulator.stats.in_flight == 0:
            break
        await asyncio.sleep(0.002)
    assert emulator.stats.in_flight == 0
    assert emulator.stats.faults == {Fault.SLOW: 1}


async def test_gateway_faults_come_before_auth_and_body_faults_after(
    api: Api, emulator: Emulator
) -> None:
    emulator.force_faults(Fault.THROTTLE)
    assert (await api.get("/api/v2/status", skew=-3600)).status == 429
    assert emulator.stats.rejected_signatures == 0

    emulator.force_faults(Fault.TRUNCATED_JSON)
    reply = await api.get("/api/v2/status", skew=-3600)
    assert reply.status == 401
    assert reply.json()["error"]["errorCode"] == "200"  # intact
    assert emulator.stats.faults == {Fault.THROTTLE: 1}


async def test_faults_can_be_limited_to_routes(api: Api, emulator: Emulator) -> None:
    emulator.fault_plan = FaultPlan(rate=1.0, kinds={Fault.UNAVAILABLE}, routes=[Route.RECORDS])
    assert (await api.get("/api/v2/status")).status == 200
    assert (await api.get(records_path("ls-x"), headers=KR)).status == 503
    emulator.force_faults(Fault.GATEWAY_TIMEOUT, routes=Route.IMPORT_STATUS)
    assert (await api.get("/api/v2/status")).status == 200
    assert (await api.get(import_path("w", "p", "1"))).status == 504


async def test_max_faults_then_success(api: Api, emulator: Emulator) -> None:
    with emulator.faults(FaultPlan(rate=1.0, kinds={Fault.UNAVAILABLE}, max_faults=2)):
        statuses = [(await api.get("/api/v2/status")).status for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert emulator.fault_plan is None


async def test_same_seed_same_faults(api: Api, emulator: Emulator) -> None:
    kinds = {Fault.THROTTLE, Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT, Fault.BAD_GATEWAY_HTML}

    async def run(seed: int) -> list[tuple[int, str]]:
        emulator.fault_plan = FaultPlan(seed=seed, rate=0.5, kinds=kinds)
        out = []
        for _ in range(30):
            reply = await api.get("/api/v2/status?pageSizeNo=10")
            code = reply.json()["error"]["errorCode"] if reply.status in (429, 503, 504) else ""
            out.append((reply.status, code))
        return out

    first = await run(7)
    assert await run(7) == first
    assert await run(8) != first
    assert 5 < sum(status != 200 for status, _ in first) < 25


def test_fault_sequence_is_reproducible_without_a_network() -> None:
    def sequence(seed: int) -> list[object]:
        injector = FaultInjector(FaultPlan(seed=seed, rate=0.3, kinds=set(Fault)))
        return [injector.decide("import_status") for _ in range(200)]

    assert sequence(1) == sequence(1)
    assert sequence(1) != sequence(2)
    drawn = {d.fault for d in sequence(1) if d is not None}
    assert drawn == set(Fault)


def test_fault_plan_validation() -> None:
    with pytest.raises(ValueError, match="rate"):
        FaultPlan(rate=1.5)
    with pytest.raises(ValueError, match="kind"):
        FaultPlan(rate=0.5, kinds=())
    assert FaultPlan(kinds=["throttle"]).kinds == {Fault.THROTTLE}


# ------------------------------------------------------------------ stores behind the gateway


async def test_a_shared_path_goes_to_the_store_the_region_header_names(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, clock: ManualClock
) -> None:
    # VOD Station and Live Station share paths (GET /api/v2/channels/{channelId}) on their own
    # hosts; the client sends x-ncp-region_code to Live Station only. A test path stands in.
    def answer(service: str) -> Callable[[Call], web.StreamResponse]:
        return lambda call: web.json_response({"service": service, "id": call.params["id"]})

    path = "/api/v2/test-shared/{id}"
    declare(
        monkeypatch, emulator.vod_station, StoreRoute("GET", path, "vod_test", answer("vod"))
    )
    declare(
        monkeypatch, emulator.live_station, StoreRoute("GET", path, "live_test", answer("live"))
    )
    vod_channel, live_channel = (
        emulator.vod_station.channel_ids[0],
        emulator.live_station.channel_ids[0],
    )
    async with served(emulator, clock) as api:
        assert (await api.get("/api/v2/test-shared/a%2Fb")).json() == {
            "service": "vod", "id": "a/b"
        }  # fmt: skip
        assert (await api.get("/api/v2/test-shared/c", headers=KR)).json() == {
            "service": "live", "id": "c"
        }  # fmt: skip
        # Present but empty is still Live Station's request, which it refuses in its dialect.
        empty = await api.get("/api/v2/test-shared/c", headers={"x-ncp-region_code": ""})
        assert (empty.status, empty.json()["error"]["errorCode"]) == (400, 250003)
        # A path one store declares goes to it whatever the headers.
        assert (await api.get(events_path(vod_channel), headers=KR)).status == 200
        missing = await api.get(records_path(live_channel))
        assert (missing.status, missing.json()["error"]["errorCode"]) == (400, 250003)
    assert emulator.stats.requests == {
        "vod_test": 1, "live_test": 2, "channel_events": 1, "records": 1
    }  # fmt: skip


def test_routes_the_header_cannot_tell_apart_are_refused(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    declare(monkeypatch, emulator.media_ai, StoreRoute("GET", "/api/v2/status", "mai", echo))
    with pytest.raises(ValueError, match=r"GET /api/v2/status is declared by VodStationStore, "):
        emulator.make_app()


def test_a_route_name_is_declared_once(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    declare(monkeypatch, emulator.media_ai, StoreRoute("GET", "/x", Route.RECORDS, echo))
    with pytest.raises(ValueError, match="'records' is declared twice"):
        emulator.make_app()


def test_stores_hold_their_services_data(emulator: Emulator) -> None:
    assert [type(store).__name__ for store in emulator.stores] == [
        "VodStationStore", "LiveStationStore", "MediaAiStore"
    ]  # fmt: skip
    assert emulator.info() == {
        "vod_channels": emulator.vod_station.channel_ids,
        "encoding_statuses": 300,
        "live_channels": emulator.live_station.channel_ids,
        "imports": [list(ref) for ref in emulator.media_ai.import_refs()],
    }
    emulator.clear()
    assert emulator.info() == {
        "vod_channels": [], "encoding_statuses": 0, "live_channels": [], "imports": []
    }  # fmt: skip
    assert "secret" not in repr(emulator)


# ------------------------------------------------------------- the protocol, spelt by itself


@pytest.mark.parametrize(
    ("path_qs", "signature"),
    [  # NCP-FACTS.md: secret "secret", timestamp 1505290625682, access key D78BB444D6D3C84CA38A
        ("/photos/puppy.jpg?query1=&query2", "7li28IKh+YUD+1W7i4+x6g04jTJZgIr12ELkY5B6UT4="),
        ("/api/v2/channels?pageNo=1&pageSizeNo=20", "FTx8WzLNs6euKxVLfyEdzQ6ipr8IP7w0Kno0PTEO4Z8="),
        ("/api/v2/channels", "2FZx/KJDCOxuxAPlkfXMDycZ7N0aNKUoWO0X/NTVqSg="),
    ],
)
def test_the_emulators_verifier_agrees_with_the_documented_vectors(
    path_qs: str, signature: str
) -> None:
    access_key, timestamp = "D78BB444D6D3C84CA38A", "1505290625682"
    assert signature_v2("secret", "GET", path_qs, timestamp, access_key) == signature
    headers = {  # the documented header names, spelt out here
        "x-ncp-apigw-timestamp": timestamp,
        "x-ncp-iam-access-key": access_key,
        "x-ncp-apigw-signature-v2": signature,
    }

    def check(method: str, target: str) -> str | None:
        keys = {access_key: "secret"}
        failure = authenticate(
            headers, method, target, keys=keys, now=1_505_290_625.682, tolerance=300
        )
        return None if failure is None else failure.reason

    assert check("GET", path_qs) is None
    assert check("GET", path_qs + "x") == check("POST", path_qs) == "bad_signature"


def test_the_emulator_imports_neither_the_clients_signing_nor_its_code_tables() -> None:
    forbidden = {"_signing", "errors", "ncp_media_async._signing", "ncp_media_async.errors"}
    package = pathlib.Path(ncp_media_async.testing.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.module not in forbidden, (path.name, node.module)
            elif isinstance(node, ast.Import):
                assert not {alias.name for alias in node.names} & forbidden, path.name


# ------------------------------------------------------------------------- page-size cap


async def test_a_page_size_cap_serves_fewer_items_than_asked(api: Api, emulator: Emulator) -> None:
    base = int(T0 * 1000)
    emulator.vod_station.set_encoding_statuses(encoding_item(base + i) for i in range(45))
    everything = [item["filePath"] for item in emulator.vod_station.encoding_statuses()]
    emulator.vod_station.page_size_cap = 20

    bodies = [
        (await api.get(f"/api/v2/status?pageNo={n}&pageSizeNo=30")).json() for n in (1, 2, 3, 4)
    ]
    assert [(len(b["content"]), b["total"]) for b in bodies] == [
        (20, 45),
        (20, 45),
        (5, 45),
        (0, 45),
    ]
    # Pages are numbered by the size served: nothing skipped, nothing twice.
    assert [item["filePath"] for b in bodies for item in b["content"]] == everything
    assert len((await api.get("/api/v2/status?pageSizeNo=10")).json()["content"]) == 10
    too_big = await api.get("/api/v2/status?pageSizeNo=1001")  # still above the maximum
    assert (too_big.status, too_big.json()["error"]["errorCode"]) == (400, "260002")

    channel = emulator.vod_station.channel_ids[0]
    emulator.vod_station.page_size_cap = 7
    body = (await api.get(events_path(channel, "pageNo=2&pageSizeNo=15"))).json()
    assert (body["content"], body["total"]) == (
        emulator.vod_station.channel_events(channel)[7:14],
        40,
    )


@pytest.mark.parametrize(
    ("store_name", "headers", "query", "status", "body"),
    [
        ("live_station", KR, "pageNo=2&pageSizeNo=100", 200, {"page_no": 2, "size": 5}),
        ("live_station", KR, "pageNo=0", 400,
         {"error": {"errorCode": 250600, "message": "Number must bigger than or equal to 1",
                    "errorName": "EXCEPTION"}}),
        ("live_station", KR, "pageSizeNo=101", 400,
         {"error": {"errorCode": 250002, "message": "pageSizeNo: invalid value.",
                    "errorName": "EXCEPTION"}}),
        ("media_ai", {}, "pageNum=3&pageSize=1000", 200, {"page_no": 3, "size": 5}),
        ("media_ai", {}, "pageNum=x", 400, {"code": "10001", "message": "Invalid Request"}),
        ("media_ai", {}, "pageSize=1001", 400, {"code": "10001", "message": "Invalid Request"}),
    ],
)  # fmt: skip
async def test_every_store_pages_and_refuses_parameters_in_its_dialect(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    clock: ManualClock,
    store_name: str,
    headers: dict[str, str],
    query: str,
    status: int,
    body: dict[str, Any],
) -> None:
    store: Store = getattr(emulator, store_name)
    params = ("pageNo", "pageSizeNo") if store_name == "live_station" else ("pageNum", "pageSize")

    def paged(call: Call) -> web.StreamResponse:
        paging = store.paging(call, page_param=params[0], size_param=params[1])
        return web.json_response({"page_no": paging.page_no, "size": paging.size})

    declare(monkeypatch, store, StoreRoute("GET", "/test/list", f"{store_name}_list", paged))
    store.page_size_cap = 5
    async with served(emulator, clock) as api:
        reply = await api.get(f"/test/list?{query}", headers=headers)
    assert (reply.status, reply.json()) == (status, body)


# ------------------------------------------------------------------------- request bodies


@pytest.mark.parametrize(
    ("store_name", "headers", "refusal"),
    [
        ("vod_station", {}, {"error": {"errorCode": "260033", "message": "Invalid request data.",
                                       "details": "The request body is not valid JSON."}}),
        ("live_station", KR, {"error": {"errorCode": 250012,
                                        "message": "Invalid request data,please check",
                                        "errorName": "EXCEPTION"}}),
        ("media_ai", {}, {"code": "10001", "message": "Invalid Request"}),
    ],
)  # fmt: skip
async def test_a_body_that_is_not_json_gets_the_services_400(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    clock: ManualClock,
    store_name: str,
    headers: dict[str, str],
    refusal: dict[str, Any],
) -> None:
    path = f"/test/{store_name}"
    store = getattr(emulator, store_name)
    declare(
        monkeypatch, store, StoreRoute("POST", path, f"{store_name}_write", echo, json_body=True)
    )
    bad_bodies = [b"{", b'{"a": 1} x', b"\xff\xfe\x00", b"[" * 50_000 + b"]" * 50_000]
    async with served(emulator, clock) as api:
        for bad in bad_bodies:
            reply = await api.send("POST", path, body=bad, headers=headers)
            assert (reply.status, reply.json()) == (400, refusal), bad[:10]
        good = await api.send("POST", path, body='{"name": "ü"}'.encode(), headers=headers)
        assert good.json() == {"route": f"{store_name}_write", "body": {"name": "ü"}}
        assert (await api.send("POST", path, body=b"", headers=headers)).json()["body"] is None
    assert emulator.stats.statuses == {400: len(bad_bodies), 200: 2}


async def test_a_body_over_the_limit_is_the_gateways_413(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, clock: ManualClock
) -> None:
    seen: list[Any] = []

    def keep(call: Call) -> web.StreamResponse:
        seen.append(call.body)
        return web.Response(status=204)

    declare(monkeypatch, emulator.media_ai, StoreRoute("PUT", "/t", "put", keep, json_body=True))
    emulator.max_body_size = 100
    async with served(emulator, clock) as api:
        exact = json.dumps(["x" * 96]).encode()
        assert len(exact) == 100
        assert (await api.send("PUT", "/t", body=exact)).status == 204
        reply = await api.send("PUT", "/t", body=json.dumps(["x" * 97]).encode())
        assert (reply.status, reply.json()) == (
            413, {"error": {"errorCode": "430", "message": "Request Entity Too Large"}}
        )  # fmt: skip
        # A route that reads no body ignores one.
        assert (await api.send("GET", "/api/v2/status", body=b"{")).status == 200
    assert seen == [["x" * 96]]


# ----------------------------------------------------------------------------- launcher


async def _launch(*argv: str) -> tuple[list[str], str, int]:
    """Start a launcher, read its banner, stop it with SIGTERM: (banner, stderr, exit status)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    try:
        while not lines or lines[-1] != "press Ctrl-C to stop":
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            if not line:
                break
            lines.append(line.decode().rstrip("\n"))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    return lines, err.decode(), await process.wait()


LAUNCHERS = {
    "python -m ncp_media_async.testing": ("-m", "ncp_media_async.testing"),
    "ncp-media emulator": ("-m", "ncp_media_async", "emulator"),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM delivery")
async def test_both_commands_print_the_same_banner_and_serve_it() -> None:
    args = ("--port", "0", "--seed", "3", "--fault-rate", "0.5", "--fault-kinds", "throttle")
    (lines_m, err_m, status_m), (lines_cli, err_cli, status_cli) = await asyncio.gather(
        *(_launch(*launcher, *args) for launcher in LAUNCHERS.values())
    )
    assert (status_m, status_cli) == (0, 0)
    assert err_m == err_cli == "emulator stopped\n"
    urls = []
    for lines in (lines_m, lines_cli):
        assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+", lines[0])
        urls.append(Banner.parse(lines).url)
    assert [line.replace(urls[0], "URL") for line in lines_m] == [
        line.replace(urls[1], "URL") for line in lines_cli
    ]
    expected = LaunchOptions(seed=3, fault_rate=0.5, fault_kinds="throttle").make_emulator()
    assert lines_m[1:] == [line.replace("URL", urls[0]) for line in banner("URL", expected)[1:]]
    assert lines_m[-2] == f"faults: {FaultPlan(seed=3, rate=0.5, kinds={Fault.THROTTLE})}"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
async def test_the_banner_gives_what_a_client_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ncp_media_async.testing", "--port", "0", "--scenario", "empty",
        "--encodings", "3", "--access-key", "MY KEY", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        lines = [(await asyncio.wait_for(process.stdout.readline(), 20)).decode() for _ in "12"]
        found = Banner.parse(lines)
        assert (found.access_key, found.secret_key) == ("MY KEY", LaunchOptions().secret_key)
        export, *assignments = shlex.split(lines[1])  # pasted into a shell
        assert export == "export"
        for assignment in assignments:
            monkeypatch.setenv(*assignment.split("=", 1))
        assert os.environ["NCP_ACCESS_KEY"] == "MY KEY"
        async with ncp.MediaClient() as client:  # endpoint and keys from the environment only
            assert len(await client.vod_station.encoding_statuses().to_list()) == 3
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        await process.stdout.read()


@pytest.mark.parametrize("launcher", LAUNCHERS)
async def test_a_port_in_use_is_one_error_line(launcher: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, *LAUNCHERS[launcher], "--port", str(port), "--scenario", "empty",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert out == b""
    assert err.decode().startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert len(err.decode().splitlines()) == 1


def test_both_commands_take_the_same_options_and_only_the_emulators() -> None:
    result = CliRunner().invoke(cli, ["emulator", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    declared = {flag.option for flag in FLAGS}
    assert set(re.findall(r"(--[a-z-]+)", result.stdout)) == declared | {"--help"}
    argparse_help = argument_parser("x").format_help()
    assert set(re.findall(r"(--[a-z-]+)", argparse_help)) == declared | {"--help"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault-rate", "2"], "--fault-rate must be between 0 and 1, got 2.0"),
        (["--fault-kinds", "nope"], "--fault-kinds: 'nope' is not a valid Fault"),
        (["--import-polls", "0"], "--import-polls must be at least 1, got 0"),
        (["--port", "70000"], "--port must be from 0 to 65535, got 70000"),
    ],
)
def test_bad_options_are_usage_errors_in_both_commands(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(cli, ["emulator", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    with pytest.raises(SystemExit) as exit_info:
        module_main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_launch_options_build_the_emulator_asked_for() -> None:
    options = LaunchOptions.from_flags(
        {"scenario": "empty", "imports": 50, "import_polls": 3, "import_failure_rate": 0.0,
         "encodings": 7, "page_size_cap": 9, "statistics_as_strings": True, "latency_ms": 20.0,
         "retry_after": "none", "fault_rate": 0.1, "seed": 5, "host": None}
    )  # fmt: skip
    emulator = options.make_emulator()
    assert len(emulator.vod_station.encoding_statuses()) == 7
    imports = emulator.media_ai.imports()
    assert {(i.outcome, i.polls_to_complete) for i in imports} == {("COMPLETED", 3)}
    assert len(imports) == 50
    assert [store.page_size_cap for store in emulator.stores] == [9, 9, 9]
    assert emulator.vod_station.status_statistics_as_strings
    assert emulator.latency == 0.02
    assert emulator.fault_plan == FaultPlan(seed=5, rate=0.1, retry_after=None)
    assert options.host == "127.0.0.1"
    assert "secret" not in repr(options)


# ------------------------------------------------------------------------ running it elsewhere


async def test_package_imports_without_loading_pytest() -> None:
    code = "import sys, ncp_media_async.testing as t; assert 'pytest' not in sys.modules, 1"
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    assert await asyncio.wait_for(process.wait(), 20) == 0


async def test_server_lifecycle(clock: ManualClock) -> None:
    server = EmulatorServer(Emulator(Scenario.empty(), clock=clock))
    with pytest.raises(RuntimeError):
        _ = server.url
    async with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        with pytest.raises(RuntimeError):
            await server.start()
    await server.close()  # idempotent


# ------------------------------------------------------------------------------ pytest plugin


async def test_plugin_fixtures(
    ncp_emulator: Emulator, ncp_emulator_server: EmulatorServer, ncp_client: Any
) -> None:
    import ncp_media_async as ncp

    assert ncp_emulator_server.emulator is ncp_emulator
    assert ncp_emulator_server.credentials == ncp.Credentials(
        ncp_emulator.access_key, ncp_emulator.secret_key
    )
    asset = ncp_emulator.media_ai.imports()[0]
    status = await ncp_client.media_ai.import_status(*asset.ref)
    expected = "IN_PROGRESS" if asset.polls_to_complete > 1 else asset.outcome
    assert status.upload_status == expected
    assert ncp_emulator.stats.import_polls[asset.ref] == 1
