"""``Settings``: what the global options asked for (``ctx.obj`` of every command), and how a
command runs with them: the client, a fresh event loop, and the package's log on stderr."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import attrs
import click

from .. import _defaults
from .._ratelimit import RateLimit
from ..client import Credentials, Endpoints, MediaClient
from ..errors import ConfigurationError
from ._columns import UTC_ZONE, Zone
from ._output import Output

T = TypeVar("T")

#: Where ``--verbose`` sends the package's log records.
LOGGER_NAME = "ncp_media_async"


@attrs.define
class Settings:
    """What the global options asked for; ``ctx.obj`` of every command."""

    access_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    endpoint: str | None = None
    #: ``--zone``: ``public``, ``gov`` or ``fin`` (``None``: public).
    ncp_zone: str | None = None
    #: Seconds per request attempt (``--request-timeout``).
    request_timeout: float = _defaults.TIMEOUT
    max_retries: int | None = None
    json: bool = False
    #: The time zone of the tables (``--tz``).
    zone: Zone = UTC_ZONE
    #: Tables show every column whole (``--wide``).
    wide: bool = False
    verbose: int = 0

    def credentials(self) -> Credentials:
        """The flags' key pair if given, else ``Credentials.from_env()`` (whose error, when it
        finds none, also names the flags)."""
        if self.access_key is not None or self.secret_key is not None:
            if self.access_key is None or self.secret_key is None:
                raise click.UsageError("give both --access-key and --secret-key, or neither")
            return Credentials(self.access_key, self.secret_key)
        try:
            return Credentials.from_env()
        except ConfigurationError as exc:
            raise ConfigurationError(f"{exc} (or give --access-key and --secret-key)") from None

    def client(
        self,
        *,
        max_connections: int = _defaults.MAX_CONNECTIONS,
        rate_limit: RateLimit | None = None,
    ) -> MediaClient:
        """A ``MediaClient`` as the options describe (create it inside the event loop)."""
        return MediaClient(
            self.credentials(),
            endpoints=self.endpoints(),
            timeout=self.request_timeout,
            max_retries=self.max_retries,
            max_connections=max_connections,
            rate_limit=rate_limit,
        )

    def endpoints(self) -> Endpoints | None:
        """``--zone`` and ``--endpoint``: the zone's hosts (``Endpoints.gov()``), or its paths at
        one base URL (``Endpoints.gov(at=url)``; ``Endpoints.at(url)`` for the public zone);
        ``None`` (the public zone) for neither."""
        if self.ncp_zone in ("gov", "fin"):
            zone = Endpoints.gov if self.ncp_zone == "gov" else Endpoints.fin
            return zone(at=self.endpoint)
        return Endpoints.at(self.endpoint) if self.endpoint else None

    def output(self) -> Output:
        """The renderer for this invocation (table or JSON lines)."""
        return Output(as_json=self.json, zone=self.zone, wide=self.wide)

    def run(self, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run one coroutine in a fresh event loop (uvloop if importable), with logging set up
        as ``--verbose`` says. ``KeyboardInterrupt`` propagates (the group turns it into 130)."""
        with _logging(self.verbose), asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(main())

    def call(
        self,
        work: Callable[[MediaClient], Awaitable[T]],
        *,
        max_connections: int = _defaults.MAX_CONNECTIONS,
        rate_limit: RateLimit | None = None,
    ) -> T:
        """``work(client)`` with a client as the options describe, closed afterwards; run as
        ``run`` runs a coroutine."""

        async def main() -> T:
            client = self.client(max_connections=max_connections, rate_limit=rate_limit)
            async with client:
                return await work(client)

        return self.run(main)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class _EchoHandler(logging.Handler):
    """Writes ``level[ logger]: message`` to whatever ``sys.stderr`` is at the time (so a live
    progress display, which redirects it, prints the line above the bar)."""

    def __init__(self, *, show_logger: bool) -> None:
        super().__init__()
        self.show_logger = show_logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            where = f" {record.name}" if self.show_logger else ""
            click.echo(f"{record.levelname.lower()}{where}: {record.getMessage()}", err=True)
        except Exception:  # logging must never break the command
            self.handleError(record)


@contextlib.contextmanager
def _logging(verbose: int) -> Iterator[None]:
    """Warnings of the package (retries, clock skew) always reach stderr; ``-v`` adds a line
    per request (DEBUG). The logger is restored afterwards."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _EchoHandler(show_logger=bool(verbose))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
