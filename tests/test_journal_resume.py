"""``journal=`` of ``ingest``, ``import_assets`` and ``add_files`` (issue 17): what a run with an
existing journal does with each key, as the journal left it (finished, created, analysis asked,
or a write of unknown fate), against the emulator; refusals; the command line's ``--journal``.
The kills themselves are tests/test_journal_crash.py's."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from _loopback import LoopbackEmulator
from _vod import Vod, served_vod

import ncp_media_async as ncp
from ncp_media_async._journal import Journal
from ncp_media_async.testing import Emulator, Fault, Route, Scenario

QUICK = {"interval": 0.001, "index_interval": 0.001}
TARGET = {"workspace": "ws", "project": "7", "bucket": "b", "index": True}


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario.empty()


@pytest.fixture
def emulator(ncp_emulator: Emulator) -> Emulator:
    ncp_emulator.media_ai.add_project("ws", 7)
    return ncp_emulator


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "batch.journal"


async def write(path: Path, kind: str, target: dict[str, Any], *records: tuple[Any, ...]) -> None:
    """A journal as a run killed at some point left it: ``(key, event, fields)`` records."""
    async with Journal.open(path, kind, target) as journal:
        for key, event, fields in records:
            await journal.record(key, event, durable=True, **fields)


async def ingest(client: ncp.MediaClient, keys: list[str], path: Path, **options: Any) -> dict[
    str, ncp.IngestResult
]:  # fmt: skip
    results: dict[str, ncp.IngestResult] = {}
    async for result in client.media_ai.ingest(
        "ws", 7, bucket="b", keys=keys, journal=path, **QUICK, **options
    ):
        assert result.key not in results  # each key once
        results[result.key] = result
    return results


# -- ingest ---------------------------------------------------------------------------------------


async def test_ingest_resumes_each_key_where_its_journal_left_it(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    media = ncp_client.media_ai
    # What an earlier run made before it was killed.
    created = await media.import_asset("ws", 7, bucket="b", key="created.mp4")
    lost = await media.import_asset("ws", 7, bucket="b", key="lost-answer.mp4")
    indexing = await media.import_asset("ws", 7, bucket="b", key="indexing.mp4")
    asked = await media.import_asset("ws", 7, bucket="b", key="index-not-taken.mp4")
    older = await media.import_asset("ws", 7, bucket="b", key="older.mp4")  # not this batch's
    analysed = await media.import_asset("ws", 7, bucket="b", key="analysed.mp4")
    for ref in (indexing, asked, analysed):
        while (await media.import_status_of(ref)).upload_status != "COMPLETED":
            pass
    await media.start_index(indexing)  # taken, not picked up yet: its answer was lost
    await media.start_index(analysed)  # taken and done: its answer was lost
    while (await media.index_status(analysed)).status != "ANALYZE_COMPLETED":
        pass
    now = time.time()
    imported = ["COMPLETED", "done"]
    await write(
        path, "ingest", TARGET,
        ("finished.mp4", "intent", {"at": now}),
        ("finished.mp4", "finished", {"asset": "42", "import": imported,
                                      "index": ["ANALYZE_COMPLETED", None, 7], "rerun": False}),
        ("created.mp4", "intent", {"at": now}),
        ("created.mp4", "created", {"asset": created.asset_id, "rerun": False}),
        ("lost-answer.mp4", "intent", {"at": now}),
        ("never-sent.mp4", "intent", {"at": now}),
        ("older.mp4", "intent", {"at": now + 600}),  # its asset is ten minutes older
        ("indexing.mp4", "created", {"asset": indexing.asset_id, "rerun": False}),
        ("indexing.mp4", "imported", {"import": imported, "rerun": False}),
        ("indexing.mp4", "index_intent", {}),
        ("index-not-taken.mp4", "created", {"asset": asked.asset_id, "rerun": False}),
        ("index-not-taken.mp4", "imported", {"import": imported, "rerun": False}),
        ("index-not-taken.mp4", "index_intent", {}),
        ("analysed.mp4", "created", {"asset": analysed.asset_id, "rerun": False}),
        ("analysed.mp4", "imported", {"import": imported, "rerun": False}),
        ("analysed.mp4", "index_intent", {}),
    )  # fmt: skip
    keys = ["finished.mp4", "created.mp4", "lost-answer.mp4", "never-sent.mp4", "older.mp4",
            "indexing.mp4", "index-not-taken.mp4", "analysed.mp4", "new.mp4"]  # fmt: skip
    emulator.reset_stats()

    results = await ingest(ncp_client, keys, path)

    assert next(iter(results)) == "finished.mp4"  # reported first, from the journal
    done = results["finished.mp4"]
    assert done.from_journal and done.ok and done.stage is ncp.IngestStage.DONE
    assert done.ref == ncp.AssetRef("ws", 7, 42) and done.ref.key == "finished.mp4"
    assert done.index_status is not None and done.index_status.index_id == 7
    assert done.import_status is not None and done.import_status.upload_result == "done"
    assert not any(r.from_journal for k, r in results.items() if k != "finished.mp4")
    assert all(r.ok for r in results.values()), results
    assert results["created.mp4"].ref == created
    assert results["lost-answer.mp4"].ref == lost  # found, not imported again
    assert results["indexing.mp4"].ref == indexing
    assert results["older.mp4"].ref != older  # made before the intent: someone else's
    assignments = {key: len(emulator.media_ai.assets_for_key(key)) for key in keys}
    assert assignments == {**dict.fromkeys(keys, 1), "finished.mp4": 0, "older.mp4": 2}
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 3  # never-sent, older, new
    # The analyses of indexing.mp4 and analysed.mp4 are those asked for before: one each.
    assert emulator.media_ai.analyses_requested("ws") == 2 + 6
    assert emulator.stats.requests[Route.ASSETS] == 1  # one walk of the list for all


async def test_a_lost_import_answer_is_reconciled_by_the_next_run(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    keys = ["a.mp4", "b.mp4", "c.mp4"]
    emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.IMPORT_ASSET)
    first = await ingest(ncp_client, keys, path, concurrency=1)
    assert isinstance(first["a.mp4"].error, ncp.OutcomeUnknownError)
    assert first["b.mp4"].ok and first["c.mp4"].ok
    second = await ingest(ncp_client, keys, path)
    assert all(r.ok for r in second.values())
    assert [k for k, r in second.items() if r.from_journal] == ["b.mp4", "c.mp4"]
    assert second["a.mp4"].ref is not None
    assert emulator.media_ai.assets_for_key("a.mp4") == [("ws", "7", second["a.mp4"].ref.asset_id)]
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 3
    assert emulator.media_ai.analyses_requested("ws") == 3


async def test_a_lost_analysis_answer_is_not_asked_again(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    emulator.force_faults(Fault.TRUNCATED_JSON, routes=Route.START_INDEX)
    first = await ingest(ncp_client, ["a.mp4"], path)
    assert isinstance(first["a.mp4"].error, ncp.ResponseError)
    assert first["a.mp4"].stage is ncp.IngestStage.INDEX
    second = await ingest(ncp_client, ["a.mp4"], path)
    assert second["a.mp4"].ok
    assert emulator.media_ai.analyses_requested("ws") == 1
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 1


async def test_a_journal_of_another_batch_is_refused_naming_both(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    await ingest(ncp_client, ["a.mp4"], path)
    before = path.read_bytes()  # noqa: ASYNC240
    with pytest.raises(ncp.JournalError) as caught:
        await ingest(ncp_client, ["a.mp4"], path, index=False)
    said = str(caught.value)
    assert "'bucket': 'b', 'index': True} (format 1), not 'ingest'" in said
    assert "'index': False} (format 1)" in said
    with pytest.raises(ncp.JournalError, match=r"holds 'ingest' .* not 'import'"):
        async for _ in ncp_client.media_ai.import_assets("ws", 7, bucket="b", keys=["a.mp4"],
                                                         journal=path):  # fmt: skip
            pass
    assert path.read_bytes() == before  # noqa: ASYNC240
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 1


async def test_a_second_run_on_one_journal_is_refused(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    keys = ["a.mp4", "b.mp4"]
    running = ncp_client.media_ai.ingest("ws", 7, bucket="b", keys=keys, journal=path, **QUICK)
    first = await anext(running)
    with pytest.raises(ncp.JournalError, match="in use by another run"):
        await ingest(ncp_client, keys, path)
    rest = [first, *[r async for r in running]]
    assert sorted(r.key for r in rest) == keys
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 2
    assert all(r.from_journal for r in (await ingest(ncp_client, keys, path)).values())


async def test_a_torn_last_record_is_ignored(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    await ingest(ncp_client, ["a.mp4"], path)
    with path.open("ab") as file:
        file.write(b'{"key":"b.mp4","event":"int')  # killed mid-write
    results = await ingest(ncp_client, ["a.mp4", "b.mp4"], path)
    assert results["a.mp4"].from_journal and results["b.mp4"].ok
    assert not results["b.mp4"].from_journal
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 2


# -- import_assets --------------------------------------------------------------------------------


async def test_import_assets_resumes(
    ncp_client: ncp.MediaClient, emulator: Emulator, path: Path
) -> None:
    media = ncp_client.media_ai
    keys = ["a.mp4", "b.mp4", "c.mp4"]
    emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.IMPORT_ASSET)
    first = [
        ref async for ref in media.import_assets(
            "ws", 7, bucket="b", keys=keys, concurrency=1, return_exceptions=True, journal=path
        )
    ]  # fmt: skip
    assert isinstance(first[0], ncp.PollFailure) and first[0].target == "a.mp4"
    second = [
        ref async for ref in media.import_assets("ws", 7, bucket="b", keys=keys, journal=path)
    ]
    assert [(r.key, r.from_journal) for r in second] == [
        ("b.mp4", True), ("c.mp4", True), ("a.mp4", False)
    ]  # fmt: skip
    assert second[:2] == first[1:]
    assert all(len(emulator.media_ai.assets_for_key(key)) == 1 for key in keys)
    assert emulator.stats.requests[Route.IMPORT_ASSET] == 3


# -- add_files ------------------------------------------------------------------------------------


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


async def test_add_files_resumes_from_its_journal_and_reconciles(vod: Vod, path: Path) -> None:
    category = vod.store.add_category()
    paths = [f"in/clip-{i:03d}.mp4" for i in range(250)]
    vod.emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.ADD_FILES)  # the 1st, lost
    vod.store.encoding_queue_seconds = 0.0
    with pytest.raises(ncp.AddFilesError) as caught:
        await vod.api.add_files(category, bucket="b", paths=paths, journal=path)
    assert len(caught.value.uncertain) == 100 and len(caught.value.unsent) == 150
    vod.clock.advance(5)

    jobs = await vod.api.add_files(category, bucket="b", paths=paths, journal=path)

    assert [job.input_path for job in jobs] == paths  # in input order
    assert not any(job.from_journal for job in jobs)
    assert [job.file_id is None for job in jobs] == [True] * 100 + [False] * 150  # found
    assert all(vod.store.added_inputs[(category, p)] == 1 for p in paths)
    assert vod.requests(Route.ADD_FILES) == 3

    again = await vod.api.add_files(category, bucket="b", paths=paths[::-1], journal=path)
    assert again == [attrs.evolve(job, from_journal=True) for job in jobs[::-1]]
    assert vod.requests(Route.ADD_FILES) == 3
    with pytest.raises(ncp.JournalError, match=r"'category': 13814.* not 'add_files' of"):
        await vod.api.add_files(category, bucket="other", paths=paths, journal=path)


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def mi() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario.empty())
    emulator.media_ai.add_project("ws", 7)
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


@pytest.mark.parametrize(
    "command", [["import"], ["import", "--wait"], ["ingest", "--index-interval", "0.001"]]
)
def test_cli_journal_resumes(mi: LoopbackEmulator, path: Path, command: list[str]) -> None:
    args = [*command, "ws", "7", "a.mp4", "b.mp4", "--bucket", "b", "--journal", str(path),
            "--interval", "0.001"]  # fmt: skip
    first = mi.invoke(*args)
    assert first.exit_code == 0, first.stderr
    again = mi.invoke("--json", *args)
    assert again.exit_code == 0, again.stderr
    assert "2 of them finished before (from the journal)" in again.stderr
    assert mi.emulator.stats.requests[Route.IMPORT_ASSET] == 2


def test_cli_add_files_stopped_says_to_run_again_with_the_journal(path: Path) -> None:
    emulator = Emulator(Scenario.empty())
    category = emulator.vod_station.add_category()
    emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.ADD_FILES)  # its answer lost
    paths = ["a.mp4", "b.mp4"]
    with LoopbackEmulator(emulator) as served:
        args = ["--json", "add-files", str(category), *paths, "--bucket", "b", "--journal",
                str(path)]  # fmt: skip
        first = served.invoke(*args)
        assert first.exit_code == 1
        assert f"run again with --journal {path} to resume" in first.stderr
        again = served.invoke(*args)
    assert again.exit_code == 0, again.stderr
    jobs = [json.loads(line) for line in again.stdout.splitlines()]
    assert [(job["input_path"], job["from_journal"]) for job in jobs] == [
        ("a.mp4", False), ("b.mp4", False)
    ]  # fmt: skip
    assert all(emulator.vod_station.added_inputs[(category, p)] == 1 for p in paths)
