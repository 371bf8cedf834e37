"""Fault injection: what can go wrong between a client and NCP, decided reproducibly.

Faults come in two families, applied at different points of a request:

* *Gateway faults* (``GATEWAY_FAULTS``) are answered in front of everything else, the way
  an API gateway, load balancer or proxy answers: before the signature is checked and before
  the service sees the request. A faulted import-status poll therefore does not count as a poll.
* *Body faults* (``BODY_FAULTS``) damage a successful response on its way back: the service
  handled the request (an import poll *is* counted) but the client never receives an intact
  body. They apply only to responses that would have been ``200``; a request that fails
  authentication gets its ``401`` unharmed (the decision is still drawn, so the sequence of
  decisions does not depend on which requests were valid).

Every decision is drawn from one ``random.Random(plan.seed)``: the *k*-th eligible request after
a plan was installed gets the same fault for the same seed, whatever the wall clock does.
"""

from __future__ import annotations

import functools
import json
import random
import zlib
from collections import deque
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final

import attrs
from aiohttp import web

from ._wire import dumps, gateway_error, json_response

__all__ = [
    "BODY_FAULTS",
    "BOMB_SIZE",
    "DEEP_JSON_LEVELS",
    "DEFAULT_FAULT_KINDS",
    "GATEWAY_FAULTS",
    "HOSTILE_FAULTS",
    "THROTTLE_MESSAGES",
    "Fault",
    "FaultDecision",
    "FaultInjector",
    "FaultPlan",
    "deep_json",
    "gateway_fault_response",
    "gzip_bomb",
    "truncate_json",
    "wrong_shape",
]


class Fault(StrEnum):
    """One kind of failure the emulator can inject. What each does on the wire:

    ``THROTTLE``
        HTTP 429 with the gateway body, ``errorCode`` ``"400"`` Quota Exceeded, ``"410"`` Throttle
        Limited or ``"420"`` Rate Limited, and ``Retry-After`` (seconds) when configured.
    ``BAD_GATEWAY_HTML``
        HTTP 502 with an nginx-style HTML page (``Content-Type: text/html``).
    ``UNAVAILABLE``
        HTTP 503, ``{"error": {"errorCode": "500", "message": "Endpoint Error"}}``.
    ``GATEWAY_TIMEOUT``
        HTTP 504, ``{"error": {"errorCode": "510", "message": "Endpoint Timeout"}}``.
    ``RESET_BEFORE_BODY``
        The connection is closed without any response (aiohttp: ``ServerDisconnectedError``).
        Note that aiohttp's client silently resends an idempotent request once, on a new
        connection, after such a drop: one reset is absorbed (the emulator sees two requests);
        force two in a row to make a caller see it.
    ``RESET_MID_BODY``
        Status line and headers with the full ``Content-Length`` and half of the real body, then
        the connection is closed (aiohttp: ``ClientPayloadError``).
    ``TRUNCATED_JSON``
        HTTP 200 with the first half of the real JSON body and a matching ``Content-Length``.
    ``WRONG_SHAPE``
        HTTP 200 with valid JSON of the wrong shape: ``content`` (VOD/Live Station) or ``result``
        (Media AI) replaced by a string.
    ``SLOW``
        The answer is held back for ``slow_seconds`` *seconds* (meant to exceed a client timeout),
        then served normally.

    Hostile servers (opt in: not in ``DEFAULT_FAULT_KINDS``), each in place of a 200:

    ``GZIP_BOMB``
        ``Content-Encoding: gzip`` over about 256 KiB that inflates to ``BOMB_SIZE`` bytes
        (256 MiB, eight times the client's default body limit) of zeros.
    ``ENDLESS_BODY``
        A chunked body (no ``Content-Length``) that never ends: chunks of 64 KiB for as long as
        the client reads.
    ``DEEP_JSON``
        ``200`` with 100,000 nested arrays: valid JSON that no recursive decoder can read.
    ``BOGUS_DATE``
        The real answer with a ``Date`` header that lies (``date``; default a day ahead of the
        emulator's clock): a proxy's or a cache's clock, not the gateway's.
    """

    THROTTLE = "throttle"
    BAD_GATEWAY_HTML = "bad_gateway_html"
    UNAVAILABLE = "unavailable"
    GATEWAY_TIMEOUT = "gateway_timeout"
    RESET_BEFORE_BODY = "reset_before_body"
    RESET_MID_BODY = "reset_mid_body"
    TRUNCATED_JSON = "truncated_json"
    WRONG_SHAPE = "wrong_shape"
    SLOW = "slow"
    GZIP_BOMB = "gzip_bomb"
    ENDLESS_BODY = "endless_body"
    DEEP_JSON = "deep_json"
    BOGUS_DATE = "bogus_date"


