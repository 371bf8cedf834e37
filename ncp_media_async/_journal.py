"""The journal of one bulk write: what was asked of the service for each key, and what came of it.

A journal is a local file of JSON lines, one record a line, appended to and never rewritten:

```json
{"format":1,"kind":"ingest","target":{"workspace":"ws","project":"p","bucket":"b"}}
{"key":"in/a.mp4","event":"intent","at":1733000000.5}
{"key":"in/a.mp4","event":"created","asset_id":"123"}
```

Why JSON lines and not ``sqlite3`` in WAL mode: a record is appended with one ``write`` and made
durable with one ``fsync``; the file is read, and mended if need be, with ``grep``, ``tail`` and
an editor; a run killed mid-write leaves at worst a last line without its newline (or one that
does not parse), which the next open cuts off. Measured with the same group commit (10,000 keys
× 5 records, 64 writers, three runs), sqlite in WAL mode with ``synchronous=FULL`` was slower
(1.8-2.0 s against 1.4-1.7 s) for the same loop CPU (8-10 µs a record: the encoding and the
``fsync`` dominate either way), and its crash recovery buys nothing an append-only file needs.

Durability is paid once per group, not per record: records are handed to one writer thread
per journal, which writes what has queued up with one ``write``, and ``fsync``s it when a
durable record is in it; records queued while an ``fsync`` runs go together in the next. A
durable record is handed over at once, with the records not waited for before it; those are
otherwise handed over at the end of the event loop's turn, all in one piece, and fsynced with
the next durable record (or the close). So 64 concurrent ``durable=True`` records cost one or
two ``fsync`` calls, not 64 (``python -m benchmarks journal``: about 60 intents per ``fsync``),
the outcomes between intents cost no ``fsync`` of their own (an ``ingest`` of 2,000 keys, two
intents and four outcomes each: about 180 ``fsync`` calls, where one per group of any record
made 640-1,000), the thread wakes once per turn or durable record, not once per record, and
the event loop never waits for the disk, ``Journal.open`` excepted (it reads the file in the
calling thread). The loop pays the encoding: about 5-8 µs a record.

What survives what: a record is on disk once the ``fsync`` of its group, or of a later one,
returns (a durable record's call returns after that). A process killed (SIGKILL, the OOM
killer) loses only the records not yet written by the writer thread and, at worst, tears the
last line; a machine that loses power may also lose what was written but not yet fsynced (at
most the records since the last durable one), and if that leaves garbage before the last line,
the next open refuses the file (``JournalError`` naming the line) rather than guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import sys
import threading
from collections.abc import Mapping
from typing import IO, Any, Final, Self

from .errors import JournalError

__all__ = ["FORMAT", "Journal"]

#: The version of the file's layout, in its header. A journal of another version is refused.
FORMAT: Final = 1
#: The most of a file read in search of a header line (bytes): a video passed by mistake is
#: refused after this much, not read whole.
_MAX_HEADER: Final = 64 * 1024

if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        # Byte 0, from the position the caller set: released by Windows when the file closes
        # or the process dies.
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        # flock belongs to the open file, not the process: a second open in this process is
        # refused as well. The kernel releases it when the file closes or the process dies.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


#: Compact and ASCII-only: every str (lone surrogates of undecodable file names too) stays on
#: one line. Kept, not rebuilt per call as ``json.dumps(..., separators=...)`` would (``loads``
#: without options uses one kept decoder already).
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"))


def _dumps(record: Mapping[str, Any]) -> bytes:
    return (_ENCODER.encode(record) + "\n").encode()


def _parse(line: bytes) -> Any:
    """What a whole line holds, or ``None`` when it is torn (no newline) or not JSON."""
    try:
        return json.loads(line.decode()) if line.endswith(b"\n") else None
    except (ValueError, RecursionError):
        return None


def _describe(header: Any) -> str:
    if not isinstance(header, dict):
        return "no journal header"
    return f"{header.get('kind')!r} of {header.get('target')} (format {header.get('format')})"


def _read(file: IO[bytes], path: str, header: bytes) -> dict[str, dict[str, Any]]:
    """The entries in ``file`` (positioned at 0); writes the header to an empty file and cuts
    off a torn last line."""
    first = file.readline(_MAX_HEADER)
    if not first.endswith(b"\n") and header.startswith(first):
        # New, or killed while its header was being written (the file is ``first``, a prefix of
        # the header): nothing of a batch to lose, the rest of the header is appended.
        file.write(header[len(first) :])
        file.flush()
        os.fsync(file.fileno())
        if sys.platform != "win32":  # its name made durable too: fsync the directory (POSIX)
            fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return {}
    if (got := _parse(first)) != (want := _parse(header)):
        raise JournalError(
            f"{path} holds {_describe(got)}, not {_describe(want)}: "
            "a journal belongs to one batch; give this one another file"
        )
    entries: dict[str, dict[str, Any]] = {}
    good, torn = len(first), 0
    for number, line in enumerate(file, 2):
        if torn:
            raise JournalError(f"{path}, line {torn}: not a journal record (mend or move it)")
        record = _parse(line)
        if isinstance(record, dict) and isinstance(record.get("key"), str) and "event" in record:
            entries.setdefault(record.pop("key"), {}).update(record)
            good += len(line)
        else:
            torn = number
    file.truncate(good)
    return entries


class Journal(contextlib.AbstractAsyncContextManager["Journal"]):
    """The journal of one bulk write (an ``ingest``, ``import_assets`` or ``add_files``): an
    append-only file of JSON lines that a re-run of the batch reads to resume.

    Open it with ``Journal.open`` and close it with ``aclose`` or ``async with``. Use it from
    one event loop. ``entries`` says what the file says of each key; ``record`` appends.

    Attributes:
        path: the file's path.
    """

    def __init__(self, file: IO[bytes], path: str, entries: dict[str, dict[str, Any]]) -> None:
        """Private: use ``Journal.open``."""
        self.path, self._file, self._entries = path, file, entries
        self._queue: queue.SimpleQueue[tuple[bytes, asyncio.Future[None] | None]]
        self._queue = queue.SimpleQueue()
        #: Records not waited for, not handed to the writer yet (they go with the next durable
        #: record, or at the end of the event loop's turn).
        self._lines: list[bytes] = []
        self._error: JournalError | None = None
        self._closed: asyncio.Future[None] | None = None
        threading.Thread(target=self._write, name="ncp-journal", daemon=True).start()

    @classmethod
    def open(cls, path: str | os.PathLike[str], kind: str, target: Mapping[str, Any]) -> Self:
        """Open the journal at ``path``, creating it (with its header) if it is new or empty.

        Synchronous: it reads the whole file in the calling thread (about 0.3 s for 50,000
        records on a small machine), once, before a batch starts. A last line that a killed run
        left torn (no newline, or not a record) is cut off before anything is appended.

        Args:
            path: the file.
            kind: what the batch does (``"ingest"``, ``"add_files"``).
            target: where it writes (``{"workspace": ..., "project": ..., "bucket": ...}``):
                JSON values, compared as read back.

        Returns:
            The open journal, locked against every other open (in this process or another)
            until it is closed: an exclusive ``flock`` on POSIX, a ``msvcrt`` lock on Windows.

        Raises:
            JournalError: the file is another batch's (its kind, target or format version
                differ; the message names both), another run holds it, or a line before its
                last is not a record (the file is left as it is).
            OSError: the file cannot be opened, read or written.
        """
        path = os.fspath(path)
        header = _dumps({"format": FORMAT, "kind": kind, "target": dict(target)})
        file = open(path, "a+b")  # noqa: SIM115  (closed by the writer thread)
        try:
            file.seek(0)
            try:
                _lock(file.fileno())
            except OSError as e:
                raise JournalError(f"{path} is in use by another run ({e.strerror})") from e
            entries = _read(file, path, header)
        except BaseException:
            file.close()
            raise
        return cls(file, path, entries)

    @property
    def entries(self) -> Mapping[str, Mapping[str, Any]]:
        """What the journal says of each key, in the order keys first appeared: the fields of
        its records merged in order, and ``"event"``, the name of its last record. Includes
        records not yet on disk; a live view, read-only by its type (``record`` changes it)."""
        return self._entries

    async def record(self, key: str, event: str, *, durable: bool = False, **fields: Any) -> None:
        """Append a record ``{"key": key, "event": event, **fields}`` and merge it into
        ``entries`` at once.

        Records reach the file in the order of the calls (one not waited for by the end of the
        event loop's turn) and are fsynced with the next durable record, so a durable record's
        return means every record before it is on disk too: for a run of records (the 100
        paths of one request), make only the last one durable. Cancelling a call never tears a
        line: the record is appended all the same.

        Args:
            key: the item (an Object Storage key, an input path).
            event: what happened (``"intent"``, ``"created"``, ``"finished"``...).
            durable: wait until the record is on disk (written and fsynced): use it for an
                intent, before the request it announces is sent.
            **fields: JSON values (times as epoch seconds, ids as strings).

        Raises:
            JournalError: the journal is closed, or writing it failed (then every later call
                raises it too).
            TypeError: a field is not JSON-serialisable (nothing was recorded).
        """
        if self._error is not None or self._closed is not None:
            raise self._error or JournalError(f"{self.path} is closed")
        self._lines.append(_dumps({"key": key, "event": event, **fields}))
        self._entries.setdefault(key, {}).update(event=event, **fields)
        loop = asyncio.get_running_loop()
        if durable:
            self._hand_over(waiter := loop.create_future())
            await waiter
        elif len(self._lines) == 1:
            loop.call_soon(self._hand_over)

    def _hand_over(self, waiter: asyncio.Future[None] | None = None) -> None:
        """Give the writer thread the records not handed over yet, in one piece (one wake of
        the thread per turn of the loop or durable record, not one per record)."""
        if self._lines:
            self._queue.put((b"".join(self._lines), waiter))
            self._lines = []

    async def aclose(self) -> None:
        """Write and fsync what is queued, then close the file (which releases the lock).
        Idempotent; a cancelled call still closes it.

        Raises:
            JournalError: writing the journal failed.
        """
        if self._closed is None:
            self._closed = asyncio.get_running_loop().create_future()
            self._hand_over()
            self._queue.put((b"", self._closed))
        await asyncio.shield(self._closed)
        if self._error is not None:
            raise self._error

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<Journal {self.path!r}: {len(self._entries):,} keys>"

    def _write(self) -> None:
        """The writer thread: each group queued up meanwhile, one write, and one fsync if a
        durable record is in it."""
        while True:
            group = [self._queue.get()]
            while not self._queue.empty():  # the one reader: what it sees is there
                group.append(self._queue.get_nowait())
            waiters = [waiter for _, waiter in group if waiter is not None]
            if self._error is None:
                try:
                    # Straight to the descriptor (O_APPEND): nothing is left in a buffer.
                    data = memoryview(b"".join(lines for lines, _ in group))
                    while data:
                        data = data[os.write(self._file.fileno(), data) :]
                    if waiters:
                        os.fsync(self._file.fileno())  # else with the next durable record's
                except OSError as e:
                    self._error = JournalError(f"writing {self.path} failed: {e}")
            if self._closed in waiters:
                self._file.close()  # nothing buffered: it cannot fail on a flush
            if waiters:
                with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                    waiters[0].get_loop().call_soon_threadsafe(self._settle, waiters)
            if self._closed in waiters:
                return

    def _settle(self, waiters: list[asyncio.Future[None]]) -> None:
        for waiter in (w for w in waiters if not w.done()):  # done: its caller was cancelled
            if self._error is not None and waiter is not self._closed:
                waiter.set_exception(self._error)
            else:
                waiter.set_result(None)
