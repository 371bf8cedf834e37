"""Bounded-concurrency polling of many targets, yielding each final result as it lands.

Three schedules, for the ways the services report progress:

* ``poll`` asks about each target on its own (``MediaAI.wait_for_imports``: one import-status
  request per asset)::

      async for result in poll(refs, fetch, lambda s: s.terminal, concurrency=64, interval=2.0):
          ...

* ``schedule`` is what ``poll`` runs on: it calls ``step(target)`` until the step returns a final
  result, and again after ``interval`` seconds each time it returns ``Again`` (``MediaAI.ingest``
  steps each key through import, wait, index, wait; ``poll``'s step is one fetch);
* ``sweep`` walks one list again and again, where one walk reports on many things at once
  (``VodStation.watch_encoding_statuses``: the encoding status list).

What ``poll`` and ``schedule`` guarantee:

* At most ``concurrency`` steps (fetches) are in flight across the whole batch, never more: the
  batch is worked by that many workers. A free worker takes the step that is due (its target's
  pause is over), the one due soonest first; only when none is due does it start a target not
  started yet (in the order given). So a target that can move on never waits behind targets
  that have not begun: no batch barrier, and no more targets under way than the pauses need.
* A target is stepped again ``interval`` seconds (± ``jitter`` of it) after its step returned
  ``Again`` (or the delay that ``Again`` names), and never again once a step returned a final
  result (``poll``: once ``is_terminal`` said it finished).
* The poller only schedules. Everything that spans requests (retries, the 429 gate that slows
  the whole client down together, the client-wide rate limit, the connection limit, clock
  calibration) is the transport's; what a failure means is ``_retry.classify``'s, the same
  classifier the transport retries by.
* A target whose polling fails for good (a permanent failure such as not found or bad request,
  or transient failures ``max_failures`` times in a row, each after the transport's own retries;
  a step that must not be repeated after a failure, such as a write, runs with
  ``max_failures=1`` or turns the failure into its final result) does not stop the others. By
  default the failures are raised together as a ``PollingError`` once every other target
  finished; with ``return_exceptions=True`` each arrives in the stream as a ``PollFailure``
  instead.
* A fatal failure (``AuthenticationError``, ``PermissionDeniedError``) stops the batch at once:
  no other target can succeed with the same credentials.
* ``timeout`` (seconds) bounds the whole wait; when it passes, ``PollTimeoutError`` names the
  targets still pending: every target whose result (or failure) was not given out yet, so that
  each target is reported exactly once, as a result, a failure or pending.
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
from typing import Any, Final, Generic, Literal, TypeVar, overload

import attrs

from . import _defaults
from ._retry import Clock, Sleep, Verdict, classify
from .errors import NcpError, PollingError

__all__ = ["Again", "PollFailure", "PollTimeoutError", "poll", "schedule", "sweep"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class PollTimeoutError(PollingError, TimeoutError):
    """The batch's ``timeout`` passed; ``pending`` names the targets still unfinished."""


@attrs.frozen
class PollFailure(Generic[K]):
    """A target whose polling failed for good, and why (with ``return_exceptions=True``)."""

    target: K
    error: BaseException


@attrs.frozen
class Again:
    """What a ``schedule`` step returns while its target is not finished: step it again after
    ``delay`` seconds (``None``: the schedule's ``interval``), ± the schedule's ``jitter``."""

    delay: float | None = None


#: Step again after the schedule's ``interval``.
AGAIN: Final = Again()


