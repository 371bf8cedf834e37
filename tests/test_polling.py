"""The generic poller against in-memory targets, with a virtual clock (no real waiting)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from typing import Literal

import pytest

import ncp_media_async as ncp
from ncp_media_async.polling import (
    AGAIN,
    Again,
    PollFailure,
    PollTimeoutError,
    Wait,
    poll,
    schedule,
    sweep,
)


class VirtualTime:
    """``sleep`` advances a virtual clock; every sleeper wakes in due order."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = self.now + max(seconds, 0.0)
        while self.now < wake:
            await asyncio.sleep(0)
            # The earliest sleeper moves the clock; everyone else yields until their time.
            self.now = min(wake, self.now + 0.001)


class Targets:
    """Each target becomes terminal after ``polls[target]`` fetches; counts every fetch."""

    def __init__(self, polls: dict[str, int], *, fail: dict[str, Exception] | None = None):
        self.polls = polls
        self.fail = fail or {}
        self.fetches: Counter[str] = Counter()
        self.after_terminal: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0

    async def fetch(self, target: str) -> tuple[str, int]:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0)
            self.fetches[target] += 1
            if self.fetches[target] > self.polls.get(target, 1):
                self.after_terminal[target] += 1
            if target in self.fail:
                raise self.fail[target]
            return target, self.fetches[target]
        finally:
            self.in_flight -= 1

    def terminal(self, result: tuple[str, int]) -> bool:
        target, n = result
        return n >= self.polls[target]


async def test_every_target_reaches_terminal_once_and_is_never_polled_again() -> None:
    rng = random.Random(3)
    polls = {f"t{i}": rng.randint(1, 5) for i in range(500)}
    targets = Targets(polls)
    got = [r async for r in poll(polls, targets.fetch, targets.terminal,
                                 concurrency=16, interval=0)]
    assert sorted(t for t, _ in got) == sorted(polls)
    assert targets.fetches == Counter(polls)
    assert not targets.after_terminal
    assert targets.peak <= 16


async def test_results_are_yielded_as_they_land_not_at_the_end() -> None:
    targets = Targets({"fast": 1, "slow": 50})
    stream = poll(["slow", "fast"], targets.fetch, targets.terminal, concurrency=2, interval=0)
    first = await anext(stream)
    assert first[0] == "fast"
    assert targets.fetches["slow"] < 50
    await stream.aclose()


async def test_interval_spaces_polls_of_one_target() -> None:
    clock = VirtualTime()
    targets = Targets({"a": 4})
    got = [r async for r in poll(["a"], targets.fetch, targets.terminal, interval=2.0,
                                 jitter=0.0, clock=clock, sleep=clock.sleep)]
    assert got == [("a", 4)]
    assert clock.now == pytest.approx(6.0, abs=0.01)


async def test_failures_do_not_stop_the_others_and_are_reported() -> None:
    missing = ncp.NotFoundError("no such asset", status=404)
    targets = Targets({"a": 2, "b": 1, "gone": 1}, fail={"gone": missing})
    got = []
    with pytest.raises(ncp.PollingError) as info:
        async for r in poll(["a", "gone", "b"], targets.fetch, targets.terminal, interval=0):
            got.append(r)
    assert sorted(t for t, _ in got) == ["a", "b"]
    assert info.value.failures == {"gone": missing}
    assert targets.fetches["gone"] == 1  # a 404 is not polled again


async def test_return_exceptions_yields_failures_inline() -> None:
    boom = ncp.ServerError("down", status=503)
    targets = Targets({"a": 1, "flaky": 1}, fail={"flaky": boom})
    got = [r async for r in poll(["a", "flaky"], targets.fetch, targets.terminal, interval=0,
                                 max_failures=3, return_exceptions=True)]
    assert ("a", 1) in got
    assert PollFailure("flaky", boom) in got
    assert targets.fetches["flaky"] == 3  # transient: retried up to max_failures


