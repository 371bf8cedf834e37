"""A rate limit shared by processes through Redis: ``SharedPacer`` (the ``redis`` extra).

The algorithm is the one ``Pacer`` uses in one process, kept in Redis: one "next free slot"
time per limit. A client reserves the next slot with one atomic Lua script, timed by Redis'
own clock (``TIME``), which answers how long to wait; the client sleeps that long in its event
loop and sends. Slots are ``spacing`` apart on the shared timeline whichever process takes
them, so N processes together never exceed the limit and never burst; a slot past the caller's
deadline is not reserved at all, exactly as ``Pacer`` does. The same script keeps the set of
live participants (a sorted set scored by each one's last request), so that a process knows its
share of the limit when Redis becomes unreachable.

Why not the ``limits`` package (the usual choice): its strategies (fixed window, moving window,
sliding window counter) admit a whole window's budget at once, in windows of whole seconds, and
time entries with each caller's own clock. Bursts arriving with a few milliseconds of jitter
straddle the gateway's own window boundary and draw 429s, a moving window of ``n`` per second
cannot express ``n`` evenly spaced requests, and processes on machines whose clocks disagree
disagree on the window. Its ``hit`` also answers only "yes or no": every waiting process would
poll Redis and race for each freed slot. A reservation answers "your slot is in 12.5 ms" in one
round trip, in arrival order. The storage and the connection handling are redis-py's
(``redis.asyncio``), the most used Redis client, which arq uses too.
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import socket
from typing import Any, Final, cast

from . import _defaults
from ._ratelimit import Pacer, RateLimit, mask_url
from ._transport import logger
from .errors import ClientClosedError, ConfigurationError, SharedLimitError, shorten

#: Prefix of the Redis keys of a shared limit: ``KEY_PREFIX + account + ":" + name`` holds the
#: next free slot (epoch microseconds, Redis' clock) and the rate, as ``"<slot> <rate>"``; the
#: same key with ``":members"`` appended, the participants. ``account`` is an ``account_id``.
KEY_PREFIX: Final = "ncp_media_async:rate:"

#: The name these connections give themselves (``CLIENT LIST`` shows it).
CLIENT_NAME: Final = "ncp_media_async"

#: Reserve the next slot. KEYS: the slot key, the participants key. ARGV: spacing (µs), how
#: long a participant stays counted after its last request and the slot key after its slot
#: (µs), how far ahead a slot may be (µs), the rate, this participant's id, the longest wait
#: the caller accepts (µs, -1: any). Returns {wait in µs or -1 (no slot before the deadline, none
#: reserved), live participants, 1 if the slot held was corrupt and was reset, else 0}, or
#: {-2, 0, the rate recorded} when it is not this rate (nothing is reserved then). A slot that
#: cannot be read, has no time to live (not written here) or is too far ahead is corrupt.
#: Numbers are formatted with %.0f because Lua would write 1.7e+15 for an epoch in µs.
SCRIPT: Final = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing, live, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[6])
local value, slot, rate = redis.pcall('GET', KEYS[1]), nil, nil
if type(value) == 'string' and redis.call('PTTL', KEYS[1]) > 0 then
  slot, rate = string.match(value, '^(%d+) (.+)$')
end
if rate and rate ~= ARGV[4] then return {-2, 0, rate} end
slot = tonumber(slot)
local corrupt = value and not (slot and slot <= now + tonumber(ARGV[3]))
if corrupt then slot = now end
if redis.call('TYPE', KEYS[2]).ok ~= 'zset' then redis.call('DEL', KEYS[2]) end
redis.call('ZADD', KEYS[2], string.format('%.0f', now), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now - live))
redis.call('PEXPIRE', KEYS[2], string.format('%.0f', math.ceil(live / 1000)))
local participants = redis.call('ZCARD', KEYS[2])
local wait = math.max(now, slot or 0) - now
if max_wait >= 0 and wait > max_wait then return {-1, participants, 0} end
redis.call('SET', KEYS[1], string.format('%.0f %s', now + wait + spacing, ARGV[4]),
  'PX', string.format('%.0f', math.ceil((wait + spacing + live) / 1000)))
return {wait, participants, corrupt and 1 or 0}
"""


