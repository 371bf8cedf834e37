"""``wait_for_encodings``: one walk of the status list per interval serves the whole batch; each
job comes out once, when every output of it is terminal; failures, timeouts and cancellation
as for ``wait_for_imports``; and submit-then-await of 500 files under injected faults."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import attrs
import pytest
from _vod import Vod, served_vod

import ncp_media_async as ncp
from ncp_media_async.testing import (
    DEFAULT_FAULT_KINDS,
    WORK_START_KEY,
    Fault,
    FaultPlan,
    Route,
)

KST = timezone(timedelta(hours=9))
LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


async def wait(vod: Vod, jobs: Sequence[ncp.EncodingJob], **kw: Any) -> list[Any]:
    kw.setdefault("interval", 5.0)
    stream = vod.api.wait_for_encodings(jobs, **kw)
    return [job async for job in stream]


async def submit(vod: Vod, count: int, category: int | None = None, **kw: Any) -> Any:
    cid = category if category is not None else vod.store.add_category(**kw)
    paths = [f"in/{cid}/v{i:04d}.mp4" for i in range(count)]
    return cid, await vod.api.add_files(cid, bucket="in", paths=paths)


# -- the schedule ---------------------------------------------------------------------------------


async def test_each_job_once_when_every_output_is_terminal(vod: Vod) -> None:
    _, jobs = await submit(vod, 3)
    # Outputs wait 2 s, then run 8, 10 and 12 s: the last ends 14 s after submission.
    done = await wait(vod, jobs)
    assert vod.slept == [5.0, 5.0, 5.0]  # walks at 0, 5, 10, 15 s
    assert [job.input_path for job in done] == [job.input_path for job in jobs]
    assert [attrs.evolve(job, outputs=()) for job in done] == jobs
    for job in done:
        assert [o.output_type for o in job.outputs] == [
            "AVC_HD_1Pass_30fps", "AVC_SD_1Pass_30fps", "AVC_SD_1Pass_30fps_1"
        ]  # fmt: skip
        assert all(o.status is ncp.EncodingState.COMPLETE and o.link for o in job.outputs)
        assert job.succeeded and len(job.links) == 3
    assert vod.requests(Route.ENCODING_STATUSES) == 4  # one page per walk
    assert vod.requests(Route.CATEGORY) == 1  # the category's options, read once
    assert vod.requests(Route.ENCODING_JOB) == 0  # no request per job


async def test_one_walk_per_interval_serves_the_whole_batch(vod: Vod) -> None:
    _, jobs = await submit(vod, 300)
    pages_per_walk = 300 * 3 // 100
    done = await wait(vod, jobs, page_size=100, prefetch=4)
    assert len(done) == 300
    walks = len(vod.slept) + 1
    assert walks == 4
    assert vod.requests(Route.ENCODING_STATUSES) == walks * pages_per_walk  # not 300 a walk


async def test_the_window_starts_at_the_earliest_pending_submission() -> None:
    windows: list[str] = []

    async def on_start(
        session: Any, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if params.url.path.endswith("/status") and params.url.query.get("pageNo") == "1":
            windows.append(params.url.query.get("workStartTimeFrom", "-"))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with served_vod(trace_configs=[trace]) as vod:
        cid = vod.store.add_category(encoding_options=[1])  # one output: 2 s + 8 s
        (first,) = await vod.api.add_files(cid, bucket="in", paths=["early.mp4"])
        vod.clock.advance(9)
        (second,) = await vod.api.add_files(cid, bucket="in", paths=["late.mp4"])
        done = await wait(vod, [second, first], interval=2.0)
    assert [job.input_path for job in done] == ["early.mp4", "late.mp4"]  # as they finish
    assert first.submitted_at is not None and second.submitted_at is not None
    slack = timedelta(minutes=2)
    ms = [str(int((when - slack).timestamp() * 1000)) for when in (first.submitted_at,
                                                                    second.submitted_at)]
    # Walks at +9 and +11 s from the first submission (the first job is done at +10, as the walk
    # at +11 finds), then from the second's, until it is done (+19).
    assert windows == [ms[0], ms[0], ms[1], ms[1], ms[1], ms[1]]


async def test_failed_outputs_are_terminal(vod: Vod) -> None:
    cid = vod.store.add_category()
    vod.store.input_outcomes["in/bad.mp4"] = "FAILURE"  # drawn when the file is added
    jobs = await vod.api.add_files(cid, bucket="in", paths=["in/bad.mp4", "in/good.mp4"])
    done = {job.input_path: job for job in await wait(vod, jobs)}
    assert not done["in/bad.mp4"].succeeded and done["in/bad.mp4"].links == ()
    assert {o.status for o in done["in/bad.mp4"].outputs} == {ncp.EncodingState.FAILURE}
    assert done["in/good.mp4"].succeeded


async def test_a_category_named_by_template_or_by_nothing(vod: Vod) -> None:
    by_template = vod.store.add_category(encoding_options=None, template_id=3)  # 4 options
    also_by_template = vod.store.add_category(encoding_options=None, template_id=3)
    silent = vod.store.add_category(encoding_options=None)  # the emulator then makes one
    (a,) = await vod.api.add_files(by_template, bucket="in", paths=["a.mp4"])
    (c,) = await vod.api.add_files(also_by_template, bucket="in", paths=["c.mp4"])
    (b,) = await vod.api.add_files(silent, bucket="in", paths=["b.mp4"])
    done = {job.input_path: job for job in await wait(vod, [a, b, c])}
    assert len(done["a.mp4"].outputs) == 4 and len(done["b.mp4"].outputs) == 1
    assert len(done["c.mp4"].outputs) == 4
    assert vod.requests(Route.ENCODING_OPTION_TEMPLATES) == 1  # once a wait, for both
    assert vod.requests(Route.CATEGORY) == 3


async def test_a_job_is_not_done_while_an_output_is_missing(vod: Vod) -> None:
    # The category makes three outputs; the service shows only two, both terminal.
    cid = vod.store.add_category()
    now = int(vod.clock() * 1000)
    job = ncp.EncodingJob(None, cid, "a.mp4", "in", _at(vod))
    vod.store.set_encoding_statuses(
        [_row(cid, "a.mp4", t, "COMPLETE", now) for t in ("T1", "T2")]
    )
    stream = vod.api.wait_for_encodings(
        [job], interval=1.0, timeout=2.5
    )
    with pytest.raises(ncp.PollTimeoutError) as info:
        async for _ in stream:
            pass
    assert info.value.pending == (job,)
    vod.store.add_encoding_statuses([_row(cid, "a.mp4", "T3", "CANCELED", now)])
    (done,) = await wait(vod, [job])
    assert [o.output_type for o in done.outputs] == ["T1", "T2", "T3"]


async def test_the_timeout_stops_a_walk_under_way(
    vod: Vod, leftover_tasks: LeftoverTasks
) -> None:
    """``timeout`` bounds the whole wait, as ``wait_for_imports``' does: a walk of the status
    list that hangs is stopped when it passes (it ran on for the request's own timeout and
    its retries before: minutes)."""
    _, jobs = await submit(vod, 3)
    vod.emulator.route_latency[Route.ENCODING_STATUSES] = 30.0  # the status list hangs
    started = time.monotonic()
    with pytest.raises(ncp.PollTimeoutError) as info:
        async for _ in vod.api.wait_for_encodings(jobs, interval=0.01, timeout=0.3):
            pass
    assert time.monotonic() - started < 10
    assert info.value.pending == tuple(jobs)
    assert await leftover_tasks() == []


async def test_a_watchs_timeout_stops_a_walk_under_way_and_names_what_was_unfinished(
    vod: Vod,
) -> None:
    vod.store.add_progressing_encoding(run_seconds=10**6)  # never ends
    stream = vod.api.watch_encoding_statuses(interval=0.01, timeout=0.5)
    first = await anext(stream)  # the first walk answers at once
    vod.emulator.route_latency[Route.ENCODING_STATUSES] = 30.0  # the next ones hang
    started = time.monotonic()
    with pytest.raises(ncp.PollTimeoutError, match="1 encoding still unfinished") as info:
        async for _ in stream:
            pass
    assert time.monotonic() - started < 10
    assert info.value.pending == (first.output_key,)


@pytest.mark.parametrize(
    "shown",
    [
        "https://cdn.example/media/clip.mp4",  # the URL
        "media/clip.mp4",  # its path
        "/media/clip.mp4",  # its path with a leading slash
        "clip.mp4",  # its file name
    ],
)
async def test_url_inputs_match_whatever_path_the_service_shows(vod: Vod, shown: str) -> None:
    cid = vod.store.add_category(encoding_options=[1])
    now = int(vod.clock() * 1000)
    job = ncp.EncodingJob(None, cid, "https://cdn.example/media/clip.mp4", None, _at(vod))
    vod.store.set_encoding_statuses([_row(cid, shown, "T", "COMPLETE", now)])
    (done,) = await wait(vod, [job])
    assert done.outputs[0].file_path == shown


async def test_a_leading_slash_does_not_matter(vod: Vod) -> None:
    cid = vod.store.add_category(encoding_options=[1])
    now = int(vod.clock() * 1000)
    jobs = [ncp.EncodingJob(None, cid, p, "in", _at(vod)) for p in ("/a.mp4", "b.mp4")]
    vod.store.set_encoding_statuses(
        [_row(cid, "a.mp4", "T", "COMPLETE", now), _row(cid, "/b.mp4", "T", "COMPLETE", now)]
    )
    assert len(await wait(vod, jobs)) == 2


@pytest.mark.parametrize(("later", "ambiguous"), [(90.0, False), (10.0, True)])
async def test_a_resubmitted_path_gets_its_own_outputs(
    vod: Vod, later: float, ambiguous: bool
) -> None:
    """A path encoded, then submitted again while the first run's rows are still in the walk's
    window: the second job takes its own three outputs (0.2.0 gave it six, and the CLI showed
    ``5/2 (250%)``), and progress never shows more rows than output types. Submitted within a
    minute of the first run's end (the clock slack), the rows could be either job's: the job
    says so, and takes the most recent, its own."""
    cid, first = await submit(vod, 1)
    (done,) = await wait(vod, first)  # three outputs, the last done 14 s after submission
    vod.clock.advance(later)
    again = await vod.api.add_files(cid, bucket="in", paths=[first[0].input_path])
    shown: list[int] = []
    (redone,) = await wait(vod, again, on_progress=lambda b: shown.append(len(b[0].outputs)))
    assert len(redone.outputs) == 3
    assert redone.ambiguous is ambiguous
    assert {o.link for o in redone.outputs} == {o.link for o in done.outputs}  # same names ...
    newest = max(o.last_work_time for o in done.outputs if o.last_work_time is not None)
    assert all(o.last_work_time is not None and o.last_work_time > newest for o in redone.outputs)
    assert shown and max(shown) <= 3  # ... but its own rows, one per output type


async def test_a_path_submitted_twice_close_by_is_flagged_ambiguous(vod: Vod) -> None:
    """Two jobs of one path submitted a second apart: the list cannot tell their rows apart.
    Each job takes one row per output type (the most recent) and says so, never a mix of both
    jobs' rows."""
    cid = vod.store.add_category(encoding_options=[1])
    (one,) = await vod.api.add_files(cid, bucket="in", paths=["same.mp4"])
    vod.clock.advance(1.0)
    (two,) = await vod.api.add_files(cid, bucket="in", paths=["same.mp4"])
    done = await wait(vod, [one, two])
    assert len(done) == 2
    assert all(len(job.outputs) == 1 and job.ambiguous for job in done)


