"""Media Intelligence through the public API against the emulator: import status on both paths
(and the deprecation warning), the pageNum/pageSize lists, details, imports from Object Storage
(never two assets for one call, whatever faults), and analyses (options, 409, waiting)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, get_type_hints

import attrs
import pytest
from _clocks import Recorder
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async import media_ai
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, Route, Scenario
from ncp_media_async.testing._wire import json_response

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario.empty()


@pytest.fixture(autouse=True)
def fresh_warnings() -> None:
    """Every test starts as a fresh process would: no deprecation warned yet."""
    media_ai._deprecated.cache_clear()


def client_for(server: EmulatorServer, **options: Any) -> ncp.MediaClient:
    options.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **options)


@attrs.frozen
class Raw:
    """A handler answering one fixed body."""

    body: Any
    status: int = 200

    def __call__(self, call: object) -> web.Response:
        return json_response(self.body, self.status)


# -- import status: the current path and the deprecated one ----------------------------------


async def test_import_status_uses_the_current_path(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_import("ws", "77", "5678", outcome="COMPLETED", polls=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the current path never warns
        first = await ncp_client.media_ai.import_status("ws", "77", "5678")
        second = await ncp_client.media_ai.import_status("ws", 77, 5678)
    assert (first.upload_status, second.upload_status) == ("IN_PROGRESS", "COMPLETED")
    assert second.asset == ncp.AssetRef("ws", "77", "5678")
    assert second.asset_id == 5678
    assert ncp_emulator.stats.requests == {Route.IMPORT_STATUS: 2}


async def test_video_import_status_works_and_warns_once(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_import("ws", "77", "5678", outcome="FAILED", polls=1)
    with pytest.warns(DeprecationWarning, match="January 2027") as caught:
        status = await ncp_client.media_ai.video_import_status("ws", "77", "5678")
    (warning,) = caught
    text = str(warning.message)
    assert "January 2027" in text and "import_status()" in text
    assert warning.filename == __file__  # pointed at the caller's line
    assert status.upload_status is ncp.UploadStatus.FAILED
    assert status.asset == ncp.VideoAssetRef("ws", "77", "5678")
    assert status.asset_id == status.video_id == 5678  # read from result.videoId
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: the second call is silent
        again = await ncp_client.media_ai.video_import_status("ws", "77", "5678")
    assert again == status
    assert ncp_emulator.stats.requests == {Route.VIDEO_IMPORT_STATUS: 2}


async def test_wait_for_imports_takes_both_kinds_of_ref(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    for i in range(6):
        ncp_emulator.media_ai.add_import("ws", "1", 100 + i, polls=1 + i % 3)
    refs: list[ncp.AssetRef | ncp.VideoAssetRef] = [
        (ncp.AssetRef if i % 2 else ncp.VideoAssetRef)("ws", "1", str(100 + i)) for i in range(6)
    ]
    with pytest.warns(DeprecationWarning, match="AssetRef"):
        got = [s async for s in ncp_client.media_ai.wait_for_imports(refs, interval=0.001)]
    assert {s.asset for s in got} == set(refs)
    assert all(type(s.asset) is type(r) for s in got for r in refs if r == s.asset)
    assert all(s.asset_id == int(str(s.asset).rpartition("/")[2]) for s in got)
    requests = ncp_emulator.stats.requests
    assert requests[Route.IMPORT_STATUS] == 1 + 2 + 3  # ids 101, 103, 105: polls 2, 1, 3
    assert requests[Route.VIDEO_IMPORT_STATUS] == 1 + 3 + 2
    with pytest.raises(TypeError, match="AssetRef or VideoAssetRef"):
        ncp_client.media_ai.wait_for_imports([("ws", "1", "100")])  # type: ignore[list-item]


# -- lists: the pageNum/pageSize dialect --------------------------------------------------------


async def test_assets_walk_pages_by_page_num(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    for i in range(23):
        ncp_emulator.media_ai.add_import("ws", "5", 500 + i, polls=1)
    pages = [p async for p in ncp_client.media_ai.assets("ws", "5", page_size=10).pages()]
    assert [len(p.items) for p in pages] == [10, 10, 3]
    assert [p.total for p in pages] == [23, 23, 23]
    assert [a.asset_id for p in pages for a in p.items] == list(range(500, 523))
    assert all(a.project_id == 5 and a.file_name for p in pages for a in p.items)
    # pageNum is required by the service: a walk that sent pageNo would have been refused.
    assert ncp_emulator.stats.requests == {Route.ASSETS: 3}


async def test_assets_walk_by_what_a_capping_server_serves(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    for i in range(12):
        ncp_emulator.media_ai.add_import("ws", "5", 500 + i, polls=1)
    ncp_emulator.media_ai.page_size_cap = 5
    got = await ncp_client.media_ai.assets("ws", "5", page_size=100, prefetch=4).to_list()
    assert [a.asset_id for a in got] == list(range(500, 512))
    assert ncp_emulator.stats.requests == {Route.ASSETS: 3}


async def test_workspaces_pager_and_page_size_bounds(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    for name in ("alpha", "beta", "gamma"):
        ncp_emulator.media_ai.add_workspace(name, bucket=f"{name}-bucket")
    got = await ncp_client.media_ai.workspaces(page_size=2).to_list()
    assert [(w.workspace_name, w.bucket_name) for w in got] == [
        ("alpha", "alpha-bucket"), ("beta", "beta-bucket"), ("gamma", "gamma-bucket"),
    ]  # fmt: skip
    assert all(w.created_time is not None and w.created_time.tzinfo for w in got)
    with pytest.raises(ValueError, match="between 1 and 1000"):
        ncp_client.media_ai.workspaces(page_size=1001)
    assert ncp_emulator.stats.requests == {Route.WORKSPACES: 2}


def _page(content: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"code": "0", "message": "success", "result": {"content": content, **fields}}


@pytest.mark.parametrize(
    ("bodies", "walked"),
    [
        # pageNo echoed 0-based and totalCount as text: the walk keeps its own numbering.
        ([_page([{"assetId": 1}, {"assetId": 2}], totalCount="3", pageNo=0),
          _page([{"assetId": 3}], totalCount="3", pageNo=1)], [1, 2, 3]),
        # No totalCount at all: the short page ends the walk.
        ([_page([{"assetId": 1}, {"assetId": 2}]), _page([{"assetId": 3}])], [1, 2, 3]),
        # totalCount says more than there is: an empty page ends the walk.
        ([_page([{"assetId": 1}, {"assetId": 2}], totalCount=9), _page([], totalCount=9)],
         [1, 2]),
    ],
)  # fmt: skip
async def test_assets_pager_reads_other_plausible_pages(
    ncp_emulator: Emulator, bodies: list[Any], walked: list[int]
) -> None:
    seen: list[tuple[str | None, str | None]] = []

    def handler(call: Any) -> web.Response:
        seen.append((call.query.get("pageNum"), call.query.get("pageSize")))
        return json_response(bodies[len(seen) - 1])

    ncp_emulator.media_ai._list_assets = handler  # type: ignore[method-assign]
    async with EmulatorServer(ncp_emulator) as server, client_for(server) as client:
        got = await client.media_ai.assets("ws", "1", page_size=2).to_list()
    assert [a.asset_id for a in got] == walked
    assert seen == [("1", "2"), ("2", "2")]


async def test_a_list_page_of_the_wrong_shape_is_a_response_error(
    ncp_emulator: Emulator,
) -> None:
    ncp_emulator.media_ai._list_workspaces = Raw(  # type: ignore[method-assign]
        {"code": "0", "result": {"content": [{"workspaceName": 5}], "totalCount": 1}}
    )
    async with EmulatorServer(ncp_emulator) as server, client_for(server, max_retries=0) as client:
        with pytest.raises(ncp.ResponseError, match=r"\$\.result\.content\[0\]\.workspaceName"):
            await client.media_ai.workspaces().to_list()


@pytest.mark.parametrize(
    "body",
    [
        {"code": "0", "message": "success", "totalCount": 2, "result": {"projects": "P"}},
        {"code": "0", "message": "success", "result": {"totalCount": 2, "projects": "P"}},
        {"code": "0", "message": "success", "result": {"projects": "P"}},
    ],
    ids=["count-beside-result", "count-inside-result", "no-count"],
)
async def test_projects_wherever_the_count_is(ncp_emulator: Emulator, body: Any) -> None:
    projects = [
        {"projectId": 1233, "name": "Default project", "isBaseProject": True},
        {"projectId": "1234", "name": "p", "isBaseProject": False,
         "createdTime": "2025-06-02T10:00:00+09:00"},
    ]
    body = {**body, "result": {**body["result"], "projects": projects}}
    ncp_emulator.media_ai._list_projects = Raw(body)  # type: ignore[method-assign]
    async with EmulatorServer(ncp_emulator) as server, client_for(server) as client:
        got = await client.media_ai.projects("ws")
    assert [(p.project_id, p.is_base_project) for p in got] == [(1233, True), (1234, False)]
    assert got[1].created_time is not None and got[1].created_time.utcoffset() is not None


async def test_projects_and_details(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    ncp_emulator.media_ai.add_workspace("ws", bucket="media")
    ncp_emulator.media_ai.add_project("ws", 42, name="trailers")
    projects = await ncp_client.media_ai.projects("ws")
    assert [(p.name, p.is_base_project) for p in projects] == [
        ("Default project", True), ("trailers", False)
    ]
    assert (await ncp_client.media_ai.project("ws", 42)).name == "trailers"
    detail = await ncp_client.media_ai.workspace("ws")
    assert (detail.workspace_name, detail.bucket_name, detail.monthly_analysis_count) == (
        "ws", "media", 0
    )
    ref = await ncp_client.media_ai.import_asset("ws", 42, bucket="media", key="in/trailer.mp4")
    asset = await ncp_client.media_ai.asset(ref)
    assert (asset.asset_id, asset.key, asset.file_name, asset.project_id) == (
        int(ref.asset_id), "in/trailer.mp4", "trailer.mp4", 42
    )
    for call in (
        ncp_client.media_ai.workspace("nope"),
        ncp_client.media_ai.project("ws", 999),
        ncp_client.media_ai.projects("nope"),
        ncp_client.media_ai.asset(ncp.AssetRef("ws", "42", "1")),
    ):
        with pytest.raises(ncp.NotFoundError) as info:
            await call
        assert info.value.service == "media_ai"


# -- imports from Object Storage ----------------------------------------------------------------


async def test_import_asset_creates_one_asset(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_project("ws", 7)
    ref = await ncp_client.media_ai.import_asset("ws", 7, bucket="b", key="in/a.mp4")
    assert ref == ncp.AssetRef("ws", "7", ref.asset_id)
    assert ref.key == "in/a.mp4"
    assert ncp_emulator.media_ai.assets_for_key("in/a.mp4") == [("ws", "7", ref.asset_id)]
    status = await ncp_client.media_ai.import_status("ws", 7, ref.asset_id)
    assert status.upload_status is ncp.UploadStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("kwargs", "kind", "error"),
    [
        ({"bucket": "", "key": "a.mp4"}, ValueError, "bucket must not be empty"),
        ({"bucket": "b", "key": " "}, ValueError, "key must not be empty"),
        ({"bucket": "b", "key": None}, TypeError, "key must be a str, got NoneType"),
    ],
)
async def test_import_asset_refuses_bad_arguments_before_sending(
    ncp_client: ncp.MediaClient,
    ncp_emulator: Emulator,
    kwargs: Any,
    kind: type[Exception],
    error: str,
) -> None:
    with pytest.raises(kind, match=error):
        await ncp_client.media_ai.import_asset("ws", 7, **kwargs)
    assert ncp_emulator.stats.total_requests == 0


async def test_import_asset_service_refusals(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_project("ws", 7)
    with pytest.raises(ncp.BadRequestError) as folder:
        await ncp_client.media_ai.import_asset("ws", 7, bucket="b", key="in/")
    assert (folder.value.status, folder.value.code) == (400, "10016")
    with pytest.raises(ncp.NotFoundError):
        await ncp_client.media_ai.import_asset("ws", 8, bucket="b", key="in/a.mp4")
    assert ncp_emulator.stats.requests == {Route.IMPORT_ASSET: 2}
    assert ncp_emulator.media_ai.import_refs() == []


#: Faults on the import request, and what the caller sees: the request is sent once (twice
#: only when the gateway throttled it, which the service never saw).
IMPORT_FAULTS = [
    (Fault.RESET_MID_BODY, ncp.OutcomeUnknownError, 1),  # created, answer lost
    (Fault.TRUNCATED_JSON, ncp.ResponseError, 1),  # created, answer unreadable
    (Fault.WRONG_SHAPE, ncp.ResponseError, 1),  # created, answer of the wrong shape
    (Fault.RESET_BEFORE_BODY, ncp.OutcomeUnknownError, 0),  # the connection dropped
    (Fault.UNAVAILABLE, ncp.ServerError, 0),
    (Fault.GATEWAY_TIMEOUT, ncp.ServerError, 0),
    (Fault.BAD_GATEWAY_HTML, ncp.ServerError, 0),
]


@pytest.mark.parametrize(("fault", "error", "created"), IMPORT_FAULTS)
async def test_import_asset_is_never_sent_twice(
    ncp_emulator_server: EmulatorServer,
    fault: Fault,
    error: type[Exception],
    created: int,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    emulator.force_faults(fault, fault, fault, routes=Route.IMPORT_ASSET)
    async with client_for(ncp_emulator_server, max_retries=4) as client:
        with pytest.raises(error):
            await client.media_ai.import_asset("ws", 7, bucket="b", key="in/a.mp4")
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 1
    assert len(emulator.media_ai.assets_for_key("in/a.mp4")) == created


async def test_import_asset_is_repeated_after_a_429_only(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    emulator.force_faults(Fault.THROTTLE, Fault.THROTTLE, routes=Route.IMPORT_ASSET)
    async with client_for(ncp_emulator_server) as client:
        ref = await client.media_ai.import_asset("ws", 7, bucket="b", key="in/a.mp4")
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 3
    assert emulator.media_ai.assets_for_key("in/a.mp4") == [("ws", "7", ref.asset_id)]


async def test_import_asset_timing_out_is_not_repeated(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    emulator.force_faults(Fault.SLOW, routes=Route.IMPORT_ASSET, slow_seconds=30.0)
    # Time enough for the request to reach the emulator on a loaded machine; the emulator
    # drops the held answer as soon as the client gives up.
    async with client_for(ncp_emulator_server, timeout=0.5) as client:
        with pytest.raises(ncp.OutcomeUnknownError, match="not sent again"):
            await client.media_ai.import_asset("ws", 7, bucket="b", key="in/a.mp4")
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 1


async def test_import_assets_yields_refs_and_reports_failures_together(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_project("ws", 7)
    keys = [f"in/{i}.mp4" for i in range(30)] + ["in/folder/", "in/3.mp4"]
    got: list[ncp.AssetRef] = []
    with pytest.raises(ncp.PollingError) as info:
        async for ref in ncp_client.media_ai.import_assets(
            "ws", 7, bucket="b", keys=keys, concurrency=8
        ):
            got.append(ref)
    assert sorted(r.key or "" for r in got) == sorted(keys[:30])
    assert list(info.value.failures) == ["in/folder/"]
    assert isinstance(info.value.failures["in/folder/"], ncp.BadRequestError)
    assert ncp_emulator.stats.requests == {Route.IMPORT_ASSET: 31}  # in/3.mp4 once
    assert all(len(ncp_emulator.media_ai.assets_for_key(k)) == 1 for k in keys[:30])
    assert ncp_emulator.stats.peak_in_flight <= 8


async def test_import_assets_inline_failures_and_no_repeat_after_a_5xx(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    emulator.force_faults(Fault.UNAVAILABLE, Fault.RESET_MID_BODY, routes=Route.IMPORT_ASSET)
    keys = [f"in/{i}.mp4" for i in range(10)]
    async with client_for(ncp_emulator_server) as client:
        results = [
            r
            async for r in client.media_ai.import_assets(
                "ws", 7, bucket="b", keys=keys, concurrency=1, return_exceptions=True
            )
        ]
    failures = [r for r in results if isinstance(r, ncp.PollFailure)]
    assert [(f.target, type(f.error)) for f in failures] == [
        ("in/0.mp4", ncp.ServerError), ("in/1.mp4", ncp.OutcomeUnknownError)
    ]
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 10
    assert [len(emulator.media_ai.assets_for_key(k)) for k in keys] == [0] + [1] * 9


# -- analyses -----------------------------------------------------------------------------------


async def _imported(client: ncp.MediaClient, emulator: Emulator, asset_id: int) -> ncp.AssetRef:
    emulator.media_ai.add_import("ws", "7", asset_id, polls=1)
    status = await client.media_ai.import_status("ws", "7", asset_id)
    assert status.upload_status is ncp.UploadStatus.COMPLETED
    assert status.asset is not None and isinstance(status.asset, ncp.AssetRef)
    return status.asset


async def test_an_analysis_moves_through_its_states(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    assert (await ncp_client.media_ai.index_status(ref)).status is ncp.IndexState.BEFORE_ANALYZE
    await ncp_client.media_ai.start_index(
        ref, scene_range="LONG", person_count=3, tag_ids=[101, "203"], language="ENKO",
        audio_effects=False,
    )  # fmt: skip
    assert ncp_emulator.media_ai.index_request("ws", "7", 5) == {
        "sceneRange": "LONG", "analysisPersonCount": 3, "tagIdList": [101, 203],
        "sourceLanguage": "ENKO", "detectAudioEffects": False,
    }  # fmt: skip
    states = [(await ncp_client.media_ai.index_status(ref)).status for _ in range(5)]
    assert states == [
        "BEFORE_ANALYZE", "WAIT_ANALYZE", "ANALYZING", "ANALYZE_COMPLETED", "ANALYZE_COMPLETED"
    ]  # fmt: skip
    done = await ncp_client.media_ai.index_status(ref)
    assert done.terminal and done.index_id is not None and done.asset == ref
    index = await ncp_client.media_ai.index(ref, confidence_level="HIGH")
    assert index.index_id == done.index_id
    assert index.type is ncp.AssetType.VIDEO
    assert index.analysis_setting == ncp.AnalysisSetting("Sinossi v1.0", ncp.SceneRange.LONG)
    assert index.content["indexId"] == index.index_id  # the whole result, as plain JSON
    assert "scenes" in index.content
    assert index.asset == ref


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"scene_range": "LONG", "min_scene_duration": 10, "max_scene_duration": 20},
         "not both"),
        ({"min_scene_duration": 10}, "go together"),
        ({"max_scene_duration": 20}, "go together"),
        ({"min_scene_duration": 9, "max_scene_duration": 20}, "between 10 and 30"),
        ({"min_scene_duration": 31, "max_scene_duration": 40}, "between 10 and 30"),
        ({"min_scene_duration": 20, "max_scene_duration": 15}, "max_scene_duration must be >= 20"),
        ({"person_count": 11}, "between 0 and 10"),
        ({"person_count": -1}, "between 0 and 10"),
        ({"tag_ids": []}, "1 to 30"),
        ({"tag_ids": list(range(31))}, "1 to 30"),
        ({"tag_ids": ["abc"]}, "non-negative integers"),
        ({"scene_range": "HUGE"}, "EXTRA_SHORT, SHORT, MEDIUM, LONG"),
        ({"language": "FR"}, "ENKO, EN, KO, JA, ZH-CN, ZH-TW"),
    ],
)  # fmt: skip
async def test_invalid_analysis_options_are_refused_before_sending(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, options: Any, error: str
) -> None:
    ref = ncp.AssetRef("ws", "7", "5")
    with pytest.raises(ValueError, match=error):
        await ncp_client.media_ai.start_index(ref, **options)
    with pytest.raises(ValueError, match=error):
        ncp.IndexOptions(**options)
    assert ncp_emulator.stats.total_requests == 0


@pytest.mark.parametrize(
    "options",
    [
        {"person_count": True},
        {"audio_effects": "yes"},
        {"tag_ids": "101"},
        {"min_scene_duration": 10.5, "max_scene_duration": 20},
    ],
)
def test_mistyped_analysis_options_are_type_errors(options: Any) -> None:
    with pytest.raises(TypeError):
        ncp.IndexOptions(**options)


def test_index_options_body_and_keywords_in_step() -> None:
    assert ncp.IndexOptions().body() == {"analysisPersonCount": 6}
    both = ncp.IndexOptions(min_scene_duration=10, max_scene_duration=30, person_count=0)
    assert both.body() == {
        "minSceneDurationSec": 10, "maxSceneDurationSec": 30, "analysisPersonCount": 0
    }
    assert ncp.IndexOptions(language="ZH-TW").language is ncp.SourceLanguage.ZH_TW
    fields = {a.name for a in attrs.fields(ncp.IndexOptions)}
    assert set(get_type_hints(media_ai.IndexOptionValues)) == fields


async def test_a_second_request_while_one_runs_is_a_conflict(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    await ncp_client.media_ai.start_index(ref)
    with pytest.raises(ncp.ConflictError) as info:
        await ncp_client.media_ai.start_index(ref, scene_range="SHORT")
    assert (info.value.status, info.value.service) == (409, "media_ai")
    assert ncp_emulator.stats.requests[Route.START_INDEX] == 2  # a 409 is not retried
    assert ncp_emulator.media_ai.index_request("ws", "7", 5) == {"analysisPersonCount": 6}
    assert ncp_emulator.media_ai.analyses_requested("ws") == 1


async def test_if_running_wait_waits_for_the_running_analysis_then_asks(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    ncp_emulator.media_ai.begin_analysis("ws", "7", 5, polls=3)
    await ncp_client.media_ai.start_index(
        ref, if_running="wait", interval=0.001, scene_range="SHORT"
    )
    requests = ncp_emulator.stats.requests
    assert requests[Route.START_INDEX] == 2  # refused once (409), then accepted
    assert requests[Route.INDEX_STATUS] == 3  # polled until the other analysis ended
    assert ncp_emulator.media_ai.index_request("ws", "7", 5) == {
        "sceneRange": "SHORT", "analysisPersonCount": 6
    }
    assert ncp_emulator.media_ai.index_state("ws", "7", 5) == "WAIT_ANALYZE"


async def test_waiting_for_a_queued_analysis_does_not_ask_again_and_again(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    """Another caller's analysis that the service has not picked up yet (BEFORE_ANALYZE, the
    state ``wait_for_indexes`` polls on for its grace) is waited for at ``interval``: the
    request is not sent again after every poll (a 409 each time, back to back)."""
    ref = await _imported(ncp_client, ncp_emulator, 5)
    ncp_emulator.media_ai.index_pickup_polls = 4  # queued for four polls, then runs
    await ncp_client.media_ai.start_index(ref)  # the other caller's analysis
    await ncp_client.media_ai.start_index(ref, if_running="wait", interval=0.001, timeout=30)
    requests = ncp_emulator.stats.requests
    # The other caller's, ours refused once (409), ours again once that analysis ended.
    assert requests[Route.START_INDEX] == 3
    assert ncp_emulator.media_ai.analyses_requested("ws") == 2


async def test_every_wait_runs_on_the_clients_clock_and_sleep(
    ncp_emulator_server: EmulatorServer,
) -> None:
    """A client built with ``monotonic=`` and ``sleep=`` waits by them in every poller: the
    intervals, the BEFORE_ANALYZE grace and ``if_running="wait"`` pass at once here, and what
    they would have waited is recorded (each interval ± the pollers' 10 % jitter)."""
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.index_pickup_polls = 3  # BEFORE_ANALYZE for 3 polls: within the grace
    time = Recorder(advancing=True)

    def waited(*intervals: float) -> set[float]:
        """The intervals that the pauses recorded since the last call were drawn around."""
        drawn = {i for s in time.slept for i in intervals if abs(s - i) <= 0.1 * i}
        assert len(drawn) * len(time.slept) > 0 and all(
            any(abs(s - i) <= 0.1 * i for i in intervals) for s in time.slept
        ), time.slept
        time.slept.clear()
        return drawn

    async with client_for(ncp_emulator_server, monotonic=time.monotonic, sleep=time.sleep) as c:
        emulator.media_ai.add_import("ws", "7", 5, polls=3)
        ref = ncp.AssetRef("ws", "7", "5")
        (imported,) = [s async for s in c.media_ai.wait_for_imports([ref], interval=30.0)]
        assert imported.upload_status is ncp.UploadStatus.COMPLETED
        assert len(time.slept) == 2 and waited(30.0) == {30.0}
        await c.media_ai.start_index(ref)
        (indexed,) = [s async for s in c.media_ai.wait_for_indexes([ref], interval=20.0)]
        assert indexed.status is ncp.IndexState.ANALYZE_COMPLETED  # not taken as final early
        assert waited(20.0) == {20.0}
        emulator.media_ai.begin_analysis("ws", "7", 5, polls=3)  # another caller's
        await c.media_ai.start_index(ref, if_running="wait", interval=15.0)
        assert waited(15.0) == {15.0}
        ingest = c.media_ai.ingest(
            "ws", 7, bucket="b", keys=["in/a.mp4"], interval=25.0, index_interval=12.0
        )
        (result,) = [r async for r in ingest]
        assert result.ok
        assert waited(25.0, 12.0) == {25.0, 12.0}  # 3 pickup polls, 36 s: within the grace


async def test_if_running_wait_gives_up_at_its_timeout(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    ncp_emulator.media_ai.begin_analysis("ws", "7", 5, polls=10**6)
    with pytest.raises(ncp.PollTimeoutError):
        await ncp_client.media_ai.start_index(ref, if_running="wait", interval=0.01, timeout=0.1)
    with pytest.raises(ValueError, match="'raise' or 'wait'"):
        await ncp_client.media_ai.start_index(ref, if_running="later")  # type: ignore[arg-type]


async def test_an_analysis_needs_a_completed_import(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_import("ws", "7", 5, polls=3)
    with pytest.raises(ncp.BadRequestError):
        await ncp_client.media_ai.start_index(ncp.AssetRef("ws", "7", "5"))


async def test_wait_for_indexes(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    refs = [await _imported(ncp_client, ncp_emulator, 10 + i) for i in range(6)]
    for ref in refs[:5]:
        await ncp_client.media_ai.start_index(ref)
    ncp_emulator.media_ai.begin_analysis("ws", "7", 12, outcome="ANALYZE_FAIL", polls=2)
    await ncp_client.media_ai.cancel_index(refs[3])
    ncp_emulator.reset_stats()
    missing = ncp.AssetRef("ws", "7", "999")
    results = [
        r
        async for r in ncp_client.media_ai.wait_for_indexes(
            [*refs, missing], interval=0.001, start_grace=0.2, return_exceptions=True
        )
    ]
    by_ref = {r.asset if isinstance(r, ncp.IndexStatus) else r.target: r for r in results}
    assert by_ref[refs[0]].status == "ANALYZE_COMPLETED"  # type: ignore[union-attr]
    assert by_ref[refs[2]].status == "ANALYZE_FAIL"  # type: ignore[union-attr]
    assert by_ref[refs[3]].status == "ANALYZE_CANCEL"  # type: ignore[union-attr]
    assert by_ref[refs[5]].status == "BEFORE_ANALYZE"  # type: ignore[union-attr]  # never asked
    failure = by_ref[missing]
    assert isinstance(failure, ncp.PollFailure) and isinstance(failure.error, ncp.NotFoundError)
    assert len(results) == 7
    # The one picked up late: BEFORE_ANALYZE then WAIT_ANALYZE, ANALYZING, the end.
    assert ncp_emulator.stats.requests[Route.INDEX_STATUS] >= 4 * 4


async def test_before_analyze_is_final_after_the_grace(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    ncp_emulator.media_ai.index_pickup_polls = 10**6  # requested, never picked up
    await ncp_client.media_ai.start_index(ref)
    began = asyncio.get_running_loop().time()
    got = [s async for s in ncp_client.media_ai.wait_for_indexes([ref], interval=0.01,
                                                                   start_grace=0.1)]
    assert [s.status for s in got] == ["BEFORE_ANALYZE"]
    assert asyncio.get_running_loop().time() - began >= 0.1
    assert ncp_emulator.stats.requests[Route.INDEX_STATUS] >= 5


async def test_cancel_and_delete(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    ref = await _imported(ncp_client, ncp_emulator, 5)
    with pytest.raises(ncp.ConflictError, match="Cannot cancel"):
        await ncp_client.media_ai.cancel_index(ref)  # nothing running
    await ncp_client.media_ai.start_index(ref)
    with pytest.raises(ncp.ConflictError, match="Cannot delete index while analysis"):
        await ncp_client.media_ai.delete_index(ref)
    with pytest.raises(ncp.NotFoundError):
        await ncp_client.media_ai.index(ref)  # no index yet
    await ncp_client.media_ai.cancel_index(ref)
    assert (await ncp_client.media_ai.index_status(ref)).status is ncp.IndexState.ANALYZE_CANCEL
    ncp_emulator.media_ai.index_pickup_polls = 0
    await ncp_client.media_ai.start_index(ref)
    async for status in ncp_client.media_ai.wait_for_indexes([ref], interval=0.001):
        assert status.status is ncp.IndexState.ANALYZE_COMPLETED
    await ncp_client.media_ai.delete_index(ref)
    with pytest.raises(ncp.NotFoundError):
        await ncp_client.media_ai.index(ref)


async def test_start_index_and_cancel_are_not_sent_again_after_a_5xx(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    async with client_for(ncp_emulator_server) as client:
        ref = await _imported(client, emulator, 5)
        emulator.force_faults(Fault.UNAVAILABLE, routes=Route.START_INDEX)
        with pytest.raises(ncp.ServerError):
            await client.media_ai.start_index(ref)
        assert emulator.stats.requests[Route.START_INDEX] == 1
        await client.media_ai.start_index(ref)
        emulator.force_faults(Fault.GATEWAY_TIMEOUT, routes=Route.CANCEL_INDEX)
        with pytest.raises(ncp.ServerError):  # a 504 may come after the service acted
            await client.media_ai.cancel_index(ref)
        assert emulator.stats.requests[Route.CANCEL_INDEX] == 1
        emulator.force_faults(Fault.THROTTLE, routes=Route.CANCEL_INDEX)
        await client.media_ai.cancel_index(ref)  # a 429 is refused before the service: again
        assert emulator.stats.requests[Route.CANCEL_INDEX] == 3
        assert emulator.media_ai.index_state("ws", "7", 5) == "ANALYZE_CANCEL"


async def test_a_cancel_whose_answer_was_lost_is_not_sent_again(
    ncp_emulator_server: EmulatorServer,
) -> None:
    """The first cancel worked; sending it again would answer 409 ("Cannot cancel analysis in
    the current state") and report a cancel that happened as refused (or cancel an analysis
    started in between)."""
    emulator = ncp_emulator_server.emulator
    async with client_for(ncp_emulator_server) as client:
        ref = await _imported(client, emulator, 5)
        await client.media_ai.start_index(ref)
        emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.CANCEL_INDEX)
        with pytest.raises(ncp.OutcomeUnknownError):
            await client.media_ai.cancel_index(ref)
        assert emulator.stats.requests[Route.CANCEL_INDEX] == 1
        assert emulator.media_ai.index_state("ws", "7", 5) == "ANALYZE_CANCEL"


async def test_a_delete_whose_answer_was_lost_is_not_sent_again(
    ncp_emulator_server: EmulatorServer,
) -> None:
    """The first delete worked; sending it again finds no index (or deletes one made in
    between) and reports a delete that happened as failed."""
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.index_pickup_polls = 0
    async with client_for(ncp_emulator_server) as client:
        ref = await _imported(client, emulator, 5)
        await client.media_ai.start_index(ref)
        async for _ in client.media_ai.wait_for_indexes([ref], interval=0.001):
            pass
        emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.DELETE_INDEX)
        with pytest.raises(ncp.OutcomeUnknownError):
            await client.media_ai.delete_index(ref)
        assert emulator.stats.requests[Route.DELETE_INDEX] == 1
        with pytest.raises(ncp.NotFoundError):
            await client.media_ai.index(ref)  # it was deleted


async def test_index_arguments(ncp_client: ncp.MediaClient, ncp_emulator: Emulator) -> None:
    ref = ncp.AssetRef("ws", "7", "5")
    with pytest.raises(ValueError, match="LOW, MEDIUM, HIGH"):
        await ncp_client.media_ai.index(ref, confidence_level="SOME")
    with pytest.raises(TypeError, match="AssetRef"):
        await ncp_client.media_ai.index_status(ncp.VideoAssetRef("ws", "7", "5"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="asset_id"):
        await ncp_client.media_ai.index(ncp.AssetRef("ws", "7", ".."))
    assert ncp_emulator.stats.total_requests == 0


@pytest.mark.parametrize(
    "ref",
    [
        ncp.VideoAssetRef("ws", "7", ".."),
        ncp.VideoAssetRef("ws", "7", ""),
        ncp.VideoAssetRef("..", "7", "5"),
        ncp.VideoAssetRef("ws", ".", "5"),
    ],
    ids=["dot-dot-asset", "empty-asset", "dot-dot-workspace", "dot-project"],
)
async def test_a_video_asset_ref_with_a_dot_or_empty_id_is_refused_before_sending(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, ref: ncp.VideoAssetRef
) -> None:
    """A dot segment would change the path on its way (``…/video-assets/../import-status``
    is ``…/projects/7/import-status``), an empty one too: refused as for an ``AssetRef``."""
    with (
        pytest.warns(DeprecationWarning, match="video-assets"),
        pytest.raises(ValueError, match="must not be"),
    ):
        await ncp_client.media_ai.import_status_of(ref)
    with pytest.raises(ValueError, match="must not be"):
        async for _ in ncp_client.media_ai.wait_for_imports([ref], interval=0.001):
            pass
    assert ncp_emulator.stats.total_requests == 0


# -- records ------------------------------------------------------------------------------------


def test_records_read_every_documented_spelling() -> None:
    from ncp_media_async._converter import structure

    current = structure({"assetId": 5, "uploadStatus": "COMPLETED"}, ncp.ImportStatus)
    deprecated = structure({"videoId": "5", "uploadStatus": "COMPLETED"}, ncp.ImportStatus)
    both = structure({"assetId": 5, "videoId": 6, "uploadStatus": "X"}, ncp.ImportStatus)
    assert current.asset_id == deprecated.asset_id == both.asset_id == 5
    table = structure({"status": "ANALYZE_FAIL", "analyzeStatusMessage": "a"}, ncp.IndexStatus)
    example = structure({"status": "ANALYZE_FAIL", "analysisStatusMessage": "b"}, ncp.IndexStatus)
    assert (table.message, example.message) == ("a", "b")
    assert not structure({"status": "NEW"}, ncp.IndexStatus).terminal
    assert not structure({"status": "BEFORE_ANALYZE"}, ncp.IndexStatus).terminal
    with pytest.raises(ncp.ResponseError, match="assetId"):
        structure({"videoId": "x", "uploadStatus": "COMPLETED"}, ncp.ImportStatus)


def test_an_asset_ref_is_named_by_its_ids_not_its_key() -> None:
    ref = ncp.AssetRef("ws", "1", "5", key="in/a.mp4")
    assert ref == ncp.AssetRef("ws", "1", "5") and hash(ref) == hash(ncp.AssetRef("ws", "1", "5"))
    assert str(ref) == "ws/1/5"


@pytest.mark.parametrize(
    ("import_state", "index_state", "ok"),
    [
        ("COMPLETED", "ANALYZE_COMPLETED", True),
        ("COMPLETED", None, True),
        ("COMPLETED", "ANALYZE_FAIL", False),
        ("FAILED", None, False),
        (None, None, False),
    ],
)
def test_ingest_result_ok(import_state: str | None, index_state: str | None, ok: bool) -> None:
    imported = None if import_state is None else ncp.ImportStatus(ncp.UploadStatus(import_state))
    indexed = None if index_state is None else ncp.IndexStatus(ncp.IndexState(index_state))
    result = ncp.IngestResult("k", ncp.IngestStage.DONE, None, imported, indexed)
    assert result.ok is ok
    assert not attrs.evolve(result, error=ncp.ServerError("x", status=500)).ok
