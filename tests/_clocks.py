"""Test doubles for time: nothing in the suite waits out a back-off for real."""

from __future__ import annotations

import asyncio


class Recorder:
    """A monotonic clock that stands still and a sleep that records what it was asked for.

    Nothing waits for real: what the client *would* have waited is in ``slept`` (seconds), in
    order. Pass ``monotonic=rec.monotonic, sleep=rec.sleep`` to a ``MediaClient``.
    """

    def __init__(self, now: float = 10_000.0, *, advancing: bool = False) -> None:
        self.now = now
        self.slept: list[float] = []
        #: Whether a sleep moves the clock on by what it was asked for (time passes only in
        #: sleeps: a poller's intervals and graces run their course at once).
        self.advancing = advancing

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.advancing:
            self.now += seconds
        await asyncio.sleep(0)


class FakeTime:
    """A monotonic clock (call it: seconds) that moves only when someone sleeps, every sleep
    recorded. Its sleep takes no loop turn, so a step that never sleeps completes without
    suspending (``at_once`` in ``test_decide``)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