async def test_a_path_listed_twice_is_submitted_once(vod: Vod) -> None:
    cid = vod.store.add_category(encoding_options=[1])
    jobs = await vod.api.add_files(cid, bucket="in", paths=["a.mp4"] * 150 + ["b.mp4"])
    assert [job.input_path for job in jobs] == ["a.mp4", "b.mp4"]
    assert vod.requests(Route.ADD_FILES) == 1
    assert len(vod.store._jobs) == 2  # two encodings, not 151


async def test_progress_sees_every_job_after_each_walk(vod: Vod) -> None:
    _, jobs = await submit(vod, 4)
    seen: list[Counter[str]] = []

    def progress(batch: Sequence[ncp.EncodingJob]) -> None:
        assert [job.input_path for job in batch] == [job.input_path for job in jobs]
        seen.append(Counter(f"{o.output_type}:{o.status}" for job in batch for o in job.outputs))

    await wait(vod, jobs, on_progress=progress)
    assert len(seen) == 4
    assert seen[0] == {f"{t}:WAITING": 4 for t in ("AVC_HD_1Pass_30fps", "AVC_SD_1Pass_30fps",
                                                   "AVC_SD_1Pass_30fps_1")}  # fmt: skip
    assert seen[-1] == {f"{t}:COMPLETE": 4 for t in ("AVC_HD_1Pass_30fps", "AVC_SD_1Pass_30fps",
                                                     "AVC_SD_1Pass_30fps_1")}  # fmt: skip


