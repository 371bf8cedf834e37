"""The emulator's Media Intelligence store on the wire: the paging dialect, the error body, the
import and analysis states as the documents describe them (signed requests, no client)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yarl

from ncp_media_async._signing import Signer, encode_path
from ncp_media_async.testing import Emulator, EmulatorServer, Scenario


class Wire:
    """Signed requests to the emulator, answers as (status, decoded JSON)."""

    def __init__(self, session: aiohttp.ClientSession, server: EmulatorServer) -> None:
        self.session = session
        self.url = server.url
        self.signer = Signer(server.emulator.access_key, server.emulator.secret_key)

    async def __call__(
        self, method: str, path_qs: str, body: Any = None
    ) -> tuple[int, Any]:
        headers = self.signer.headers(method, path_qs, int(time.time() * 1000))
        data = None if body is None else json.dumps(body).encode()
        async with self.session.request(
            method, yarl.URL(self.url + path_qs, encoded=True), headers=headers, data=data
        ) as resp:
            return resp.status, json.loads(await resp.read())


@pytest_asyncio.fixture
async def wire() -> AsyncIterator[Wire]:
    emulator = Emulator(Scenario.empty())
    emulator.media_ai.add_workspace("ws", bucket="b")
    emulator.media_ai.add_project("ws", 7, name="p")
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        yield Wire(session, server)


def project(*rest: str) -> str:
    return encode_path("api", "v1", "workspaces", "ws", "projects", "7", *rest)


async def test_list_pages_in_the_page_num_dialect(wire: Wire) -> None:
    for i in range(5):
        status, _ = await wire("POST", project("assets", "import", "object-storage"),
                               {"key": f"in/{i}.mp4", "bucketName": "b"})  # fmt: skip
        assert status == 200
    status, body = await wire("GET", project("assets") + "?pageNum=2&pageSize=2")
    assert status == 200
    result = body["result"]
    assert (body["code"], body["message"]) == ("0", "success")
    assert {k: result[k] for k in ("totalCount", "totalPage", "pageNo", "pageSize")} == {
        "totalCount": 5, "totalPage": 3, "pageNo": 2, "pageSize": 2
    }
    assert [a["fileName"] for a in result["content"]] == ["2.mp4", "3.mp4"]
    assert set(result["content"][0]) == {"assetId", "fileName", "projectId"}  # no metaData yet
    for query in ("", "?pageSize=2", "?pageNum=0", "?pageNum=1&pageSize=1001", "?pageNo=1"):
        assert await wire("GET", project("assets") + query) == (
            400, {"code": "10001", "message": "Invalid Request"}
        ), query


async def test_projects_carry_their_count_beside_the_result(wire: Wire) -> None:
    status, body = await wire("GET", encode_path("api", "v1", "workspaces", "ws", "projects"))
    assert status == 200
    assert body["totalCount"] == 2 and "totalCount" not in body["result"]
    assert [p["isBaseProject"] for p in body["result"]["projects"]] == [True, False]
    assert await wire("GET", encode_path("api", "v1", "workspaces", "nope", "projects")) == (
        404, {"code": "10404", "message": "Workspace not found"}
    )


async def test_an_import_answers_its_asset_id_at_once(wire: Wire) -> None:
    path = project("assets", "import", "object-storage")
    status, body = await wire("POST", path, {"key": "in/a.mp4", "bucketName": "b"})
    assert status == 200
    asset_id = body["result"]["assetId"]
    assert isinstance(asset_id, int) and body["result"]["createUserName"]
    statuses = [
        (await wire("GET", project("assets", str(asset_id), "import-status")))[1]["result"]
        for _ in range(2)
    ]
    assert [s["uploadStatus"] for s in statuses] == ["IN_PROGRESS", "COMPLETED"]
    assert all(s["assetId"] == asset_id and "videoId" not in s for s in statuses)
    _, old = await wire("GET", project("video-assets", str(asset_id), "import-status"))
    assert old["result"]["videoId"] == asset_id and "assetId" not in old["result"]
    for bad in ({"key": "a.mp4"}, {"bucketName": "b"}, {"key": "", "bucketName": "b"}, [1]):
        assert (await wire("POST", path, bad))[0] == 400
    assert await wire("POST", path, {"key": "in/", "bucketName": "b"}) == (
        400, {"code": "10016",
              "message": "Select the bucket to integrate (folder selection not available)."},
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"sceneRange": "LONG", "minSceneDurationSec": 10, "maxSceneDurationSec": 20},
        {"minSceneDurationSec": 10},
        {"minSceneDurationSec": 5, "maxSceneDurationSec": 20},
        {"analysisPersonCount": 11},
        {"tagIdList": []},
        {"tagIdList": ["x"]},
        {"sourceLanguage": "FR"},
        {"detectAudioEffects": "no"},
        [],
    ],
)
async def test_analysis_requests_are_checked(wire: Wire, body: Any) -> None:
    _, created = await wire("POST", project("assets", "import", "object-storage"),
                            {"key": "a.mp4", "bucketName": "b"})  # fmt: skip
    asset = str(created["result"]["assetId"])
    for _ in range(2):
        await wire("GET", project("assets", asset, "import-status"))
    assert await wire("POST", project("assets", asset, "index"), body) == (
        400, {"code": "10001", "message": "Invalid Request"}
    )
    accepted = await wire("POST", project("assets", asset, "index"), {"tagIdList": ["7", 8]})
    assert accepted[0] == 200


async def test_analysis_states_and_conflicts(wire: Wire) -> None:
    _, created = await wire("POST", project("assets", "import", "object-storage"),
                            {"key": "a.mp4", "bucketName": "b"})  # fmt: skip
    asset = str(created["result"]["assetId"])
    index = project("assets", asset, "index")
    assert (await wire("POST", index, {}))[1]["code"] == "10014"  # import not completed yet
    for _ in range(2):
        await wire("GET", project("assets", asset, "import-status"))
    assert await wire("POST", index, {"sceneRange": "SHORT"}) == (
        200, {"code": "0", "message": "success"}
    )
    assert await wire("POST", index, {}) == (
        409, {"code": "10409", "message": "Analysis is already in progress for this asset."}
    )
    assert (await wire("DELETE", index))[0] == 409
    states = [(await wire("GET", index + "/status"))[1]["result"] for _ in range(4)]
    assert [s["status"] for s in states] == [
        "BEFORE_ANALYZE", "WAIT_ANALYZE", "ANALYZING", "ANALYZE_COMPLETED"
    ]
    assert states[-1]["indexId"] > 0
    status, got = await wire("GET", index + "?confidence_level=LOW")
    assert status == 200 and got["result"]["indexId"] == states[-1]["indexId"]
    assert got["result"]["analysisSetting"]["sceneRange"] == "SHORT"
    assert (await wire("GET", index + "?confidence_level=SOME"))[0] == 400
    assert await wire("POST", index + "/cancel") == (
        409, {"code": "10409", "message": "Cannot cancel analysis in the current state"}
    )
    assert await wire("DELETE", index) == (200, {"code": "0", "message": "success"})
    assert (await wire("GET", index))[0] == 404
