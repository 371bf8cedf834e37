"""What every resource class shares: one call, one paginated list, path and time parameters.

A resource method reads like the API page it implements: the path (as segments), the
parameters, the record type. Signing, retries, error mapping and paging live below it.

Lists come in two paging dialects (``Paging``), walked by the one ``Pager``: VOD Station and
Live Station ask ``pageNo``/``pageSizeNo`` and answer ``{content, total}`` (``PAGE_NO``); Media
Intelligence asks ``pageNum``/``pageSize`` and answers ``{result: {content, totalCount, pageNo,
pageSize, totalPage}}`` (``PAGE_NUM``).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, ClassVar, Final, TypeVar

import attrs

from . import _checks, _defaults
from ._converter import media_ai_result, structure_content, structure_list
from ._signing import encode_path
from ._transport import Query, Service, Transport
from .errors import ConfigurationError
from .pagination import Pager
from .polling import Wait
from .records import Page

T = TypeVar("T")

#: Reads one page body: ``(body, item_type) -> (items, total or None)``.
ReadPage = Callable[[Any, type[T]], tuple[list[T], int | None]]


def structure_result_page(body: Any, kind: type[T]) -> tuple[list[T], int | None]:
    """A Media Intelligence list page ``{"code": "0", "result": {"content": [...],
    "totalCount": N, "pageNo": ..., "pageSize": ..., "totalPage": ...}}`` → (records, total).

    Only ``content`` and ``totalCount`` are read: the walk is numbered by what it asked for
    (``pageNum``), whatever ``pageNo`` the body echoes.
    """
    return structure_list(media_ai_result(body), kind, total_field="totalCount", path="$.result")


def content_of(type_: type[T]) -> Callable[[Any], T]:
    """Reads ``{"content": {...}}`` (VOD Station and Live Station objects) as a ``type_``."""
    return functools.partial(structure_content, type_=type_)


def items_of(type_: type[T]) -> Callable[[Any], list[T]]:
    """Reads ``{"content": [...]}`` (a list without paging) as records of ``type_``."""
    return lambda body: structure_list(body, type_)[0]


@attrs.frozen
class Paging:
    """A paging dialect: the query names of the page number (1-based) and of the page size,
    and how a page body is read (``ReadPage``)."""

    page_param: str
    size_param: str
    read: ReadPage[Any]


#: VOD Station and Live Station: ``pageNo``/``pageSizeNo``, ``{content, total}``.
PAGE_NO: Final = Paging("pageNo", "pageSizeNo", structure_list)
#: Media Intelligence: ``pageNum``/``pageSize``, ``{result: {content, totalCount, ...}}``.
PAGE_NUM: Final = Paging("pageNum", "pageSize", structure_result_page)


def channel_path(channel_id: str, *below: str) -> tuple[str, ...]:
    """The path of channel ``channel_id`` (its id checked: ``_checks.segment``), or of ``below``
    it: ``("channels", id, *below)`` in both VOD Station and Live Station."""
    return ("channels", _checks.segment("channel_id", channel_id), *below)


def time_window(start: datetime | None, end: datetime | None) -> list[tuple[str, int]]:
    """``workStartTimeFrom`` = start and ``workStartTimeTo`` = end, in epoch milliseconds.

    The status statistics page swaps the two in its table; the encoding status list page and the
    service use From = start. Naive datetimes are refused rather than guessed at.
    """
    bounds = (("workStartTimeFrom", "start", start), ("workStartTimeTo", "end", end))
    params = [
        (param, int(_checks.aware(name, when).timestamp() * 1000))
        for param, name, when in bounds
        if when is not None
    ]
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start.isoformat()}) is after end ({end.isoformat()})")
    return params


class Resource:
    """Base of the service classes: holds the transport and the service's endpoint.

    ``service`` is the ``Service``, or the reason the client's zone does not offer it (every
    call then raises ``ConfigurationError`` with that reason). A subclass names its service
    (``name``, ``title``) and what its requests need beyond the signature (``content_type``
    on bodyless reads, ``refused``: see ``Service``).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    content_type: ClassVar[str | None] = None

    @staticmethod
    def refused(body: Any) -> bool:
        """Whether a success body is a refusal all the same (see ``Service.refusal``)."""
        return False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every public coroutine method of a service class runs in an OpenTelemetry span named
        ``service.method`` (``vod_station.add_files``) when the ``otel`` extra is installed."""
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(method):
                setattr(cls, name, _traced(f"{cls.name}.{name}", method))

    def __init__(self, transport: Transport, service: Service | str) -> None:
        self._transport, self._where = transport, service

    def __repr__(self) -> str:
        where = self._where
        return f"{type(self).__name__}({where.base_url if isinstance(where, Service) else None!r})"

    @property
    def _service(self) -> Service:
        if isinstance(self._where, str):
            raise ConfigurationError(self._where)
        return self._where

    def _offered(self) -> None:
        """Raise ``ConfigurationError`` now when the client's zone does not offer this service:
        a batch, a wait or a multi-request call fails at once, not once it is under way."""
        self._service  # noqa: B018 (the property raises)

    def _wait(self, method: str, what: str, **options: Any) -> Wait[Any]:
        """A ``polling.Wait`` on the client's time (its ``monotonic`` clock, and a sleep that
        ``close()`` ends), ``concurrency`` capped at the connection limit; ``method`` names the
        call in the capping warning, ``what`` a target in messages. Raises for an option out of
        range, and ``ConfigurationError`` when the zone does not offer the service."""
        self._offered()
        transport = self._transport
        if "concurrency" in options:
            count = _checks.count("concurrency", options["concurrency"], 1)
            options["concurrency"] = transport.concurrency(count, method)
        wait = Wait(what=what, clock=transport.monotonic, sleep=transport.pause, **options)
        if transport.otel is not None:
            wait.trace = transport.otel.wait(f"{self.name}.{method}")
        return wait

    def _get(
        self, segments: Sequence[str], parse: Callable[[Any], T], query: Query = ()
    ) -> Coroutine[Any, Any, T]:
        """``GET`` the path made of ``segments`` (each escaped once) with ``query``."""
        return self._write("GET", segments, parse, query=query)

    def _write(
        self,
        method: str,
        segments: Sequence[str],
        parse: Callable[[Any], T],
        *,
        json: Any = None,
        query: Query = (),
        idempotent: bool | None = None,
    ) -> Coroutine[Any, Any, T]:
        """A request with an optional JSON body (the transport's coroutine, returned rather
        than awaited here: one layer less per request).

        ``idempotent`` says whether the service does the same thing when the call arrives twice;
        by default only a ``GET`` is, and a write is never sent again once it may have reached
        the server (see ``Request.idempotent``).
        """
        path = encode_path(*segments)
        call = self._transport.call
        return call(self._service, method, path, parse, query, json=json, idempotent=idempotent)

    def _list(
        self,
        segments: Sequence[str],
        item_type: type[T],
        query: Query = (),
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
        *,
        min_page_size: int = 1,
        max_page_size: int = _defaults.MAX_PAGE_SIZE,
        paging: Paging = PAGE_NO,
    ) -> Pager[T]:
        """A ``Pager`` over a list in the ``paging`` dialect (default: ``pageNo``/``pageSizeNo``
        answering ``{content, total}``); the list method's own paging arguments follow
        ``query`` in their usual order."""
        path = encode_path(*segments)  # once per walk, not once per page
        transport, service, extra = self._transport, self._service, tuple(query)
        name = f"{self.name}.{sys._getframe(1).f_code.co_name}"  # the pager method's span name

        def parse(body: Any) -> tuple[list[T], int | None]:
            return paging.read(body, item_type)

        async def fetch(page_no: int, size: int) -> Page[T]:
            params = ((paging.page_param, page_no), (paging.size_param, size), *extra)
            call = transport.call(service, "GET", path, parse, params)
            if transport.otel is not None:
                call = transport.otel.span(name, call, {"ncp.page": page_no})
            items, total = await call
            return Page(tuple(items), page_no, size, total)

        return Pager(
            fetch,
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            prefetch=prefetch,
            min_page_size=min_page_size,
            max_page_size=max_page_size,
        )


def _traced(name: str, method: Callable[..., Coroutine[Any, Any, Any]]) -> Any:
    """``method``, its coroutine run in a span ``name`` when the client has OpenTelemetry (a
    plain function returning the coroutine: no coroutine layer is added to the call)."""

    @functools.wraps(method)
    def call(self: Resource, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        otel = self._transport.otel
        coro = method(self, *args, **kwargs)
        return coro if otel is None else otel.span(name, coro)

    # Python 3.12+: ``inspect.iscoroutinefunction`` still says True of it.
    return getattr(inspect, "markcoroutinefunction", lambda f: f)(call)
