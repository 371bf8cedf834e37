"""``MediaClient``, ``Credentials`` and ``Endpoints``: the entry point of the package."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import aiohttp
import attrs

from . import _defaults
from ._retry import RetryPolicy
from ._signing import Signer
from ._transport import AttemptEvent, Service, Transport
from .errors import ConfigurationError
from .live_station import LiveStation
from .media_ai import MediaAI
from .vod_station import VodStation

__all__ = ["Credentials", "Endpoints", "MediaClient"]


def _mask(access_key: str) -> str:
    return access_key[:4] + "…" if len(access_key) > 4 else "…"


@attrs.frozen(repr=False)
class Credentials:
    """An NCP API key pair. ``repr`` and ``str`` show only the first 4 characters of the access
    key and never the secret."""

    access_key: str = attrs.field()
    secret_key: str = attrs.field()

    @access_key.validator
    @secret_key.validator
    def _check(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"{attribute.name} must be a non-empty string")

    def __repr__(self) -> str:
        return f"Credentials(access_key={_mask(self.access_key)!r}, secret_key=<hidden>)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """From ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY``, else ``NCLOUD_ACCESS_KEY`` and
        ``NCLOUD_SECRET_KEY`` (the names NCP's own CLI and Terraform provider use)."""
        env = os.environ if environ is None else environ
        for prefix in ("NCP", "NCLOUD"):
            access, secret = env.get(f"{prefix}_ACCESS_KEY"), env.get(f"{prefix}_SECRET_KEY")
            if access and secret:
                return cls(access, secret)
        raise ConfigurationError(
            "no credentials: set NCP_ACCESS_KEY and NCP_SECRET_KEY "
            "(or NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY)"
        )


def _check_url(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"{attribute.name} must be an http(s) URL, got {value!r}")


@attrs.frozen
class Endpoints:
    """Base URLs of the three services; the public NCP hosts by default.

    ``Endpoints.at(url)`` points every service at one base URL (the emulator, a proxy).
    A base URL may carry a path prefix; it is then part of what is signed.
    """

    vod_station: str = attrs.field(default=_defaults.VOD_STATION_URL, validator=_check_url)
    live_station: str = attrs.field(default=_defaults.LIVE_STATION_URL, validator=_check_url)
    media_ai: str = attrs.field(default=_defaults.MEDIA_AI_URL, validator=_check_url)

    @classmethod
    def at(cls, base_url: str) -> Endpoints:
        """Every service at ``base_url``."""
        return cls(vod_station=base_url, live_station=base_url, media_ai=base_url)


class MediaClient:
    """The asyncio client for VOD Station, Live Station and Media AI Understanding.

    ::

        async with MediaClient(Credentials.from_env()) as client:
            stats = await client.vod_station.status_statistics(start=t0, end=t1)

    Args:
        credentials: the key pair; ``None`` reads ``Credentials.from_env()``.
        endpoints: base URLs (``Endpoints.at("http://127.0.0.1:8080")`` for the emulator).
        timeout: seconds for one attempt, connect to last body byte.
        connect_timeout: seconds to connect, per attempt.
        max_retries: retries after the first attempt (shorthand for ``retry``'s field).
        retry: the full ``RetryPolicy`` (delays, ``Retry-After`` cap, per-call deadline).
        max_connections: size of the connection pool across all hosts.
        region_code: Live Station's ``x-ncp-region_code`` header.
        session: a caller-owned ``aiohttp.ClientSession``; the client uses it and does not
            close it (its own timeout and connector then apply, except the per-attempt timeout).
        json_loads: a JSON decoder taking bytes (default: orjson if installed, else json).
        on_attempt: called with an ``AttemptEvent`` after every attempt (metrics; must not
            block).
        trace_configs: aiohttp ``TraceConfig``s for the session the client creates.
        clock, monotonic, sleep, rng: injectable time sources (seconds), sleep and randomness.

    The aiohttp session is created inside the running event loop on first use and closed by
    ``close()`` or leaving ``async with``.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        endpoints: Endpoints | None = None,
        timeout: float = _defaults.TIMEOUT,
        connect_timeout: float = _defaults.CONNECT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = _defaults.MAX_CONNECTIONS,
        region_code: str = _defaults.REGION_CODE,
        session: aiohttp.ClientSession | None = None,
        json_loads: Callable[[bytes], Any] | None = None,
        on_attempt: Callable[[AttemptEvent], None] | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        clock: _defaults.Clock = time.time,
        monotonic: _defaults.Clock = time.monotonic,
        sleep: _defaults.Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.credentials = credentials if credentials is not None else Credentials.from_env()
        if not isinstance(self.credentials, Credentials):
            raise TypeError("credentials must be a Credentials object")
        self.endpoints = endpoints or Endpoints()
        policy = retry or RetryPolicy()
        if max_retries is not None:
            policy = attrs.evolve(policy, max_retries=max_retries)
        if not region_code:
            raise ConfigurationError("region_code must not be empty")
        self._transport = Transport(
            Signer(self.credentials.access_key, self.credentials.secret_key),
            policy=policy,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_connections=max_connections,
            session=session,
            json_loads=json_loads,
            on_attempt=on_attempt,
            trace_configs=trace_configs,
            clock=clock,
            monotonic=monotonic,
            sleep=sleep,
            rng=rng,
        )
        # Sent with every request of a service, merged once here rather than by aiohttp per
        # request from session defaults. Live Station and Media AI document a JSON content type.
        common = {"User-Agent": _defaults.USER_AGENT, "Accept": "application/json"}
        json_headers = {**common, "Content-Type": "application/json"}
        #: VOD Station: encoding statuses, status statistics, channel events.
        self.vod_station = VodStation(
            self._transport, Service("vod_station", self.endpoints.vod_station, common)
        )
        #: Live Station: channel recordings.
        self.live_station = LiveStation(
            self._transport,
            Service(
                "live_station",
                self.endpoints.live_station,
                {**json_headers, "x-ncp-region_code": region_code},
            ),
        )
        #: Media AI Understanding: video import status, bulk waiting.
        self.media_ai = MediaAI(
            self._transport, Service("media_ai", self.endpoints.media_ai, json_headers)
        )

    def __repr__(self) -> str:
        return f"MediaClient({self.credentials!r}, endpoints={self.endpoints!r})"

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._transport.policy

    @property
    def clock_offset(self) -> float:
        """Seconds the gateway's clock is ahead of the local one, once learnt (else 0)."""
        return self._transport.clock_offset

    async def close(self) -> None:
        """Close the HTTP session the client created (a caller-owned one stays open)."""
        await self._transport.close()

    async def __aenter__(self) -> MediaClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
