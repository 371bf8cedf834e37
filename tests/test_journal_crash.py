"""kill -9 at random points of a journaled batch, run again with the same journal, 20 rounds, then
to the end (issue 17): no key imported (or analysed, or encoded) twice, whatever was in flight at
each kill, and every key reported exactly once by each run that finishes.

The client is ``ncp-media`` in a process of its own (``ingest --journal``, ``add-files --wait
--journal``), forked from a server that has imported it (``_crash_worker``), and killed with
SIGKILL once the emulator has seen a random number of its requests: mid-request, between a
request and its journal record, mid-journal-write, while it reconciles. The emulator is served
by the test's own loop, in the test's process: it outlives every client, as the service would,
and counts what each key made. A share of the write answers is lost on the way back (the
request was handled: a reset mid-body, a truncated body) or refused before the service (503),
so that finishing runs meet writes of unknown fate too. Each round prints its figures.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from _crash_worker import context, run, stop_server

from ncp_media_async.testing import Emulator, EmulatorServer, Fault, FaultPlan, Route, Scenario

ROUNDS = 20
#: What a lost answer is: handled by the service, its answer lost on the way back; or refused
#: in front of it (a 503: nothing done).
LOST = [Fault.RESET_MID_BODY, Fault.TRUNCATED_JSON, Fault.UNAVAILABLE]


@pytest.fixture(scope="module")
def forkserver() -> Iterator[Any]:
    yield context()
    stop_server()


@attrs.define
class Outcome:
    """One run of the command: its exit code (-9: killed) and the JSON lines it printed (a
    line a kill tore is left out)."""

    code: int | None
    lines: list[dict[str, Any]]


class Tripwire:
    """The emulator's ``sleep`` (its latency, made tiny, calls it once per request, before
    handling it): ``armed(n)`` is an event set when the ``n``-th request from now arrives."""

    def __init__(self) -> None:
        self.seen = 0
        self.at: tuple[int, asyncio.Event] | None = None

    def armed(self, n: int) -> asyncio.Event:
        self.at = (self.seen + n, asyncio.Event())
        if n == 0:
            self.at[1].set()
        return self.at[1]

    async def sleep(self, _: float) -> None:
        self.seen += 1
        if self.at is not None and self.seen >= self.at[0]:
            self.at[1].set()
        await asyncio.sleep(0)


@attrs.define
class Runner:
    forkserver: Any
    server: EmulatorServer
    tmp: Path
    argv: list[str]
    tripwire: Tripwire
    runs: int = 0

    async def run(self, kill_after: int | None) -> Outcome:
        """One run of ``argv``: killed once the emulator has seen ``kill_after`` more requests
        (or run to its end: ``None``, or when it ends first)."""
        self.runs += 1
        out, err = self.tmp / f"out-{self.runs}", self.tmp / f"err-{self.runs}"
        emulator = self.server.emulator
        env = {
            "NCP_MEDIA_ENDPOINT": self.server.url,
            "NCP_ACCESS_KEY": emulator.access_key,
            "NCP_SECRET_KEY": emulator.secret_key,
        }
        child = self.forkserver.Process(target=run, args=(self.argv, env, str(out), str(err)))
        child.start()
        ended = asyncio.ensure_future(asyncio.to_thread(child.join))  # the emulator serves on
        if kill_after is not None:
            tripped = asyncio.ensure_future(self.tripwire.armed(kill_after).wait())
            await asyncio.wait([ended, tripped], return_when=asyncio.FIRST_COMPLETED)
            tripped.cancel()
            if not ended.done():
                child.kill()
        await ended
        text = out.read_text() if out.exists() else ""  # killed before it opened it
        lines = [json.loads(line) for line in text.splitlines(keepends=True) if line[-1] == "\n"]
        assert child.exitcode in (0, 1, -9), err.read_text() if err.exists() else ""
        return Outcome(child.exitcode, lines)


async def crash_and_finish(
    runner: Runner, items: list[str], name: str, rng: random.Random, most: int
) -> tuple[Outcome, list[Outcome]]:
    """``ROUNDS`` runs killed after 0 to ``most`` requests (a run that ends first counts as
    finished), then runs to the end until one reports every item ok (at most 8). Every run's
    report holds each item at most once, and each finished run's exactly once."""
    finished: list[Outcome] = []
    killed = 0
    for _ in range(ROUNDS):
        outcome = await runner.run(rng.randrange(most + 1))
        killed += outcome.code == -9
        check_reported(outcome, items, name)
        if outcome.code != -9:
            finished.append(outcome)
    for _ in range(8):
        outcome = await runner.run(None)
        check_reported(outcome, items, name)
        finished.append(outcome)
        if outcome.code == 0:
            break
    assert killed >= ROUNDS // 2, f"only {killed} of {ROUNDS} runs were killed"
    print(f"\n{killed} of {ROUNDS} rounds killed (-9)", end="")
    return finished[-1], finished


