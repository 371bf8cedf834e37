"""The client-wide rate limit: ``RateLimit`` (what the caller asks for) and ``Pacer`` (how the
transport keeps to it).

The transport acquires one slot before every attempt of every request of the client, retries
included, so two batches running at once share the one budget instead of each spending it.
"""

from __future__ import annotations

import asyncio
import time

import attrs

from . import _defaults

__all__ = ["Pacer", "RateLimit"]


@attrs.frozen
class RateLimit:
    """At most ``calls`` requests every ``period`` seconds, across every request of one client.

    ``RateLimit.per_minute(1000)`` is the limit Media Intelligence documents for its asset
    search; the gateway answers 429 beyond an account's limits. Requests are spaced evenly
    (``period / calls`` seconds apart, no burst), so the limit also holds over any window
    shorter than ``period``.
    """

    calls: int
    period: float = 1.0

    def __attrs_post_init__(self) -> None:
        if isinstance(self.calls, bool) or not isinstance(self.calls, int) or self.calls < 1:
            raise ValueError(f"calls must be an int >= 1, got {self.calls!r}")
        if not self.period > 0:
            raise ValueError(f"period must be > 0 seconds, got {self.period!r}")

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


class Pacer:
    """Hands out send slots ``limit.spacing`` seconds apart, to every request of a client.

    A slot is reserved when asked for and the caller sleeps until it; a caller cancelled while
    sleeping leaves its slot unused (the pace only gets slower, never faster). A slot that would
    come after the caller's deadline is not reserved at all.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: _defaults.Clock = time.monotonic,
        sleep: _defaults.Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._spacing = limit.spacing
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    async def acquire(self, deadline: float | None = None) -> bool:
        """Wait for the next slot; False, at once and without a slot, if it falls after
        ``deadline`` (the clock's time)."""
        now = self._clock()
        slot = max(now, self._next)
        if deadline is not None and slot > deadline:
            return False
        self._next = slot + self._spacing
        if slot > now:
            await self._sleep(slot - now)
        return True
