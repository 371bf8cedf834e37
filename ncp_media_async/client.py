"""``MediaClient``, ``Credentials`` and ``Endpoints``: the entry point of the package."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, Unpack

import aiohttp
import attrs
from yarl import URL

from . import _defaults
from ._config import ClientOptions, Config, check_header_value
from ._retry import RetryPolicy
from ._signing import Signer
from ._transport import Service, Transport
from .errors import ConfigurationError
from .live_station import LiveStation
from .media_ai import MediaAI
from .vod_station import VodStation

__all__ = ["ENDPOINT_ENV", "Credentials", "Endpoints", "MediaClient"]

#: One base URL for every service (the emulator, a proxy), read by ``MediaClient()`` when no
#: ``endpoints=`` is given, as botocore reads ``AWS_ENDPOINT_URL``.
ENDPOINT_ENV: Final = "NCP_MEDIA_ENDPOINT"


def _mask(access_key: str) -> str:
    return access_key[:4] + "…" if len(access_key) > 4 else "…"


@attrs.frozen(repr=False)
class Credentials:
    """An NCP API key pair. ``repr`` and ``str`` show only the first 4 characters of the access
    key and never the secret. Both must be non-empty; the access key travels in a header, so it
    must be printable ASCII."""

    access_key: str = attrs.field()
    secret_key: str = attrs.field()

    @access_key.validator
    def _check_access_key(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError("access_key must be a non-empty string")
        check_header_value("access_key", value)

    @secret_key.validator
    def _check_secret_key(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError("secret_key must be a non-empty string")

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


def check_base_url(name: str, value: object) -> str:
    """``value`` if it is a usable base URL, else ``ConfigurationError`` saying what is wrong.

    An ``http``/``https`` URL with a host; an optional path prefix (then signed as part of every
    path); no query, fragment, user info, whitespace or control characters (they would change
    what is signed or leak into logs).
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be an http(s) URL string, got {value!r}")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigurationError(f"{name} must not contain spaces or control characters")
    try:
        url = URL(value)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"{name} must be an http(s) URL with a host, got {value!r}")
    if url.user is not None or url.password is not None:
        raise ConfigurationError(f"{name} must not carry user info")
    if url.raw_query_string or url.raw_fragment or "#" in value or "?" in value:
        raise ConfigurationError(f"{name} must not have a query or a fragment, got {value!r}")
    return value


def _check_url(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    check_base_url(attribute.name, value)


@attrs.frozen
class Endpoints:
    """Base URLs of the three services; the public NCP hosts by default.

    ``Endpoints.at(url)`` points every service at one base URL (the emulator, a proxy). A base
    URL may carry a path prefix; it is then part of what is signed. URLs are checked here, when
    the client is built (``check_base_url``).
    """

    vod_station: str = attrs.field(default=_defaults.VOD_STATION_URL, validator=_check_url)
    live_station: str = attrs.field(default=_defaults.LIVE_STATION_URL, validator=_check_url)
    media_ai: str = attrs.field(default=_defaults.MEDIA_AI_URL, validator=_check_url)

    @classmethod
    def at(cls, base_url: str) -> Endpoints:
        """Every service at ``base_url``."""
        return cls(vod_station=base_url, live_station=base_url, media_ai=base_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Endpoints:
        """``Endpoints.at($NCP_MEDIA_ENDPOINT)`` when that is set, else the public hosts."""
        env = os.environ if environ is None else environ
        url = env.get(ENDPOINT_ENV)
        if not url:
            return cls()
        try:
            return cls.at(url)
        except ConfigurationError as exc:
            raise ConfigurationError(f"${ENDPOINT_ENV}: {exc}") from None


class MediaClient:
    """The asyncio client for VOD Station, Live Station and Media Intelligence.

    ::

        async with MediaClient(Credentials.from_env()) as client:
            stats = await client.vod_station.status_statistics(start=t0, end=t1)

    Args:
        credentials: the key pair; ``None`` reads ``Credentials.from_env()``.
        endpoints: base URLs (``Endpoints.at("http://127.0.0.1:8080")`` for the emulator);
            ``None`` reads ``$NCP_MEDIA_ENDPOINT`` (one base URL for every service), else the
            public NCP hosts.
        session: a caller-owned ``aiohttp.ClientSession``; the client uses it and does not
            close it (its own connector then applies, and aiohttp may send a PUT or DELETE
            again after a dropped keep-alive connection, which the client's own session never
            does).
        **options: see ``Config`` (declared there once, with units and defaults): ``timeout``,
            ``connect_timeout``, ``retry``, ``max_retries``, ``max_connections``,
            ``max_body_size``, ``region_code``, ``rate_limit``, ``json_loads``,
            ``on_attempt``, ``trace_configs``, ``clock``, ``monotonic``, ``sleep``, ``rng``.

    The aiohttp session is created inside the running event loop on first use and closed by
    ``close()`` or leaving ``async with``. Bad options fail here, not at the first request.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        endpoints: Endpoints | None = None,
        session: aiohttp.ClientSession | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        self.credentials = credentials if credentials is not None else Credentials.from_env()
        if not isinstance(self.credentials, Credentials):
            raise TypeError("credentials must be a Credentials object")
        self.endpoints = endpoints if endpoints is not None else Endpoints.from_env()
        if not isinstance(self.endpoints, Endpoints):
            raise TypeError("endpoints must be an Endpoints object")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError("session must be an aiohttp.ClientSession")
        self.config = Config(**options)
        self._transport = Transport(
            Signer(self.credentials.access_key, self.credentials.secret_key),
            self.config,
            session,
        )
        # Sent with every request of a service. Live Station and Media Intelligence document a
        # JSON content type on every request; Live Station requires its region header.
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
                {**json_headers, "x-ncp-region_code": self.config.region_code},
            ),
        )
        #: Media Intelligence (formerly Media AI Understanding): import status, bulk waiting.
        self.media_ai = MediaAI(
            self._transport, Service("media_ai", self.endpoints.media_ai, json_headers)
        )

    def __repr__(self) -> str:
        return f"MediaClient({self.credentials!r}, endpoints={self.endpoints!r})"

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy in force (``retry`` with ``max_retries`` applied)."""
        return self._transport.policy

    @property
    def clock_offset(self) -> float:
        """Seconds the gateway's clock is ahead of the local one, as most recently learnt from a
        rejected request's ``Date`` (0 until then). Learnt per host; see ``clock_offset_of``."""
        return self._transport.clock_offset()

    def clock_offset_of(self, base_url: str) -> float:
        """The clock offset learnt for the host of ``base_url`` (seconds, 0 until learnt)."""
        return self._transport.clock_offset(Service("", base_url).host)

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