@pytest.mark.parametrize(
    ("error", "fetches"),
    [
        (ncp.ServerError("not implemented", status=501), 1),  # permanent, as for the transport
        (ncp.ServerError("unavailable", status=503), 3),
        (ncp.RateLimitError("slow down", status=429), 3),
        (ncp.TransportError("timed out"), 3),
        (ncp.ConflictError("busy", status=409), 1),
        (ncp.BadRequestError("no", status=400), 1),
    ],
)
async def test_the_poller_and_the_transport_share_one_classifier(
    error: ncp.NcpError, fetches: int
) -> None:
    targets = Targets({"x": 1}, fail={"x": error})
    got = [r async for r in poll(["x"], targets.fetch, targets.terminal, interval=0,
                                 max_failures=3, return_exceptions=True)]
    assert got == [PollFailure("x", error)]
    assert targets.fetches["x"] == fetches


async def test_authentication_error_stops_the_batch_at_once() -> None:
    denied = ncp.AuthenticationError("bad key", status=401)
    targets = Targets({f"t{i}": 100 for i in range(50)}, fail={"t0": denied})
    with pytest.raises(ncp.AuthenticationError):
        async for _ in poll(targets.polls, targets.fetch, targets.terminal, concurrency=4,
                            interval=0):
            pass
    assert sum(targets.fetches.values()) < 50 * 100
    assert _other_tasks() == []


async def test_timeout_names_the_pending_targets() -> None:
    clock = VirtualTime()
    targets = Targets({"quick": 1, "never": 10**9})
    got = []
    with pytest.raises(PollTimeoutError) as info:
        async for r in poll(["quick", "never"], targets.fetch, targets.terminal, interval=1.0,
                            timeout=5.0, clock=clock, sleep=clock.sleep):
            got.append(r)
    assert got == [("quick", 1)]
    assert info.value.pending == ("never",)
    assert isinstance(info.value, TimeoutError)


async def test_cancelling_the_consumer_leaves_no_task() -> None:
    targets = Targets({f"t{i}": 10**9 for i in range(100)})

    async def consume() -> None:
        async for _ in poll(targets.polls, targets.fetch, targets.terminal, concurrency=10,
                            interval=0.001):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _other_tasks() == []
    assert targets.in_flight == 0


async def test_a_bug_in_fetch_surfaces_instead_of_hanging() -> None:
    async def broken(target: str) -> int:
        raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        async for _ in poll(["a"], broken, lambda r: True, interval=0):
            pass


# -- schedule: the stepping primitive under poll ---------------------------------------------


class Steps:
    """Each target needs ``steps`` steps; the order of the steps is recorded."""

    def __init__(self, steps: int, delay: float | None = None) -> None:
        self.steps = steps
        self.delay = delay
        self.done: Counter[str] = Counter()
        self.order: list[str] = []

    async def step(self, target: str) -> str | Again:
        await asyncio.sleep(0)
        self.order.append(target)
        self.done[target] += 1
        if self.done[target] < self.steps:
            return AGAIN if self.delay is None else Again(self.delay)
        return target


@pytest.mark.parametrize(
    "script",
    [["again", "503", "done"], ["503", "again", "503", "done"]],
    ids=["again-then-failure", "failure-again-failure"],
)
async def test_a_step_that_moved_on_resets_the_failures_in_a_row(script: list[str]) -> None:
    """``max_failures`` counts failures *in a row*: a step that returned ``Again`` in between
    (the target moved on) starts the count afresh, so two failures apart never add up to 2."""
    script = list(script)

    async def step(target: str) -> str | Again:
        await asyncio.sleep(0)
        match script.pop(0):
            case "again":
                return AGAIN
            case "503":
                raise ncp.ServerError("unavailable", status=503)
        return target

    got = [r async for r in schedule(["a"], step, max_failures=2, interval=0)]
    assert got == ["a"] and script == []


async def test_a_due_step_goes_before_a_target_not_started() -> None:
    steps = Steps(3)
    got = [r async for r in schedule(["a", "b", "c"], steps.step, concurrency=1, interval=0)]
    assert got == ["a", "b", "c"]
    assert steps.order == ["a", "a", "a", "b", "b", "b", "c", "c", "c"]  # no batch barrier


async def test_targets_start_while_the_others_pause() -> None:
    clock = VirtualTime()
    steps = Steps(2)
    got = [r async for r in schedule(["a", "b", "c"], steps.step, concurrency=1, interval=10.0,
                                     jitter=0.0, clock=clock, sleep=clock.sleep)]
    assert steps.order == ["a", "b", "c", "a", "b", "c"]
    assert got == ["a", "b", "c"]
    assert clock.now == pytest.approx(10.0, abs=0.01)


