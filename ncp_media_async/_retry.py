"""The retry policy: what is worth another attempt, how long to wait, the shared back-off gate.

Pure decisions (``classify``, ``decide``, ``RetryPolicy.delays``, ``RetryPolicy.delay_for``) are
separate from waiting, and every wait goes through an injected ``sleep`` and ``clock``, so tests
check exact delays and every branch of the decision without I/O (as gidgethub tests its
``sansio`` core). The back-off schedule is ``backoff.expo`` (doubling from
``initial_delay``, capped at ``max_delay``) with full jitter drawn from an injected ``random``.
The loop itself lives in the transport (``Transport.send``), not in ``backoff``'s decorator: the
decorator hard-wires ``asyncio.sleep`` and wall-clock time, which rules out injected clocks,
per-call deadlines, the shared 429 gate and the one re-signed attempt after a clock-skew
rejection.

``classify`` is the one place that says which failures are transient: the transport retries
them and the poller polls a target again after them, so the two can never disagree.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import attrs
import backoff

from . import _checks, _defaults
from .errors import (
    ApiError,
    AuthenticationError,
    BodyTooLargeError,
    ClientClosedError,
    NcpError,
    OutcomeUnknownError,
    PermissionDeniedError,
    ResponseError,
    TransportError,
)

if TYPE_CHECKING:
    from ._transport import Request

#: HTTP statuses that are transient whatever their body says: request timeout, throttling, and
#: the gateway's or a proxy's 500/502/503/504. Any other 5xx (501 Not Implemented, 505, ...) is a
#: server that will answer the same again.
TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses whose ``Retry-After`` is honoured (RFC 9110 defines it for 429 and 503).
RETRY_AFTER_STATUSES: Final = frozenset({429, 503})


class Verdict(enum.Enum):
    """What a failure means for another try."""

    TRANSIENT = "transient"
    """Likely to pass: retried by the transport, polled again by the poller."""
    PERMANENT = "permanent"
    """Will fail the same way again (a 4xx answer, a 501, a body too large, an unknown write)."""
    FATAL = "fatal"
    """No other request of the client can succeed either (credentials refused, the client
    closed): stop a whole wait."""


def classify(error: BaseException) -> Verdict:
    """The one classifier of failures, used by the transport and by the poller.

    * ``TRANSIENT``: HTTP 408, 429, 500, 502, 503, 504 (by status, even with an HTML body);
      connection failures and timeouts (``TransportError``); a success status whose body could not
      be read (truncated, HTML from a proxy, wrong shape).
    * ``FATAL``: ``AuthenticationError``, ``PermissionDeniedError`` and ``ClientClosedError``.
    * ``PERMANENT``: everything else, including ``OutcomeUnknownError`` (a write that may have
      taken effect is never repeated), ``BodyTooLargeError`` and a ``TransportError`` that will
      not pass by itself (``transient=False``: a host name that does not resolve, TLS spoken
      to a plain-HTTP port).

    Whether a transient failure is actually retried also depends on the request: a write that
    may have reached the server is not repeated (``Transport``).
    """
    if isinstance(error, AuthenticationError | PermissionDeniedError | ClientClosedError):
        return Verdict.FATAL
    transient = (
        (isinstance(error, ApiError) and error.status in TRANSIENT_STATUSES)
        or (isinstance(error, TransportError) and error.transient)
        or isinstance(error, ResponseError)
    ) and not isinstance(error, OutcomeUnknownError | BodyTooLargeError)
    return Verdict.TRANSIENT if transient else Verdict.PERMANENT


_seconds = _checks.field(_checks.seconds)


@attrs.frozen
class RetryPolicy:
    """How a call is retried. Times in seconds.

    * What is retried: see ``classify``; a write that may have reached the server is never
      repeated (only a failed connect, a 429 and the one re-signed attempt after a clock-skew
      rejection are, since the service cannot have seen those).
    * Delay before retry *n* (1-based): full jitter, uniform in
      ``[0, min(max_delay, initial_delay * 2**(n-1))]``; a ``Retry-After`` sent with a 429 or
      503 wins, up to ``retry_after_cap``.
    * ``max_retries`` retries after the first attempt; ``deadline`` bounds a whole call (attempts,
      back-offs and every wait before sending: the 429 gate, the rate limit, calibration); a retry
      whose delay would end past the deadline is not made.
    """

    max_retries: int = attrs.field(
        default=_defaults.MAX_RETRIES, validator=_checks.field(_checks.count, 0)
    )
    initial_delay: float = attrs.field(default=_defaults.INITIAL_DELAY, validator=_seconds)
    max_delay: float = attrs.field(default=_defaults.MAX_DELAY, validator=_seconds)
    retry_after_cap: float = attrs.field(default=_defaults.RETRY_AFTER_CAP, validator=_seconds)
    deadline: float | None = attrs.field(
        default=_defaults.DEADLINE, validator=_checks.field(_checks.optional_seconds)
    )

    def __attrs_post_init__(self) -> None:
        if self.initial_delay > self.max_delay:
            raise ValueError("initial_delay must be <= max_delay")

    def ceilings(self) -> Iterator[float]:
        """Back-off ceilings before jitter: ``initial_delay``, doubling, capped at ``max_delay``."""
        gen = backoff.expo(base=2, factor=self.initial_delay, max_value=self.max_delay)
        next(gen)  # backoff's generators are primed with one empty send
        return gen

    def delays(self, rng: random.Random) -> Iterator[float]:
        """Full-jitter delays for retries 1, 2, ... (an infinite iterator)."""
        return (rng.uniform(0.0, ceiling) for ceiling in self.ceilings())

    def delay_for(self, error: BaseException, jittered: float) -> float:
        """The wait before the next attempt: ``Retry-After`` (capped) on a 429 or 503 that sent
        one, else ``jittered``."""
        after: float | None = getattr(error, "retry_after", None)  # an ``ApiError``'s
        if after is None or getattr(error, "status", None) not in RETRY_AFTER_STATUSES:
            return jittered
        return min(after, self.retry_after_cap)


class BackoffGate:
    """One back-off shared by every request of a client.

    When the gateway answers 429, the request that saw it ``trip``s the gate for its delay, and
    every request of the client, the poller's included, ``wait``s at the gate before its next
    attempt: a batch slows down together instead of each task hammering on its own.
    """

    refusal: Final = "the 429 back-off gate stays closed past the call's deadline"

    def __init__(self, clock: _defaults.Clock, sleep: _defaults.Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._open_at = 0.0

    @property
    def closed_for(self) -> float:
        """Seconds until the gate opens (0 when open)."""
        return max(0.0, self._open_at - self._clock())

    def trip(self, delay: float) -> None:
        """Close the gate for ``delay`` seconds from now (never shortens a longer closure; 0
        changes nothing)."""
        self._open_at = max(self._open_at, self._clock() + delay)

    async def admit(self, deadline: float | None = None) -> bool:
        """An admission step of the transport: True once the gate is open (at once if it is),
        False without waiting if it will still be closed at ``deadline`` (the ``clock``'s time).

        Sleeps for the time left, and again only if another request tripped the gate further
        meanwhile (so an injected sleep that does not move the clock cannot spin).
        """
        while (remaining := (opens := self._open_at) - self._clock()) > 0:
            if deadline is not None and opens > deadline:
                return False
            await self._sleep(remaining)
            if self._open_at <= opens:
                return True
        return True


# -- the decision after a failed attempt ------------------------------------------------------


class Action(enum.Enum):
    """What the transport does after a failed attempt."""

    RETRY = "retry"
    """Wait ``Decision.delay`` seconds (at the 429 gate, after a 429), then try again."""
    RESIGN = "resign"
    """Send again at once, signed with the clock offset the rejection taught (once per call)."""
    RAISE = "raise"
    """Give up: raise the attempt's error."""


@attrs.frozen
class Outcome:
    """What decides about a failed attempt: its ``error``, the HTTP ``status`` if an answer
    came, whether the request may have reached the server (``sent``: False only when no
    connection was made), and whether the answer taught the clock an offset that explains a
    rejected timestamp (``skewed``)."""

    error: NcpError
    status: int | None = None
    sent: bool = True
    skewed: bool = False


@attrs.frozen
class Decision:
    """``action``, the ``delay`` in seconds before a retry, and ``gate``: seconds to close the
    client-wide 429 gate for (a 429 throttles the client, not one call: every request waits,
    even when this call gives up), 0 for none."""

    action: Action
    delay: float = 0.0
    gate: float = 0.0


def decide(
    outcome: Outcome,
    attempt: int,
    request: Request,
    policy: RetryPolicy,
    *,
    now: float,
    jittered: float,
    resigned: bool,
) -> Decision:
    """What to do after attempt number ``attempt`` (1-based) of ``request`` failed. Pure.

    * Re-sign once per call, at once, when the gateway rejected the timestamp and its ``Date``
      showed the local clock off (``outcome.skewed``): the service never saw that attempt.
    * Otherwise retry a transient failure (``classify``), at most ``policy.max_retries``
      times, after ``policy.delay_for`` (``jittered`` is this retry's full-jitter draw, a
      ``Retry-After`` wins), unless the delay would end at or past the request's deadline
      (``now`` and the deadline are the client's ``monotonic`` seconds), or the request is a
      write that may have reached the server (``sent``; a 429 is a definite "not done").
    * Else raise. A 429 closes the gate for its delay whatever is decided for the call.
    """
    if outcome.skewed and not resigned:
        return Decision(Action.RESIGN)
    delay = policy.delay_for(outcome.error, jittered)
    gate = delay if outcome.status == 429 else 0.0
    if (
        classify(outcome.error) is not Verdict.TRANSIENT
        or attempt > policy.max_retries
        or (not request.idempotent and outcome.sent and outcome.status != 429)
        or (request.deadline is not None and now + delay >= request.deadline)
    ):
        return Decision(Action.RAISE, gate=gate)
    return Decision(Action.RETRY, delay, gate)
