"""``MediaAI.ingest`` against the emulator: one result per key, no batch barrier, per-key
failures isolated, writes never repeated under faults, cancellation leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from _clocks import Recorder

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, FaultPlan, Route, Scenario

LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]
FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
QUICK = {"interval": 0.001, "index_interval": 0.001}


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario.empty()


@pytest.fixture
def emulator(ncp_emulator: Emulator) -> Emulator:
    ncp_emulator.media_ai.add_project("ws", 7)
    return ncp_emulator


def client_for(server: EmulatorServer, **options: Any) -> ncp.MediaClient:
    options.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **options)


async def test_every_key_goes_through_with_exact_requests(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    keys = [f"in/{i:03}.mp4" for i in range(150)]
    emulator.latency = 0.001
    progress: Counter[str] = Counter()
    results = [
        r
        async for r in ncp_client.media_ai.ingest(
            "ws", 7, bucket="b", keys=[*keys, keys[0]], concurrency=20,
            on_progress=lambda r: progress.update([r.stage.value]), **QUICK,
        )
    ]  # fmt: skip
    assert sorted(r.key for r in results) == keys  # one result per key (a duplicate once)
    assert all(r.ok and r.stage is ncp.IngestStage.DONE and r.error is None for r in results)
    assert all(r.ref is not None and r.ref.key == r.key for r in results)
    assert all(r.import_status and r.import_status.asset == r.ref for r in results)
    assert all(r.index_status and r.index_status.index_id for r in results)
    assert progress == {"IMPORT_WAIT": 150, "INDEX": 150, "INDEX_WAIT": 150}
    # Per key: one import, 2 import polls (COMPLETED at the second), one analysis request,
    # 4 analysis polls (BEFORE_ANALYZE, WAIT_ANALYZE, ANALYZING, ANALYZE_COMPLETED).
    assert emulator.stats.requests == {
        Route.IMPORT_ASSET: 150, Route.IMPORT_STATUS: 300, Route.START_INDEX: 150,
        Route.INDEX_STATUS: 600,
    }  # fmt: skip
    assert emulator.stats.polls_after_terminal == Counter()
    assert 1 < emulator.stats.peak_in_flight <= 20
    assert all(len(emulator.media_ai.assets_for_key(k)) == 1 for k in keys)


async def test_index_false_and_custom_options(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    plain = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=["a.mp4"], index=False, **QUICK)]  # fmt: skip
    assert plain[0].ok and plain[0].index_status is None
    assert Route.START_INDEX not in emulator.stats.requests
    options = ncp.IndexOptions(scene_range="LONG", person_count=2)
    custom = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=["b.mp4"], index=options, **QUICK)]  # fmt: skip
    assert custom[0].ok and custom[0].ref is not None
    assert emulator.media_ai.index_request("ws", 7, custom[0].ref.asset_id) == {
        "sceneRange": "LONG", "analysisPersonCount": 2
    }
    with pytest.raises(TypeError, match="bool or IndexOptions"):
        ncp_client.media_ai.ingest("ws", 7, bucket="b", keys=["c"], index="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keys must not be empty"):
        ncp_client.media_ai.ingest("ws", 7, bucket="b", keys=["c", ""])
    with pytest.raises(ValueError, match="bucket"):
        ncp_client.media_ai.ingest("ws", 7, bucket="", keys=["c"])


async def test_a_failing_key_never_stops_the_others(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    emulator.media_ai.plan_object("missing.mp4", import_outcome="FILE_NOT_EXIST")
    emulator.media_ai.plan_object("broken.mp4", index_outcome="ANALYZE_FAIL")
    emulator.media_ai.plan_object("slow.mp4", import_polls=6)
    emulator.force_faults(Fault.UNAVAILABLE, Fault.UNAVAILABLE, routes=Route.INDEX_STATUS)

    def vanish(result: ncp.IngestResult) -> None:  # the asset is deleted while importing
        if result.key == "vanishing.mp4" and result.stage is ncp.IngestStage.IMPORT_WAIT:
            assert result.ref is not None
            emulator.media_ai.remove_import(*str(result.ref).split("/"))

    good = [f"ok-{i}.mp4" for i in range(20)]
    keys = ["folder/", "missing.mp4", "broken.mp4", "vanishing.mp4", "slow.mp4", *good]
    results = {
        r.key: r
        async for r in ncp_client.media_ai.ingest(
            "ws", 7, bucket="b", keys=keys, concurrency=4, on_progress=vanish, **QUICK
        )
    }
    assert set(results) == set(keys)
    folder = results["folder/"]
    assert (folder.stage, folder.ref, type(folder.error)) == (
        ncp.IngestStage.IMPORT, None, ncp.BadRequestError
    )
    missing = results["missing.mp4"]
    assert missing.stage is ncp.IngestStage.DONE and missing.error is None and not missing.ok
    assert missing.import_status is not None
    assert missing.import_status.upload_status is ncp.UploadStatus.FILE_NOT_EXIST
    assert missing.index_status is None  # never analysed
    broken = results["broken.mp4"]
    assert broken.index_status is not None
    assert broken.index_status.status is ncp.IndexState.ANALYZE_FAIL
    assert broken.index_status.message and not broken.ok
    vanished = results["vanishing.mp4"]
    assert vanished.stage is ncp.IngestStage.IMPORT_WAIT
    assert isinstance(vanished.error, ncp.NotFoundError)
    assert results["slow.mp4"].ok
    assert all(results[k].ok for k in good)  # the 503s on analysis polls were retried
    assert emulator.stats.requests[Route.START_INDEX] == 22  # broken, slow and the good ones


async def test_no_key_waits_for_another(
    ncp_emulator_server: EmulatorServer, emulator: Emulator
) -> None:
    """The key whose import completes at once is indexed and done while the others still
    import. On a fake clock (time passes only in the client's sleeps), so the order does not
    depend on how a loaded machine schedules the loop: this test failed at random in 0.2.0."""
    rec = Recorder(advancing=True)
    for i in range(8):
        emulator.media_ai.plan_object(f"long-{i}.mp4", import_polls=40)
    emulator.media_ai.plan_object("quick.mp4", import_polls=1)
    order: list[tuple[str, str]] = []
    async with client_for(
        ncp_emulator_server, monotonic=rec.monotonic, sleep=rec.sleep
    ) as client:
        stream = client.media_ai.ingest(
            "ws", 7, bucket="b", keys=[*(f"long-{i}.mp4" for i in range(8)), "quick.mp4"],
            concurrency=3, interval=1.0, index_interval=1.0,
            on_progress=lambda r: order.append((r.key, r.stage.value)),
        )  # fmt: skip
        first = await anext(stream)
        await stream.aclose()
    assert (first.key, first.ok) == ("quick.mp4", True)
    assert all(stage == "IMPORT_WAIT" for key, stage in order if key != "quick.mp4")
    long = [ref for i in range(8) for ref in emulator.media_ai.assets_for_key(f"long-{i}.mp4")]
    assert len(long) == 8
    assert all(emulator.media_ai.get_import(*ref).polls < 40 for ref in long)


async def test_an_analysis_already_running(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    started: set[str] = set()

    def someone_else(result: ncp.IngestResult) -> None:  # starts an analysis first, once
        if result.stage is ncp.IngestStage.INDEX and result.key not in started:
            started.add(result.key)
            assert result.ref is not None
            emulator.media_ai.begin_analysis(*str(result.ref).split("/"), polls=2)

    raised = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=["a.mp4"], on_progress=someone_else, **QUICK)]  # fmt: skip
    assert raised[0].stage is ncp.IngestStage.INDEX
    assert isinstance(raised[0].error, ncp.ConflictError)
    waited = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=["b.mp4"], on_progress=someone_else, if_running="wait",
        **QUICK)]  # fmt: skip
    assert waited[0].ok and waited[0].index_status is not None
    assert emulator.stats.requests[Route.START_INDEX] == 1 + 2  # b.mp4: refused, then accepted
    assert waited[0].ref is not None
    assert emulator.media_ai.index_request("ws", 7, waited[0].ref.asset_id) == {
        "analysisPersonCount": 6
    }


async def test_waiting_for_a_queued_analysis_does_not_ask_again_at_every_poll(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    """Another caller's analysis not picked up yet (BEFORE_ANALYZE) is polled on, as
    ``start_index(if_running="wait")`` does: ours is asked for once it ends, not after every
    poll (a 409 each time)."""

    started: list[str] = []

    def someone_else(result: ncp.IngestResult) -> None:  # a queued analysis before ours, once
        if result.stage is ncp.IngestStage.INDEX and result.ref is not None and not started:
            started.append(result.key)
            emulator.media_ai.begin_analysis(*str(result.ref).split("/"), pickup_polls=6)

    (result,) = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=["a.mp4"], on_progress=someone_else, if_running="wait",
        **QUICK)]  # fmt: skip
    assert result.ok and result.index_status is not None
    assert emulator.stats.requests[Route.START_INDEX] == 2  # refused once, then accepted


async def test_no_duplicate_asset_under_faults_on_the_import(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    emulator.fault_plan = FaultPlan(
        seed=11,
        rate=0.4,
        routes=[Route.IMPORT_ASSET, Route.IMPORT_STATUS],
        kinds={
            Fault.RESET_MID_BODY, Fault.RESET_BEFORE_BODY, Fault.TRUNCATED_JSON,
            Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT, Fault.THROTTLE,
        },
    )  # fmt: skip
    keys = [f"in/{i:03}.mp4" for i in range(120)]
    async with client_for(ncp_emulator_server, retry=ncp.RetryPolicy(
            max_retries=8, initial_delay=0.001, max_delay=0.002)) as client:  # fmt: skip
        results = {
            r.key: r
            async for r in client.media_ai.ingest(
                "ws", 7, bucket="b", keys=keys, index=False, concurrency=16, **QUICK
            )
        }
    assert set(results) == set(keys)
    throttled = emulator.stats.faults[Fault.THROTTLE]
    failed = [k for k, r in results.items() if r.stage is ncp.IngestStage.IMPORT]
    assert failed and all(results[k].error is not None for k in failed)
    # Some failed keys made their asset (the answer was lost or unreadable): sending the
    # request again would have made a second one.
    assert any(emulator.media_ai.assets_for_key(k) for k in failed)
    assert any(not emulator.media_ai.assets_for_key(k) for k in failed)
    for key, result in results.items():
        assets = emulator.media_ai.assets_for_key(key)
        assert len(assets) <= 1, f"{key} was imported {len(assets)} times"
        if result.ref is not None:
            assert assets == [tuple(str(result.ref).split("/"))]
    # Every import request reached the emulator once, but for the throttled ones (429s are the
    # gateway's: the service never saw them).
    assert emulator.stats.requests[Route.IMPORT_ASSET] <= len(keys) + throttled
    assert sum(r.ok for r in results.values()) == len(keys) - len(failed)


async def test_cancelling_mid_ingest_leaves_nothing_behind(
    ncp_client: ncp.MediaClient, emulator: Emulator, leftover_tasks: LeftoverTasks
) -> None:
    emulator.latency = 0.02
    keys = [f"in/{i}.mp4" for i in range(200)]
    got: list[ncp.IngestResult] = []

    async def consume() -> None:
        async for result in ncp_client.media_ai.ingest(
            "ws", 7, bucket="b", keys=keys, concurrency=16, interval=0.0, index_interval=0.0
        ):
            got.append(result)

    task = asyncio.create_task(consume())
    while len(got) < 3 or emulator.stats.in_flight == 0:  # noqa: ASYNC110 (polls the emulator)
        await asyncio.sleep(0.002)  # cancelled with requests in flight
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await leftover_tasks() == []
    for _ in range(100):  # the emulator sees the connections drop
        if emulator.stats.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert emulator.stats.in_flight == 0
    sent = emulator.stats.total_requests
    await asyncio.sleep(0.05)
    assert emulator.stats.total_requests == sent  # nothing more is sent
    assert len(got) < len(keys)


async def test_breaking_out_of_an_ingest_stops_it(
    ncp_client: ncp.MediaClient, emulator: Emulator, leftover_tasks: LeftoverTasks
) -> None:
    emulator.latency = 0.01
    async for result in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=[f"{i}.mp4" for i in range(100)], concurrency=8, **QUICK
    ):
        assert result.ok
        break
    assert await leftover_tasks() == []
    sent = emulator.stats.total_requests
    await asyncio.sleep(0.05)
    assert emulator.stats.total_requests == sent


async def test_timeout_ends_the_keys_under_way(
    ncp_emulator_server: EmulatorServer, emulator: Emulator
) -> None:
    emulator.media_ai.plan_object("stuck.mp4", import_polls=10**6)
    rec = Recorder(advancing=True)  # on the client's fake clock: a.mp4 ends well before 30 s
    async with client_for(
        ncp_emulator_server, monotonic=rec.monotonic, sleep=rec.sleep
    ) as client:
        results = {r.key: r async for r in client.media_ai.ingest(
            "ws", 7, bucket="b", keys=["stuck.mp4", "a.mp4"], timeout=30.0, interval=1.0,
            index_interval=1.0)}  # fmt: skip
    assert sum(rec.slept) == pytest.approx(30.0, abs=1.5)  # stopped at the deadline
    assert results["a.mp4"].ok
    stuck = results["stuck.mp4"]
    assert stuck.stage is ncp.IngestStage.IMPORT_WAIT
    assert isinstance(stuck.error, ncp.PollTimeoutError)


async def test_an_authentication_error_stops_everything(
    ncp_emulator_server: EmulatorServer,
) -> None:
    ncp_emulator_server.emulator.media_ai.add_project("ws", 7)
    creds = ncp.Credentials(ncp_emulator_server.credentials.access_key, "wrong")
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(ncp_emulator_server.url),
                               retry=FAST) as client:  # fmt: skip
        with pytest.raises(ncp.AuthenticationError):
            async for _ in client.media_ai.ingest(
                "ws", 7, bucket="b", keys=[f"{i}" for i in range(50)], concurrency=5
            ):
                pass
    assert ncp_emulator_server.emulator.stats.total_requests <= 5


async def test_a_failed_import_is_a_state_and_a_seeded_share_fails(
    ncp_client: ncp.MediaClient, emulator: Emulator
) -> None:
    emulator.media_ai.import_failure_rate = 0.25
    emulator.media_ai.index_failure_rate = 0.25
    keys = [f"{i}.mp4" for i in range(80)]
    results = [r async for r in ncp_client.media_ai.ingest(
        "ws", 7, bucket="b", keys=keys, concurrency=10, **QUICK)]  # fmt: skip
    assert all(r.error is None and r.stage is ncp.IngestStage.DONE for r in results)
    imports = Counter(r.import_status.upload_status.value for r in results if r.import_status)
    assert 5 < sum(n for s, n in imports.items() if s != "COMPLETED") < 40
    indexes = Counter(r.index_status.status.value for r in results if r.index_status)
    assert indexes["ANALYZE_FAIL"] > 0
    assert indexes["ANALYZE_COMPLETED"] + indexes["ANALYZE_FAIL"] == imports["COMPLETED"]
    assert sum(r.ok for r in results) == indexes["ANALYZE_COMPLETED"]


async def test_the_rate_limit_paces_an_ingest(ncp_emulator_server: EmulatorServer) -> None:
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.add_project("ws", 7)
    clock = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds
        await asyncio.sleep(0)

    rng = random.Random(1)
    async with client_for(
        ncp_emulator_server, rate_limit=ncp.RateLimit.per_minute(600), monotonic=lambda: clock[0],
        sleep=sleep, rng=rng,
    ) as client:  # fmt: skip
        results = [r async for r in client.media_ai.ingest(
            "ws", 7, bucket="b", keys=["a", "b", "c"], index=False, interval=0.0)]  # fmt: skip
    assert all(r.ok for r in results)
    sent = emulator.stats.total_requests
    assert sent == 3 + 6
    assert clock[0] == pytest.approx((sent - 1) * 0.1, abs=0.11)  # 600 a minute: 0.1 s apart
