"""The pager: walks offset-paginated lists as async iterators, with optional prefetch.

A list method returns a ``Pager`` at once (nothing is sent until it is iterated):

```python
async for item in pager: ...            # items, in order
async for page in pager.pages(): ...    # Page objects (items, page_no, page_size, total)
items = await pager.to_list()
```

The pager knows no wire dialect: it calls ``fetch(page_no, size)`` and reads the ``Page`` that
comes back (``items``, and ``total`` or ``None``; the page keeps the number it was asked for,
whatever number ``fetch`` put on it). VOD Station and Live Station send ``pageNo``/``pageSizeNo``
and read ``content``/``total``; Media Intelligence sends ``pageNum``/``pageSize`` and reads
``result.content``/``result.totalCount``; the resource's ``fetch`` does that translation, and
the rules below are the same for all.

Pages and offsets. Page ``k`` asked at size ``s`` holds the items at offsets ``[(k-1)*s, k*s)``
of the list as it stands when the server serves that page. ``start_page`` is a page number in
that sense (1-based).

Walk by what was served. A server may put fewer items on a page than asked: it caps the size (a
service that caps ``pageSizeNo`` at 50 when 100 was asked numbers its pages by 50). When the
first page holds ``n`` items, ``0 < n < page_size``, its ``total`` says items remain after it
(``start_page * n < total``), and it is not exactly the last page at the size asked
(``(start_page - 1) * page_size + n != total``), the walk's size becomes ``n``: every later
request asks for ``n`` items, so that page ``k`` means offsets ``[(k-1)*n, k*n)`` whether the
server numbers its pages by its cap or by the size asked, and how many items remain, the next
page, the prefetch horizon and the hard cap are all counted in pages of ``n``. A count below
``min_page_size`` is not taken for a cap (a service does not cap below its own documented
minimum, and asking for it would be refused): the walk keeps ``page_size`` then. The size is
learnt from the first page only; a later short page does not renumber a walk already under way.
Limit: with ``start_page > 1``, a short first page holding exactly the items the size asked
leaves on it (``(start_page - 1) * page_size + n == total``) is read as the last page, not a
cap, so a walk that starts on a list's short last page gives that page and ends; a server that
really caps at ``n`` where the two readings meet is then walked no further (a short last page
under a larger cap cannot be told from a cap of its own count either). Starting at page 1 (the
default) is unambiguous.

When the walk ends, on the first of:

* an empty page;
* a page that reaches ``total``, counting what was served: ``(page_no - 1) * size + len(items)
  >= total`` (a short page while ``total`` says more remain does *not* end the walk: the next
  page is asked for, and an empty one ends it);
* a short page (fewer than ``size`` items) without a ``total``;
* ``max_items`` items given;
* the hard cap: page ``start_page + 2 * max(1, P) - 1``, twice the ``P`` pages (at least one)
  that the first ``total`` implied from ``start_page`` on, so that a ``total`` that keeps growing
  cannot keep a walk going for ever; reaching it logs a warning on the ``ncp_media_async``
  logger;
* a server that repeats itself, with ``ResponseError`` (naming the page and the page it
  repeats) rather than quietly: a page of two or more items identical, item for item and in
  order, to an earlier page while ``total`` has not changed since that page (a server that
  loops, A, B, A, B, ..., or ignores ``pageNo``: with a ``total`` of 10^9 nothing else would
  stop it before ``max_items``), or to the page before while ``total`` grew by less than that
  page holds (a server ignoring ``pageNo`` under a list that grows). The repeating page is not
  given; the pages before it were. Two pages of equal items that the change in ``total``
  accounts for are a shift (below), not a repetition.

Which earlier pages a page is compared with. Keeping every page seen since ``total`` last
changed (or a fingerprint of each) grows with the walk, and a window of the last K pages misses
loops longer than K. The walk uses Brent's cycle detection instead: besides the page before it
keeps one saved page, compares every page with both, and puts the current page in the saved
one's place after 1, 2, 4, 8, ... pages (from the start again whenever ``total`` changes).
Memory is two pages however long the walk; a loop of ``L`` pages entered after ``M`` others is
found by page ``3 * max(M + 1, L)`` of the walk at the latest (A, B, A, B: at page 4, after
four requests; a page served twice in a row: at once). Pages are compared by their items'
equality, not by hashes: records need not be hashable (``Channel.snapshot`` is plain JSON) and
no collision can end a good walk. Limit: a repeat that is not a loop (A, B, C, A, D, ...) is
caught only where it meets the saved page; the hard cap still bounds such a walk.

Equal items are different items. The pager never drops an item because it equals another: two
identical events on adjacent pages are two events. Records hold no identity the pager could use.

A list that changes under the walker. Offset pages shift when the list changes between two
page fetches. When ``total`` grows by ``d`` from one page to the next (insertions at the head of a
newest-first list push every item ``d`` places on), the first ``d`` items of the next page may be
the last ``d`` of the page before, given already. The walk skips at most ``d`` leading items of
the next page, and only ``j`` of them where they equal, one for one and in order, the last ``j``
served items of the page before (the largest such ``j <= d``). Nothing is skipped when ``total``
did not grow. When ``total`` shrinks (removals ahead of the walker), items move back onto pages
already walked and are missed: nothing can recover them from offset pages, and the pager does
not try. Insertions of more than a page between two fetches can push items already given past
the page before; only that page is kept for comparison (memory stays at one page), so those come
out again.

Prefetch. ``prefetch=N`` keeps at most N page requests in flight (and at most N pages fetched
but not yet given out) once the first page has told ``total``; without a ``total`` pages are
fetched one at a time. Pages come out in page order whatever order they land in; the horizon is
recomputed from each page's ``total``, at the served size, and stops at the hard cap and at the
pages ``max_items`` still needs. Breaking out of the loop, cancelling the task, or an error
cancels the requests in flight and leaves no task behind; an error comes out in page order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

import attrs

from . import _checks, _defaults
from .errors import ResponseError
from .records import Page

__all__ = [
    "FetchPage",
    "Pager",
    "last_page",
    "page_cap",
    "repeated_head",
    "served_size",
    "validate_page_size",
]

T = TypeVar("T")

logger: Final = logging.getLogger("ncp_media_async")

#: Fetches one page: ``(page_no, page_size) -> Page``.
FetchPage = Callable[[int, int], Awaitable[Page[T]]]


def validate_page_size(
    page_size: int, minimum: int = 1, maximum: int = _defaults.MAX_PAGE_SIZE
) -> int:
    """``page_size`` if it is an int within ``[minimum, maximum]``, else a clear ``ValueError``
    (``TypeError`` for another type)."""
    return _checks.count("page_size", page_size, minimum, maximum)


def last_page(total: int, page_size: int) -> int:
    """The number of the last page that holds any of ``total`` items (0 when there are none)."""
    return -(-max(total, 0) // page_size)


def page_cap(start_page: int, total: int | None, page_size: int) -> int | None:
    """The last page a walk may fetch: twice the pages (at least one) that ``total`` implies
    from ``start_page`` on, at ``page_size``; ``None`` without a ``total``."""
    if total is None:
        return None
    pages = max(1, last_page(total, page_size) - start_page + 1)
    return start_page + 2 * pages - 1


def served_size(first: Page[T], asked: int, minimum: int = 1) -> int:
    """The size a walk goes on with after its first page (see "Walk by what was served").

    ``len(first.items)`` when the server put fewer items than ``asked`` (but at least
    ``minimum``) on it and its ``total`` says more remain after it, unless the page is exactly
    the last one at the size asked (a walk started on a list's short last page); ``asked``
    otherwise.
    """
    n, total = len(first.items), first.total
    if total is None or not minimum <= n < asked or (first.page_no - 1) * asked + n == total:
        return asked  # not short, or the last page at the size asked: not a cap
    return n if first.page_no * n < total else asked


def repeated_head(previous: Sequence[T], items: Sequence[T], grown: int) -> int:
    """How many leading ``items`` repeat the tail of ``previous`` because the list grew.

    The largest ``j <= grown`` such that ``items[:j]`` equals the last ``j`` of ``previous``, one
    for one and in order; 0 when ``grown <= 0`` (equal items are otherwise different items).
    """
    last = len(previous)
    for j in range(min(grown, last, len(items)), 0, -1):
        if all(items[i] == previous[last - j + i] for i in range(j)):
            return j
    return 0


@attrs.define(eq=False, kw_only=True)
class Pager(Generic[T]):
    """An async iterable over every item of a paginated list. See the module docstring.

    Examples:
        ```python
        statuses = client.vod_station.encoding_statuses(start=t0, page_size=100, prefetch=8)
        async for status in statuses:  # items in order; 8 page requests in flight
            print(status.file_path, status.status)
        async for page in client.vod_station.categories().pages():
            print(page.page_no, len(page.items), page.total)
        first_50 = await client.media_ai.assets("ws", 7, max_items=50).to_list()
        ```

    Its arguments (all but ``fetch`` by keyword):

    * ``fetch``: fetches one page, ``(page_no, page_size) -> Page``;
    * ``page_size``: items per request (``pageSizeNo``), checked against ``min_page_size`` and
      ``max_page_size``; a server that serves fewer is then asked for what it serves;
    * ``start_page``: the first page number (1-based), in pages of the size the server serves;
    * ``max_items``: stop after this many items (``None``: all);
    * ``prefetch``: page requests in flight at once after the first page (1: one after another);
    * ``min_page_size``: the smallest ``page_size`` the service takes (a shorter first page is
      not read as its cap below it); ``max_page_size``: the largest.
    """

    _fetch: FetchPage[T] = attrs.field(repr=False, kw_only=False)
    page_size: int = attrs.field(default=_defaults.PAGE_SIZE)
    start_page: int = attrs.field(default=1, validator=_checks.field(_checks.count, 1))
    max_items: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_checks.field(_checks.count))
    )
    prefetch: int = attrs.field(default=1, validator=_checks.field(_checks.count, 1))
    _min_page_size: int = attrs.field(default=1, repr=False)
    _max_page_size: int = attrs.field(default=_defaults.MAX_PAGE_SIZE, repr=False)

    @page_size.validator
    def _check_page_size(self, attribute: attrs.Attribute[int], value: int) -> None:
        validate_page_size(value, self._min_page_size, self._max_page_size)

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    async def to_list(self) -> list[T]:
        """Every item, collected into a list (memory grows with the list; prefer ``async for``)."""
        return [item async for item in self]

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """The pages, in order, as served; a page may come out shorter than served (cut by
        ``max_items``, or its head skipped as a shift), and a page left with no items is not
        given (see the module docstring).

        Raises:
            ResponseError: a server that repeats itself (a page identical to an earlier one
                while ``total`` has not changed); the pages before it were given.
        """
        if self.max_items == 0:
            return
        inflight: deque[asyncio.Task[Page[T]]] = deque()
        try:
            page = await self._page(self.start_page, self.page_size)
            size = served_size(page, self.page_size, self._min_page_size)
            walk = _Walk(page, size, self.start_page, self.max_items)
            while True:
                if items := walk.take(page):
                    yield Page(items, page.page_no, page.page_size, page.total)
                if walk.ended:
                    return
                while len(inflight) < self.prefetch and walk.next_no <= walk.horizon(page):
                    inflight.append(asyncio.ensure_future(self._page(walk.next_no, walk.size)))
                    walk.next_no += 1
                page = await inflight.popleft()
        finally:
            for task in inflight:
                task.cancel()
            await asyncio.gather(*inflight, return_exceptions=True)  # done at once when empty

    async def _page(self, page_no: int, size: int) -> Page[T]:
        """Page ``page_no`` as asked for: numbered by the walk, whatever number ``fetch`` put
        on it (a dialect that echoes the server's own, 0-based say, cannot skew the walk)."""
        return attrs.evolve(await self._fetch(page_no, size), page_no=page_no)


class _Walk(Generic[T]):
    """The state of one walk: its size, hard cap and the page before; decides per page what is
    given and whether the walk ends. Pure: no I/O, no tasks."""

    def __init__(self, first: Page[T], size: int, start: int, max_items: int | None) -> None:
        self.size, self.start, self.max_items = size, start, max_items
        self.cap: int | None = None
        self.given, self.ended = 0, False
        self.next_no = first.page_no + 1
        self.previous: Page[T] | None = None
        # Brent's cycle detection over the pages since ``total`` last changed: the page saved
        # and how many pages it is kept for.
        self.saved, self.power = first, 1

    def take(self, page: Page[T]) -> tuple[T, ...]:
        """The items of ``page`` to give; sets ``ended`` when this page is the last."""
        if self.cap is None:
            self.cap = page_cap(self.start, page.total, self.size)
        served = page.items
        previous, self.previous = self.previous, page
        grown = 0
        if previous is not None and previous.total is not None and page.total is not None:
            grown = page.total - previous.total
        if previous is not None:
            self._refuse_repeat(page, previous, grown)
        items = served[repeated_head(previous.items, served, grown) :] if previous else served
        if self.max_items is not None:
            items = items[: self.max_items - self.given]
            self.ended = self.given + len(items) >= self.max_items
        self.given += len(items)
        reach = (page.page_no - 1) * self.size + len(served)  # items up to this page's end
        last = len(served) < self.size if page.total is None else reach >= page.total
        self.ended = self.ended or last or not served  # an empty page ends the walk too
        if not self.ended and self.cap is not None and page.page_no >= self.cap:
            logger.warning(
                "list walk stopped at its hard cap, page %d (twice the pages the first total "
                "implied); the server's total is now %s",
                page.page_no,
                page.total,
            )
            self.ended = True
        return items

    def _refuse_repeat(self, page: Page[T], previous: Page[T], grown: int) -> None:
        """``ResponseError`` if ``page`` repeats the page before (while ``total`` grew by less
        than it holds) or the saved page (``total`` unchanged since); then Brent's step."""
        unchanged = page.total == previous.total
        earlier = [previous] if grown < len(page.items) else []
        if unchanged:
            earlier.append(self.saved)
        if not unchanged or page.page_no - self.saved.page_no == self.power:
            self.saved, self.power = page, self.power * 2 if unchanged else 1
        repeated = next((e for e in earlier if e.items == page.items), None)
        if repeated is not None and len(page.items) > 1:
            change = "stayed" if unchanged else f"went from {previous.total} to"
            raise ResponseError(
                f"the server repeats itself: page {page.page_no} is page {repeated.page_no} "
                f"again, item for item, while total {change} {page.total}; the list walk "
                f"stopped after {self.given} items rather than loop"
            )

    def horizon(self, page: Page[T]) -> int:
        """The last page number that may be requested now, ``page`` being the last one taken."""
        if page.total is None or self.cap is None:
            return page.page_no + 1
        ahead = max(page.page_no + 1, last_page(page.total, self.size))
        if self.max_items is not None:
            ahead = min(ahead, page.page_no + last_page(self.max_items - self.given, self.size))
        return min(ahead, self.cap)
