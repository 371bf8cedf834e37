"""Retry timing, Retry-After, the shared gate and clock-skew arithmetic: pure, with fake time."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

import ncp_media_async as ncp
from ncp_media_async._retry import BackoffGate, RetryPolicy, skew_from_date


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


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


def test_retry_after_wins_up_to_its_cap() -> None:
    policy = RetryPolicy(retry_after_cap=30.0)
    throttled = ncp.RateLimitError("slow down", status=429, retry_after=12.0)
    assert policy.delay_for(throttled, 0.3) == 12.0
    flood = ncp.RateLimitError("slow down", status=429, retry_after=3600.0)
    assert policy.delay_for(flood, 0.3) == 30.0
    silent = ncp.RateLimitError("slow down", status=429)
    assert policy.delay_for(silent, 0.3) == 0.3


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ncp.RateLimitError("x", status=429), True),
        (ncp.ServerError("x", status=500), True),
        (ncp.ServerError("x", status=502), True),
        (ncp.ServerError("x", status=503), True),
        (ncp.ServerError("x", status=504), True),
        (ncp.ServerError("x", status=501), False),
        (ncp.BadRequestError("x", status=400), False),
        (ncp.AuthenticationError("x", status=401), False),
        (ncp.PermissionDeniedError("x", status=403), False),
        (ncp.NotFoundError("x", status=404), False),
        (ncp.NotFoundError("x", status=400, code="250100"), False),
        (ncp.TransportError("timed out"), True),
        (ncp.ResponseError("body is not valid JSON"), True),
        (ValueError("bug"), False),
    ],
)
def test_what_is_retried(error: BaseException, retried: bool) -> None:
    assert (RetryPolicy.reason(error) is not None) is retried


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"initial_delay": -1}, {"max_delay": -1}, {"deadline": 0}],
)
def test_policy_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


async def test_gate_holds_everyone_until_it_opens() -> None:
    clock = FakeTime()
    gate = BackoffGate(clock, clock.sleep)
    await gate.wait()
    assert clock.slept == []
    gate.trip(2.0)
    gate.trip(0.5)  # a shorter trip never shortens a longer closure
    assert gate.closed_for == 2.0
    await gate.wait()
    assert clock.slept == [2.0]
    assert gate.closed_for == 0


def test_skew_from_date() -> None:
    local = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC).timestamp()
    ahead = format_datetime(datetime(2026, 11, 23, 12, 15, 0, tzinfo=UTC), usegmt=True)
    assert skew_from_date(ahead, local) == pytest.approx(900.5)
    behind = format_datetime(datetime(2026, 11, 23, 11, 45, 0, tzinfo=UTC), usegmt=True)
    assert skew_from_date(behind, local) == pytest.approx(-899.5)
    assert skew_from_date(None, local) is None
    assert skew_from_date("yesterday", local) is None
