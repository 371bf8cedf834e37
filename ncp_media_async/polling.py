"""Bounded-concurrency polling of many targets, yielding each final result as it lands.

Two schedules, for the two ways the services report progress:

* ``poll`` asks about each target on its own (``MediaAI.wait_for_imports``: one import-status
  request per asset)::

      async for result in poll(refs, fetch, lambda s: s.terminal, concurrency=64, interval=2.0):
          ...

* ``sweep`` walks one list again and again, where one walk reports on many things at once
  (``VodStation.watch_encoding_statuses``: the encoding status list).

What ``poll`` guarantees:

* At most ``concurrency`` fetches are in flight across the whole batch, never more: the batch is
  worked by that many workers taking the target that is due soonest.
* A target is fetched again ``interval`` seconds (± ``jitter`` of it) after its last answer, and
  never again once ``is_terminal`` said it finished.
* The poller only schedules. Everything that spans requests (retries, the 429 gate that slows
  the whole client down together, the client-wide rate limit, the connection limit, clock
  calibration) is the transport's; what a failure means is ``_retry.classify``'s, the same
  classifier the transport retries by.
* A target whose polling fails for good (a permanent failure such as not found or bad request,
  or transient failures ``max_failures`` times in a row, each after the transport's own retries)
  does not stop the others. By default the failures are raised together as a ``PollingError``
  once every other target finished; with ``return_exceptions=True`` each arrives in the stream
  as a ``PollFailure`` instead.
* A fatal failure (``AuthenticationError``, ``PermissionDeniedError``) stops the batch at once:
  no other target can succeed with the same credentials.
* ``timeout`` (seconds) bounds the whole wait; when it passes, ``PollTimeoutError`` names the
  targets still pending.
* Cancelling the consumer, breaking out of the loop or an error stops every worker; no task is
  left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
)
from typing import Any, Generic, Literal, TypeVar, overload

import attrs

from . import _defaults
from ._retry import Clock, Sleep, Verdict, classify
from .errors import NcpError, PollingError

__all__ = ["PollFailure", "PollTimeoutError", "poll", "sweep"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class PollTimeoutError(PollingError, TimeoutError):
    """The batch's ``timeout`` passed; ``pending`` names the targets still unfinished."""


@attrs.frozen
class PollFailure(Generic[K]):
    """A target whose polling failed for good, and why (with ``return_exceptions=True``)."""

    target: K
    error: BaseException