# -- failures, timeouts, cancellation -------------------------------------------------------------


async def test_a_lost_category_fails_its_jobs_and_not_the_others(vod: Vod) -> None:
    kept, jobs = await submit(vod, 2)
    lost, orphans = await submit(vod, 2)
    vod.store.remove_category(lost)
    got = []
    with pytest.raises(ncp.PollingError) as info:
        async for job in vod.api.wait_for_encodings([*orphans, *jobs]):
            got.append(job.input_path)
    assert got == [job.input_path for job in jobs]
    assert set(info.value.failures) == set(orphans)
    assert all(isinstance(e, ncp.NotFoundError) for e in info.value.failures.values())
    assert str(info.value).startswith("2 of 4 encoding jobs failed: in/")
    assert vod.requests(Route.CATEGORY) == 2  # a permanent failure is not asked again
    del kept


async def test_failures_inline_with_return_exceptions(vod: Vod) -> None:
    _, jobs = await submit(vod, 1)
    ghost = ncp.EncodingJob(None, 999, "ghost.mp4", "in", _at(vod))
    results = [
        r async for r in vod.api.wait_for_encodings(
            [ghost, *jobs], return_exceptions=True
        )
    ]  # fmt: skip
    failure, done = results
    assert isinstance(failure, ncp.PollFailure) and failure.target == ghost
    assert isinstance(failure.error, ncp.NotFoundError)
    assert isinstance(done, ncp.EncodingJob) and done.input_path == jobs[0].input_path


