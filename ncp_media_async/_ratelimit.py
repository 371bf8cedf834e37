"""The client-wide rate limit: ``RateLimit`` (what the caller asks for) and the pacers that keep
to it: ``Pacer`` (one process) and, for a limit shared by processes through Redis,
``_shared_ratelimit.SharedPacer``.

The transport takes one slot before every attempt of every request of the client, retries
included, so two batches running at once share the one budget instead of each spending it.
``make_pacer`` picks the pacer for a ``RateLimit``; ``SharedPacer`` is a ``Pacer`` with the same
two methods (``admit(deadline) -> bool`` and ``close()``), so the transport does not care which
it holds.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final, Literal, TypedDict, Unpack

import attrs
from yarl import URL

from . import _checks, _defaults

#: URL schemes redis-py connects with (TCP, TLS, a Unix socket).
REDIS_SCHEMES: Final = frozenset({"redis", "rediss", "unix"})

Fallback = Literal["local", "fail"]


#: A ``password`` query parameter's value (redis-py reads the password from there too).
_QUERY_PASSWORD: Final = re.compile(r"([?&]password=)[^&#]*")


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: what reprs, logs and errors show of a
    Redis URL (or of an endpoint URL that ``check_base_url`` refuses). The password may be in
    the user info or, as redis-py also reads it, in a ``password`` query parameter
    (``unix:///run/redis.sock?password=...``); when a typo keeps the user info from being read
    as such (``redis//:pw@host``), everything before the last ``@`` is hidden."""
    try:
        url = _QUERY_PASSWORD.sub(r"\1***", url)
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<unparsable URL>"
    if parsed.password:
        return str(parsed.with_password("***"))
    if "@" in url and parsed.user is None:
        return "***@" + url.rpartition("@")[2]
    return url


