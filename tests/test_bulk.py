"""Bulk polling, prefetch and watching, against the emulator over loopback."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, FaultPlan, Route, Scenario

LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]
FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
TERMINAL = {"COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"}


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario.empty()


def load_imports(emulator: Emulator, n: int, seed: int = 1) -> dict[ncp.AssetRef, str]:
    rng = random.Random(seed)
    outcomes: dict[ncp.AssetRef, str] = {}
    for i in range(n):
        outcome = rng.choice(["COMPLETED"] * 7 + ["FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"])
        emulator.media_ai.add_import("ws", "9", 1000 + i, outcome=outcome, polls=rng.randint(1, 4))
        outcomes[ncp.AssetRef("ws", "9", str(1000 + i))] = outcome
    return outcomes


def client_for(server: EmulatorServer, **kw: object) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(
        server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw  # type: ignore[arg-type]
    )


async def test_a_thousand_imports_finish_within_the_concurrency_bound(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    outcomes = load_imports(ncp_emulator, 1200)
    ncp_emulator.latency = 0.002
    got: dict[ncp.AssetRef, str] = {}
    async for status in ncp_client.media_ai.wait_for_imports(
        outcomes, concurrency=25, interval=0.005
    ):
        assert status.asset is not None
        assert status.asset not in got, "a target was yielded twice"
        got[status.asset] = status.upload_status.value
    assert got == outcomes
    stats = ncp_emulator.stats
    assert 1 < stats.peak_in_flight <= 25
    assert stats.total_polls_after_terminal == 0
    expected = {(r.workspace, r.project_id, r.asset_id): a.polls_to_complete
                for r, a in zip(outcomes, ncp_emulator.media_ai.imports(), strict=True)}
    assert dict(stats.import_polls) == expected


async def test_results_stream_as_they_land(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.media_ai.add_import("ws", "1", "1", polls=1)
    ncp_emulator.media_ai.add_import("ws", "1", "2", polls=10**6)
    refs = [ncp.AssetRef("ws", "1", "2"), ncp.AssetRef("ws", "1", "1")]
    stream = ncp_client.media_ai.wait_for_imports(refs, interval=0.001)
    first = await anext(stream)
    assert first.asset == refs[1]
    await stream.aclose()


async def test_throttle_storm_slows_the_batch_without_failures(
    ncp_emulator_server: EmulatorServer,
) -> None:
    emulator = ncp_emulator_server.emulator
    outcomes = load_imports(emulator, 300, seed=2)
    emulator.fault_plan = FaultPlan(seed=5, rate=0.3, kinds={Fault.THROTTLE}, retry_after=None)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    async with client_for(ncp_emulator_server, sleep=sleep,
                          retry=ncp.RetryPolicy(max_retries=8, initial_delay=0.001)) as client:
        got = {s.asset: s.upload_status.value async for s in client.media_ai.wait_for_imports(
            outcomes, concurrency=20, interval=0.001)}
    assert got == outcomes
    assert emulator.stats.statuses[429] > 20
    assert slept, "throttling must make the client back off"
    assert emulator.stats.total_polls_after_terminal == 0


async def test_one_missing_asset_is_reported_and_the_rest_finish(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    outcomes = load_imports(ncp_emulator, 50, seed=3)
    missing = ncp.AssetRef("ws", "9", "999999")
    got = []
    with pytest.raises(ncp.PollingError) as info:
        async for status in ncp_client.media_ai.wait_for_imports(
            [*outcomes, missing], interval=0.001
        ):
            got.append(status.asset)
    assert set(got) == set(outcomes)
    assert list(info.value.failures) == [missing]
    assert isinstance(info.value.failures[missing], ncp.NotFoundError)


async def test_failures_inline_with_return_exceptions(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    load_imports(ncp_emulator, 5, seed=4)
    bad = ncp.AssetRef("ws", "9", "abc")
    results = [r async for r in ncp_client.media_ai.wait_for_imports(
        [ncp.AssetRef("ws", "9", "1000"), bad], interval=0.001, return_exceptions=True)]
    failures = [r for r in results if isinstance(r, ncp.PollFailure)]
    assert [f.target for f in failures] == [bad]
    assert isinstance(failures[0].error, ncp.BadRequestError)


async def test_authentication_error_stops_the_batch(ncp_emulator_server: EmulatorServer) -> None:
    emulator = ncp_emulator_server.emulator
    outcomes = load_imports(emulator, 200, seed=5)
    creds = ncp.Credentials(ncp_emulator_server.credentials.access_key, "not-the-secret")
    async with ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(ncp_emulator_server.url),
                               retry=FAST) as client:
        with pytest.raises(ncp.AuthenticationError):
            async for _ in client.media_ai.wait_for_imports(outcomes, concurrency=10):
                pass
    assert emulator.stats.total_requests <= 10


async def test_prefetch_yields_what_the_sequential_walk_yields(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.load_scenario(Scenario(encodings=1234, vod_channels=0, live_channels=0,
                                        imports=0))
    ncp_emulator.latency = 0.001
    sequential = await ncp_client.vod_station.encoding_statuses(page_size=50).to_list()
    ncp_emulator.reset_stats()
    prefetched = await ncp_client.vod_station.encoding_statuses(
        page_size=50, prefetch=8).to_list()
    assert prefetched == sequential
    assert len(sequential) == 1234
    assert ncp_emulator.stats.requests[Route.ENCODING_STATUSES] == 25
    assert ncp_emulator.stats.peak_in_flight <= 8


async def test_breaking_out_of_a_prefetch_walk_leaves_nothing_in_flight(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, leftover_tasks: LeftoverTasks
) -> None:
    ncp_emulator.load_scenario(Scenario(encodings=2000, vod_channels=0, live_channels=0,
                                        imports=0))
    ncp_emulator.latency = 0.02
    async for status in ncp_client.vod_station.encoding_statuses(page_size=20, prefetch=8):
        assert status
        break
    assert await leftover_tasks() == []


async def test_watch_encodings_yields_changes_until_all_terminal(
    ncp_emulator_server: EmulatorServer, ncp_emulator: Emulator
) -> None:
    clock_now = [ncp_emulator.now()]
    ncp_emulator.clock = lambda: clock_now[0]
    start = datetime.fromtimestamp(clock_now[0], UTC)
    for i, outcome in enumerate(["COMPLETE", "FAILURE", "CANCELED"]):
        ncp_emulator.vod_station.add_progressing_encoding(
            queue_seconds=5 * i, run_seconds=20, outcome=outcome,
            fields={"filePath": f"in/{i}.mp4"},
        )

    async def tick(seconds: float) -> None:  # the watcher's sleep moves the emulator's clock
        clock_now[0] += 4.0
        await asyncio.sleep(0)

    seen: list[tuple[str | None, str, float | None]] = []
    async with client_for(ncp_emulator_server, sleep=tick) as client:
        async for status in client.vod_station.watch_encoding_statuses(
            start=start - timedelta(seconds=1), interval=4.0
        ):
            seen.append((status.file_path, status.status.value, status.percent))
    by_file = {f: [s for g, s, _ in seen if g == f] for f, _, _ in seen}
    assert by_file["in/0.mp4"][-1] == "COMPLETE"
    assert by_file["in/1.mp4"][-1] == "FAILURE"
    assert by_file["in/2.mp4"][-1] == "CANCELED"
    assert "RUNNING" in by_file["in/0.mp4"]
    # Only changes are yielded: no two consecutive reports of a file are the same.
    for f in by_file:
        reports = [(s, p) for g, s, p in seen if g == f]
        assert all(a != b for a, b in itertools.pairwise(reports))
    assert Counter(s for _, s, _ in seen)["COMPLETE"] == 1


async def test_watching_the_same_file_encoded_twice_reports_each_change_once(
    ncp_emulator_server: EmulatorServer, ncp_emulator: Emulator
) -> None:
    """Two jobs of one file in one category share an ``output_key`` (the documents give no
    finer id): each job's changes are yielded once, not both jobs again at every walk."""
    clock_now = [ncp_emulator.now()]
    ncp_emulator.clock = lambda: clock_now[0]
    start = datetime.fromtimestamp(clock_now[0], UTC)
    for queue in (0, 30):  # the second job runs once the first has finished
        ncp_emulator.vod_station.add_progressing_encoding(
            queue_seconds=queue, run_seconds=10, fields={"filePath": "in/same.mp4"}
        )

    async def tick(seconds: float) -> None:  # the watcher's sleep moves the emulator's clock
        clock_now[0] += 4.0
        await asyncio.sleep(0)

    async with client_for(ncp_emulator_server, sleep=tick) as client:
        seen = [
            (s.status.value, s.percent)
            async for s in client.vod_station.watch_encoding_statuses(
                start=start - timedelta(seconds=1), interval=4.0
            )
            if s.status is not None
        ]
    assert Counter(state for state, _ in seen)["COMPLETE"] == 2  # once per job
    assert len(seen) <= 2 + 2 * (40 // 4)  # each job: its first report and one change per walk


async def test_watch_encodings_times_out(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    ncp_emulator.vod_station.add_progressing_encoding(run_seconds=10**6)
    with pytest.raises(ncp.PollTimeoutError):
        async for _ in ncp_client.vod_station.watch_encoding_statuses(
            interval=0.01, timeout=0.05
        ):
            pass


async def test_concurrency_above_the_connection_pool_is_warned_about(
    ncp_emulator_server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    load_imports(ncp_emulator_server.emulator, 20, seed=6)
    refs = [ncp.AssetRef("ws", "9", str(1000 + i)) for i in range(20)]
    async with client_for(ncp_emulator_server, max_connections=4) as client:
        got = [s async for s in client.media_ai.wait_for_imports(
            refs, concurrency=16, interval=0.001)]
    assert len(got) == 20
    assert "capped at the client's 4 connections" in caplog.text
    assert ncp_emulator_server.emulator.stats.peak_in_flight <= 4
