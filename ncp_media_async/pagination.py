"""The pager: walks ``pageNo``/``pageSizeNo`` lists as async iterators, with optional prefetch.

A list method returns a ``Pager`` at once (nothing is sent until it is iterated)::

    async for item in pager: ...            # items, in order
    async for page in pager.pages(): ...    # Page objects (items, page_no, page_size, total)
    items = await pager.to_list()

What a walk guarantees:

* It ends when the pages walked cover ``total`` (``page_no * page_size >= total``), on a short or
  empty page, on a page identical to the one before it (a server that repeats itself), when
  ``max_items`` items were given, or at a hard cap of twice the pages the first ``total`` implied
  (so a ``total`` that keeps growing cannot make it loop forever).
* Items come out in page order, with or without prefetch.
* Offset pagination shifts items when the list changes underneath a walk. An item that an insertion
  at the head pushes from the end of one page to the start of the next is not given twice, as long
  as fewer than ``page_size`` items were inserted between two page fetches (items are compared
  with those of the page before; records are frozen, so two equal records are the same item). A
  removal can shift an item to an earlier page that was already walked: that item is missed, and
  no walk over offset pages can prevent it.
* ``prefetch=N`` keeps at most N page requests in flight (and at most N pages fetched but not yet
  given out) once the first page has told ``total``. Breaking out of the loop, cancelling the task,
  or an error cancels the requests in flight and leaves no task behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

from . import _defaults
from .records import Page

__all__ = ["FetchPage", "Pager", "last_page", "validate_page_size"]

T = TypeVar("T")

#: Fetches one page: ``(page_no, page_size) -> Page``.
FetchPage = Callable[[int, int], Awaitable[Page[T]]]


def validate_page_size(
    page_size: int, minimum: int = 1, maximum: int = _defaults.MAX_PAGE_SIZE
) -> int:
    """``page_size`` if it is an int within ``[minimum, maximum]``, else a clear ``ValueError``."""
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, got {type(page_size).__name__}")
    if not minimum <= page_size <= maximum:
        raise ValueError(f"page_size must be between {minimum} and {maximum}, got {page_size}")
    return page_size


def last_page(total: int, page_size: int) -> int:
    """The number of the last page that holds any of ``total`` items (0 when there are none)."""
    return -(-max(total, 0) // page_size)


def page_cap(start_page: int, total: int | None, page_size: int) -> int | None:
    """The last page a walk may fetch: twice the pages the first ``total`` implied, or None."""
    if total is None:
        return None
    pages = max(1, last_page(total, page_size) - start_page + 1)
    return start_page + 2 * pages - 1


class Pager(Generic[T]):
    """An async iterable over every item of a paginated list. See the module docstring.

    Args:
        fetch: fetches one page, ``(page_no, page_size) -> Page``.
        page_size: items per request (``pageSizeNo``), checked against ``min_page_size`` and
            ``max_page_size``.
        start_page: the first ``pageNo`` (1-based).
        max_items: stop after this many items (``None``: all).
        prefetch: page requests in flight at once after the first page (1: one after another).
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
        min_page_size: int = 1,
        max_page_size: int = _defaults.MAX_PAGE_SIZE,
    ) -> None:
        self.page_size = validate_page_size(page_size, min_page_size, max_page_size)
        if isinstance(start_page, bool) or not isinstance(start_page, int) or start_page < 1:
            raise ValueError(f"start_page must be an int >= 1, got {start_page!r}")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ValueError(f"max_items must be an int >= 0 or None, got {max_items!r}")
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 1:
            raise ValueError(f"prefetch must be an int >= 1, got {prefetch!r}")
        self._fetch = fetch
        self.start_page = start_page
        self.max_items = max_items
        self.prefetch = prefetch

    def __repr__(self) -> str:
        return (
            f"Pager(page_size={self.page_size}, start_page={self.start_page}, "
            f"max_items={self.max_items}, prefetch={self.prefetch})"
        )

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._items()

    async def _items(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    async def to_list(self) -> list[T]:
        """Every item, collected into a list (memory grows with the list; prefer ``async for``)."""
        return [item async for item in self]

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """The pages, in order; the last may be cut short by ``max_items`` or by items already
        given on the page before (see the module docstring)."""
        if self.max_items == 0:
            return
        size = self.page_size
        inflight: deque[asyncio.Task[Page[T]]] = deque()
        try:
            page = await self._fetch(self.start_page, size)
            cap = page_cap(self.start_page, page.total, size)
            next_no = self.start_page + 1
            given = 0
            previous: frozenset[T] = frozenset()
            while True:
                # Records are frozen and hashable: an item equal to one of the page before is
                # the same item, pushed along by an insertion at the head of the list.
                keys = frozenset(page.items)
                items = page.items
                if previous and not previous.isdisjoint(keys):
                    items = tuple(i for i in items if i not in previous)
                if self.max_items is not None:
                    items = items[: self.max_items - given]
                given += len(items)
                if items:
                    yield Page(items, page.page_no, page.page_size, page.total)
                if self._is_last(page, keys == previous, given, cap):
                    return
                previous = keys
                # Without a total, one page at a time; with one, up to `prefetch` pages ahead.
                horizon = (
                    page.page_no + 1
                    if page.total is None or cap is None
                    else min(last_page(page.total, size), cap)
                )
                while len(inflight) < self.prefetch and next_no <= horizon:
                    inflight.append(asyncio.ensure_future(self._fetch(next_no, size)))
                    next_no += 1
                if not inflight:
                    return
                page = await inflight.popleft()
        finally:
            for task in inflight:
                task.cancel()
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    def _is_last(self, page: Page[T], repeated: bool, given: int, cap: int | None) -> bool:
        n = len(page.items)
        return (
            n == 0
            or n < self.page_size
            or repeated
            or (self.max_items is not None and given >= self.max_items)
            or (page.total is not None and page.page_no * self.page_size >= page.total)
            or (cap is not None and page.page_no >= cap)
        )