class _Batch(Generic[K, R]):
    """The shared state of one ``schedule`` call: the targets not started yet, the heap of
    those waiting for their next step, the workers' idle list and the outbox."""

    def __init__(
        self,
        targets: list[K],
        step: Callable[[K], Awaitable[R | Again]],
        *,
        interval: float,
        jitter: float,
        max_failures: int,
        clock: Clock,
        sleep: Sleep,
        rng: random.Random,
    ) -> None:
        self.step = step
        self.interval = interval
        self.jitter = jitter
        self.max_failures = max_failures
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.seq = itertools.count()
        # Targets started and waiting: (due time, tie-breaker, target, consecutive failures).
        self.heap: list[tuple[float, int, K, int]] = []
        self.targets = targets
        self.started = 0  # targets[:started] have been stepped at least once
        self.pending: set[K] = set(targets)
        # (kind, target, value): "done"/"failed" per target; "fatal"/"timeout" with no target.
        self.outbox: asyncio.Queue[tuple[str, Any, Any]] = asyncio.Queue()
        self.idle: list[asyncio.Future[None]] = []

    def _push(self, target: K, failures: int, delay: float | None = None) -> None:
        pause = self.interval if delay is None else delay
        spread = pause * self.jitter
        due = self.clock() + pause + (self.rng.uniform(-spread, spread) if spread else 0.0)
        heapq.heappush(self.heap, (due, next(self.seq), target, failures))
        if self.idle:
            waiter = self.idle.pop()
            if not waiter.done():
                waiter.set_result(None)

    def _finish(self, target: K, kind: str, value: Any) -> None:
        self.pending.discard(target)
        self.outbox.put_nowait((kind, target, value))
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
            self.outbox.put_nowait(("timeout", None, None))

        workers = min(concurrency, len(targets))
        tasks = [asyncio.ensure_future(self.worker()) for _ in range(workers)]
        if timeout is not None:
            tasks.append(asyncio.ensure_future(alarm()))
        failures: dict[K, BaseException] = {}
        # Targets whose outcome the consumer has not been given yet: what a timeout names as
        # pending (a step may finish in the turn the alarm goes off, behind it in the outbox).
        unreported = dict.fromkeys(targets)
        try:
            while unreported:
                kind, target, value = await self.outbox.get()
                if kind == "done":
                    del unreported[target]
                    yield value
                elif kind == "failed":
                    del unreported[target]
                    if return_exceptions:
                        yield value
                    else:
                        failures[value.target] = value.error
                elif kind == "fatal":
                    raise value
                else:  # timeout
                    raise PollTimeoutError(
                        f"{len(unreported)} of {len(targets)} targets still pending after "
                        f"{timeout} s",
                        failures=failures,
                        pending=tuple(unreported),
                    )
        finally:
            for task in tasks:
                task.cancel()
            # Not shielded: a cancellation of the consumer while the workers stop is its own.
            await asyncio.gather(*tasks, return_exceptions=True)
        if failures:
            raise PollingError(
                f"{len(failures)} of {len(targets)} targets failed: "
                + ", ".join(f"{t}: {e}" for t, e in itertools.islice(failures.items(), 3))
                + (" ..." if len(failures) > 3 else ""),
                failures=failures,
            )

    async def worker(self) -> None:
        """Take steps until no target is left; a crash (a bug in a step, not an ``NcpError``) is
        handed to the consumer rather than lost in a task."""
        try:
            await self._work()
        except Exception as exc:
            self.outbox.put_nowait(("fatal", None, exc))

    def _next(self) -> tuple[float, K, int] | None:
        """The next step to take: (due time, target, consecutive failures), or ``None`` when
        every target left is being stepped by another worker.

        A step that is due comes first (the soonest due first); then a target not started yet;
        then the step due soonest, to be waited for.
        """
        heap = self.heap
        if heap and (heap[0][0] <= self.clock() or self.started == len(self.targets)):
            due, _, target, failures = heapq.heappop(heap)
            return due, target, failures
        if self.started < len(self.targets):
            target = self.targets[self.started]
            self.started += 1
            return 0.0, target, 0
        return None

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:
            taken = self._next()
            if taken is None:
                # Everything left is being stepped by other workers; wait for one to come back.
                waiter = loop.create_future()
                self.idle.append(waiter)
                await waiter
                continue
            due, target, failures = taken
            delay = due - self.clock()
            if delay > 0:
                await self.sleep(delay)
            try:
                result = await self.step(target)
            except NcpError as exc:
                verdict = classify(exc)
                if verdict is Verdict.FATAL:
                    self.outbox.put_nowait(("fatal", None, exc))
                    return
                if verdict is Verdict.PERMANENT or failures + 1 >= self.max_failures:
                    self._finish(target, "failed", PollFailure(target, exc))
                else:
                    self._push(target, failures + 1)
                continue
            if isinstance(result, Again):
                self._push(target, 0, result.delay)
            else:
                self._finish(target, "done", result)


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

    Bad arguments raise ``ValueError`` here, before anything runs. ``poll`` is ``schedule``
    with a step that fetches once and returns the result if it is terminal, ``AGAIN`` if not.

    Raises (while iterating):
        PollingError: at the end, if some targets failed (unless ``return_exceptions``).
        PollTimeoutError: when ``timeout`` passed before every target finished.
        AuthenticationError, PermissionDeniedError: at once; the batch stops.
    """

    async def step(target: K) -> R | Again:
        result = await fetch(target)
        return result if is_terminal(result) else AGAIN

    return schedule(  # type: ignore[call-overload, no-any-return]
        targets,
        step,
        concurrency=concurrency,
        interval=interval,
        timeout=timeout,
        jitter=jitter,
        max_failures=max_failures,
        return_exceptions=return_exceptions,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )


@overload
def schedule(
    targets: Iterable[K],
    step: Callable[[K], Awaitable[R | Again]],
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
) -> AsyncGenerator[R, None]: ...


@overload
def schedule(
    targets: Iterable[K],
    step: Callable[[K], Awaitable[R | Again]],
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
) -> AsyncGenerator[R | PollFailure[K], None]: ...


def schedule(
    targets: Iterable[K],
    step: Callable[[K], Awaitable[R | Again]],
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
) -> AsyncGenerator[Any, None]:
    """Step every target until its step returns a final result; yield each as soon as it does.

    ``step(target)`` does one piece of work for the target (a request, usually) and returns
    either its final result or ``Again(delay)``: step it again after ``delay`` seconds
    (``AGAIN``: after ``interval``). A target keeps its own state between steps (the step is a
    method of a stateful target, say), so a step resumes where the previous one stopped. The
    arguments, the failures and the order of work are ``poll``'s (see the module docstring): an
    ``NcpError`` from a step is classified; a transient one steps the target again after
    ``interval``, up to ``max_failures`` in a row; a step that must not run again after a
    failure (a write) runs with ``max_failures=1``, or catches the failure and returns it in its
    final result.
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
        step,
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
    (seconds, from the first walk) bounds the whole wait: a walk still under way when it passes
    is stopped (its page requests cancelled), and a walk that would start after it is not
    started; either way ``PollTimeoutError`` is raised with ``pending()`` (what is still
    unfinished, as far as the walks have told) and a message counting them as ``what`` (a
    singular noun; an ``s`` is added for more than one). The time the consumer spends between
    two items is not the walk's and is not cut short. Breaking out of the loop or cancelling
    closes the walk in progress (its page requests included). Bad arguments raise
    ``ValueError`` here, before anything runs.
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

    def timed_out() -> PollTimeoutError:
        left = pending()
        noun = what if len(left) == 1 else f"{what}s"
        return PollTimeoutError(
            f"{len(left)} {noun} still unfinished after {timeout} s", pending=left
        )

    while True:
        async with contextlib.aclosing(walk()) as items:
            while True:
                # Each wait for the walk's next item is bounded, not the consumer's time
                # between items (a timeout spanning a ``yield`` would cancel the consumer).
                limit = asyncio.timeout(None if deadline is None else max(deadline - clock(), 0))
                try:
                    async with limit:
                        item = await anext(items)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    if limit.expired():
                        raise timed_out() from None
                    raise
                yield item
        if finished():
            return
        if deadline is not None and clock() + interval >= deadline:
            raise timed_out()
        await sleep(interval)