class _Batch(Generic[K, R]):
    """The shared state of one ``poll`` call: the schedule, the workers and the outbox."""

    def __init__(
        self,
        targets: list[K],
        fetch: Callable[[K], Awaitable[R]],
        is_terminal: Callable[[R], bool],
        *,
        interval: float,
        jitter: float,
        max_failures: int,
        clock: Clock,
        sleep: Sleep,
        rng: random.Random,
    ) -> None:
        self.fetch = fetch
        self.is_terminal = is_terminal
        self.interval = interval
        self.jitter = jitter
        self.max_failures = max_failures
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.seq = itertools.count()
        now = clock()
        # (due time, tie-breaker, target, consecutive failures)
        self.heap: list[tuple[float, int, K, int]] = [(now, next(self.seq), t, 0) for t in targets]
        self.targets = targets
        self.pending: set[K] = set(targets)
        self.outbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.idle: list[asyncio.Future[None]] = []

    def _push(self, target: K, failures: int) -> None:
        spread = self.interval * self.jitter
        due = self.clock() + self.interval + (self.rng.uniform(-spread, spread) if spread else 0.0)
        heapq.heappush(self.heap, (due, next(self.seq), target, failures))
        if self.idle:
            waiter = self.idle.pop()
            if not waiter.done():
                waiter.set_result(None)

    def _finish(self, target: K, kind: str, value: Any) -> None:
        self.pending.discard(target)
        self.outbox.put_nowait((kind, value))
        if not self.pending:
            for waiter in self.idle:
                if not waiter.done():
                    waiter.set_result(None)
            self.idle.clear()

    async def run(
        self, concurrency: int, timeout: float | None, return_exceptions: bool
    ) -> AsyncGenerator[Any, None]:
        """Work the batch with ``concurrency`` workers and yield final results as they land."""
        targets = self.targets
        if not targets:
            return

        async def alarm() -> None:
            assert timeout is not None
            await self.sleep(timeout)
            self.outbox.put_nowait(("timeout", None))

        workers = min(concurrency, len(targets))
        tasks = [asyncio.ensure_future(self.worker()) for _ in range(workers)]
        if timeout is not None:
            tasks.append(asyncio.ensure_future(alarm()))
        failures: dict[K, BaseException] = {}
        remaining = len(targets)
        try:
            while remaining:
                kind, value = await self.outbox.get()
                if kind == "done":
                    remaining -= 1
                    yield value
                elif kind == "failed":
                    remaining -= 1
                    if return_exceptions:
                        yield value
                    else:
                        failures[value.target] = value.error
                elif kind == "fatal":
                    raise value
                else:  # timeout
                    raise PollTimeoutError(
                        f"{len(self.pending)} of {len(targets)} targets still pending after "
                        f"{timeout} s",
                        failures=failures,
                        pending=tuple(t for t in targets if t in self.pending),
                    )
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
        if failures:
            raise PollingError(
                f"{len(failures)} of {len(targets)} targets failed: "
                + ", ".join(f"{t}: {e}" for t, e in itertools.islice(failures.items(), 3))
                + (" ..." if len(failures) > 3 else ""),
                failures=failures,
            )

    async def worker(self) -> None:
        """Take due targets until none is left; a crash (a bug in ``fetch`` or ``is_terminal``,
        not an ``NcpError``) is handed to the consumer rather than lost in a task."""
        try:
            await self._work()
        except Exception as exc:
            self.outbox.put_nowait(("fatal", exc))

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:
            if not self.heap:
                # Everything left is being fetched by other workers; wait for one to come back.
                waiter = loop.create_future()
                self.idle.append(waiter)
                await waiter
                continue
            due, _, target, failures = heapq.heappop(self.heap)
            delay = due - self.clock()
            if delay > 0:
                await self.sleep(delay)
            try:
                result = await self.fetch(target)
            except NcpError as exc:
                verdict = classify(exc)
                if verdict is Verdict.FATAL:
                    self.outbox.put_nowait(("fatal", exc))
                    return
                if verdict is Verdict.PERMANENT or failures + 1 >= self.max_failures:
                    self._finish(target, "failed", PollFailure(target, exc))
                else:
                    self._push(target, failures + 1)
                continue
            if self.is_terminal(result):
                self._finish(target, "done", result)
            else:
                self._push(target, 0)


@overload
def poll(
    targets: Iterable[K],
    fetch: Callable[[K], Awaitable[R]],
    is_terminal: Callable[[R], bool],
    *,
    concurrency: int = ...,
    interval: float = ...,
    timeout: float | None = ...,
    jitter: float = ...,
    max_failures: int = ...,
    return_exceptions: Literal[False] = ...,
    clock: Clock = ...,
    sleep: Sleep = ...,
    rng: random.Random | None = ...,
) -> AsyncIterator[R]: ...


@overload
def poll(
    targets: Iterable[K],
    fetch: Callable[[K], Awaitable[R]],
    is_terminal: Callable[[R], bool],
    *,
    concurrency: int = ...,
    interval: float = ...,
    timeout: float | None = ...,
    jitter: float = ...,
    max_failures: int = ...,
    return_exceptions: Literal[True],
    clock: Clock = ...,
    sleep: Sleep = ...,
    rng: random.Random | None = ...,
) -> AsyncIterator[R | PollFailure[K]]: ...