async def test_again_names_its_own_delay() -> None:
    clock = VirtualTime()
    steps = Steps(3, delay=4.0)
    got = [r async for r in schedule(["a"], steps.step, interval=100.0, jitter=0.0,
                                     clock=clock, sleep=clock.sleep)]
    assert got == ["a"]
    assert clock.now == pytest.approx(8.0, abs=0.01)


async def test_max_failures_one_never_repeats_a_failed_step() -> None:
    calls: Counter[str] = Counter()
    boom = ncp.ServerError("down", status=503)  # transient: poll would try again

    async def write(target: str) -> str:
        calls[target] += 1
        if target == "x":
            raise boom
        return target

    got = [r async for r in schedule(["x", "y"], write, max_failures=1, interval=0,
                                     return_exceptions=True)]
    assert sorted(map(str, got)) == sorted([str(PollFailure("x", boom)), "y"])
    assert calls == {"x": 1, "y": 1}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"interval": -1},
        {"interval": float("nan")},
        {"timeout": 0},
        {"timeout": -1},
        {"jitter": 1.5},
        {"jitter": 1.0},
        {"jitter": -0.5},
        {"max_failures": 0},
    ],
)
def test_options_are_validated_before_anything_runs(kwargs: dict[str, float]) -> None:
    """Refused before anything runs, by a message that names the option."""
    [(name, value)] = kwargs.items()
    with pytest.raises(ValueError, match=rf"^{name}\b") as info:
        poll(["a"], Targets({"a": 1}).fetch, lambda r: True, **kwargs)  # type: ignore[arg-type]
    if name == "jitter" and value >= 1:
        assert str(info.value) == f"jitter must be a fraction below 1, got {value}"


@pytest.mark.parametrize(
    "kwargs", [{"concurrency": True}, {"max_failures": 2.0}, {"interval": "1"}]
)
def test_an_option_of_the_wrong_type_is_a_type_error(kwargs: dict[str, object]) -> None:
    """The same mistake raises the same exception in every method (``_checks``)."""
    with pytest.raises(TypeError):
        poll(["a"], Targets({"a": 1}).fetch, lambda r: True, **kwargs)  # type: ignore[arg-type]


