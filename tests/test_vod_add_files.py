"""``add_files``: checked before sending, 100 inputs a request, never a file sent twice, and what
the caller learns (and can reconcile) when a request fails part-way."""

from __future__ import annotations

import logging
import pickle
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from _vod import Vod, served_vod

import ncp_media_async as ncp
from ncp_media_async.testing import Fault, Route
from ncp_media_async.testing import _vod_station as emulated

PATHS = [f"in/clip-{i:03d}.mp4" for i in range(250)]


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


@pytest.fixture
def bodies(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every add-files body the emulator reads, as it read it."""
    seen: list[dict[str, Any]] = []
    read = emulated._add_files_request

    def record(body: Any) -> Any:
        seen.append(body)
        return read(body)

    monkeypatch.setattr(emulated, "_add_files_request", record)
    return seen


def fail_after(
    monkeypatch: pytest.MonkeyPatch, vod: Vod, handled: int, *faults: Fault
) -> None:
    """Once the emulator has handled ``handled`` add-files requests, the next ones fail with
    ``faults`` (one request per fault)."""
    read = emulated._add_files_request
    count = 0

    def counting(body: Any) -> Any:
        nonlocal count
        count += 1
        if count == handled:
            vod.emulator.force_faults(*faults, routes=Route.ADD_FILES)
        return read(body)

    monkeypatch.setattr(emulated, "_add_files_request", counting)


# -- checked before sending -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"bucket": "b", "paths": ["a.mp4"], "urls": ["https://h/a.mp4"]}, ValueError, "not both"),
        ({"urls": ["https://h/a.mp4"], "bucket": "b"}, ValueError, "not both"),
        ({}, ValueError, "nothing to add"),
        ({"bucket": "b"}, ValueError, "nothing to add"),
        ({"paths": ["a.mp4"]}, ValueError, "bucket .* is required"),
        ({"bucket": " ", "paths": ["a.mp4"]}, ValueError, "bucket .* is required"),
        ({"bucket": "b", "paths": []}, ValueError, "list of inputs is empty"),
        ({"bucket": "b", "paths": "a.mp4"}, TypeError, "collection of strings, not str"),
        ({"bucket": "b", "paths": ["a.mp4", ""]}, ValueError, "paths must not be empty"),
        ({"bucket": "b", "paths": ["a.mp4", 3]}, TypeError, "paths must be a str, got int"),
        ({"urls": ["ftp://h/a.mp4"]}, ValueError, "http:// or https://"),
        ({"bucket": "b", "paths": ["a"], "notification": "x"}, ValueError, "notification"),
        ({"bucket": "b", "paths": ["a"], "output": {"bucketName": "o"}}, TypeError, "Settings"),
        (
            {"bucket": "b", "paths": ["a"], "output": ncp.OutputSettings(bucket_name="o")},
            ValueError,
            "output.file_path is required",
        ),
        (
            {"bucket": "b", "paths": ["a"],
             "output": ncp.OutputSettings(bucket_name="o", file_path="x" * 257)},
            ValueError,
            "at most 256",
        ),
    ],
)  # fmt: skip
async def test_bad_arguments_fail_before_anything_is_sent(
    vod: Vod, kwargs: dict[str, Any], error: type[Exception], says: str
) -> None:
    cid = vod.store.add_category()
    with pytest.raises(error, match=says):
        await vod.api.add_files(cid, **kwargs)
    assert vod.emulator.stats.total_requests == 0


@pytest.mark.parametrize("category_id", ["abc", "", True, 1.5, "-3"])
async def test_a_category_id_must_be_a_number(vod: Vod, category_id: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        await vod.api.add_files(category_id, bucket="b", paths=["a.mp4"])
    assert vod.emulator.stats.total_requests == 0


# -- 100 inputs a request --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [1]), (100, [100]), (101, [100, 1]), (250, [100, 100, 50])]
)
async def test_inputs_go_100_to_a_request_and_every_one_gets_its_job(
    vod: Vod, bodies: list[dict[str, Any]], count: int, sizes: list[int]
) -> None:
    cid = vod.store.add_category()
    jobs = await vod.api.add_files(str(cid), bucket="input", paths=PATHS[:count])
    assert [len(body["pathList"]) for body in bodies] == sizes
    assert vod.requests(Route.ADD_FILES) == len(sizes)
    assert [job.input_path for job in jobs] == PATHS[:count]
    assert [job.file_id for job in jobs] == vod.store.file_ids  # ids in input order
    assert {(job.category_id, job.bucket_name) for job in jobs} == {(cid, "input")}
    assert all(n == 1 for n in vod.store.added_inputs.values())
    assert len(vod.store.added_inputs) == count
    # When each request left, by the gateway's clock (the client signs with the same clock).
    assert {job.submitted_at for job in jobs} == {datetime.fromtimestamp(vod.clock(), UTC)}


async def test_the_body_follows_the_current_documents(
    vod: Vod, bodies: list[dict[str, Any]]
) -> None:
    cid = vod.store.add_category(name="VOD-Callback", notification_url="https://cat.example/cb")
    output = ncp.OutputSettings(bucket_name="out", file_path="/vod", without_category_name=True)
    await vod.api.add_files(
        cid, bucket="input-bucket", paths=["VODStation.mp4"],
        notification="https://files.example/cb", output=output,
    )  # fmt: skip
    assert bodies == [
        {
            "bucketName": "input-bucket",
            "pathList": ["VODStation.mp4"],
            "notification": "https://files.example/cb",  # not the older notificationUrl
            "output": {"bucketName": "out", "filePath": "/vod", "withoutCategoryName": True},
        }
    ]
    (row, *_) = vod.store.encoding_statuses()
    assert row["link"].startswith("https://kr.object.ncloudstorage.com/out/vod/")


async def test_url_inputs(vod: Vod, bodies: list[dict[str, Any]]) -> None:
    cid = vod.store.add_category()
    urls = ["https://cdn.example/a.mp4", "http://cdn.example/dir/b.mov"]
    jobs = await vod.api.add_files(cid, urls=urls)
    assert bodies == [{"httpDownloadUrlList": urls}]
    assert [(j.input_path, j.bucket_name) for j in jobs] == [(u, None) for u in urls]


async def test_the_emulator_refuses_both_input_forms_and_takes_the_older_field_name(
    vod: Vod,
) -> None:
    # What a client that does not check would meet (the emulator accepts notificationUrl too).
    cid = vod.store.add_category()
    body = {"bucketName": "b", "pathList": ["a"], "httpDownloadUrlList": ["https://h/a"]}
    with pytest.raises(ncp.BadRequestError) as info:
        await vod.api._write("PUT", ("category", str(cid), "add-files"), dict, json=body)
    assert info.value.code == "260002"
    await vod.api._write(
        "PUT", ("category", str(cid), "add-files"), dict,
        json={"bucketName": "b", "pathList": ["a.mp4"],
              "notificationUrl": "http://127.0.0.1:9/old-cb"},
    )  # fmt: skip
    deliveries = await vod.store.drain_callbacks()  # the 3 WAITING (nobody listens there)
    assert [d.url for d in deliveries] == ["http://127.0.0.1:9/old-cb"] * 3
    assert vod.store.pending_callbacks == 6  # RUNNING and COMPLETE of the 3 options, later
    with pytest.raises(ncp.BadRequestError):
        await vod.api._write(
            "PUT", ("category", str(cid), "add-files"), dict,
            json={"bucketName": "b", "pathList": [f"{i}" for i in range(101)]},
        )  # fmt: skip


# -- failures part-way ----------------------------------------------------------------------------


async def test_a_request_that_may_have_arrived_is_never_sent_again(
    vod: Vod, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = vod.store.add_category()
    fail_after(monkeypatch, vod, 1, Fault.RESET_BEFORE_BODY)
    with pytest.raises(ncp.AddFilesError) as info:
        await vod.api.add_files(cid, bucket="in", paths=PATHS)
    error = info.value
    assert vod.requests(Route.ADD_FILES) == 2  # the second was not sent again
    assert [job.input_path for job in error.jobs] == PATHS[:100]
    assert error.uncertain == tuple(PATHS[100:200])
    assert error.unsent == tuple(PATHS[200:])
    assert error.rejected == ()
    assert isinstance(error.error, ncp.OutcomeUnknownError)
    assert error.__cause__ is error.error
    assert error.category_id == cid and error.since is not None
    assert str(error).startswith(
        f"add_files to category {cid} stopped (100 submitted, 100 uncertain (may have been "
        "submitted), 50 not sent): OutcomeUnknownError"
    )
    # Reconcile: the reset came before the service, so nothing uncertain shows in the list.
    found = await vod.api.find_jobs(cid, error.uncertain, since=error.since, bucket="in")
    assert found == []
    again = await vod.api.add_files(cid, bucket="in", paths=[*error.uncertain, *error.unsent])
    assert len(error.jobs) + len(again) == 250
    assert Counter(vod.store.added_inputs.values()) == {1: 250}  # no file submitted twice


async def test_a_broken_answer_after_the_service_acted_is_found_by_find_jobs(vod: Vod) -> None:
    cid = vod.store.add_category()
    vod.emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.ADD_FILES)
    with pytest.raises(ncp.AddFilesError) as info:
        await vod.api.add_files(cid, bucket="in", paths=PATHS[:150])
    error = info.value
    assert (len(error.jobs), len(error.uncertain), len(error.unsent)) == (0, 100, 50)
    assert vod.requests(Route.ADD_FILES) == 1
    found = await vod.api.find_jobs(cid, error.uncertain, since=error.since, bucket="in")
    assert [job.input_path for job in found] == PATHS[:100]  # the service took them
    assert all(job.file_id is None and job.bucket_name == "in" for job in found)
    assert all(len(job.outputs) == 3 for job in found)  # as the list shows them now
    assert {o.status for job in found for o in job.outputs} == {ncp.EncodingState.WAITING}
    await vod.api.add_files(cid, bucket="in", paths=error.unsent)
    assert Counter(vod.store.added_inputs.values()) == {1: 150}


@pytest.mark.parametrize("fault", [Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE])
async def test_a_success_whose_body_cannot_be_read_keeps_going_without_ids(
    vod: Vod, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    cid = vod.store.add_category()
    vod.emulator.force_faults(fault, routes=Route.ADD_FILES)
    with caplog.at_level(logging.WARNING, "ncp_media_async"):
        jobs = await vod.api.add_files(cid, bucket="in", paths=PATHS[:120])
    assert [job.input_path for job in jobs] == PATHS[:120]
    assert [job.file_id for job in jobs[:100]] == [None] * 100  # taken, ids unknown
    assert [job.file_id for job in jobs[100:]] == vod.store.file_ids[100:]
    assert vod.requests(Route.ADD_FILES) == 2
    assert Counter(vod.store.added_inputs.values()) == {1: 120}
    assert "their ids are unknown" in caplog.text


async def test_a_gateway_5xx_is_uncertain_even_on_the_first_request(vod: Vod) -> None:
    cid = vod.store.add_category()
    vod.emulator.force_faults(Fault.UNAVAILABLE, routes=Route.ADD_FILES)
    with pytest.raises(ncp.AddFilesError) as info:
        await vod.api.add_files(cid, bucket="in", paths=PATHS[:10])
    assert info.value.jobs == () and info.value.uncertain == tuple(PATHS[:10])
    assert isinstance(info.value.error, ncp.ServerError)
    assert vod.requests(Route.ADD_FILES) == 1  # a 503 to a write is not repeated


async def test_throttling_is_retried_and_when_it_persists_the_inputs_were_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served_vod(max_retries=2) as vod:
        cid = vod.store.add_category()
        vod.emulator.force_faults(Fault.THROTTLE, routes=Route.ADD_FILES)
        jobs = await vod.api.add_files(cid, bucket="in", paths=PATHS[:5])
        assert len(jobs) == 5 and vod.requests(Route.ADD_FILES) == 2  # a 429 was not acted on
        fail_after(monkeypatch, vod, 1, *[Fault.THROTTLE] * 3)
        vod.emulator.reset_stats()
        with pytest.raises(ncp.AddFilesError) as info:
            await vod.api.add_files(cid, bucket="in", paths=PATHS)
        error = info.value
        assert (len(error.jobs), error.uncertain) == (100, ())
        assert error.rejected == tuple(PATHS[100:200]) and error.unsent == tuple(PATHS[200:])
        assert isinstance(error.error, ncp.RateLimitError)
        assert vod.requests(Route.ADD_FILES) == 4  # 1 + 3 throttled tries of the second


async def test_the_first_request_refused_raises_its_own_error(vod: Vod) -> None:
    with pytest.raises(ncp.NotFoundError) as info:
        await vod.api.add_files(4242, bucket="in", paths=PATHS)
    assert info.value.code == "260004"
    assert vod.requests(Route.ADD_FILES) == 1  # the other chunks were not sent


async def test_no_connection_at_all_is_a_transport_error() -> None:
    async with served_vod() as vod:
        url = vod.server.url
        creds = vod.server.credentials
    async with ncp.MediaClient(
        creds, endpoints=ncp.Endpoints.at(url), retry=ncp.RetryPolicy(max_retries=0)
    ) as client:
        with pytest.raises(ncp.TransportError) as info:
            await client.vod_station.add_files(1, bucket="in", paths=PATHS)
    assert not isinstance(info.value, ncp.OutcomeUnknownError)


def test_add_files_error_pickles_and_stays_short() -> None:
    job = ncp.EncodingJob(7, 1, "a.mp4", "b")
    error = ncp.AddFilesError(
        category_id=1, since=datetime(2025, 8, 19, tzinfo=UTC), jobs=[job],
        uncertain=["x" * 10_000], unsent=["c"],
        error=ncp.ServerError("down " * 1000, status=503),
    )  # fmt: skip
    again = pickle.loads(pickle.dumps(error))
    assert (again.jobs, again.uncertain, again.unsent) == ((job,), ("x" * 10_000,), ("c",))
    assert again.since == error.since and again.rejected == ()
    assert str(again) == str(error) and len(str(error)) <= 500