GATEWAY_FAULTS: Final = frozenset(
    {
        Fault.THROTTLE,
        Fault.BAD_GATEWAY_HTML,
        Fault.UNAVAILABLE,
        Fault.GATEWAY_TIMEOUT,
        Fault.RESET_BEFORE_BODY,
        Fault.SLOW,
    }
)
"""Faults applied before authentication, as a gateway or proxy in front of the service would."""

HOSTILE_FAULTS: Final = frozenset(
    {Fault.GZIP_BOMB, Fault.ENDLESS_BODY, Fault.DEEP_JSON, Fault.BOGUS_DATE}
)
"""What a hostile or broken server sends instead of a 200 (opt in)."""

BODY_FAULTS: Final = (
    frozenset({Fault.RESET_MID_BODY, Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE}) | HOSTILE_FAULTS
)
"""Faults that damage a successful response after the service handled the request."""

DEFAULT_FAULT_KINDS: Final = frozenset(Fault) - {Fault.SLOW} - HOSTILE_FAULTS
"""Every kind except ``SLOW`` (which stalls a client for its whole timeout) and the hostile
servers: opt in to those."""

BOMB_SIZE: Final = 256 << 20
"""Bytes a ``GZIP_BOMB`` inflates to (256 MiB; about 256 KiB on the wire)."""

DEEP_JSON_LEVELS: Final = 100_000
"""Nesting depth of a ``DEEP_JSON`` body."""

THROTTLE_MESSAGES: Final = {
    "400": "Quota Exceeded",
    "410": "Throttle Limited",
    "420": "Rate Limited",
}
"""The API Gateway's HTTP 429 codes and their messages."""

_THROTTLE_CODES: Final = tuple(THROTTLE_MESSAGES)

BAD_GATEWAY_HTML: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _to_kinds(value: Iterable[Fault | str]) -> frozenset[Fault]:
    return frozenset(Fault(v) for v in value)


def _to_routes(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value)