def _other_tasks() -> list[asyncio.Task[object]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


async def test_a_target_finishing_as_the_timeout_passes_is_named_pending() -> None:
    # The step's answer and the timeout land in the same turn of the loop, the alarm just
    # first: the consumer sees the timeout first. The target must still be reported: named
    # pending (its result came too late).
    wait: Wait[Literal[False]] = Wait(timeout=60.0)

    async def step(target: str) -> str:
        wait._time_is_up()  # the alarm speaks in this very turn, before the answer lands
        return target

    got: list[str] = []
    with pytest.raises(PollTimeoutError) as caught:
        async for result in wait.run(["a"], step):
            got.append(result)
    assert got == []
    assert caught.value.pending == ("a",)


async def test_cancelling_the_consumer_while_the_batch_shuts_down_is_not_swallowed() -> None:
    # The consumer broke out; closing the stream waits for a step that is slow to stop. A
    # cancellation of the consumer during that wait (a timeout, a task group) must reach it.
    stopping, release = asyncio.Event(), asyncio.Event()

    async def step(target: str) -> str:
        if target == "fast":
            return target
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopping.set()
            await release.wait()  # a step whose clean-up takes a moment
            raise
        raise AssertionError("unreachable")

    async def consume() -> str:
        async with contextlib.aclosing(schedule(["slow", "fast"], step, concurrency=2)) as stream:
            async for _ in stream:
                break
        return "went on as if not cancelled"

    task = asyncio.create_task(consume())
    await stopping.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


# -- sweep: one list walked again and again ------------------------------------------------------


class Walks:
    """A list walked by ``sweep``: ``rounds[n]`` is what walk ``n`` yields (the last one again
    after the end); ``fail[n]`` what walk ``n`` raises after its items instead of ending."""

    def __init__(self, rounds: list[list[str]], fail: dict[int, Exception] | None = None):
        self.rounds, self.fail = rounds, fail or {}
        self.walks = 0
        self.closed = 0  # walks whose generator was closed (ended, broken off or failed)

    async def walk(self) -> AsyncGenerator[str, None]:
        n, self.walks = self.walks, self.walks + 1
        try:
            for item in self.rounds[min(n, len(self.rounds) - 1)]:
                await asyncio.sleep(0)
                yield item
            if n in self.fail:
                raise self.fail[n]
        finally:
            self.closed += 1

    def finished_after(self, walks: int) -> Callable[[], bool]:
        return lambda: self.walks >= walks


async def test_sweep_walks_again_after_each_interval_until_finished() -> None:
    """Every item of every walk, in order; ``interval`` seconds from the end of one walk to the
    start of the next (none before the first, none after the last)."""
    clock, slept = VirtualTime(), []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await clock.sleep(seconds)

    walks = Walks([["a", "b"], ["b"], ["c", "d"]])
    got = [item async for item in sweep(walks.walk, walks.finished_after(3), interval=4.0,
                                        clock=clock, sleep=sleep)]  # fmt: skip
    assert got == ["a", "b", "b", "c", "d"]
    assert (walks.walks, walks.closed) == (3, 3)
    assert slept == [4.0, 4.0]


async def test_sweep_gives_each_item_as_it_lands() -> None:
    """The consumer has a walk's first item while that walk is still under way."""
    taken = asyncio.Event()

    async def walk() -> AsyncGenerator[str, None]:
        yield "first"
        await taken.wait()  # the walk goes on only once the consumer has the first item
        yield "second"

    stream = sweep(walk, lambda: True, interval=0)
    async with asyncio.timeout(10):
        assert await anext(stream) == "first"
        taken.set()
        assert [item async for item in stream] == ["second"]


async def test_sweep_times_out_naming_what_is_still_pending() -> None:
    clock = VirtualTime()
    walks = Walks([["x"]])
    with pytest.raises(PollTimeoutError) as info:
        async for _ in sweep(walks.walk, lambda: False, interval=10.0, timeout=25.0,
                             pending=lambda: ("x", "y"), what="encoding",
                             clock=clock, sleep=clock.sleep):  # fmt: skip
            pass
    assert info.value.pending == ("x", "y")
    assert str(info.value) == "2 encodings still unfinished after 25 s"
    assert walks.walks == 3  # at 0, 10 and 20 s: the next would start at 30
    assert clock.now == pytest.approx(25.0, abs=0.01)


async def test_sweep_walks_again_after_a_transient_failure_up_to_max_failures() -> None:
    clock = VirtualTime()
    unavailable = ncp.ServerError("unavailable", status=503)
    walks = Walks([["a"]], fail={0: unavailable, 1: unavailable, 2: unavailable})
    got = []
    with pytest.raises(ncp.ServerError) as info:  # raised as is: not a PollingError
        async for item in sweep(walks.walk, lambda: True, interval=1.0, max_failures=3,
                                clock=clock, sleep=clock.sleep):  # fmt: skip
            got.append(item)
    assert info.value is unavailable
    assert walks.walks == 3 and got == ["a", "a", "a"]

    walks = Walks([["a"]], fail={0: unavailable})  # once: walked again, and then finished
    got = [item async for item in sweep(walks.walk, lambda: True, interval=1.0,
                                        clock=clock, sleep=clock.sleep)]  # fmt: skip
    assert (got, walks.walks) == (["a", "a"], 2)


async def test_sweep_raises_a_permanent_failure_at_once() -> None:
    missing = ncp.NotFoundError("no such category", status=404)
    walks = Walks([[]], fail={0: missing})
    with pytest.raises(ncp.NotFoundError):
        async for _ in sweep(walks.walk, lambda: True, interval=0, max_failures=5):
            pass
    assert walks.walks == 1


async def test_breaking_out_of_a_sweep_closes_the_walk_under_way() -> None:
    walks = Walks([["a", "b", "c"]])
    stream = sweep(walks.walk, lambda: False, interval=0)
    assert await anext(stream) == "a"
    await stream.aclose()
    assert walks.closed == walks.walks == 1
    assert _other_tasks() == []


@pytest.mark.parametrize("kwargs", [{"interval": -1.0}, {"timeout": -1.0}, {"max_failures": 0}])
def test_sweep_checks_its_options_before_anything_runs(kwargs: dict[str, float]) -> None:
    walks = Walks([["a"]])
    with pytest.raises(ValueError):
        sweep(walks.walk, lambda: True, **kwargs)  # type: ignore[arg-type]
    assert walks.walks == 0


async def test_run_together_serves_only_the_targets_that_are_due() -> None:
    """A step of ``run_together`` gets the targets due at once, not one due later: ``a`` looked
    at again after 1 s, ``b`` after 10 s, each in a step of its own."""
    clock = VirtualTime()
    batches: list[list[str]] = []

    async def step(due: list[str]) -> dict[str, str | Again]:
        batches.append(due)
        if len(batches) == 1:
            return {"a": Again(1.0), "b": Again(10.0)}
        return dict.fromkeys(due, "done")

    wait: Wait[Literal[False]] = Wait(jitter=0.0, clock=clock, sleep=clock.sleep)
    got = [r async for r in wait.run_together(["a", "b"], step)]
    assert got == ["done", "done"]
    assert batches == [["a", "b"], ["a"], ["b"]]
    assert clock.now == pytest.approx(10.0, abs=0.01)


async def test_a_target_a_together_step_leaves_out_is_looked_at_again() -> None:
    """``run_together``: a target missing from the step's answer is ``AGAIN``, never a result."""
    clock = VirtualTime()
    batches: list[list[str]] = []

    async def step(due: list[str]) -> dict[str, str | Again]:
        batches.append(due)
        return {"a": "done"} if len(batches) == 1 else dict.fromkeys(due, "later")

    wait: Wait[Literal[False]] = Wait(interval=3.0, jitter=0.0, clock=clock, sleep=clock.sleep)
    got = [r async for r in wait.run_together(["a", "b"], step)]
    assert got == ["done", "later"]
    assert batches == [["a", "b"], ["b"]]
    assert clock.now == pytest.approx(3.0, abs=0.01)


# -- what a wait says ----------------------------------------------------------------------------


def test_a_wait_runs_once() -> None:
    wait: Wait[Literal[False]] = Wait()
    steps = Steps(1)
    wait.run(["a"], steps.step)
    with pytest.raises(RuntimeError, match=r"^a Wait runs once$"):
        wait.run(["b"], steps.step)


async def test_messages_count_targets_in_the_singular_and_the_plural() -> None:
    clock = VirtualTime()
    targets = Targets({"only": 10**9})
    with pytest.raises(PollTimeoutError, match=r"^1 of 1 target still unfinished after 5 s$"):
        async for _ in poll(["only"], targets.fetch, targets.terminal, interval=1.0,
                            timeout=5.0, clock=clock, sleep=clock.sleep):  # fmt: skip
            pass
    targets = Targets({"only": 1}, fail={"only": ncp.NotFoundError("gone", status=404)})
    with pytest.raises(ncp.PollingError) as info:
        async for _ in poll(["only"], targets.fetch, targets.terminal):
            pass
    assert str(info.value) == "1 of 1 target failed: only: HTTP 404: gone"


SHOWN = "t0: HTTP 404: gone, t1: HTTP 404: gone, t2: HTTP 404: gone"


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (3, f"3 of 3 targets failed: {SHOWN}"),
        (4, f"4 of 4 targets failed: {SHOWN} ..."),
    ],
)
async def test_a_polling_error_shows_the_first_three_failures(count: int, message: str) -> None:
    names = [f"t{i}" for i in range(count)]
    gone = ncp.NotFoundError("gone", status=404)
    targets = Targets(dict.fromkeys(names, 1), fail=dict.fromkeys(names, gone))
    with pytest.raises(ncp.PollingError) as info:  # one at a time: they fail in order
        async for _ in poll(names, targets.fetch, targets.terminal, concurrency=1):
            pass
    assert str(info.value) == message
    assert list(info.value.failures) == names


async def test_a_sweep_counts_items_unless_told_what_they_are() -> None:
    clock = VirtualTime()
    walks = Walks([["x"]])
    with pytest.raises(PollTimeoutError, match=r"^2 items still unfinished after 3 s$"):
        async for _ in sweep(walks.walk, lambda: False, interval=10.0, timeout=3.0,
                             pending=lambda: ("x", "y"), clock=clock,
                             sleep=clock.sleep):  # fmt: skip
            pass