def poll(
    targets: Iterable[K],
    fetch: Callable[[K], Awaitable[R]],
    is_terminal: Callable[[R], bool],
    *,
    concurrency: int = _defaults.POLL_CONCURRENCY,
    interval: float = _defaults.POLL_INTERVAL,
    timeout: float | None = None,
    jitter: float = _defaults.POLL_JITTER,
    max_failures: int = _defaults.POLL_MAX_FAILURES,
    return_exceptions: bool = False,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> AsyncIterator[Any]:
    """Poll every target until ``is_terminal``; yield each final result as soon as it lands.

    Args:
        targets: what to poll (hashable; duplicates are polled once).
        fetch: one request for one target; raises ``NcpError`` subclasses on failure.
        is_terminal: whether a result is final.
        concurrency: the most fetches in flight at once across the batch.
        interval: seconds between two fetches of one target.
        timeout: seconds for the whole batch, ``None`` for no limit.
        jitter: spread of ``interval``, as a fraction (0.1: ± 10 %), so targets drift apart.
        max_failures: transient failures in a row (see ``_retry.classify``), each after the
            client's own retries, after which a target counts as failed.
        return_exceptions: yield ``PollFailure`` items instead of raising ``PollingError`` at
            the end.
        clock, sleep, rng: injectable time source (seconds), sleep and jitter source.

    Bad arguments raise ``ValueError`` here, before anything runs.

    Raises (while iterating):
        PollingError: at the end, if some targets failed (unless ``return_exceptions``).
        PollTimeoutError: when ``timeout`` passed before every target finished.
        AuthenticationError, PermissionDeniedError: at once; the batch stops.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if not interval >= 0 or not 0 <= jitter < 1:
        raise ValueError("interval must be >= 0 seconds and jitter within [0, 1)")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout}")
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 1:
        raise ValueError(f"max_failures must be an int >= 1, got {max_failures!r}")
    batch: _Batch[K, R] = _Batch(
        list(dict.fromkeys(targets)),
        fetch,
        is_terminal,
        interval=interval,
        jitter=jitter,
        max_failures=max_failures,
        clock=clock,
        sleep=sleep,
        rng=rng or random.Random(),
    )
    return batch.run(concurrency, timeout, return_exceptions)


def sweep(
    walk: Callable[[], AsyncGenerator[R, None]],
    finished: Callable[[], bool],
    *,
    interval: float = _defaults.POLL_INTERVAL,
    timeout: float | None = None,
    pending: Callable[[], tuple[Any, ...]] = tuple,
    what: str = "item",
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[R]:
    """Run ``walk()`` every ``interval`` seconds and yield what each walk yields, until
    ``finished()`` is true after a walk.

    ``interval`` is the pause between the end of one walk and the start of the next. ``timeout``
    (seconds, from the first walk) is checked between walks: when the next walk would start
    after it, ``PollTimeoutError`` is raised with ``pending()`` (what is still unfinished) and a
    message counting them as ``what`` (a singular noun; an ``s`` is added for more than one).
    Breaking out of the loop or cancelling closes the walk in progress (its page requests
    included). Bad arguments raise ``ValueError`` here, before anything runs.
    """
    if not interval >= 0:
        raise ValueError(f"interval must be >= 0 seconds, got {interval}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout}")
    return _sweep(walk, finished, interval, timeout, pending, what, clock, sleep)


async def _sweep(
    walk: Callable[[], AsyncGenerator[R, None]],
    finished: Callable[[], bool],
    interval: float,
    timeout: float | None,
    pending: Callable[[], tuple[Any, ...]],
    what: str,
    clock: Clock,
    sleep: Sleep,
) -> AsyncGenerator[R, None]:
    deadline = None if timeout is None else clock() + timeout
    while True:
        async with contextlib.aclosing(walk()) as items:
            async for item in items:
                yield item
        if finished():
            return
        if deadline is not None and clock() + interval >= deadline:
            left = pending()
            noun = what if len(left) == 1 else f"{what}s"
            raise PollTimeoutError(
                f"{len(left)} {noun} still unfinished after {timeout} s", pending=left
            )
        await sleep(interval)