def _check_shared(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    shown = mask_url(value) if isinstance(value, str) else value
    if isinstance(value, str) and any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError(f"shared must be a Redis URL without spaces, got {shown!r}")
    try:
        scheme = URL(value).scheme
    except (ValueError, TypeError):
        scheme = ""
    if scheme not in REDIS_SCHEMES:
        raise ValueError(
            "shared must be a Redis URL (redis://host:6379/0, rediss://..., unix:///path), "
            f"got {shown!r}"
        )


def _check_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Every white space but " " is unprintable.
    printable = isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable()
    if not printable or " " in value:
        raise ValueError(
            f"name must be 1 to 200 printable characters without spaces, got {value!r}"
        )


class Sharing(TypedDict, total=False):
    """The keyword options of ``RateLimit.per_second`` and ``per_minute`` (see ``RateLimit``)."""

    shared: str | None
    name: str
    processes: int
    fallback: Fallback


def _repr_shared(value: str | None) -> str:
    return repr(None if value is None else mask_url(value))


@attrs.frozen
class RateLimit:
    """At most ``calls`` requests every ``period`` seconds, across every request of one client,
    or, with ``shared``, of every client (in any process, on any machine) using the same Redis
    and ``name``.

    ``RateLimit.per_minute(1000)`` is the limit Media Intelligence documents for its asset
    search; the gateway answers 429 beyond an account's limits. Requests are spaced evenly
    (``period / calls`` seconds apart, no burst), so the limit also holds over any window
    shorter than ``period``: ``per_minute(6000)`` never sends more than 100 in any second.
    Leave a few percent of the account's quota unused: a request reaches the gateway some
    milliseconds after its slot, not always the same number of them, so a limit at exactly the
    quota lets the gateway count one request too many now and then (with ``per_second(97)``
    against a quota of 100 a second, up to 30 ms of such jitter is absorbed).

    Sharing (the ``redis`` extra, ``pip install 'ncp_media_async[redis]'``):

    * ``shared``: a Redis URL (``redis://host:6379/0``, ``rediss://`` for TLS,
      ``unix:///path/redis.sock``). Every client whose limit has the same URL and ``name``, and
      whose credentials have the same access key, takes its slots from one timeline kept in
      Redis, so N processes together send at most ``calls`` every ``period`` (each process then
      gets what it asks for, in turn; none is given a fixed share). Clients of different
      accounts never share a timeline, whatever their ``name``: the Redis keys hold a hash of
      the access key (the first 16 hex digits of its SHA-256), never the key. Slots are reserved
      atomically by a short Lua script timed by Redis' own clock, so the processes' clocks need
      not agree. The password of the URL is never shown in a repr, a log line or an error.
    * ``name``: the budget's name within the account (``"default"`` otherwise), for keeping
      several budgets of one account apart.
    * The rate is part of the shared budget: Redis records ``calls`` and ``period`` beside the
      timeline, and a client asking another rate under the same account and ``name`` gets a
      ``ConfigurationError`` naming both rates at each request, and sends nothing, while the
      clients of the recorded rate are unaffected. The record expires with the budget's keys
      (2 periods, at least 10 s, after the last slot handed out), so a redeploy with a new rate
      works once the processes of the old one are gone.
    * Every Redis key of a budget has a time to live (the above), refreshed by use. A next-slot
      time that Redis holds and that this rate cannot have produced (unreadable, not kept by
      this library, or more than an hour ahead, or ten periods if longer; with deadlines of
      the default 120 s a queue of waiters reaches at most 120 s and one spacing ahead) is
      reset to now, with one warning per client on the ``ncp_media_async`` logger: a value
      written by something else, or a jump of Redis' clock. A caller with ``deadline=None``
      (or over an hour) whose queue grows past that bound sees it reset too.
    * If Redis cannot be reached (or answers with an error), the client logs one warning on
      the ``ncp_media_async`` logger and, with ``fallback="local"`` (the default), paces this
      process alone at its share of the limit: ``1 / P`` of it, where ``P`` is the larger of
      ``processes`` and the number of clients that took a slot from the shared budget within
      the last two periods (at least 10 s) when Redis last answered. That count is kept in
      Redis at no extra round trip, so it follows replicas that come and go; ``processes``
      covers a process that never reached Redis (give the number you start). Redis is asked
      again every few seconds; sharing resumes once it answers (logged at INFO). With
      ``fallback="fail"`` every request raises ``SharedLimitError`` instead, until Redis
      answers. No Redis command is given longer than one second; a call may first queue
      for one of the client's 8 Redis connections (a batch of many calls at once), and when
      Redis fails meanwhile the calls queued do not ask it again.

    A ``RateLimit`` is a frozen, hashable, picklable value; the Redis connection belongs to the
    ``MediaClient`` using it (opened in the running event loop at the first request, closed
    with the client).

    Examples:
        ```python
        # one process: 1,000 requests a minute, evenly spaced (60 ms apart)
        client = ncp.MediaClient(rate_limit=ncp.RateLimit.per_minute(1000))
        # every replica of a deployment shares one budget through Redis
        shared = ncp.RateLimit.per_minute(
            970, shared="redis://redis.internal:6379/0", name="media-ai", processes=4
        )
        client = ncp.MediaClient(rate_limit=shared)
        ```
    """

    calls: int = attrs.field(validator=_checks.field(_checks.count, 1))
    period: float = attrs.field(
        default=1.0, validator=_checks.field(_checks.seconds, positive=True)
    )
    shared: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_check_shared), repr=_repr_shared
    )
    name: str = attrs.field(default="default", validator=_check_name)
    processes: int = attrs.field(default=1, validator=_checks.field(_checks.count, 1))
    fallback: Fallback = attrs.field(
        default="local", validator=attrs.validators.in_(("local", "fail"))
    )

    @classmethod
    def per_second(cls, calls: int, **sharing: Unpack[Sharing]) -> RateLimit:
        """``calls`` requests a second; ``sharing``: ``shared``, ``name``, ``processes``,
        ``fallback`` (see the class)."""
        return cls(calls, 1.0, **sharing)

    @classmethod
    def per_minute(cls, calls: int, **sharing: Unpack[Sharing]) -> RateLimit:
        """``calls`` requests a minute; ``sharing``: ``shared``, ``name``, ``processes``,
        ``fallback`` (see the class)."""
        return cls(calls, 60.0, **sharing)

    @property
    def spacing(self) -> float:
        """Seconds between two requests."""
        return self.period / self.calls

    def share(self, participants: int) -> RateLimit:
        """This limit divided among ``participants`` processes, not shared: what one process
        paces itself at when Redis cannot be reached."""
        return attrs.evolve(self, period=self.period * max(1, participants), shared=None)


class Pacer:
    """Hands out send slots ``limit.spacing`` seconds apart, to every request of a client.

    A slot is reserved when asked for and the caller sleeps until it; a caller cancelled while
    sleeping leaves its slot unused (the pace only gets slower, never faster). A slot that would
    come after the caller's deadline is not reserved at all.
    """

    refusal = "the rate limit has no free slot before the call's deadline"

    def __init__(self, limit: RateLimit, clock: _defaults.Clock, sleep: _defaults.Sleep) -> None:
        self.limit = limit
        self._spacing = limit.spacing
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    async def admit(self, deadline: float | None = None) -> bool:
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

    async def close(self) -> None:
        """Nothing to release."""


def account_id(access_key: str) -> str:
    """What names an account in Redis: the first 16 hex digits of the SHA-256 of
    ``access_key`` (the key itself is never stored, logged or shown)."""
    return hashlib.sha256(access_key.encode()).hexdigest()[:16]


def make_pacer(
    limit: RateLimit | None, clock: _defaults.Clock, sleep: _defaults.Sleep, access_key: str
) -> Pacer | None:
    """The pacer for ``limit`` (``None`` for none): a ``Pacer``, or a ``SharedPacer`` for the
    account of ``access_key`` when ``limit.shared`` is set (which raises ``ConfigurationError``
    here when the ``redis`` extra is missing). Both have the same two methods (``admit`` and
    ``close``), so the transport does not care which it holds."""
    if limit is None or limit.shared is None:
        return None if limit is None else Pacer(limit, clock, sleep)
    from ._shared_ratelimit import SharedPacer

    return SharedPacer(limit, clock, sleep, account_id(access_key))