class SharedPacer(Pacer):
    """Hands out send slots ``limit.spacing`` seconds apart on a timeline kept in Redis at
    ``limit.shared``, shared by every client using the same URL, ``account`` (an
    ``account_id``) and ``limit.name``. See ``RateLimit`` for the behaviour when Redis cannot
    be reached, when another rate is recorded, and when the slot held is corrupt. While Redis
    cannot be reached, it paces this process alone, as a ``Pacer`` at its share of the limit.

    The Redis connections are opened in the running loop at the first ``admit`` (at most
    ``SHARED_LIMIT_CONNECTIONS``) and closed by ``close``. A caller cancelled while waiting
    (for Redis or for its slot) leaves nothing behind but, possibly, an unused slot: the pace
    only gets slower, never faster. ``clock`` and ``sleep`` are the client's ``monotonic`` and
    ``sleep``: deadlines are in that clock, every wait goes through that sleep.
    """

    def __init__(
        self, limit: RateLimit, clock: _defaults.Clock, sleep: _defaults.Sleep, account: str
    ) -> None:
        super().__init__(limit, clock, sleep)
        url = cast(str, limit.shared)  # make_pacer makes one for a shared limit
        self._what = f"{limit.name!r} at {mask_url(url)}"  # what the log lines name
        try:  # a missing extra fails when the client is built
            import redis.asyncio
            import redis.asyncio.retry
            import redis.backoff
        except ImportError:
            raise ConfigurationError(
                "RateLimit(shared=...) needs the redis extra: pip install 'ncp_media_async[redis]'"
            ) from None
        self._redis: Any = redis
        try:  # a URL whose options redis-py cannot use fails here, not at every request
            pool: Any = redis.asyncio.BlockingConnectionPool.from_url(
                url,
                max_connections=_defaults.SHARED_LIMIT_CONNECTIONS,
                timeout=None,  # waiting for a connection is bounded by the call's timeout
                socket_connect_timeout=_defaults.SHARED_LIMIT_REDIS_TIMEOUT,
                socket_timeout=_defaults.SHARED_LIMIT_REDIS_TIMEOUT,
                retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0),  # we fall back
                client_name=CLIENT_NAME,  # what CLIENT LIST shows of these connections
            )
            pool.make_connection()  # builds one connection object; connects nothing
        except (ValueError, TypeError, redis.RedisError) as exc:
            raise ConfigurationError(
                f"RateLimit(shared={mask_url(url)!r}) is not a URL redis-py can use: "
                + shorten(str(exc), 200)
            ) from None
        # Nothing connects before the first reservation (in the running loop).
        self._client = redis.asyncio.Redis(connection_pool=pool)
        self._connections = asyncio.Semaphore(_defaults.SHARED_LIMIT_CONNECTIONS)
        self._script = self._client.register_script(SCRIPT)
        key = f"{KEY_PREFIX}{account}:{limit.name}"
        self._keys = (key, key + ":members")
        self._rate = f"{limit.calls} per {limit.period:.12g} s"
        live = max(2 * limit.period, _defaults.SHARED_LIMIT_LIVE_MIN)
        ahead = max(10 * limit.period, _defaults.SHARED_LIMIT_MAX_AHEAD)
        spacing = max(1, round(limit.spacing * 1e6))
        # The script's ARGV but the last (the caller's longest wait); times in µs. The member is
        # this client's id among the participants: host, process, and a random part.
        member = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._args: list[int | str] = [spacing, round(live * 1e6), round(ahead * 1e6)]
        self._args += [self._rate, member]
        self._warned = False  # about a corrupt slot
        self._participants = 0
        self._down: str | None = None  # why Redis cannot be reached (None: it answers)
        self._retry_at = 0.0  # when to ask Redis again, while it cannot be reached
        self._closed = False

    async def admit(self, deadline: float | None = None) -> bool:
        """Wait for the next shared slot; False, at once and without a slot, if it falls after
        ``deadline`` (the client's monotonic time, seconds).

        While Redis cannot be reached: this process's own share of the limit (``fallback=
        "local"``), or ``SharedLimitError`` (``fallback="fail"``); one caller asks Redis again
        every ``SHARED_LIMIT_RETRY_INTERVAL`` seconds, the others do not wait for it.
        """
        if self._down is not None:
            if self._clock() < self._retry_at:
                return await self._alone(deadline)
            self._retry_at = self._clock() + _defaults.SHARED_LIMIT_RETRY_INTERVAL  # asking now
        try:
            wait = await self._reserve(deadline)
        except (self._redis.RedisError, OSError, TimeoutError) as exc:
            if self._closed:  # close() dropped the connection: Redis did not go away
                raise ClientClosedError("the MediaClient was closed during the call") from None
            self._retry_at = self._clock() + _defaults.SHARED_LIMIT_RETRY_INTERVAL
            if self._down is None:  # say so once per outage
                # redis-py's messages name host and port, never the password.
                why = str(exc) or f"no answer within {_defaults.SHARED_LIMIT_REDIS_TIMEOUT:g} s"
                self._down = shorten(f"{type(exc).__name__}: {why}", 200)
                share = max(self.limit.processes, self._participants)
                self._spacing = self.limit.share(share).spacing
                then = f"pacing this process alone at 1/{share} of the limit"
                if self.limit.fallback == "fail":
                    then = "requests fail with SharedLimitError (fallback='fail')"
                logger.warning(
                    "shared rate limit %s: Redis cannot be reached (%s); %s until Redis answers "
                    "again",
                    self._what, self._down, then,
                )  # fmt: skip
            return await self._alone(deadline)
        if self._down is not None:
            self._down = None
            logger.info("shared rate limit %s: Redis answers again; sharing resumed", self._what)
        if wait is None:
            return False
        if wait > 0:
            await self._sleep(wait)
        return True

    async def _alone(self, deadline: float | None) -> bool:
        """A slot of this process's own share while Redis cannot be reached, or
        ``SharedLimitError`` with ``fallback="fail"``."""
        if self.limit.fallback == "fail":
            raise SharedLimitError(
                f"shared rate limit {self._what}: Redis cannot be reached ({self._down}); "
                "not sending (fallback='fail')"
            )
        return await super().admit(deadline)

    async def _reserve(self, deadline: float | None) -> float | None:
        """Reserve the next slot in Redis: seconds to wait for it, or None when it would come
        after ``deadline`` (then nothing is reserved)."""
        left = math.inf if deadline is None else deadline - self._clock()
        if left < 0:
            return None
        max_wait = -1 if deadline is None else int(left * 1_000_000)
        # The Redis timeout bounds the command, not the queue for one of the pool's connections
        # (a batch of many calls queues there while Redis answers each command in time). A call
        # that queued while Redis failed (or the client closed) does not ask it again.
        retry_at = self._retry_at
        async with self._connections:
            if self._closed or (self._down is not None and self._retry_at != retry_at):
                raise TimeoutError
            async with asyncio.timeout(_defaults.SHARED_LIMIT_REDIS_TIMEOUT):
                args = [*self._args, max_wait]
                wait_us, count, note = await self._script(keys=self._keys, args=args)
        if wait_us == -2:
            theirs = shorten(note.decode(errors="replace"), 100)  # from Redis: bounded
            raise ConfigurationError(
                f"RateLimit {self.limit.name!r} is shared at {theirs} by another client of this "
                f"account; this client asks {self._rate}"
            )
        if note == 1 and not self._warned:
            self._warned = True
            logger.warning(
                "shared rate limit %s: the next slot in Redis was unreadable, not written by "
                "this library or further ahead than %s can produce; reset",
                self._what, self._rate,
            )  # fmt: skip
        self._participants = int(count)
        return None if wait_us < 0 else int(wait_us) / 1_000_000

    async def close(self) -> None:
        """Close the Redis connections. Idempotent; the pacer cannot be used afterwards."""
        self._closed = True
        await self._client.aclose(close_connection_pool=True)
