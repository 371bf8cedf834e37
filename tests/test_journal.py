"""The journal of a bulk write (issue 17): round trip, resume after kill -9, refusals, locking,
group commit and cancellation. Nothing here waits for real time: the writer thread is held
and released through ``os.fsync`` with threading events."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

import ncp_media_async as ncp
from ncp_media_async._journal import Journal

ROOT = Path(__file__).resolve().parent.parent
WORKER = str(ROOT / "tests" / "_journal_worker.py")
TARGET = {"workspace": "ws", "project": "p", "bucket": "b"}

LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def append(path: Path, *keys: str) -> None:
    """An intent for each of ``keys``, in a journal opened and closed for them."""

    async def run() -> None:
        async with Journal.open(path, "test", TARGET) as journal:
            for key in keys:
                await journal.record(key, "intent", durable=True)

    asyncio.run(run())


def assert_valid(path: Path) -> None:
    """Every line is whole and parses: a header, then records."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    header, *records = (json.loads(line) for line in data.splitlines())
    assert header == {"format": 1, "kind": "test", "target": TARGET}
    assert all(isinstance(r["key"], str) and isinstance(r["event"], str) for r in records)


class Gate:
    """``os.fsync`` counted, and held (in the writer thread) until ``release``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, held: bool) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self._open = threading.Event()
        if not held:
            self._open.set()
        real = os.fsync

        def fsync(fd: int) -> None:
            self.calls += 1
            self.entered.set()
            assert self._open.wait(30), "the test never released fsync"
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def release(self) -> None:
        self._open.set()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "batch.journal"


async def test_round_trip(path: Path) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        assert journal.entries == {}
        await journal.record("b.mp4", "intent", durable=True, at=1.5)
        await journal.record("a.mp4", "intent", durable=True, at=2.5)
        await journal.record("b.mp4", "created", asset_id="7")
        await journal.record("b.mp4", "finished", state="COMPLETED")
        seen = {k: dict(v) for k, v in journal.entries.items()}
    want = {
        "b.mp4": {"event": "finished", "at": 1.5, "asset_id": "7", "state": "COMPLETED"},
        "a.mp4": {"event": "intent", "at": 2.5},
    }
    assert seen == want
    assert list(seen) == ["b.mp4", "a.mp4"]  # first seen first
    assert_valid(path)
    assert len(lines(path)) == 5
    async with Journal.open(path, "test", TARGET) as again:
        assert again.entries == want and list(again.entries) == ["b.mp4", "a.mp4"]
        await again.record("a.mp4", "created", asset_id="8")
    async with Journal.open(path, "test", TARGET) as third:
        assert third.entries["a.mp4"] == {"event": "created", "at": 2.5, "asset_id": "8"}


async def test_records_not_waited_for_are_written_then_fsynced_with_the_next_durable_one(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        gate = Gate(monkeypatch, held=False)
        written = threading.Event()
        write = os.write

        def counting_write(fd: int, data: bytes) -> int:
            done = write(fd, data)
            written.set()
            return done

        monkeypatch.setattr(os, "write", counting_write)
        await journal.record("a", "created", asset_id="1")  # returns before any write
        await journal.record("a", "imported")
        await asyncio.to_thread(written.wait, 30)  # written at the end of the loop's turn ...
        assert lines(path)[-2:] == [
            b'{"key":"a","event":"created","asset_id":"1"}\n',
            b'{"key":"a","event":"imported"}\n',
        ]
        assert gate.calls == 0  # ... and not fsynced: nobody waits for them
        await asyncio.wait_for(journal.record("a", "finished", durable=True), 30)
        assert gate.calls == 1  # the durable record's fsync covers all three
        assert len(lines(path)) == 4
    assert_valid(path)


async def test_durable_record_covers_every_record_before_it(path: Path) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        for i in range(99):
            await journal.record(f"in/{i}.mp4", "intent", since=1.0, chunk=0)
        await journal.record("in/99.mp4", "intent", durable=True, since=1.0, chunk=0)
        assert [json.loads(line)["key"] for line in lines(path)[1:]] == [
            f"in/{i}.mp4" for i in range(100)
        ]


async def test_bad_field_records_nothing(path: Path) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        with pytest.raises(TypeError):
            await journal.record("a", "intent", durable=True, at=object())
        assert journal.entries == {}
        await journal.record("b", "intent", durable=True)
    assert_valid(path)
    assert len(lines(path)) == 2


async def test_closed_journal_refuses_records(path: Path) -> None:
    journal = Journal.open(path, "test", TARGET)
    await journal.aclose()
    await journal.aclose()  # idempotent
    with pytest.raises(ncp.JournalError, match="closed"):
        await journal.record("a", "intent")


def test_kill_9_at_random_points_loses_no_durable_record(path: Path) -> None:
    """A writer killed at random points, 8 times on one journal: every intent it was told was
    durable is read back, and only the last line can be torn."""
    rng = random.Random(17)
    acknowledged: set[int] = set()
    for round_ in range(8):
        start = round_ * 1_000_000
        child = subprocess.Popen(
            [sys.executable, WORKER, "write", str(path), str(start)], stdout=subprocess.PIPE
        )
        assert child.stdout is not None
        for _ in range(rng.randrange(1, 300)):
            line = child.stdout.readline()
            assert line, "the writer ended before it was killed"
            acknowledged.add(int(line))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        *whole, last = lines(path)
        assert all(line.endswith(b"\n") and json.loads(line) for line in whole)
        torn = not last.endswith(b"\n")
        journal = Journal.open(path, "test", TARGET)
        asyncio.run(journal.aclose())
        if torn:
            assert lines(path) == whole  # cut off, nothing else
        assert_valid(path)
        entries = journal.entries
        assert {n for n in acknowledged if entries.get(f"k{n}", {}).get("n") != n} == set()


@pytest.mark.parametrize(
    "tail", [b'{"key":"b","event":"inte', b'{"key":"b","event":"intent"\n', b"\x00\x00\x00"]
)
def test_torn_last_line_is_cut_before_appending(path: Path, tail: bytes) -> None:
    append(path, "a")
    kept = path.read_bytes()
    path.write_bytes(kept + tail)
    append(path, "c")
    assert path.read_bytes() == kept + b'{"key":"c","event":"intent"}\n'


def test_torn_header_starts_afresh(path: Path) -> None:
    path.write_bytes(b'{"format":1,"kind":"te')
    append(path, "a")
    assert_valid(path)
    assert len(lines(path)) == 2


@pytest.mark.parametrize(
    ("kind", "target", "header", "ours"),
    [
        ("ingest", TARGET, "holds 'test' of {'workspace': 'ws', 'project': 'p', 'bucket': 'b'}",
         "not 'ingest' of {'workspace': 'ws', 'project': 'p', 'bucket': 'b'} (format 1)"),
        ("test", {**TARGET, "bucket": "other"}, "'bucket': 'b'} (format 1), not",
         "'bucket': 'other'} (format 1): a journal belongs to one batch"),
    ],
)
def test_another_batch_is_refused_naming_both(
    path: Path, kind: str, target: dict[str, str], header: str, ours: str
) -> None:
    asyncio.run(Journal.open(path, "test", TARGET).aclose())
    before = path.read_bytes()
    with pytest.raises(ncp.JournalError) as caught:
        Journal.open(path, kind, target)
    assert header in str(caught.value) and ours in str(caught.value)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    asyncio.run(Journal.open(path, "test", TARGET).aclose())  # and the lock was let go


def test_another_format_is_refused_naming_both(path: Path) -> None:
    path.write_bytes(b'{"format":2,"kind":"test","target":{"bucket":"b"}}\n{"key":"a"}\n')
    with pytest.raises(ncp.JournalError, match=r"\(format 2\), not 'test' of .* \(format 1\)"):
        Journal.open(path, "test", {"bucket": "b"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00ftypisom" * 10, "holds no journal header"),
        (b"name,size\nx,1\n", "holds no journal header"),
        (None, "line 2: not a journal record"),
    ],
)
def test_what_is_not_a_journal_is_refused_and_left_alone(
    path: Path, content: bytes | None, message: str
) -> None:
    if content is None:  # a journal with a bad line before its last
        append(path, "a", "b")
        whole = lines(path)
        content = b"".join([whole[0], whole[1][:-3] + b"\n", whole[2]])
    path.write_bytes(content)
    with pytest.raises(ncp.JournalError, match=message):
        Journal.open(path, "test", TARGET)
    assert path.read_bytes() == content


async def test_second_open_in_one_process_is_refused(path: Path) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        await journal.record("a", "intent", durable=True)
        with pytest.raises(ncp.JournalError, match="in use by another run"):
            Journal.open(path, "test", TARGET)
        assert journal.entries["a"]["event"] == "intent"  # the holder goes on
        await journal.record("b", "intent", durable=True)
    async with Journal.open(path, "test", TARGET) as journal:
        assert list(journal.entries) == ["a", "b"]


@pytest.fixture
def holder(path: Path) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        [sys.executable, WORKER, "hold", str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline() == b"locked\n"
    yield child
    child.kill()
    child.wait()
    child.stdin.close()
    child.stdout.close()


def test_second_process_is_refused_until_the_holder_ends(
    path: Path, holder: subprocess.Popen[bytes]
) -> None:
    with pytest.raises(ncp.JournalError, match="in use by another run"):
        Journal.open(path, "test", TARGET)
    holder.send_signal(signal.SIGKILL)  # a killed holder's lock goes with it
    holder.wait()
    asyncio.run(Journal.open(path, "test", TARGET).aclose())


async def test_64_concurrent_durable_records_share_fsyncs(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        gate = Gate(monkeypatch, held=True)
        tasks = [
            asyncio.create_task(journal.record(f"k{i}", "intent", durable=True))
            for i in range(64)
        ]
        await asyncio.sleep(0)  # each task ran up to its wait: every record is queued
        assert len(journal.entries) == 64
        assert not any(task.done() for task in tasks)  # none durable before an fsync
        gate.release()
        await asyncio.gather(*tasks)
        assert 1 <= gate.calls <= 2  # the group waiting behind the first fsync shares the next
    assert_valid(path)
    assert len(lines(path)) == 65


async def test_cancelled_record_still_lands_whole(
    path: Path, monkeypatch: pytest.MonkeyPatch, leftover_tasks: LeftoverTasks
) -> None:
    async with Journal.open(path, "test", TARGET) as journal:
        gate = Gate(monkeypatch, held=True)
        task = asyncio.create_task(journal.record("a", "intent", durable=True, at=1.0))
        await asyncio.to_thread(gate.entered.wait, 30)  # the writer is in its fsync
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.release()
    assert await leftover_tasks() == []
    assert_valid(path)
    async with Journal.open(path, "test", TARGET) as journal:
        assert journal.entries == {"a": {"event": "intent", "at": 1.0}}


async def test_cancelled_close_still_closes(
    path: Path, monkeypatch: pytest.MonkeyPatch, leftover_tasks: LeftoverTasks
) -> None:
    journal = Journal.open(path, "test", TARGET)
    await journal.record("a", "intent", durable=True)
    gate = Gate(monkeypatch, held=True)
    closing = asyncio.create_task(journal.aclose())
    await asyncio.to_thread(gate.entered.wait, 30)  # the final fsync runs
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    with pytest.raises(ncp.JournalError, match="closed"):
        await journal.record("b", "intent")
    gate.release()
    await journal.aclose()  # returns once the writer closed the file
    assert await leftover_tasks() == []
    async with Journal.open(path, "test", TARGET) as again:  # the lock is free
        assert list(again.entries) == ["a"]
    assert_valid(path)


async def test_failed_fsync_is_a_journal_error_for_good(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal.open(path, "test", TARGET)

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ncp.JournalError, match=r"writing .* failed: .*Input/output error"):
        await journal.record("a", "intent", durable=True)
    with pytest.raises(ncp.JournalError, match="failed"):
        await journal.record("b", "intent")
    with pytest.raises(ncp.JournalError, match="failed"):
        await journal.aclose()
    monkeypatch.undo()
    async with Journal.open(path, "test", TARGET):  # closed and unlocked all the same
        pass
