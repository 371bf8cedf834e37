"""What every resource class shares: one call, one paginated list, path and time parameters.

A resource method reads like the API page it implements: the path (as segments), the
parameters, the record type. Signing, retries, error mapping and paging live below it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from . import _defaults
from ._converter import structure_list
from ._signing import encode_path
from ._transport import Query, Service, Transport
from .pagination import Pager
from .records import Page

T = TypeVar("T")


def time_window(start: datetime | None, end: datetime | None) -> list[tuple[str, int]]:
    """``workStartTimeFrom`` = start and ``workStartTimeTo`` = end, in epoch milliseconds.

    The status statistics page swaps the two in its table; the encoding status list page and the
    service use From = start. Naive datetimes are refused rather than guessed at.
    """
    params: list[tuple[str, int]] = []
    for name, when in (("workStartTimeFrom", start), ("workStartTimeTo", end)):
        if when is None:
            continue
        if not isinstance(when, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(when).__name__}")
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(
                f"{'start' if name.endswith('From') else 'end'} must be timezone-aware "
                f"(got naive {when.isoformat()}); use datetime(..., tzinfo=UTC)"
            )
        params.append((name, int(when.timestamp() * 1000)))
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start.isoformat()}) is after end ({end.isoformat()})")
    return params


def segment(name: str, value: str | int) -> str:
    """A path parameter as text, checked: a str (or an int id), not empty, not ``.`` or ``..``.

    Each segment is percent-encoded exactly once on the way out, so ``/``, ``?`` or ``#`` inside an
    id cannot change the route; an empty segment or a dot segment would (servers and proxies
    collapse ``/./`` and ``/x/../``), so those are refused here with a ``ValueError``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    text = str(value)
    if not text:
        raise ValueError(f"{name} must not be empty")
    if text in (".", ".."):
        raise ValueError(f"{name} must not be {text!r} (a dot segment would change the path)")
    return text


class Resource:
    """Base of the service classes: holds the transport and the service's endpoint."""

    def __init__(self, transport: Transport, service: Service) -> None:
        self._transport = transport
        self._service = service

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._service.base_url!r})"

    async def _get(
        self, segments: Sequence[str], parse: Callable[[Any], T], query: Query = ()
    ) -> T:
        """``GET`` the path made of ``segments`` (each escaped once) with ``query``."""
        return await self._transport.call(
            self._service, "GET", encode_path(*segments), parse, query
        )

    async def _write(
        self,
        method: str,
        segments: Sequence[str],
        parse: Callable[[Any], T],
        *,
        json: Any = None,
        query: Query = (),
        idempotent: bool = False,
    ) -> T:
        """A ``POST``/``PUT``/``PATCH``/``DELETE`` with an optional JSON body.

        ``idempotent`` says whether the service does the same thing when the call arrives twice;
        when it is False (the default), the call is never sent again once it may have reached the
        server (see ``Request.idempotent``).
        """
        return await self._transport.call(
            self._service,
            method,
            encode_path(*segments),
            parse,
            query,
            json=json,
            idempotent=idempotent,
        )

    def _list(
        self,
        segments: Sequence[str],
        item_type: type[T],
        query: Query = (),
        *,
        page_size: int,
        start_page: int,
        max_items: int | None,
        prefetch: int,
        min_page_size: int = 1,
        max_page_size: int = _defaults.MAX_PAGE_SIZE,
    ) -> Pager[T]:
        """A ``Pager`` over a ``pageNo``/``pageSizeNo`` list answering ``{content, total}``."""
        path = encode_path(*segments)  # once per walk, not once per page
        transport, service, extra = self._transport, self._service, tuple(query)

        def parse(body: Any) -> tuple[list[T], int | None]:
            return structure_list(body, item_type)

        async def fetch(page_no: int, size: int) -> Page[T]:
            items, total = await transport.call(
                service, "GET", path, parse, (("pageNo", page_no), ("pageSizeNo", size), *extra)
            )
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
