"""Waiting for many things at once: the one engine every wait of the client runs on.

``Wait`` steps every target until its step returns a final result, and yields each result as
soon as it lands:

```python
async for status in poll(refs, fetch, lambda s: s.terminal, concurrency=64, interval=2.0):
    ...
```

``MediaAI.wait_for_imports``, ``wait_for_indexes``, ``import_assets`` and ``ingest``,
``VodStation.wait_for_encodings`` and ``watch_encoding_statuses``, and
``LiveStation.wait_for_channel`` all run on it; they differ only in their step. A step does one
piece of work for its target (a request, usually) and returns the target's final result, or
``Again(delay)``: step it again after ``delay`` seconds (``AGAIN``: after ``interval``). A step
may also ``emit`` results before its last (a walk of a list that reports on many things at
once), and then ends with ``DONE``. ``poll`` (one fetch per step, final when ``is_terminal``),
``schedule`` (any step) and ``sweep`` (one target: a list walked again and again) are the three
front doors.

What every wait guarantees, in the same words for all of them:

* ``concurrency``: at most that many steps in flight across the whole wait, never more: the
  wait is worked by that many workers. A free worker takes the step that is due (its target's
  pause is over), the one due soonest first; only when none is due does it start a target not
  started yet (in the order given). A target that can move on never waits behind targets that
  have not begun: no batch barrier.
* ``interval``: seconds between a step that returned ``AGAIN`` and the next step of the same
  target (± ``jitter`` of it, so that targets drift apart). A target whose step returned a final
  result is never stepped again. Targets listed twice are stepped once.
* ``max_failures``: an ``NcpError`` from a step is classified by ``_retry.classify``, the
  classifier the transport retries by. A transient one (after the transport's own retries) steps
  the target again after ``interval``, up to ``max_failures`` failures in a row; a permanent
  one (not found, a refused request) or the last transient one fails the target for good. A step
  that must not run again after a failure (a write) runs with ``max_failures=1``, or catches the
  failure and returns it in its result.
* ``return_exceptions``: a target that failed for good does not stop the others. By default the
  failures are raised together as ``PollingError`` (``failures`` maps target to error) once
  every other target finished; with ``return_exceptions=True`` each arrives among the results
  as a ``PollFailure`` instead.
* A fatal failure stops the whole wait at once, raised as is: ``AuthenticationError`` and
  ``PermissionDeniedError`` (no other target can succeed with the same credentials) and
  ``ClientClosedError`` (the client was closed: one error for the whole wait, whatever the
  number of targets). So does an exception that is not an ``NcpError`` (a bug in a step).
* ``timeout`` (seconds) bounds the whole wait, whatever ``interval`` is, a request or a walk
  under way included: when it passes, the wait stops at once and raises ``PollTimeoutError``,
  whose ``pending`` names every target not reported yet (each target is reported exactly
  once: as a result, a failure, or pending) and whose ``failures`` holds those already failed.
  A pause that would end past the deadline sleeps until the deadline and no further; the
  deadline is read on the wait's clock at every pause, and a step under way is cut by the
  event loop's timer (with an injected clock, as in tests, both agree only if the injected
  time follows the loop's; a test's timeouts fire at its pauses).
* Time is the client's: the clock and the sleep are the transport's (``MediaClient(monotonic=,
  sleep=)``), so ``close()`` wakes every sleeping wait, which then raises ``ClientClosedError``.
* Breaking out of the loop, ``aclose()``, cancelling the consumer or an error stops every
  worker and every request in flight; no task is left behind.

The engine only schedules. Everything that spans requests (retries, the 429 gate that slows the
whole client down together, the rate limit, the connection limit, clock calibration) is the
transport's.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypedDict, Unpack, overload

import attrs
from typing_extensions import TypeVar

from . import _checks, _defaults
from ._retry import Verdict, classify
from .errors import NcpError, PollingError, PollTimeoutError

if TYPE_CHECKING:
    from ._otel import WaitSpan

__all__ = [
    "AGAIN",
    "DONE",
    "Again",
    "PollFailure",
    "PollTimeoutError",
    "Results",
    "Wait",
    "WaitOptions",
    "poll",
    "schedule",
    "sweep",
]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
#: Whether a wait was asked to ``return_exceptions``: ``Results`` is typed by it, so that one
#: signature per wait gives ``R`` items by default and ``R | PollFailure[K]`` items with ``True``.
E = TypeVar("E", Literal[False], Literal[True], bool, default=Literal[False])


@attrs.frozen
class PollFailure(Generic[K]):
    """A target that failed for good, and why (yielded with ``return_exceptions=True``)."""

    target: K
    error: BaseException


@attrs.frozen
class Again:
    """What a step returns while its target is not finished: step it again after ``delay``
    seconds (``None``: the wait's ``interval``), ± the wait's ``jitter``."""

    delay: float | None = None


#: Step again after the wait's ``interval``.
AGAIN: Final = Again()
#: What a step returns when its target is finished and it has ``emit``-ted its results.
DONE: Final = object()


class WaitOptions(TypedDict, Generic[E], total=False):
    """The options of ``poll`` and ``schedule``, by keyword: ``Wait``'s, with its defaults (see
    ``Wait`` and the module docstring for their meaning and units)."""

    concurrency: int
    interval: float
    timeout: float | None
    jitter: float
    max_failures: int
    return_exceptions: E
    clock: _defaults.Clock
    sleep: _defaults.Sleep
    rng: random.Random | None


@attrs.define(eq=False)
class Results(Generic[R, K, E]):
    """What every wait returns: an async iterator over its results, each as soon as it lands.

    Typed by the wait's ``return_exceptions``: ``R`` items, or ``R | PollFailure[K]`` items with
    ``return_exceptions=True``. Iterate it once. ``aclose()`` (or breaking out of ``async for``)
    stops the wait and everything it has in flight.
    """

    _stream: AsyncGenerator[Any, None]

    @overload
    def __aiter__(self: Results[R, K, Literal[False]]) -> AsyncGenerator[R, None]: ...
    @overload
    def __aiter__(self) -> AsyncGenerator[R | PollFailure[K], None]: ...
    def __aiter__(self) -> AsyncGenerator[Any, None]:
        return self._stream

    @overload
    async def __anext__(self: Results[R, K, Literal[False]]) -> R: ...
    @overload
    async def __anext__(self) -> R | PollFailure[K]: ...
    async def __anext__(self) -> Any:
        return await anext(self._stream)

    async def aclose(self) -> None:
        """Stop the wait: cancel what it has in flight (idempotent)."""
        await self._stream.aclose()


class Wait(Generic[E]):
    """One wait: its options (see the module docstring for their meaning; bad values raise
    ``TypeError``/``ValueError`` here, before anything runs) and the engine that ``run``s it.

    Args:
        concurrency: the most steps in flight at once.
        interval: seconds between two steps of one target.
        timeout: seconds for the whole wait, ``None`` for no limit.
        jitter: spread of ``interval`` as a fraction (0.1: ± 10 %).
        max_failures: transient failures in a row after which a target fails for good.
        return_exceptions: yield ``PollFailure`` items instead of raising ``PollingError``.
        what: what a target is, for messages (``"asset"``: "3 of 60 assets failed").
        pending: what a timeout names as pending (default: the targets not reported yet).
        clock: the wait's clock (monotonic, in seconds).
        sleep: the wait's sleep (an async function of seconds).
        rng: the source of the jitter.
    """

    def __init__(
        self,
        *,
        concurrency: int = _defaults.POLL_CONCURRENCY,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        jitter: float = _defaults.POLL_JITTER,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
        return_exceptions: E | Literal[False] = False,
        what: str = "target",
        pending: Callable[[], tuple[Any, ...]] | None = None,
        clock: _defaults.Clock = time.monotonic,
        sleep: _defaults.Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.concurrency = _checks.count("concurrency", concurrency, 1)
        self.interval = _checks.seconds("interval", interval)
        self.timeout = _checks.optional_seconds("timeout", timeout)
        if not _checks.seconds("jitter", jitter) < 1:
            raise ValueError(f"jitter must be a fraction below 1, got {jitter}")
        self.jitter = jitter
        self.max_failures = _checks.count("max_failures", max_failures, 1)
        self.return_exceptions = bool(return_exceptions)
        self.what, self._pending = what, pending
        self.clock, self.sleep, self.rng = clock, sleep, rng or random.Random()
        # (kind, target, value): "done"/"failed" per target, "item" emitted by a step,
        # "fatal"/"timeout" for the whole wait.
        self._outbox: asyncio.Queue[tuple[str, Any, Any]] = asyncio.Queue()
        self._room = asyncio.Semaphore(_defaults.WAIT_BUFFER)  # emitted items not yet taken
        self._heap: list[tuple[float, int, Any, int]] = []  # (due, tie, target, failures)
        self._seq = itertools.count()
        self._targets: list[Any] = []
        self._started = 0  # targets[:started] have been stepped at least once
        self._left: set[Any] = set()  # targets whose final result or failure is not known yet
        self._deadline = math.inf  # on ``clock``, once running with a timeout
        #: The wait's OpenTelemetry span, set by ``Resource._wait`` (``_otel``).
        self.trace: WaitSpan | None = None

    def run(
        self, targets: Iterable[K], step: Callable[[K], Awaitable[R | Again | object]]
    ) -> Results[R, K, E]:
        """Step every target (each once, in the order given) until its step returns a final
        result; the results as they land. A ``Wait`` runs once."""
        return self._run(targets, step, together=False)

    def run_together(
        self,
        targets: Iterable[K],
        step: Callable[[list[K]], Awaitable[Mapping[K, R | Again | NcpError]]],
    ) -> Results[R, K, E]:
        """Like ``run``, for a step that serves every target due at once (one walk of a list
        that reports on many things): ``step(due)`` gives each target of ``due`` its final
        result, ``AGAIN`` (also for a target it leaves out) or the ``NcpError`` it failed with
        (counted as ``run`` counts a step's); an ``NcpError`` it raises fails every target of
        ``due`` alike. One step at a time, each ``interval`` seconds after the last one ended."""
        return self._run(targets, step, together=True)

    def _run(self, targets: Iterable[K], step: Any, together: bool) -> Results[Any, K, E]:
        if self._targets:
            raise RuntimeError("a Wait runs once")
        self._targets = list(dict.fromkeys(targets))
        self._left = set(self._targets)
        results = self._results(step, together)
        return Results(results if self.trace is None else self.trace.wrap(results, len(self._left)))

    async def emit(self, item: Any) -> None:
        """From inside a step: give ``item`` to the consumer now (it waits while many are
        untaken, so that a step cannot run ahead of the consumer)."""
        await self._room.acquire()
        self._outbox.put_nowait(("item", None, item))

    async def _results(self, step: Any, together: bool) -> AsyncGenerator[Any, None]:
        targets, loop, timeout = self._targets, asyncio.get_running_loop(), self.timeout
        # The deadline on the wait's clock, checked before every pause; and the event loop's
        # timer, for a step under way when it passes (a request that hangs).
        self._deadline = math.inf if timeout is None else self.clock() + timeout
        alarm = None if timeout is None else loop.call_later(timeout, self._time_is_up)
        context = None if self.trace is None else self.trace.context
        n = min(1 if together else self.concurrency, len(targets))  # the workers
        tasks = [loop.create_task(self._work(step, together), context=context) for _ in range(n)]
        failures: dict[Any, BaseException] = {}
        # Targets the consumer has not been told about: what a timeout names as pending (a
        # result may land in the turn the alarm goes off, behind it in the outbox).
        unreported = dict.fromkeys(targets)
        try:
            while unreported:
                kind, target, value = await self._outbox.get()
                if kind == "item":
                    self._room.release()
                    yield value
                elif kind in ("done", "failed"):
                    del unreported[target]
                    if kind == "failed" and not self.return_exceptions:
                        failures[target] = value.error
                    elif value is not DONE:
                        yield value
                elif kind == "fatal":
                    raise value
                else:
                    if self._pending is None:
                        pending = tuple(unreported)
                        left = f"{len(pending)} of {len(targets)} {self._plural(len(targets))}"
                    else:
                        pending = self._pending()
                        left = f"{len(pending)} {self._plural(len(pending))}"
                    message = f"{left} still unfinished after {self.timeout:g} s"
                    raise PollTimeoutError(message, failures=failures, pending=pending)
        finally:
            if alarm is not None:
                alarm.cancel()
            for task in tasks:
                task.cancel()
            # Not shielded: a cancellation of the consumer while the workers stop is its own.
            await asyncio.gather(*tasks, return_exceptions=True)
        if failures:
            failed = f"{len(failures)} of {len(targets)} {self._plural(len(targets))} failed"
            shown = ", ".join(f"{t}: {e}" for t, e in itertools.islice(failures.items(), 3))
            more = " ..." if len(failures) > 3 else ""
            raise PollingError(f"{failed}: {shown}{more}", failures=failures)

    def _plural(self, n: int) -> str:
        return self.what if n == 1 else f"{self.what}s"

    def _time_is_up(self) -> None:
        self._outbox.put_nowait(("timeout", None, None))

    async def _pause_until(self, when: float) -> bool:
        """Sleep until ``when`` on the wait's clock; False, after sleeping only until the
        deadline, when ``when`` is at or past it (the wait then times out)."""
        until = min(when, self._deadline)
        if (delay := until - self.clock()) > 0:
            await self.sleep(delay)
        if until == self._deadline:  # ``when`` is at or past it
            self._time_is_up()
        return until != self._deadline

    def _push(self, target: Any, failures: int, delay: float | None = None) -> None:
        pause = self.interval if delay is None else delay
        spread = pause * self.jitter
        due = self.clock() + pause + (self.rng.uniform(-spread, spread) if spread else 0.0)
        heapq.heappush(self._heap, (due, next(self._seq), target, failures))

    def _finish(self, target: Any, kind: str, value: Any) -> None:
        self._left.discard(target)
        self._outbox.put_nowait((kind, target, value))

    def _next(self, waiting: bool = True) -> tuple[float, int, Any, int] | None:
        """The next step to take: (due time, tie, target, failures in a row), or ``None`` when
        every target left is being stepped by another worker (or, unless ``waiting``, when no
        step is due now). A step that is due comes first (the soonest due first); then a target
        not started yet; then the step due soonest."""
        heap, started = self._heap, self._started < len(self._targets)
        if heap and (heap[0][0] <= self.clock() or (waiting and not started)):
            return heapq.heappop(heap)
        if started:
            self._started += 1
            return 0.0, 0, self._targets[self._started - 1], 0
        return None

    async def _work(self, step: Callable[[Any], Awaitable[Any]], together: bool) -> None:
        """One worker: take the next step, pause until it is due, take it, settle what it gave.
        ``together`` (the one worker of ``run_together``): take every step due with it, and
        give ``step`` their targets at once.

        A worker that finds every target left in other workers' hands ends: targets never
        multiply, and the worker that settles one is free to take it again, so no target ever
        waits for a worker."""
        try:
            while self._left:
                taken = self._next()
                if taken is None:  # every target left is another worker's, never to be more
                    return
                due, _, target, failures = taken
                if not await self._pause_until(due):
                    return
                batch: dict[Any, int] = {target: failures}
                while together and (more := self._next(waiting=False)) is not None:
                    batch[more[2]] = more[3]
                outcomes: Mapping[Any, Any]
                try:
                    outcomes = await step([*batch]) if together else {target: await step(target)}
                except NcpError as exc:
                    outcomes = dict.fromkeys(batch, exc)
                for target, failures in batch.items():
                    self._settle(target, failures, outcomes.get(target, AGAIN))
        except Exception as exc:  # a fatal error, a bug: the consumer raises it, not lost in a task
            self._outbox.put_nowait(("fatal", None, exc))

    def _settle(self, target: Any, failures: int, outcome: Any) -> None:
        """What a step gave for ``target``: a result, ``Again``, or an ``NcpError`` to count
        (see ``max_failures``; a fatal one is raised, stopping the wait)."""
        if isinstance(outcome, NcpError):
            verdict = classify(outcome)
            if verdict is Verdict.FATAL:
                raise outcome
            if verdict is Verdict.PERMANENT or failures + 1 >= self.max_failures:
                self._finish(target, "failed", PollFailure(target, outcome))
            else:
                self._push(target, failures + 1)
        elif isinstance(outcome, Again):
            self._push(target, 0, outcome.delay)
        else:
            self._finish(target, "done", outcome)
        if self.trace is not None:
            self.trace.step(len(self._left))


def poll(
    targets: Iterable[K],
    fetch: Callable[[K], Awaitable[R]],
    is_terminal: Callable[[R], bool],
    **options: Unpack[WaitOptions[E]],
) -> Results[R, K, E]:
    """Fetch every target until ``is_terminal`` says its result is final; yield each final
    result as soon as it lands. A ``Wait`` whose step is one ``fetch``; the options
    (``WaitOptions``, by keyword) are ``Wait``'s (see the module docstring).

    Examples:
        ```python
        async for status in poll(refs, client.media_ai.import_status_of, lambda s: s.terminal):
            print(status.asset, status.upload_status)
        ```

    Raises (while iterating): ``PollingError`` at the end if some targets failed (unless
    ``return_exceptions``); ``PollTimeoutError`` when ``timeout`` passed first;
    ``AuthenticationError``, ``PermissionDeniedError``, ``ClientClosedError`` at once.
    """

    async def step(target: K) -> R | Again:
        result = await fetch(target)
        return result if is_terminal(result) else AGAIN

    return schedule(targets, step, **options)


def schedule(
    targets: Iterable[K],
    step: Callable[[K], Awaitable[R | Again]],
    **options: Unpack[WaitOptions[E]],
) -> Results[R, K, E]:
    """Step every target until its step returns a final result; yield each as soon as it does.

    ``step(target)`` returns the final result or ``Again(delay)``. A target keeps its own state
    between steps (the step is a method of a stateful target, say), so a step resumes where the
    previous one stopped. The options (``WaitOptions``, by keyword) are ``Wait``'s (see the
    module docstring).
    """
    return Wait(**options).run(targets, step)


def sweep(
    walk: Callable[[], AsyncGenerator[R, None]],
    finished: Callable[[], bool],
    *,
    interval: float = _defaults.POLL_INTERVAL,
    timeout: float | None = None,
    max_failures: int = _defaults.POLL_MAX_FAILURES,
    pending: Callable[[], tuple[Any, ...]] = tuple,
    what: str = "item",
    clock: _defaults.Clock = time.monotonic,
    sleep: _defaults.Sleep = asyncio.sleep,
) -> AsyncGenerator[R, None]:
    """Run ``walk()`` every ``interval`` seconds (from the end of one walk to the start of the
    next) and yield what each walk yields, until ``finished()`` is true after a walk.

    One target (the list) on the ``Wait`` engine, whose step is one walk: ``timeout`` bounds
    the whole wait, a walk under way included (its page requests are cancelled), and raises
    ``PollTimeoutError`` with ``pending()`` (what is still unfinished, as far as the walks have
    told; counted as ``what``); a walk that fails transiently is walked again after
    ``interval``, up to ``max_failures`` in a row, and then (or at once, for a permanent
    failure) its error is raised. Bad arguments raise before anything runs.
    """
    wait: Wait[Literal[True]] = Wait(
        concurrency=1, interval=interval, timeout=timeout, jitter=0.0,
        max_failures=max_failures, return_exceptions=True, what=what, pending=pending,
        clock=clock, sleep=sleep,
    )  # fmt: skip

    async def step(_: object) -> object:
        async with contextlib.aclosing(walk()) as items:
            async for item in items:
                await wait.emit(item)
        return DONE if finished() else AGAIN

    return raising(wait.run(("list",), step))


async def only(results: Results[R, Any, Literal[True]]) -> R:
    """The result of a wait of one target, its failure raised as is; the wait closed before
    returning (``LiveStation.wait_for_channel``, ``MediaAI.start_index``)."""
    async with contextlib.aclosing(raising(results)) as stream:
        return await anext(stream)  # a wait ends with its target's result or an error


async def raising(results: Results[R, Any, Literal[True]]) -> AsyncGenerator[R, None]:
    """The results of a wait of one target, its failure raised as is rather than yielded as a
    ``PollFailure`` (``sweep``, ``LiveStation.wait_for_channel``)."""
    async with contextlib.aclosing(aiter(results)) as stream:
        async for item in stream:
            if isinstance(item, PollFailure):
                raise item.error
            yield item
