"""What every service store has: routes declared as data, an error dialect, paging.

A store (``Store``) holds one service's data and answers its routes. It declares each route
as a ``StoreRoute`` (method, path pattern, route name, handler, whether it reads a JSON
body) and the gateway does everything around it: counting, latency, faults, the signature
check, reading and parsing the body, the ``Date`` header. A handler is a plain function of the
``Call`` and the store's state, returning an ``aiohttp.web.Response``; it refuses a
request by raising a ``Rejection`` in its service's dialect (each store module defines its
own subclass). All waiting happens in the gateway, so handlers never await.

To add a route: write the handler on the store, add a ``StoreRoute`` to its ``routes()``
and a name to ``Route``. A path two services share (VOD Station
and Live Station on different hosts) is declared by both stores: the gateway picks by the
``x-ncp-region_code`` header (see ``Store.region_header``).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, Protocol, TypeVar, overload

import aiohttp
import attrs
from aiohttp import web
from multidict import CIMultiDictProxy, MultiMapping

from ._data import Scenario
from ._stats import EmulatorStats
from ._wire import json_response

__all__ = [
    "Call",
    "CallbackDelivery",
    "Gateway",
    "Handler",
    "Paging",
    "ParameterError",
    "Rejection",
    "Store",
    "StoreRoute",
    "post_callback",
]

T = TypeVar("T")

_INT_RE: Final = re.compile(r"-?[0-9]{1,18}")


class Rejection(Exception):
    """An error answer: an HTTP ``status`` and a JSON ``body`` in some service's dialect.

    Stores raise their own subclass (``VodStationError``, ``LiveStationError``,
    ``MediaAiError``), which builds the body of its dialect; the gateway answers with
    ``response``.
    """

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body

    def response(self) -> web.Response:
        """The answer to send."""
        return json_response(self.body, self.status)


@attrs.frozen
class Call:
    """One request as a store's handler sees it.

    ``route`` is the route's name; ``body`` the parsed JSON body (``None`` when the route reads
    none or the request had none); ``damaged`` whether a body fault will damage the answer if
    it is a 200 (the client then learns nothing from it).
    """

    request: web.Request
    route: str
    body: Any = None
    damaged: bool = False

    @property
    def params(self) -> Mapping[str, str]:
        """The path parameters, percent-decoded (``{channelId}`` → ``params["channelId"]``)."""
        return self.request.match_info

    @property
    def query(self) -> MultiMapping[str]:
        """The query parameters, decoded."""
        return self.request.query

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive)."""
        return self.request.headers


@attrs.frozen
class CallbackDelivery:
    """One callback a store POSTed: where, what (the JSON payload), and how it went.

    ``status`` is the receiver's HTTP status (``None`` when no answer came: then ``error``
    says why). The services document no retry: a delivery is tried once.
    """

    url: str
    payload: Mapping[str, Any]
    status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


async def post_callback(
    session: aiohttp.ClientSession, url: str, payload: Mapping[str, Any]
) -> CallbackDelivery:
    """POST one callback as JSON, once; how it went (a failed connection or a timeout is an
    ``error``, never an exception)."""
    status: int | None = None
    error: str | None = None
    try:
        async with session.post(url, json=dict(payload)) as response:
            status = response.status
            await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return CallbackDelivery(url, payload, status, error)


Handler = Callable[[Call], web.StreamResponse]
"""A store's route handler."""


@attrs.frozen
class StoreRoute:
    """One route of a store: ``method``, aiohttp path pattern, ``name``, ``handler``.

    ``json_body``: the gateway reads the request body (at most ``Emulator.max_body_size``
    bytes) and parses it as JSON into ``Call.body``; a body that is not JSON is refused with the
    store's ``Store.bad_body``.
    """

    method: str
    path: str
    name: str
    handler: Handler
    json_body: bool = False


class Gateway(Protocol):
    """What a store needs of the gateway in front of it (``Emulator``)."""

    @property
    def stats(self) -> EmulatorStats:
        """The counters (replaced by ``reset_stats``: read it at each use)."""
        ...

    def now_ms(self) -> int:
        """The gateway's clock, epoch *milliseconds*."""
        ...

    def page_served(self, route: str, page_no: int) -> None:
        """Run the ``after_page`` hook after a page of a paginated route was built."""
        ...


class ParameterError(Exception):
    """A query parameter the service cannot use; the store turns it into its dialect.

    ``too_small`` tells a number below the minimum (VOD Station has a code for ``pageNo < 1``)
    from anything else (not an integer, above the maximum).
    """

    def __init__(self, name: str, detail: str, *, too_small: bool = False) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail
        self.too_small = too_small


