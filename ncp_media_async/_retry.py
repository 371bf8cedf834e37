"""The retry policy: what is retried, how long to wait, the shared back-off gate, clock skew.

Pure decisions (``RetryPolicy.reason``, ``RetryPolicy.delays``, ``skew_from_date``) are separate
from waiting, and every wait goes through an injected ``sleep`` and ``clock``, so tests check exact
delays without sleeping. The back-off schedule is ``backoff.expo`` (doubling from
``initial_delay``, capped at ``max_delay``) with full jitter drawn from an injected ``random``.
The loop itself lives in the transport, not in ``backoff``'s decorator: the decorator hard-wires
``asyncio.sleep`` and wall-clock time, which rules out injected clocks, per-call deadlines, the
shared 429 gate and the one re-signed attempt after a clock-skew rejection.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Final

import attrs
import backoff

from . import _defaults
from .errors import ApiError, RateLimitError, ResponseError, TransportError

__all__ = ["BackoffGate", "RetryPolicy", "Sleep", "skew_from_date"]

Sleep = _defaults.Sleep
Clock = _defaults.Clock

#: HTTP statuses retried whatever their body says.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


@attrs.frozen
class RetryPolicy:
    """How a call is retried. Times in seconds.

    * Retried: HTTP 429, 500, 502, 503, 504 (classified by status even when the body is HTML),
      connection errors and timeouts (``TransportError``), and success responses whose body cannot
      be read (truncated, HTML from a proxy, wrong shape: a GET is idempotent, and a proxy's glitch
      is the likely cause). Never retried: 400, 401, 403, 404, other 4xx, and cancellation.
    * Delay before retry *n* (1-based): full jitter, uniform in
      ``[0, min(max_delay, initial_delay * 2**(n-1))]``; a ``Retry-After`` the server sent wins,
      up to ``retry_after_cap``.
    * ``max_retries`` retries after the first attempt; ``deadline`` bounds a whole call (attempts
      and back-offs); a retry whose delay would end past the deadline is not made.
    """

    max_retries: int = _defaults.MAX_RETRIES
    initial_delay: float = _defaults.INITIAL_DELAY
    max_delay: float = _defaults.MAX_DELAY
    retry_after_cap: float = _defaults.RETRY_AFTER_CAP
    deadline: float | None = _defaults.DEADLINE

    def __attrs_post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise ValueError("retry delays must be >= 0 seconds")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError(f"deadline must be > 0 seconds or None, got {self.deadline}")

    @staticmethod
    def reason(error: BaseException) -> str | None:
        """Why ``error`` is worth another attempt (for the log), or ``None`` if it is not."""
        if isinstance(error, ApiError):
            return f"HTTP {error.status}" if error.status in RETRY_STATUSES else None
        if isinstance(error, TransportError | ResponseError):
            return str(error.args[0]) if error.args else type(error).__name__
        return None

    def ceilings(self) -> Iterator[float]:
        """Back-off ceilings before jitter: ``initial_delay``, doubling, capped at ``max_delay``."""
        gen = backoff.expo(base=2, factor=self.initial_delay, max_value=self.max_delay)
        next(gen)  # backoff's generators are primed with one empty send
        return gen

    def delays(self, rng: random.Random) -> Iterator[float]:
        """Full-jitter delays for retries 1, 2, ... (an infinite iterator)."""
        for ceiling in self.ceilings():
            yield rng.uniform(0.0, ceiling)

    def delay_for(self, error: BaseException, jittered: float) -> float:
        """The wait before the next attempt: ``Retry-After`` (capped) if sent, else ``jittered``."""
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return min(error.retry_after, self.retry_after_cap)
        return jittered


class BackoffGate:
    """One back-off shared by every request of a client.

    When the gateway answers 429, the request that saw it ``trip``s the gate for its delay, and
    every request of the client, the poller's included, ``wait``s at the gate before its next
    attempt: a batch slows down together instead of each task hammering on its own.
    """

    __slots__ = ("_clock", "_open_at", "_sleep")

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._open_at = 0.0

    @property
    def closed_for(self) -> float:
        """Seconds until the gate opens (0 when open)."""
        return max(0.0, self._open_at - self._clock())

    def trip(self, delay: float) -> None:
        """Close the gate for ``delay`` seconds from now (never shortens a longer closure)."""
        self._open_at = max(self._open_at, self._clock() + delay)

    async def wait(self) -> None:
        """Return when the gate is open; at once if it is.

        Sleeps once for the time left, and again only if another request tripped the gate
        further meanwhile (so an injected sleep that does not move the clock cannot spin).
        """
        while (remaining := (opens := self._open_at) - self._clock()) > 0:
            await self._sleep(remaining)
            if self._open_at <= opens:
                return


def skew_from_date(date_header: str | None, local_now: float) -> float | None:
    """Server clock minus local clock in seconds, from an HTTP ``Date`` header, or ``None``.

    ``Date`` has a resolution of one second, so the answer is good to about a second: plenty for a
    gateway that accepts timestamps within five minutes.
    """
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if server.tzinfo is None:
        return None
    return server.timestamp() + 0.5 - local_now