async def test_walks_that_fail_transiently_are_tried_at_the_next_interval() -> None:
    async with served_vod(max_retries=0) as vod:
        _, jobs = await submit(vod, 2)
        vod.emulator.force_faults(
            Fault.UNAVAILABLE, Fault.BAD_GATEWAY_HTML, routes=Route.ENCODING_STATUSES
        )
        done = await wait(vod, jobs, interval=10.0)
        assert len(done) == 2
        # Two failed walks, then walks at 20 s (all done).
        assert vod.slept == [10.0, 10.0] and vod.requests(Route.ENCODING_STATUSES) == 3


async def test_walks_failing_max_failures_times_fail_every_pending_job() -> None:
    async with served_vod(max_retries=0) as vod:
        _, jobs = await submit(vod, 2)
        vod.emulator.force_faults(*[Fault.GATEWAY_TIMEOUT] * 3, routes=Route.ENCODING_STATUSES)
        with pytest.raises(ncp.PollingError) as info:
            await wait(vod, jobs, max_failures=3)
        assert set(info.value.failures) == set(jobs)
        assert all(isinstance(e, ncp.ServerError) for e in info.value.failures.values())
        assert vod.requests(Route.ENCODING_STATUSES) == 3


async def test_an_authentication_failure_stops_the_wait_at_once(vod: Vod) -> None:
    _, jobs = await submit(vod, 2)
    vod.emulator.remove_credentials(vod.emulator.access_key)
    with pytest.raises(ncp.AuthenticationError):
        await wait(vod, jobs)
    assert vod.slept == []


async def test_timeout_names_the_pending_jobs_and_the_failures(vod: Vod) -> None:
    vod.store.encoding_run_seconds = 3600
    _, jobs = await submit(vod, 2)
    ghost = ncp.EncodingJob(None, 4242, "ghost.mp4", "in", _at(vod))
    with pytest.raises(ncp.PollTimeoutError) as info:
        await wait(vod, [*jobs, ghost], timeout=12.0)
    assert info.value.pending == tuple(jobs)
    assert list(info.value.failures) == [ghost]
    assert "2 of 3 encoding jobs still unfinished after 12 s" in str(info.value)
    assert vod.slept == [5.0, 5.0, 2.0]  # walks at 0, 5 and 10 s; at 12 s, the deadline


async def test_breaking_out_leaves_nothing_behind(vod: Vod, leftover_tasks: LeftoverTasks) -> None:
    _, jobs = await submit(vod, 400)
    vod.store.encoding_run_seconds = 0.0
    vod.store.encoding_queue_seconds = 0.0
    vod.emulator.latency = 0.002
    stream = vod.api.wait_for_encodings(jobs, page_size=10, prefetch=8)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await leftover_tasks() == []
    task = asyncio.ensure_future(wait(vod, jobs, page_size=10, prefetch=8))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await leftover_tasks() == []


