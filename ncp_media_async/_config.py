"""The options of ``MediaClient``, declared once: names, types, defaults, units and checks.

``Config`` is the one declaration (its defaults come from ``_defaults``); ``ClientOptions`` is its
keyword-argument mirror, so that ``MediaClient(**options)`` is type-checked (a test keeps the two
in step). ``MediaClient`` builds one ``Config``; the transport reads it. Bad values fail here, at
construction, with a ``ValueError``/``TypeError`` (``ConfigurationError`` for a bad header value)
that says what to fix.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import aiohttp
import attrs
from attrs.validators import deep_iterable, instance_of, is_callable, optional

from . import _checks, _defaults
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._transport import AttemptEvent


@_checks.field
def check_header_value(name: str, value: object) -> None:
    """An attrs validator: the value must be able to travel in an HTTP header, as non-empty text
    without control characters (a CR or LF would let a value forge headers). Else
    ``ConfigurationError``."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value) or not value.isascii():
        raise ConfigurationError(
            f"{name} must be printable ASCII without CR, LF or other control characters"
        )


_seconds = _checks.field(_checks.seconds, positive=True)
_callable: _checks.Validator = is_callable()
_maybe_callable = optional(_callable)
_traces = optional(deep_iterable(instance_of(aiohttp.TraceConfig), instance_of(Sequence)))  # type: ignore[type-abstract]


@attrs.frozen(kw_only=True)
class Config:
    """Every option of a ``MediaClient``. Times in seconds, sizes in bytes.

    Attributes:
        timeout: one attempt, from connect to the last body byte.
        connect_timeout: connecting (TCP and TLS), per attempt.
        retry: the ``RetryPolicy`` (delays, ``Retry-After`` cap, per-call ``deadline``).
        max_retries: shorthand that overrides ``retry.max_retries`` when given.
        max_connections: the connection pool's size across all hosts.
        max_body_size: the largest response body read, counted after decompression; a larger
            one raises ``BodyTooLargeError``.
        region_code: Live Station's ``x-ncp-region_code`` header; ``None`` (the default) takes
            the zone's (``KR``; ``FKR`` in the financial zone, see ``Endpoints``).
        rate_limit: a ``RateLimit`` every request of the client keeps to (retries included),
            or ``None``.
        json_loads: a JSON decoder taking bytes (default: orjson if installed, else json.loads
            refusing NaN and Infinity as orjson does).
        on_attempt: called with an ``AttemptEvent`` after every attempt (metrics; must not
            block).
        trace_configs: aiohttp ``TraceConfig``s for the session the client creates.
        clock: epoch seconds, for signature timestamps (``time.time``).
        monotonic: seconds, for back-offs, deadlines and pacing (``time.monotonic``).
        sleep: the coroutine used for every wait (``asyncio.sleep``).
        rng: the source of jitter.
    """

    timeout: float = attrs.field(default=_defaults.TIMEOUT, validator=_seconds)
    connect_timeout: float = attrs.field(default=_defaults.CONNECT_TIMEOUT, validator=_seconds)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=instance_of(RetryPolicy))
    max_retries: int | None = attrs.field(
        default=None, validator=optional(_checks.field(_checks.count, 0))
    )
    max_connections: int = attrs.field(
        default=_defaults.MAX_CONNECTIONS, validator=_checks.field(_checks.count, 1)
    )
    max_body_size: int = attrs.field(
        default=_defaults.MAX_BODY_SIZE, validator=_checks.field(_checks.count, 1024)
    )
    region_code: str | None = attrs.field(default=None, validator=optional(check_header_value))
    rate_limit: RateLimit | None = attrs.field(
        default=None, validator=optional(instance_of(RateLimit))
    )
    json_loads: Callable[[bytes], Any] | None = attrs.field(default=None, validator=_maybe_callable)
    on_attempt: Callable[[AttemptEvent], None] | None = attrs.field(
        default=None, validator=_maybe_callable
    )
    trace_configs: Sequence[aiohttp.TraceConfig] | None = attrs.field(
        default=None, validator=_traces
    )
    clock: _defaults.Clock = attrs.field(default=time.time, validator=_callable)
    monotonic: _defaults.Clock = attrs.field(default=time.monotonic, validator=_callable)
    sleep: _defaults.Sleep = attrs.field(default=asyncio.sleep, validator=_callable)
    rng: random.Random | None = attrs.field(
        default=None, validator=optional(instance_of(random.Random))
    )

    @property
    def retry_policy(self) -> RetryPolicy:
        """``retry`` with ``max_retries`` applied."""
        if self.max_retries is None:
            return self.retry
        return attrs.evolve(self.retry, max_retries=self.max_retries)


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``MediaClient``: see ``Config`` for their meaning and units."""

    timeout: float
    connect_timeout: float
    retry: RetryPolicy
    max_retries: int | None
    max_connections: int
    max_body_size: int
    region_code: str | None
    rate_limit: RateLimit | None
    json_loads: Callable[[bytes], Any] | None
    on_attempt: Callable[[AttemptEvent], None] | None
    trace_configs: Sequence[aiohttp.TraceConfig] | None
    clock: _defaults.Clock
    monotonic: _defaults.Clock
    sleep: _defaults.Sleep
    rng: random.Random | None
