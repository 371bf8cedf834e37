"""Bounded-concurrency polling of many targets, yielding each final result as it lands.

``poll`` is the one building block under ``MediaAI.wait_for_imports`` (and anything else that
watches many things until they finish)::

    async for result in poll(refs, fetch, lambda s: s.terminal, concurrency=64, interval=2.0):
        ...

* At most ``concurrency`` fetches are in flight across the whole batch, never more: the batch is
  worked by that many workers taking the target that is due soonest.
* A target is fetched again ``interval`` seconds (± ``jitter`` of it) after its last answer, and
  never again once ``is_terminal`` said it finished.
* When the gateway answers 429, the client's shared back-off gate holds every request of the
  client, so the whole batch slows down together; ``rate_limit`` adds a client-side pace.
* A target whose polling fails for good (not found, bad request, or transient failures
  ``max_failures`` times in a row) does not stop the others. By default the failures are raised
  together as a ``PollingError`` once every other target finished; with
  ``return_exceptions=True`` each arrives in the stream as a ``PollFailure`` instead.
* An ``AuthenticationError`` or ``PermissionDeniedError`` stops the batch at once: no other
  target can succeed with the same credentials.
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
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from typing import Any, Generic, Literal, TypeVar, overload

import attrs

from . import _defaults
from ._retry import Clock, Sleep
from .errors import (
    ApiError,
    AuthenticationError,
    NcpError,
    PermissionDeniedError,
    PollingError,
    RateLimitError,
    ServerError,
)

__all__ = ["PollFailure", "PollTimeoutError", "RateLimit", "poll"]

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
class RateLimit:
    """A client-side pace: at most ``calls`` requests every ``period`` seconds, evenly spaced.

    ``RateLimit.per_minute(1000)`` is the limit Media AI Understanding documents.
    """

    calls: int
    period: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.calls < 1 or self.period <= 0:
            raise ValueError(f"rate limit needs calls >= 1 and period > 0, got {self}")

    @classmethod
    def per_second(cls, calls: int) -> RateLimit:
        """``calls`` requests a second."""
        return cls(calls, 1.0)

    @classmethod
    def per_minute(cls, calls: int) -> RateLimit:
        """``calls`` requests a minute."""
        return cls(calls, 60.0)

    @property
    def spacing(self) -> float:
        """Seconds between two requests."""
        return self.period / self.calls


class _Pacer:
    """Spaces acquisitions ``spacing`` seconds apart across all workers (no burst)."""

    def __init__(self, limit: RateLimit, clock: Clock, sleep: Sleep) -> None:
        self._spacing = limit.spacing
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    async def acquire(self) -> None:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._spacing
        if slot > now:
            await self._sleep(slot - now)


_FATAL = (AuthenticationError, PermissionDeniedError)
_TRANSIENT = (ServerError, RateLimitError)


def _is_permanent(error: BaseException) -> bool:
    """A failure that another poll of the same target would only repeat (a 4xx answer)."""
    return isinstance(error, ApiError) and not isinstance(error, _TRANSIENT)


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
        pacer: _Pacer | None,
        clock: Clock,
        sleep: Sleep,
        rng: random.Random,
    ) -> None:
        self.fetch = fetch
        self.is_terminal = is_terminal
        self.interval = interval
        self.jitter = jitter
        self.max_failures = max_failures
        self.pacer = pacer
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.seq = itertools.count()
        now = clock()
        # (due time, tie-breaker, target, consecutive failures)
        self.heap: list[tuple[float, int, K, int]] = [(now, next(self.seq), t, 0) for t in targets]
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
            if self.pacer is not None:
                await self.pacer.acquire()
            try:
                result = await self.fetch(target)
            except _FATAL as exc:
                self.outbox.put_nowait(("fatal", exc))
                return
            except NcpError as exc:
                if _is_permanent(exc) or failures + 1 >= self.max_failures:
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
    rate_limit: RateLimit | None = ...,
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
    rate_limit: RateLimit | None = ...,
    max_failures: int = ...,
    return_exceptions: Literal[True],
    clock: Clock = ...,
    sleep: Sleep = ...,
    rng: random.Random | None = ...,
) -> AsyncIterator[R | PollFailure[K]]: ...


async def poll(
    targets: Iterable[K],
    fetch: Callable[[K], Awaitable[R]],
    is_terminal: Callable[[R], bool],
    *,
    concurrency: int = _defaults.POLL_CONCURRENCY,
    interval: float = _defaults.POLL_INTERVAL,
    timeout: float | None = None,
    jitter: float = _defaults.POLL_JITTER,
    rate_limit: RateLimit | None = None,
    max_failures: int = 3,
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
        rate_limit: an optional client-side pace across the batch.
        max_failures: transient failures in a row (5xx, 429 or transport errors that outlived
            the client's own retries) after which a target counts as failed.
        return_exceptions: yield ``PollFailure`` items instead of raising ``PollingError`` at
            the end.
        clock, sleep, rng: injectable time source (seconds), sleep and jitter source.

    Raises:
        PollingError: at the end, if some targets failed (unless ``return_exceptions``).
        PollTimeoutError: when ``timeout`` passed before every target finished.
        AuthenticationError, PermissionDeniedError: at once; the batch stops.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if interval < 0 or not 0 <= jitter < 1:
        raise ValueError("interval must be >= 0 seconds and jitter within [0, 1)")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout}")
    if max_failures < 1:
        raise ValueError(f"max_failures must be >= 1, got {max_failures}")
    unique = list(dict.fromkeys(targets))
    if not unique:
        return
    batch: _Batch[K, R] = _Batch(
        unique,
        fetch,
        is_terminal,
        interval=interval,
        jitter=jitter,
        max_failures=max_failures,
        pacer=None if rate_limit is None else _Pacer(rate_limit, clock, sleep),
        clock=clock,
        sleep=sleep,
        rng=rng or random.Random(),
    )

    async def alarm() -> None:
        assert timeout is not None
        await sleep(timeout)
        batch.outbox.put_nowait(("timeout", None))

    tasks = [asyncio.ensure_future(batch.worker()) for _ in range(min(concurrency, len(unique)))]
    if timeout is not None:
        tasks.append(asyncio.ensure_future(alarm()))
    failures: dict[K, BaseException] = {}
    remaining = len(unique)
    try:
        while remaining:
            kind, value = await batch.outbox.get()
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
                    f"{len(batch.pending)} of {len(unique)} targets still pending after "
                    f"{timeout} s",
                    failures=failures,
                    pending=tuple(t for t in unique if t in batch.pending),
                )
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
    if failures:
        raise PollingError(
            f"{len(failures)} of {len(unique)} targets failed: "
            + ", ".join(f"{t}: {e}" for t, e in itertools.islice(failures.items(), 3))
            + (" ..." if len(failures) > 3 else ""),
            failures=failures,
        )

