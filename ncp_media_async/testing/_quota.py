"""Quota enforcement: at most N requests every W seconds per access key, 429 beyond.

NCP's API Gateway refuses a request over an account's limits with HTTP 429 and its own body,
``{"error": {"errorCode": "400", "message": "Quota Exceeded"}}`` (``"410"`` Throttle Limited,
``"420"`` Rate Limited for its other limits). The documents say neither how the gateway counts
(a counter per calendar window, a sliding log, a token bucket) nor whether it sends
``Retry-After``. The emulator picks one plausible answer by default, a *fixed* window (a
counter per access key that starts afresh at every multiple of the window on the emulator's
clock, as per-minute API quotas commonly do) with ``Retry-After`` (whole seconds until the
window ends); ``mode="sliding"`` (at most N in *any* W seconds, the strictest reading) and
``retry_after=False`` give the other answers, so a client can be tested against each.

A refused request does not count against the quota. Memory is bounded: one counter per access
key (fixed), at most N timestamps per access key (sliding).
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from typing import Final, Literal

import attrs
from aiohttp import web

from ._faults import THROTTLE_MESSAGES
from ._wire import gateway_error, json_response

__all__ = ["Quota", "QuotaKeeper"]

_SPEC: Final = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?|\.\d+)\s*")


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"quota {attribute.name} must be an int >= 1, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"quota {attribute.name} must be > 0 seconds, got {value!r}")


def _mode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("fixed", "sliding"):
        raise ValueError(f"quota mode must be 'fixed' or 'sliding', got {value!r}")


def _code(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in THROTTLE_MESSAGES:
        raise ValueError(f"quota code must be one of {', '.join(THROTTLE_MESSAGES)}, got {value!r}")


@attrs.frozen
class Quota:
    """At most ``requests`` requests every ``window`` *seconds*, per access key.

    ``mode``: ``"fixed"`` counts per calendar window (``[k × window, (k + 1) × window)`` on the
    emulator's clock); ``"sliding"`` allows at most ``requests`` in any ``window`` seconds.
    ``code`` is the gateway's ``errorCode`` of the 429 (``"400"`` Quota Exceeded, ``"410"``
    Throttle Limited, ``"420"`` Rate Limited); ``retry_after`` whether the 429 carries a
    ``Retry-After`` header (whole *seconds* until a request would be admitted, at least 1).
    """

    requests: int = attrs.field(validator=_positive_int)
    window: float = attrs.field(validator=_positive)
    mode: Literal["fixed", "sliding"] = attrs.field(default="fixed", validator=_mode)
    code: str = attrs.field(default="400", validator=_code)
    retry_after: bool = True

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        mode: Literal["fixed", "sliding"] = "fixed",
        code: str = "400",
        retry_after: bool = True,
    ) -> Quota:
        """``"600/60"``: 600 requests every 60 seconds. ``ValueError`` for anything else."""
        match = _SPEC.fullmatch(spec)
        if match is None:
            raise ValueError(f"a quota is REQUESTS/SECONDS such as 600/60, got {spec!r}")
        return cls(int(match[1]), float(match[2]), mode, code, retry_after)

    def __str__(self) -> str:
        return f"{self.requests}/{self.window:g} s ({self.mode} window, 429 code {self.code})"


class QuotaKeeper:
    """Applies a ``Quota`` (or none) to requests, per access key, and counts what it did.

    ``admitted`` and ``refused`` count requests per access key since the quota was set.
    """

    def __init__(self, quota: Quota | None = None) -> None:
        self._quota: Quota | None = None
        self.quota = quota

    @property
    def quota(self) -> Quota | None:
        """The quota in force (``None``: no limit). Setting one starts counting afresh."""
        return self._quota

    @quota.setter
    def quota(self, quota: Quota | None) -> None:
        self._quota = quota
        self.admitted: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._fixed: dict[str, tuple[int, int]] = {}  # key -> (window index, count)
        self._sliding: dict[str, deque[float]] = {}  # key -> admitted times, oldest first

    def check(self, access_key: str, now: float) -> web.Response | None:
        """Admit one request of ``access_key`` at ``now`` (epoch *seconds*): ``None``, or the
        gateway's 429 to answer instead."""
        quota = self._quota
        if quota is None:
            return None
        wait = self._wait(quota, access_key, now)
        if wait is None:
            self.admitted[access_key] += 1
            return None
        self.refused[access_key] += 1
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if quota.retry_after else {}
        body = gateway_error(quota.code, THROTTLE_MESSAGES[quota.code])
        return json_response(body, 429, headers)

    def _wait(self, quota: Quota, key: str, now: float) -> float | None:
        """Record the request if the quota admits it (``None``); else the seconds until it
        would."""
        if quota.mode == "fixed":
            index = math.floor(now / quota.window)
            seen, count = self._fixed.get(key, (index, 0))
            if seen != index:
                count = 0
            if count >= quota.requests:
                return (index + 1) * quota.window - now
            self._fixed[key] = (index, count + 1)
            return None
        times = self._sliding.setdefault(key, deque(maxlen=quota.requests))
        if len(times) == quota.requests and times[0] > now - quota.window:
            return times[0] + quota.window - now
        times.append(now)
        return None
