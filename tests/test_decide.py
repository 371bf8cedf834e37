"""The transport's decisions without I/O, as gidgethub tests its ``sansio`` core: every branch of
``_retry.decide`` in one table, and each admission step refusing a wait that would end past the
call's deadline at once, without sleeping, on fake clocks."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import attrs
import pytest
from _clocks import FakeTime

import ncp_media_async as ncp
from ncp_media_async._ratelimit import Pacer, RateLimit
from ncp_media_async._retry import Action, BackoffGate, Decision, Outcome, RetryPolicy, decide
from ncp_media_async._transport import _HostClock, _Pool

NOW = 1000.0
JITTERED = 0.5  # this retry's full-jitter draw
POLICY = RetryPolicy(max_retries=3, retry_after_cap=30.0)


@attrs.frozen
class Call:
    """What ``decide`` reads of a request (a ``_transport.Request``'s ``idempotent`` and
    ``deadline``)."""

    idempotent: bool = True
    deadline: float | None = None


READ, WRITE = Call(), Call(idempotent=False)

# The failures, as the transport classifies them (``_retry.classify``).
UNAVAILABLE = ncp.ServerError("unavailable", status=503)
UNAVAILABLE_7 = ncp.ServerError("unavailable", status=503, retry_after=7.0)
BAD_GATEWAY_7 = ncp.ServerError("bad gateway", status=502, retry_after=7.0)  # no Retry-After
THROTTLED = ncp.RateLimitError("slow down", status=429)
THROTTLED_3 = ncp.RateLimitError("slow down", status=429, retry_after=3.0)
THROTTLED_HOUR = ncp.RateLimitError("slow down", status=429, retry_after=3600.0)
REJECTED = ncp.AuthenticationError("timestamp outside the window", status=401)
FORBIDDEN = ncp.PermissionDeniedError("no", status=403)
BAD_REQUEST = ncp.BadRequestError("bad", status=400)
NOT_IMPLEMENTED = ncp.ServerError("no", status=501)
CLOSED = ncp.ClientClosedError("closed")
NO_CONNECTION = ncp.TransportError("cannot connect")  # transient
NO_SUCH_HOST = ncp.TransportError("cannot resolve", transient=False)
TIMED_OUT = ncp.RequestTimeoutError("timed out")
UNKNOWN = ncp.OutcomeUnknownError("timed out; may have reached the server")
UNREADABLE = ncp.ResponseError("body is not valid JSON")
TOO_LARGE = ncp.BodyTooLargeError("too large")

RETRY, RESIGN, RAISE = Action.RETRY, Action.RESIGN, Action.RAISE

#: (outcome, attempt, request, resigned, policy or None for POLICY) -> decision.
TABLE: dict[str, tuple[Outcome, int, Call, bool, RetryPolicy | None, Decision]] = {
    # Re-sign once, at once, whatever the request: the service never saw the attempt.
    "skewed: re-sign": (Outcome(REJECTED, 401, skewed=True), 1, READ, False, None,
                        Decision(RESIGN)),
    "skewed write: re-sign": (Outcome(REJECTED, 401, skewed=True), 1, WRITE, False, None,
                              Decision(RESIGN)),
    "skewed past max_retries: re-sign": (Outcome(REJECTED, 401, skewed=True), 9, READ, False,
                                         None, Decision(RESIGN)),
    "skewed twice: raise": (Outcome(REJECTED, 401, skewed=True), 2, READ, True, None,
                            Decision(RAISE)),
    "rejected, clock not off: raise": (Outcome(REJECTED, 401), 1, READ, False, None,
                                       Decision(RAISE)),
    # Transient: retried after the jittered delay, or Retry-After (429 and 503 only), capped.
    "503: retry": (Outcome(UNAVAILABLE, 503), 1, READ, False, None, Decision(RETRY, JITTERED)),
    "503 Retry-After: retry": (Outcome(UNAVAILABLE_7, 503), 1, READ, False, None,
                               Decision(RETRY, 7.0)),
    "502 Retry-After ignored": (Outcome(BAD_GATEWAY_7, 502), 1, READ, False, None,
                                Decision(RETRY, JITTERED)),
    "connect failed: retry": (Outcome(NO_CONNECTION, sent=False), 1, READ, False, None,
                              Decision(RETRY, JITTERED)),
    "read timed out: retry": (Outcome(TIMED_OUT), 1, READ, False, None,
                              Decision(RETRY, JITTERED)),
    "unreadable success: retry": (Outcome(UNREADABLE, 200), 1, READ, False, None,
                                  Decision(RETRY, JITTERED)),
    # A 429 closes the client's gate for its delay, whatever is decided for the call.
    "429: retry behind the gate": (Outcome(THROTTLED, 429), 1, READ, False, None,
                                   Decision(RETRY, JITTERED, JITTERED)),
    "429 Retry-After: retry behind the gate": (Outcome(THROTTLED_3, 429), 1, READ, False, None,
                                               Decision(RETRY, 3.0, 3.0)),
    "429 Retry-After capped": (Outcome(THROTTLED_HOUR, 429), 1, READ, False, None,
                               Decision(RETRY, 30.0, 30.0)),
    "429 Retry-After, a cap of 0": (Outcome(THROTTLED_3, 429), 1, READ, False,
                                    RetryPolicy(retry_after_cap=0.0), Decision(RETRY, 0.0)),
    # Permanent and fatal failures: raised at once.
    "400: raise": (Outcome(BAD_REQUEST, 400), 1, READ, False, None, Decision(RAISE)),
    "501: raise": (Outcome(NOT_IMPLEMENTED, 501), 1, READ, False, None, Decision(RAISE)),
    "403: raise": (Outcome(FORBIDDEN, 403), 1, READ, False, None, Decision(RAISE)),
    "closed: raise": (Outcome(CLOSED, sent=False), 1, READ, False, None, Decision(RAISE)),
    "no such host: raise": (Outcome(NO_SUCH_HOST, sent=False), 1, READ, False, None,
                            Decision(RAISE)),
    "outcome unknown: raise": (Outcome(UNKNOWN), 1, WRITE, False, None, Decision(RAISE)),
    "body too large: raise": (Outcome(TOO_LARGE, 200), 1, READ, False, None, Decision(RAISE)),
    # max_retries retries after the first attempt, no more.
    "last retry": (Outcome(UNAVAILABLE, 503), 3, READ, False, None, Decision(RETRY, JITTERED)),
    "retries spent: raise": (Outcome(UNAVAILABLE, 503), 4, READ, False, None, Decision(RAISE)),
    "max_retries=0: raise": (Outcome(UNAVAILABLE, 503), 1, READ, False,
                             RetryPolicy(max_retries=0), Decision(RAISE)),
    "429, retries spent: raise, gate closed": (Outcome(THROTTLED_3, 429), 4, READ, False, None,
                                               Decision(RAISE, gate=3.0)),
    # A write that may have been sent is never repeated; one not sent, or throttled, is.
    "write sent, 503: raise": (Outcome(UNAVAILABLE, 503), 1, WRITE, False, None,
                               Decision(RAISE)),
    "write sent, unreadable: raise": (Outcome(UNREADABLE, 200), 1, WRITE, False, None,
                                      Decision(RAISE)),
    "write not sent: retry": (Outcome(NO_CONNECTION, sent=False), 1, WRITE, False, None,
                              Decision(RETRY, JITTERED)),
    "write throttled: retry": (Outcome(THROTTLED, 429), 1, WRITE, False, None,
                               Decision(RETRY, JITTERED, JITTERED)),
    # A retry whose delay would end at or past the deadline is not made.
    "delay ends before the deadline": (Outcome(UNAVAILABLE, 503), 1,
                                       Call(deadline=NOW + JITTERED + 0.001), False, None,
                                       Decision(RETRY, JITTERED)),
    "delay ends at the deadline: raise": (Outcome(UNAVAILABLE, 503), 1,
                                          Call(deadline=NOW + JITTERED), False, None,
                                          Decision(RAISE)),
    "Retry-After past the deadline: raise": (Outcome(UNAVAILABLE_7, 503), 1,
                                             Call(deadline=NOW + 5.0), False, None,
                                             Decision(RAISE)),
    "429 past the deadline: raise, gate closed": (Outcome(THROTTLED_HOUR, 429), 1,
                                                  Call(deadline=NOW + 10.0), False, None,
                                                  Decision(RAISE, gate=30.0)),
    "write throttled, deadline ahead: retry": (Outcome(THROTTLED_3, 429), 2,
                                                  Call(idempotent=False, deadline=NOW + 60.0),
                                                  False, None, Decision(RETRY, 3.0, 3.0)),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TABLE))
def test_decide(case: str) -> None:
    outcome, attempt, request, resigned, policy, expected = TABLE[case]
    got = decide(
        outcome, attempt, request, policy or POLICY, now=NOW, jittered=JITTERED, resigned=resigned
    )
    assert got == expected


def test_decide_is_pure() -> None:
    """The same question, the same answer: nothing is kept between calls."""
    outcome = Outcome(THROTTLED_3, 429)
    answers = {decide(outcome, 1, READ, POLICY, now=NOW, jittered=0.1, resigned=False)
               for _ in range(3)}  # fmt: skip
    assert answers == {Decision(RETRY, 3.0, 3.0)}


# -- admission steps: refuse at once what would end past the deadline -------------------------


def at_once(step: Coroutine[Any, Any, bool]) -> bool:
    """The value of an admission that completes without suspending (no wait of any kind, not
    even a loop turn); fails the test if it would have waited."""
    try:
        step.send(None)
    except StopIteration as done:
        return bool(done.value)
    step.close()
    raise AssertionError("the step waited")


async def test_the_rate_limit_refuses_a_slot_past_the_deadline_without_taking_it() -> None:
    time = FakeTime()
    pacer = Pacer(RateLimit(1, 10.0), time, time.sleep)  # a slot every 10 s
    assert at_once(pacer.admit(deadline=NOW)) is True  # the first slot is now
    assert at_once(pacer.admit(deadline=NOW + 9.9)) is False  # the next is at +10
    assert await pacer.admit(deadline=NOW + 10.0) is True  # a slot at the deadline goes
    assert time.slept == [10.0]  # the refusal neither slept nor took the +10 slot
    assert await pacer.admit() is True  # no deadline: wait as long as it takes
    assert time.slept == [10.0, 10.0]


async def test_the_429_gate_refuses_at_once_when_it_opens_past_the_deadline() -> None:
    time = FakeTime()
    gate = BackoffGate(time, time.sleep)
    gate.trip(30.0)
    assert at_once(gate.admit(deadline=NOW + 29.9)) is False
    assert time.slept == []
    assert await gate.admit(deadline=NOW + 30.0) is True  # opens at the deadline: goes
    assert time.slept == [30.0]
    assert at_once(gate.admit(deadline=NOW)) is True  # open: at once, whatever the deadline


def _unreachable(time: FakeTime, **options: Any) -> ncp.MediaClient:
    """A client on fake time whose host no request reaches (the steps are tested alone)."""
    return ncp.MediaClient(
        ncp.Credentials("AK", "SK"), endpoints=ncp.Endpoints.at("http://127.0.0.1:9"),
        monotonic=time, sleep=time.sleep, connect_timeout=30.0, **options,
    )  # fmt: skip


async def test_the_host_clock_holds_behind_its_probe_and_refuses_a_passed_deadline() -> None:
    """Until a host has answered once, its requests wait behind the first (the calibration
    probe); one whose deadline has come is refused at once, and once the host answered every
    request goes at once."""
    time = FakeTime()
    client = _unreachable(time)
    host = _HostClock(client._transport)
    assert at_once(host.admit(NOW + 1.0)) is True  # the probe: goes at once
    assert at_once(host.admit(NOW)) is False  # held, with its deadline come: refused at once
    assert at_once(host.admit(NOW - 5.0)) is False
    held = asyncio.ensure_future(host.admit(None))  # held, with time to wait
    for _ in range(3):
        await asyncio.sleep(0)
    assert not held.done()
    host.release()  # the probe answered: the held request goes, well before connect_timeout
    assert await asyncio.wait_for(held, 5.0) is True
    assert at_once(host.admit(NOW - 5.0)) is True  # answered: no step left to wait for
    assert time.slept == []  # the hold is for an answer, never a sleep
    await client.close()


@pytest.mark.parametrize("step", ["host clock", "pool"])
async def test_closing_the_client_ends_a_held_request(step: str) -> None:
    """A request held by the host clock (behind the probe) or by the pool (no slot free, with
    ``max_connections=1``) ends with ``ClientClosedError`` at ``close()``."""
    time = FakeTime()
    client = _unreachable(time, max_connections=1)
    holder = _HostClock(client._transport) if step == "host clock" else client._transport.pool
    assert holder is not None and at_once(holder.admit(None)) is True  # the first goes
    held = asyncio.ensure_future(holder.admit(None))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not held.done()
    await client.close()
    with pytest.raises(ncp.ClientClosedError):
        await asyncio.wait_for(held, 5.0)


async def test_the_pool_admits_max_connections_at_once_and_refuses_a_passed_deadline() -> None:
    """``max_connections`` attempts at once (a free slot is taken without suspending); one more
    waits for a slot in the loop's time, never a sleep, goes when one is released, and is
    refused (nothing held) when its deadline has come by the time a slot is free."""
    time = FakeTime()
    client = _unreachable(time, max_connections=2)
    pool = client._transport.pool
    assert isinstance(pool, _Pool)
    assert at_once(pool.admit(None)) is True
    assert at_once(pool.admit(NOW - 5.0)) is True  # free: the other steps own the deadline
    held = asyncio.ensure_future(pool.admit(None))
    late = asyncio.ensure_future(pool.admit(NOW + 1.0))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not held.done() and not late.done()
    pool.release()
    assert await asyncio.wait_for(held, 5.0) is True  # the first in line gets the slot
    time.now = NOW + 1.0  # ``late``'s deadline comes before a slot does
    pool.release()
    assert await asyncio.wait_for(late, 5.0) is False
    assert at_once(pool.admit(None)) is True  # the slot ``late`` got and gave back
    assert time.slept == []
    await client.close()