def _to_retry_after(value: str | float | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_rate(_instance: object, _attribute: object, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {value!r}")


@attrs.frozen
class FaultPlan:
    """Which faults to inject, how often and where; reproducible from ``seed``.

    ``rate`` is the probability (0 to 1) that an eligible request gets a fault; the kind is then
    drawn uniformly from ``kinds`` (default: every kind but ``SLOW``). ``routes`` restricts
    faults to some route names (see ``Route``); ``None`` means
    every API route. ``retry_after`` is the ``Retry-After`` header value in *seconds* sent with
    ``THROTTLE`` (``None``: no header, as the real gateway documents none). ``slow_seconds`` is
    how long, in *seconds*, a ``SLOW`` request is held back. ``max_faults`` caps the number of
    faults the plan injects (``rate=1.0, max_faults=2``: the first two eligible requests fail,
    the rest succeed).
    """

    seed: int = 0
    rate: float = attrs.field(default=0.0, validator=_check_rate)
    kinds: frozenset[Fault] = attrs.field(default=DEFAULT_FAULT_KINDS, converter=_to_kinds)
    routes: frozenset[str] | None = attrs.field(default=None, converter=_to_routes)
    retry_after: str | None = attrs.field(default="0", converter=_to_retry_after)
    slow_seconds: float = 5.0
    max_faults: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.rate > 0 and not self.kinds:
            raise ValueError("a FaultPlan with a positive rate needs at least one kind")


@attrs.frozen
class FaultDecision:
    """One injected fault with everything needed to put it on the wire."""

    fault: Fault
    throttle_code: str
    """The gateway code of a ``THROTTLE`` (``"400"``, ``"410"`` or ``"420"``)."""
    retry_after: str | None
    """The ``Retry-After`` header of a ``THROTTLE``, *seconds* (``None``: no header)."""
    slow_seconds: float
    """How long a ``SLOW`` request is held back, *seconds*."""
    date: str | None = None
    """The ``Date`` header of a ``BOGUS_DATE`` (``None``: a day ahead of the emulator)."""


@attrs.frozen
class _Forced:
    decision: FaultDecision
    routes: frozenset[str] | None


class FaultInjector:
    """Decides, request by request, whether and how to fail.

    Faults queued with ``force`` are served first (to the first eligible requests, in
    order); then the installed ``FaultPlan`` draws from its own ``random.Random(seed)``.
    """

    __slots__ = ("_forced", "_injected", "_kinds", "_plan", "_rng")

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._forced: deque[_Forced] = deque()
        self._plan: FaultPlan | None = None
        self._rng = random.Random(0)
        self._kinds: tuple[Fault, ...] = ()
        self._injected = 0
        self.plan = plan

    @property
    def plan(self) -> FaultPlan | None:
        """The active plan; assigning one restarts its random sequence and ``max_faults``."""
        return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan | None) -> None:
        self._plan = plan
        self._injected = 0
        if plan is not None:
            self._rng = random.Random(plan.seed)
            # Definition order, not set order: set order of str enums changes with the hash seed.
            self._kinds = tuple(kind for kind in Fault if kind in plan.kinds)

    def force(
        self,
        kinds: Iterable[Fault],
        *,
        routes: Iterable[str] | None = None,
        throttle_code: str = "410",
        retry_after: str | None = "0",
        slow_seconds: float = 5.0,
        date: str | None = None,
    ) -> None:
        """Queue faults for the next eligible requests, one request per fault, in order."""
        if throttle_code not in THROTTLE_MESSAGES:
            raise ValueError(f"throttle_code must be one of {sorted(THROTTLE_MESSAGES)}")
        route_set = _to_routes(routes)
        for kind in kinds:
            decision = FaultDecision(Fault(kind), throttle_code, retry_after, slow_seconds, date)
            self._forced.append(_Forced(decision, route_set))

    def clear(self) -> None:
        """Drop queued faults and the plan."""
        self._forced.clear()
        self.plan = None

    @property
    def pending_forced(self) -> int:
        """How many queued faults are still waiting for a request."""
        return len(self._forced)

    def decide(self, route: str) -> FaultDecision | None:
        """The fault for the next request to ``route``, or ``None``."""
        if self._forced:
            for index, forced in enumerate(self._forced):
                if forced.routes is None or route in forced.routes:
                    del self._forced[index]
                    return forced.decision
        plan = self._plan
        if plan is None or plan.rate <= 0.0:
            return None
        if plan.routes is not None and route not in plan.routes:
            return None
        if plan.max_faults is not None and self._injected >= plan.max_faults:
            return None
        rng = self._rng
        if rng.random() >= plan.rate:
            return None
        kind = rng.choice(self._kinds)
        code = rng.choice(_THROTTLE_CODES) if kind is Fault.THROTTLE else "410"
        self._injected += 1
        return FaultDecision(kind, code, plan.retry_after, plan.slow_seconds)


def gateway_fault_response(decision: FaultDecision) -> web.Response:
    """The response for a status-code gateway fault (429, 502, 503 or 504). ``Retry-After``
    goes with a 429 and a 503 when the decision has one."""
    fault = decision.fault
    headers = {} if decision.retry_after is None else {"Retry-After": decision.retry_after}
    if fault is Fault.THROTTLE:
        code = decision.throttle_code
        return json_response(gateway_error(code, THROTTLE_MESSAGES[code]), 429, headers)
    if fault is Fault.BAD_GATEWAY_HTML:
        return web.Response(
            body=BAD_GATEWAY_HTML, status=502, headers={"Content-Type": "text/html"}
        )
    if fault is Fault.UNAVAILABLE:
        return json_response(gateway_error("500", "Endpoint Error"), 503, headers)
    if fault is Fault.GATEWAY_TIMEOUT:
        return json_response(gateway_error("510", "Endpoint Timeout"), 504)
    raise ValueError(f"{fault} is not answered with a status code")


def truncate_json(body: bytes) -> bytes:
    """The first half of a JSON body (at least one byte): never valid JSON for an object."""
    return body[: max(1, len(body) // 2)]


def wrong_shape(body: bytes) -> bytes:
    """Valid JSON of the wrong shape: the payload member (``content``/``result``) as a string."""
    try:
        obj: Any = json.loads(body)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return dumps({"content": "unexpected"})
    key = "result" if "result" in obj and "content" not in obj else "content"
    obj[key] = "unexpected"
    return dumps(obj)


@functools.cache
def gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    """A gzip stream of ``size`` zero bytes (made once per process, in about half a second for
    the default size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(bytes(size % len(block))))
    parts.append(packer.flush())
    return b"".join(parts)


@functools.cache
def deep_json(levels: int = DEEP_JSON_LEVELS) -> bytes:
    """``levels`` nested JSON arrays."""
    return b"[" * levels + b"]" * levels
