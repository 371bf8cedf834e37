"""Retry timing, Retry-After, the one classifier, the shared gate and HTTP dates: pure, with
fake time."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import pytest
from _clocks import FakeTime

import ncp_media_async as ncp
from ncp_media_async._retry import BackoffGate, RetryPolicy, Verdict, classify


def test_ceilings_double_from_initial_delay_up_to_max() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=5.0)
    assert list(itertools.islice(policy.ceilings(), 7)) == [0.5, 1, 2, 4, 5, 5, 5]


def test_full_jitter_stays_under_each_ceiling_and_is_reproducible() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=8.0)
    a = list(itertools.islice(policy.delays(random.Random(7)), 6))
    b = list(itertools.islice(policy.delays(random.Random(7)), 6))
    assert a == b
    for delay, ceiling in zip(a, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0 <= delay <= ceiling


def test_retry_after_wins_up_to_its_cap_on_429_and_503_only() -> None:
    policy = RetryPolicy(retry_after_cap=30.0)
    throttled = ncp.RateLimitError("slow down", status=429, retry_after=12.0)
    assert policy.delay_for(throttled, 0.3) == 12.0
    flood = ncp.RateLimitError("slow down", status=429, retry_after=3600.0)
    assert policy.delay_for(flood, 0.3) == 30.0
    silent = ncp.RateLimitError("slow down", status=429)
    assert policy.delay_for(silent, 0.3) == 0.3
    unavailable = ncp.ServerError("later", status=503, retry_after=7.0)
    assert policy.delay_for(unavailable, 0.3) == 7.0
    bad_gateway = ncp.ServerError("later", status=502, retry_after=7.0)
    assert policy.delay_for(bad_gateway, 0.3) == 0.3


T, P, F = Verdict.TRANSIENT, Verdict.PERMANENT, Verdict.FATAL


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (ncp.RateLimitError("x", status=429), T),
        (ncp.ApiError("x", status=408), T),
        (ncp.ServerError("x", status=500), T),
        (ncp.ServerError("x", status=502), T),
        (ncp.ServerError("x", status=503), T),
        (ncp.ServerError("x", status=504), T),
        (ncp.ServerError("x", status=501), P),
        (ncp.ServerError("x", status=505), P),
        (ncp.BadRequestError("x", status=400), P),
        (ncp.ConflictError("x", status=409), P),
        (ncp.AuthenticationError("x", status=401), F),
        (ncp.PermissionDeniedError("x", status=403), F),
        (ncp.NotFoundError("x", status=404), P),
        (ncp.NotFoundError("x", status=400, code="250100"), P),
        (ncp.TransportError("timed out"), T),
        (ncp.RequestTimeoutError("timed out"), T),
        (ncp.TransportError("no such host", transient=False), P),
        (ncp.OutcomeUnknownError("timed out"), P),
        (ncp.ResponseError("body is not valid JSON"), T),
        (ncp.BodyTooLargeError("too big"), P),
        (ncp.ClientClosedError("closed"), F),  # the whole wait stops, with one error
        (ValueError("bug"), P),
    ],
)
def test_one_classifier(error: BaseException, verdict: Verdict) -> None:
    assert classify(error) is verdict


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"initial_delay": -1},
        {"max_delay": -1},
        {"initial_delay": 2.0, "max_delay": 1.0},
        {"retry_after_cap": -1},
        {"deadline": 0},
        {"deadline": float("nan")},
    ],
)
def test_policy_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


async def test_gate_holds_everyone_until_it_opens() -> None:
    clock = FakeTime()
    gate = BackoffGate(clock, clock.sleep)
    await gate.admit()
    assert clock.slept == []
    gate.trip(2.0)
    gate.trip(0.5)  # a shorter trip never shortens a longer closure
    assert gate.closed_for == 2.0
    await gate.admit()
    assert clock.slept == [2.0]
    assert gate.closed_for == 0


async def test_gate_refuses_to_wait_past_a_deadline_and_never_spins() -> None:
    clock = FakeTime()
    gate = BackoffGate(clock, clock.sleep)
    gate.trip(10.0)
    assert await gate.admit(deadline=clock.now + 5.0) is False
    assert clock.slept == []  # refused at once, nothing waited for
    assert await gate.admit(deadline=clock.now + 10.0) is True
    assert clock.slept == [10.0]

    stuck = FakeTime()
    frozen = BackoffGate(stuck, _no_progress)
    frozen.trip(3.0)
    assert await frozen.admit() is True  # one sleep, even though the clock did not move


async def _no_progress(seconds: float) -> None:
    """A sleep that does not move the clock: a gate that spins would loop forever on it."""


def test_jitter_never_exceeds_its_ceiling_even_at_the_extremes() -> None:
    class Extreme(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the largest value full jitter may draw

    policy = RetryPolicy(initial_delay=0.25, max_delay=2.0)
    assert list(itertools.islice(policy.delays(Extreme()), 6)) == [0.25, 0.5, 1, 2, 2, 2]


async def test_a_new_gate_is_open_whatever_the_clock_says() -> None:
    at_zero = FakeTime()
    at_zero.now = 0.0  # a monotonic clock may start anywhere, 0 included
    gate = BackoffGate(at_zero, at_zero.sleep)
    assert gate.closed_for == 0
    assert await gate.admit() is True
    gate.trip(0.0)  # closed "until now": open, nothing to wait for
    assert await gate.admit(deadline=0.0) is True
    assert at_zero.slept == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_retries": True}, TypeError, "max_retries must be an int, got bool"),
        ({"max_retries": 2.0}, TypeError, "max_retries must be an int, got float"),
        ({"max_retries": -1}, ValueError, "max_retries must be >= 0, got -1"),
        ({"initial_delay": 2.0, "max_delay": 1.0}, ValueError,
         "initial_delay must be <= max_delay"),
        ({"retry_after_cap": -0.5}, ValueError,
         "retry_after_cap must be a number of seconds >= 0, got -0.5"),
        ({"deadline": 0}, ValueError, "deadline must be a number of seconds > 0, got 0"),
    ],
)
def test_policy_errors_say_what_to_fix(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        RetryPolicy(**kwargs)


def test_the_smallest_valid_policy() -> None:
    policy = RetryPolicy(max_retries=0, initial_delay=0.0, max_delay=0.0, retry_after_cap=0.0,
                         deadline=0.5)
    assert list(itertools.islice(policy.delays(random.Random(1)), 3)) == [0.0, 0.0, 0.0]
    throttled = ncp.RateLimitError("x", status=429, retry_after=30.0)
    assert policy.delay_for(throttled, 0.0) == 0.0  # a cap of 0 honours no Retry-After