async def test_bad_arguments_fail_before_anything_is_sent(vod: Vod) -> None:
    job = ncp.EncodingJob(1, 1, "a.mp4")
    with pytest.raises(TypeError, match="EncodingJob"):
        vod.api.wait_for_encodings(["a.mp4"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="page_size"):
        vod.api.wait_for_encodings([job], page_size=5)  # the status list starts at 10
    with pytest.raises(ValueError, match="prefetch"):
        vod.api.wait_for_encodings([job], prefetch=0)
    with pytest.raises(ValueError, match="max_failures"):
        vod.api.wait_for_encodings([job], max_failures=0)
    with pytest.raises(ValueError, match="interval"):
        vod.api.wait_for_encodings([job], interval=-1)
    assert vod.emulator.stats.total_requests == 0
    assert await wait(vod, []) == []
    assert vod.emulator.stats.total_requests == 0


# -- submit then await, under faults --------------------------------------------------------------


async def test_500_files_under_faults_each_submitted_once_and_reported_once() -> None:
    async with served_vod(max_retries=6) as vod:
        cid = vod.store.add_category()
        vod.store.encoding_failure_rate = 0.1
        paths = [f"batch/{i:04d}.mp4" for i in range(500)]
        # Submitting: half the add-files requests fail, every way a request can.
        vod.emulator.fault_plan = FaultPlan(
            seed=14, rate=0.5, kinds=DEFAULT_FAULT_KINDS, routes={Route.ADD_FILES}
        )
        jobs, seen = await _submit_reconciling(vod, cid, paths)
        assert sorted(job.input_path for job in jobs) == paths
        assert seen["taken, found by find_jobs"] and seen["not taken, sent again"]
        assert seen["ids unknown"]
        # Waiting: a fifth of every request fails.
        vod.emulator.fault_plan = FaultPlan(seed=11, rate=0.2, kinds=DEFAULT_FAULT_KINDS)
        reported = Counter[str]()
        async for job in vod.api.wait_for_encodings(
            jobs, interval=5.0
        ):
            reported[job.input_path] += 1
            assert len(job.outputs) == 3 and all(o.terminal for o in job.outputs)
        faults = vod.emulator.stats.faults
    assert reported == dict.fromkeys(paths, 1)  # every job reported exactly once
    assert vod.store.added_inputs == {(cid, p): 1 for p in paths}  # no file submitted twice
    assert faults[Fault.RESET_BEFORE_BODY] and faults[Fault.RESET_MID_BODY]
    assert faults[Fault.TRUNCATED_JSON] + faults[Fault.WRONG_SHAPE]
    assert sum(faults.values()) > 20


async def _submit_reconciling(
    vod: Vod, cid: int, paths: list[str]
) -> tuple[list[ncp.EncodingJob], Counter[str]]:
    """Submit ``paths``, reconciling after every partial failure as ``AddFilesError`` says;
    what happened, counted."""
    jobs: list[ncp.EncodingJob] = []
    seen = Counter[str]()
    todo = list(paths)
    while todo:
        try:
            added = await vod.api.add_files(cid, bucket="in", paths=todo)
        except ncp.AddFilesError as e:
            found = await _until_answered(
                functools.partial(
                    vod.api.find_jobs, cid, e.uncertain, since=e.since, bucket="in"
                )
            )
            taken = {job.input_path for job in found}
            seen["taken, found by find_jobs"] += len(found)
            seen["not taken, sent again"] += len(e.uncertain) - len(found)
            jobs += [*e.jobs, *found]
            todo = [p for p in e.uncertain if p not in taken] + [*e.rejected, *e.unsent]
        except ncp.NcpError:  # the first request refused or not sent: nothing was taken
            seen["refused"] += 1
        else:
            jobs += added
            todo = []
    seen["ids unknown"] = sum(job.file_id is None for job in jobs) - seen[
        "taken, found by find_jobs"
    ]
    return jobs, seen


async def _until_answered(call: Callable[[], Awaitable[list[ncp.EncodingJob]]]) -> Any:
    for _ in range(10):
        try:
            return await call()
        except ncp.NcpError:
            continue
    raise AssertionError("the status list could not be read")


# -- helpers --------------------------------------------------------------------------------------


def _at(vod: Vod) -> Any:
    return datetime.fromtimestamp(vod.clock(), UTC)


def _row(category: int, path: str, output: str, status: str, start_ms: int) -> dict[str, Any]:
    return {
        WORK_START_KEY: start_ms,
        "categoryId": category,
        "categoryName": "c",
        "filePath": path,
        "outputType": output,
        "link": f"https://example.invalid/{output}.mp4",
        "outputTotalSize": 1,
        # The row changed when its work started (a row that last changed before its job was
        # submitted is an earlier job's: see ``wait_for_encodings``).
        "lastWorkTime": datetime.fromtimestamp(start_ms / 1000, KST).isoformat(),
        "status": status,
        "percent": 100.0,
    }