def check_reported(outcome: Outcome, items: list[str], name: str) -> None:
    """Each item at most once; exactly once by a run that ended, unless it stopped at a
    failed submission (``add-files`` exits 1 with ``AddFilesError``, and reports only the
    files submitted)."""
    reported = Counter(line[name] for line in outcome.lines)
    assert max(reported.values(), default=1) == 1, reported.most_common(3)  # never twice
    if outcome.code == 0 or (outcome.code == 1 and name == "key"):
        assert sorted(reported) == sorted(items)  # each exactly once


async def test_ingest_killed_20_times_imports_and_analyses_each_key_once(
    forkserver: Any, tmp_path: Path
) -> None:
    keys = [f"in/clip-{i:03d}.mp4" for i in range(200)]
    (tmp_path / "keys").write_text("".join(f"{key}\n" for key in keys))
    tripwire = Tripwire()
    emulator = Emulator(Scenario.empty(), latency=1e-9, sleep=tripwire.sleep)
    emulator.media_ai.add_project("ws", 7)
    emulator.fault_plan = FaultPlan(
        seed=17, rate=0.1, kinds=LOST, routes=[Route.IMPORT_ASSET, Route.START_INDEX]
    )
    argv = [
        "--json", "ingest", "ws", "7", "--bucket", "b", "--file", str(tmp_path / "keys"),
        "--journal", str(tmp_path / "ingest.journal"), "--interval", "0",
        "--index-interval", "0", "--concurrency", "32", "--progress", "off",
    ]  # fmt: skip
    async with EmulatorServer(emulator) as server:
        runner = Runner(forkserver, server, tmp_path, argv, tripwire)
        last, finished = await crash_and_finish(runner, keys, "key", random.Random(17), 60)
    media = emulator.media_ai
    assert {key: len(media.assets_for_key(key)) for key in keys} == dict.fromkeys(keys, 1)
    assert media.analyses_requested("ws") == 200  # one analysis per asset
    assert all(line["ok"] for line in last.lines)
    resumed = [sum(line["from_journal"] for line in run.lines) for run in finished]
    assert 0 < resumed[0] < 200
    stats = emulator.stats
    print(
        f"\ningest: {runner.runs} runs ({len(finished)} finished), 200 keys, 200 assets, "
        f"200 analyses; {stats.requests[Route.IMPORT_ASSET]} import and "
        f"{stats.requests[Route.START_INDEX]} analysis requests, {sum(stats.faults.values())} "
        f"answers lost or refused, {stats.requests[Route.ASSETS]} asset-list walks and "
        f"{stats.requests[Route.ASSET]} asset details to reconcile; the finished runs reported "
        f"{resumed} of the 200 keys from the journal"
    )


async def test_add_files_wait_killed_20_times_encodes_each_file_once(
    forkserver: Any, tmp_path: Path
) -> None:
    paths = [f"in/clip-{i:04d}.mp4" for i in range(1000)]
    (tmp_path / "paths").write_text("".join(f"{path}\n" for path in paths))
    tripwire = Tripwire()
    emulator = Emulator(Scenario.empty(), latency=1e-9, sleep=tripwire.sleep)
    store = emulator.vod_station
    store.encoding_queue_seconds = store.encoding_run_seconds = 0.0  # done at the first walk
    category = store.add_category(encoding_options=(1,))
    emulator.fault_plan = FaultPlan(seed=17, rate=0.3, kinds=LOST, routes=[Route.ADD_FILES])
    emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.ADD_FILES)  # the first is lost
    argv = [
        "--json", "add-files", str(category), "--bucket", "b", "--file", str(tmp_path / "paths"),
        "--journal", str(tmp_path / "add-files.journal"), "--wait", "--interval", "0.01",
        "--progress", "off",
    ]  # fmt: skip
    async with EmulatorServer(emulator) as server:
        runner = Runner(forkserver, server, tmp_path, argv, tripwire)
        last, finished = await crash_and_finish(runner, paths, "input_path", random.Random(7), 15)
    encoded = {path: store.added_inputs[(category, path)] for path in paths}
    assert encoded == dict.fromkeys(paths, 1)
    assert all(line["outputs"][0]["status"] == "COMPLETE" for line in last.lines)
    resumed = [sum(line["from_journal"] for line in run.lines) for run in finished]
    stats = emulator.stats
    print(
        f"\nadd-files --wait: {runner.runs} runs ({len(finished)} finished), 1,000 files, "
        f"1,000 encodings; {stats.requests[Route.ADD_FILES]} add-files requests, "
        f"{sum(stats.faults.values())} answers lost or refused; the runs that ended reported "
        f"{resumed} of the 1,000 files from the journal"
    )
