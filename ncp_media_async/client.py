"""``MediaClient``, ``Credentials`` and ``Endpoints``: the entry point of the package."""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterator, Mapping
from typing import Any, Final, Unpack

import aiohttp
import attrs
from yarl import URL

from . import _checks, _defaults
from ._config import ClientOptions, Config, check_header_value
from ._ratelimit import mask_url
from ._resource import Resource
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


@_checks.field
def _check_key(name: str, value: object) -> None:
    """A key is a non-empty string with no whitespace around it (the error never quotes it)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    if value != value.strip():
        raise ConfigurationError(
            f"{name} has whitespace around it (a newline read from a file along with the "
            "key?): NCP keys have none"
        )


@attrs.frozen(repr=False)
class Credentials:
    """An NCP API key pair. ``repr`` and ``str`` show only the first 4 characters of the access
    key and never the secret. Both must be non-empty and without leading or trailing whitespace
    (NCP's keys are letters and digits: a newline read from a key file along with the key
    would otherwise sign every request wrong, a 401 each time); the access key travels in a
    header, so it must be printable ASCII.

    Examples:
        ```python
        creds = ncp.Credentials("ACCESS_KEY_ID", "SECRET_KEY")
        creds = ncp.Credentials.from_env()  # NCP_*, NCLOUD_*, then ~/.ncloud/configure
        ```
    """

    access_key: str = attrs.field(validator=[_check_key, check_header_value])
    secret_key: str = attrs.field(validator=_check_key)

    def __repr__(self) -> str:
        shown = self.access_key[:4] + "…" if len(self.access_key) > 4 else "…"
        return f"Credentials(access_key={shown!r}, secret_key=<hidden>)"  # ``str`` too

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """The first complete key pair of: ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY``;
        ``NCLOUD_ACCESS_KEY``/``NCLOUD_SECRET_KEY`` (the names NCP's own CLI and Terraform
        provider use); the file ``~/.ncloud/configure``, where ``ncloud configure`` and NCP's
        SDKs keep it (lines ``ncloud_access_key_id = KEY`` and ``ncloud_secret_access_key =
        SECRET``, under ``[DEFAULT]`` or no section header at all; other sections are
        profiles, not read). An empty variable counts as unset; a pair half set is passed
        over.

        Args:
            environ: the variables to read; ``None`` reads ``os.environ`` and the file in the
                user's home directory. A mapping given is read alone: the file is looked for
                under its ``HOME``, and not at all without one (tests stay hermetic).

        Raises:
            ConfigurationError: no complete pair anywhere (the message names every place
                looked and, where only one key of a pair is set, which one is missing; never a
                value), or the file cannot be read as ``name = value`` lines.
        """
        env = os.environ if environ is None else environ
        home = env.get("HOME") if environ is not None else os.path.expanduser("~")
        looked = []
        for where, pair in _credential_sources(env, home):
            if pair is None:
                looked.append(f"{where} (no such file)")
                continue
            access, secret = pair.values()
            if access and secret:
                return cls(access, secret)
            missing = [name for name, value in pair.items() if not value]
            why = "not set" if len(missing) == 2 else f"{missing[0]} missing"
            looked.append(f"{where} ({why})")
        raise ConfigurationError("no credentials: looked at " + "; ".join(looked))


#: The key names of ``~/.ncloud/configure`` (``ncloud configure``, NCP's SDKs).
CONFIGURE_KEYS: Final = ("ncloud_access_key_id", "ncloud_secret_access_key")


def _credential_sources(
    env: Mapping[str, str], home: str | None
) -> Iterator[tuple[str, dict[str, str | None] | None]]:
    """Where ``Credentials.from_env`` looks, in order, read lazily: a place and its two values
    by name (``None``: no such file)."""
    for prefix in ("NCP", "NCLOUD"):
        names = (f"{prefix}_ACCESS_KEY", f"{prefix}_SECRET_KEY")
        yield "${} and ${}".format(*names), {name: env.get(name) for name in names}
    if home:
        path = os.path.join(home, ".ncloud", "configure")
        yield path, _read_configure(path)


def _read_configure(path: str) -> dict[str, str | None] | None:
    """The key pair of an ``~/.ncloud/configure`` file (``[DEFAULT]`` or no section header), or
    ``None`` if there is no such file. Errors never quote the file: a line may hold the secret."""
    parser = configparser.ConfigParser(interpolation=None)  # a secret may hold a '%'
    try:
        with open(path, encoding="utf-8-sig") as file:
            parser.read_string("[DEFAULT]\n" + file.read())  # a second [DEFAULT] header is fine
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigurationError(f"cannot read {path}: {why}") from None
    except configparser.Error as exc:  # its line number, counting the header added above
        line = (getattr(exc, "lineno", None) or getattr(exc, "errors", [(2,)])[0][0]) - 1
        raise ConfigurationError(
            f"{path}: line {line} is not a 'name = value' line, or repeats a name"
        ) from None
    return {name: parser.defaults().get(name) for name in CONFIGURE_KEYS}


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
        raise ConfigurationError(
            f"{name} must be an http(s) URL with a host, got {mask_url(value)!r}"
        )
    if url.user is not None or url.password is not None:
        raise ConfigurationError(f"{name} must not carry user info")
    if url.raw_query_string or url.raw_fragment or "#" in value or "?" in value:
        raise ConfigurationError(f"{name} must not have a query or a fragment, got {value!r}")
    return value


#: A base URL, or ``None`` for a service the zone does not offer.
_base_url: _checks.Validator = attrs.validators.optional(_checks.field(check_base_url))


def _check_prefix(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
        raise ConfigurationError(f"{attribute.name} must be a path like '/api/v2', got {value!r}")
    check_base_url(attribute.name, "http://h" + value)


@attrs.frozen
class Endpoints:
    """Where the three services live, for one zone: base URLs, API path prefixes, region code.

    ``Endpoints.public()`` (the default), ``Endpoints.gov()`` and ``Endpoints.fin()`` hold each
    zone's documented hosts, path prefixes and Live Station region code:

    ========  ==========================================  ==================================  ===
    zone      VOD Station                                 Live Station                        MI
    ========  ==========================================  ==================================  ===
    public    ``vodstation.apigw.ntruss.com/api/v2``      ``livestation.apigw.ntruss.com``    yes
                                                          ``/api/v2``, region ``KR``
    gov       ``vod-station.apigw.gov-ntruss.com/api/v2``  not offered                         no
    fin       ``vodstation.apigw.fin-ntruss.com/api/v2``   ``livestation.apigw.ntruss.com``    no
                                                          ``/api/fin-v2``, region ``FKR``
    ========  ==========================================  ==================================  ===

    (Media Intelligence, ``mi.apigw.ntruss.com/api/v1``, is documented for the public zone only.
    The government VOD Station host is the hyphenated one its docs use; an OpenAPI file names
    ``vodstation.apigw.gov-ntruss.com``: pass it as ``vod_station=`` if yours answers there.)
    A service a zone does not offer is ``None``; calling it raises ``ConfigurationError``.

    ``Endpoints.at(url)`` points every service of the public zone at one base URL (the emulator,
    a proxy); ``Endpoints.fin(at=url)`` and ``Endpoints.gov(at=url)`` do the same with that
    zone's prefixes and region code. A base URL may carry a path prefix of its own (a proxy's),
    which then comes before the API prefix and is signed as part of every path. URLs are checked
    here, when the client is built (``check_base_url``).
    """

    vod_station: str | None = attrs.field(default=_defaults.VOD_STATION_URL, validator=_base_url)
    live_station: str | None = attrs.field(default=_defaults.LIVE_STATION_URL, validator=_base_url)
    media_ai: str | None = attrs.field(default=_defaults.MEDIA_AI_URL, validator=_base_url)
    zone: str = "public"
    live_station_prefix: str = attrs.field(
        default=_defaults.LIVE_STATION_PREFIX, validator=_check_prefix
    )
    live_station_region: str = attrs.field(
        default=_defaults.REGION_CODE, validator=check_header_value
    )

    @classmethod
    def public(cls) -> Endpoints:
        """The public zone (the default)."""
        return cls()

    @classmethod
    def gov(cls, *, at: str | None = None) -> Endpoints:
        """The government zone: VOD Station only (``at``: at that base URL instead)."""
        return cls(
            vod_station=at or _defaults.VOD_STATION_GOV_URL,
            live_station=None,
            media_ai=None,
            zone="gov",
        )

    @classmethod
    def fin(cls, *, at: str | None = None) -> Endpoints:
        """The financial zone: VOD Station on its own host, Live Station under
        ``/api/fin-v2`` with region ``FKR``, no Media Intelligence (``at``: every offered
        service at that base URL instead)."""
        return cls(
            vod_station=at or _defaults.VOD_STATION_FIN_URL,
            live_station=at or _defaults.LIVE_STATION_URL,
            media_ai=None,
            zone="fin",
            live_station_prefix=_defaults.LIVE_STATION_FIN_PREFIX,
            live_station_region=_defaults.FIN_REGION_CODE,
        )

    @classmethod
    def at(cls, base_url: str) -> Endpoints:
        """Every service of the public zone at ``base_url``."""
        return cls(vod_station=base_url, live_station=base_url, media_ai=base_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Endpoints:
        """``Endpoints.at($NCP_MEDIA_ENDPOINT)`` when that is set, else the public zone."""
        url = (os.environ if environ is None else environ).get(ENDPOINT_ENV)
        if not url:
            return cls()
        try:
            return cls.at(url)
        except ConfigurationError as exc:
            raise ConfigurationError(f"${ENDPOINT_ENV}: {exc}") from None

    def service_url(self, service: str) -> str | None:
        """The API root of ``service`` (``"vod_station"``, ...): base URL plus the zone's path
        prefix, or ``None`` when the zone does not offer it."""
        base, prefix = {
            "vod_station": (self.vod_station, _defaults.VOD_STATION_PREFIX),
            "live_station": (self.live_station, self.live_station_prefix),
            "media_ai": (self.media_ai, _defaults.MEDIA_AI_PREFIX),
        }[service]
        return None if base is None else base.rstrip("/") + prefix


class MediaClient:
    """The asyncio client for VOD Station, Live Station and Media Intelligence.

    One client per process is the rule: it holds one connection pool, one 429 back-off gate,
    one rate limit and one clock calibration for every call made through it.

    Examples:
        ```python
        import ncp_media_async as ncp

        async with ncp.MediaClient() as client:  # keys: environment, then ~/.ncloud/configure
            stats = await client.vod_station.status_statistics(start=t0, end=t1)
            async for status in client.media_ai.wait_for_imports(refs, timeout=600):
                print(status.asset, status.upload_status)

        # the built-in emulator (ncp-media emulator), paced to the documented search quota
        client = ncp.MediaClient(
            ncp.Credentials("EMULATOR_KEY", "EMULATOR_SECRET"),
            endpoints=ncp.Endpoints.at("http://127.0.0.1:8080"),
            rate_limit=ncp.RateLimit.per_minute(1000),
            max_retries=2,
        )
        ```

    Args:
        credentials: the key pair; ``None`` reads ``Credentials.from_env()``.
        endpoints: the zone and base URLs (``Endpoints.public()``, ``.gov()``, ``.fin()``;
            ``Endpoints.at("http://127.0.0.1:8080")`` for the emulator); ``None`` reads
            ``$NCP_MEDIA_ENDPOINT`` (one base URL for every service), else the public zone.
        session: a caller-owned ``aiohttp.ClientSession``; the client uses it and does not
            close it (its own connector then applies, and aiohttp may send a PUT or DELETE
            again after a dropped keep-alive connection, which the client's own session never
            does). Its ``raise_for_status`` and ``auto_decompress`` settings do not apply to
            the client's requests: error answers become typed ``ApiError``s and bodies are
            always inflated.
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
        creds = Credentials.from_env() if credentials is None else credentials
        self.credentials = _checks.expect("credentials", creds, Credentials, "a Credentials object")
        where = Endpoints.from_env() if endpoints is None else endpoints
        self.endpoints = _checks.expect("endpoints", where, Endpoints, "an Endpoints object")
        if session is not None:
            _checks.expect("session", session, aiohttp.ClientSession, "an aiohttp.ClientSession")
        self.config = Config(**options)
        signer = Signer(self.credentials.access_key, self.credentials.secret_key)
        self._transport = Transport(signer, self.config, session)
        # Sent with every request of a service (Live Station requires its region header); a
        # resource class says what else its service needs (``Resource.content_type``, ...).
        common = {"User-Agent": _defaults.USER_AGENT, "Accept": "application/json"}
        region = self.config.region_code or self.endpoints.live_station_region
        #: VOD Station: encodings, categories, channels, statistics, channel events.
        self.vod_station = VodStation(self._transport, self._service(VodStation, common))
        live = self._service(LiveStation, {**common, "x-ncp-region_code": region})
        #: Live Station: channels, recordings.
        self.live_station = LiveStation(self._transport, live)
        #: Media Intelligence (formerly Media AI Understanding; the attribute keeps its name):
        #: workspaces, assets, imports, indexes.
        self.media_ai = MediaAI(self._transport, self._service(MediaAI, common))

    def _service(self, resource: type[Resource], headers: Mapping[str, str]) -> Service | str:
        """The ``Service`` of ``resource`` in this zone, or why it cannot be called."""
        url = self.endpoints.service_url(resource.name)
        if url is None:
            zone = self.endpoints.zone
            return f"{resource.title} is not offered in the {zone} zone (Endpoints.{zone}())"
        return Service(resource.name, url, headers, resource.content_type, resource.refused)

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
        return self._transport.clock_offset(Service("", check_base_url("base_url", base_url)).host)

    async def close(self) -> None:
        """Close the HTTP session the client created (a caller-owned one stays open)."""
        await self._transport.close()

    async def __aenter__(self) -> MediaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