@overload
def int_param(
    call: Call, name: str, *, default: int, minimum: int | None = ..., maximum: int | None = ...
) -> int: ...
@overload
def int_param(
    call: Call,
    name: str,
    *,
    default: None = ...,
    minimum: int | None = ...,
    maximum: int | None = ...,
) -> int | None: ...
def int_param(
    call: Call,
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """The integer query parameter ``name`` (``default`` when absent or empty).

    Raises ``ParameterError`` (which the gateway turns into the store's
    ``Store.bad_parameter``) for a value that is not a decimal integer of at most 18 digits
    or lies outside ``[minimum, maximum]``.
    """
    text = call.query.get(name)
    if text is None or text == "":
        return default
    if maximum is not None:
        rule = f"{name} must be an integer from {minimum or 0} to {maximum}."
    elif minimum is not None:
        rule = f"{name} must be an integer greater than or equal to {minimum}."
    else:
        rule = f"{name} must be an integer."
    if _INT_RE.fullmatch(text) is None:
        raise ParameterError(name, rule)
    value = int(text)
    if minimum is not None and value < minimum:
        raise ParameterError(name, rule, too_small=True)
    if maximum is not None and value > maximum:
        raise ParameterError(name, rule)
    return value


@attrs.frozen
class Paging:
    """The page a request asked for: ``page_no`` (from 1) and the ``size`` served.

    Pages are numbered by the size served: with a cap of 30, page 2 of a request for 100 per
    page holds items 30 to 59.
    """

    page_no: int
    size: int

    @property
    def start(self) -> int:
        """Index of the page's first item."""
        return (self.page_no - 1) * self.size

    def take(self, items: Sequence[T]) -> list[T]:
        """The page's items out of the whole list."""
        return list(items[self.start : self.start + self.size])


class Store(abc.ABC):
    """One service's data and routes, behind the gateway.

    Settings every store has (mutable attributes):

    * ``max_page_size``: the largest page size accepted; a larger one is refused in the
      service's dialect (the default behaviour);
    * ``page_size_cap``: ``None``, or the most items a page serves whatever was asked (a real
      server may cap instead of refusing); pages are then numbered by the capped size and
      ``total`` still counts every item, so a client sees short pages with items remaining.

    Subclasses set ``region_header`` (whether the client sends ``x-ncp-region_code`` to this
    service) and implement the abstract methods.
    """

    region_header: ClassVar[bool] = False
    """Whether this service's requests carry ``x-ncp-region_code``: on a path two stores declare,
    the gateway sends a request with the header to the store that sets this, one without it to
    the store that does not."""

    def __init__(
        self, gateway: Gateway, *, max_page_size: int, page_size_cap: int | None = None
    ) -> None:
        self.gateway: Final = gateway
        self.max_page_size = max_page_size
        self.page_size_cap = page_size_cap

    # -------------------------------------------------------------------- what stores define

    @abc.abstractmethod
    def routes(self) -> Sequence[StoreRoute]:
        """Every route of the service this store answers."""

    @abc.abstractmethod
    def bad_body(self, detail: str) -> Rejection:
        """The service's 400 for a request body that is not JSON (``detail``: why)."""

    @abc.abstractmethod
    def bad_parameter(self, error: ParameterError) -> Rejection:
        """The service's 400 for a query parameter it cannot use (the gateway calls it when a
        handler raises ``ParameterError``)."""

    @abc.abstractmethod
    def load(self, scenario: Scenario, *, anchor_ms: int, now_ms: int) -> None:
        """Add the scenario's data for this service (times laid out from ``anchor_ms``)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove every item of this service (settings stay)."""

    @abc.abstractmethod
    def info(self) -> dict[str, Any]:
        """What is loaded, JSON-friendly (merged into ``Emulator.info()``)."""

    async def close(self) -> None:  # noqa: B027 (a hook, empty unless a store needs it)
        """Stop what the store runs in the background (Live Station's callback deliveries);
        run when an app serving the emulator is cleaned up (none by default)."""

    def admit(self, call: Call) -> None:  # noqa: B027 (a hook, empty unless a store needs it)
        """Checks every request to this service passes before its handler (none by default);
        raise a ``Rejection`` to refuse."""

    # ----------------------------------------------------------------- helpers for handlers

    def paging(
        self,
        call: Call,
        *,
        page_param: str = "pageNo",
        size_param: str = "pageSizeNo",
        default_size: int = 20,
    ) -> Paging:
        """The page asked for: page number from 1, size from 1 to ``max_page_size``, then
        capped at ``page_size_cap``; a bad value raises ``ParameterError``."""
        page_no = int_param(call, page_param, default=1, minimum=1)
        size = int_param(
            call, size_param, default=default_size, minimum=1, maximum=self.max_page_size
        )
        if self.page_size_cap is not None:
            size = min(size, self.page_size_cap)
        return Paging(page_no, size)

    def page_served(self, call: Call, page_no: int) -> None:
        """Tell the gateway a page was built (runs ``Emulator.after_page``)."""
        self.gateway.page_served(call.route, page_no)
