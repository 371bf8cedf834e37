"""The pager's arithmetic and stop rules, against an in-memory list (no network, no real time).

Every walk asserts the exact requests made (page numbers, sizes, peak in flight), not only the
items: a pager that found the right items after a thousand needless requests must fail here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ncp_media_async.errors import ResponseError
from ncp_media_async.pagination import (
    Pager,
    last_page,
    page_cap,
    repeated_head,
    served_size,
    validate_page_size,
)
from ncp_media_async.records import Page

LeftoverTasks = Callable[[], Awaitable[list[asyncio.Task[object]]]]


class FakeList:
    """A server-side list paginated like the NCP services, with hooks to change it mid-walk.

    ``cap``: the largest page the server serves. ``numbered_by``: ``"served"`` numbers pages by
    the size served (page k at cap c is items ``[(k-1)*c, k*c)``), ``"asked"`` by the size asked
    (page k is the first c items of ``[(k-1)*size, k*size)``). ``hold_from``: pages from this
    number on wait until cancelled (a request that never answers). ``after(page_no)`` runs once
    a page is served (the list may change then); ``total_of(page_no)`` replaces the true total
    (``None``: no total sent).
    """

    def __init__(
        self,
        items: list[Any],
        *,
        cap: int | None = None,
        numbered_by: str = "served",
        hold_from: int | None = None,
    ) -> None:
        self.items = items
        self.cap = cap
        self.numbered_by = numbered_by
        self.hold_from = hold_from
        self.requests: list[int] = []
        self.sizes: list[int] = []
        self.cancelled: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self.after: Callable[[int], None] | None = None
        self.total_of: Callable[[int], int | None] | None = None

    async def fetch(self, page_no: int, size: int) -> Page[Any]:
        self.requests.append(page_no)
        self.sizes.append(size)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0)  # let every other request start: peaks are real
            if self.hold_from is not None and page_no >= self.hold_from:
                await asyncio.Event().wait()
            served = size if self.cap is None else min(size, self.cap)
            start = (page_no - 1) * (served if self.numbered_by == "served" else size)
            chunk = tuple(self.items[start : start + served])
            total = len(self.items) if self.total_of is None else self.total_of(page_no)
            if self.after is not None:
                self.after(page_no)
            return Page(chunk, page_no, size, total)
        except asyncio.CancelledError:
            self.cancelled.append(page_no)
            raise
        finally:
            self.in_flight -= 1


def pages_of(n: int) -> list[int]:
    return list(range(1, n + 1))


# --- pure arithmetic ----------------------------------------------------------------------


def test_page_arithmetic() -> None:
    assert last_page(0, 20) == 0
    assert last_page(-5, 20) == 0
    assert last_page(1, 20) == 1
    assert last_page(20, 20) == 1
    assert last_page(21, 20) == 2
    assert page_cap(1, 100, 20) == 10
    assert page_cap(3, 100, 20) == 8
    assert page_cap(1, 0, 20) == 2  # the floor: one page implied, two allowed
    assert page_cap(7, 100, 20) == 8  # start past the end: still the floor
    assert page_cap(1, None, 20) is None


@pytest.mark.parametrize(
    ("items", "total", "page_no", "asked", "minimum", "expected"),
    [
        (50, 1000, 1, 100, 1, 50),  # capped: more remain
        (50, 50, 1, 100, 1, 100),  # the whole list: nothing to learn
        (50, 51, 1, 100, 1, 50),  # one more remains
        (50, None, 1, 100, 1, 100),  # no total: a short page is the last
        (0, 1000, 1, 100, 1, 100),  # empty
        (100, 1000, 1, 100, 1, 100),  # full
        (3, 1000, 1, 20, 10, 20),  # below the documented minimum: not a cap
        (10, 1000, 1, 20, 10, 10),  # at the minimum: a cap
        (50, 150, 3, 100, 1, 100),  # page 3 of 50 reaches 150: the last page
        (50, 151, 3, 100, 1, 50),
        (5, 25, 3, 10, 1, 10),  # 20 + 5 = 25: the short last page at the size asked, not a cap
        (5, 26, 3, 10, 1, 5),  # 20 + 5 leaves one: a cap
    ],
)
def test_served_size(
    items: int, total: int | None, page_no: int, asked: int, minimum: int, expected: int
) -> None:
    first = Page(tuple(range(items)), page_no, asked, total)
    assert served_size(first, asked, minimum) == expected


def test_served_size_minimum_defaults_to_one() -> None:
    assert served_size(Page((7,), 1, 20, 100), 20) == 1


@pytest.mark.parametrize(
    ("previous", "items", "grown", "expected"),
    [
        ("abcde", "dXfgh", 2, 0),
        ("abcde", "defgh", 2, 2),
        ("abcde", "deXYZ", 2, 2),
        ("abcde", "deXYZ", 5, 2),  # grew by more than the overlap: only the overlap
        ("abcde", "deXYZ", 1, 0),  # "d" is not the last item: growth of 1 explains nothing
        ("abcde", "eXYZW", 1, 1),
        ("abcde", "eXYZW", 0, 0),  # no growth: equal items are different items
        ("abcde", "eXYZW", -3, 0),  # shrank: nothing to skip
        ("abcde", "abcde", 5, 5),  # a whole page pushed along
        ("abcde", "abcde", 9, 5),  # never more than a page
        ("xx", "xxy", 1, 1),  # at most `grown`, even where more would match
        ("xx", "xxy", 2, 2),
        ("ab", "b", 3, 1),  # a short next page
        ("", "abc", 3, 0),
        ("abc", "", 3, 0),
        ("abcde", "cdXYZ", 3, 0),  # "cd" is not the tail
        ("abcde", "cdeXY", 3, 3),
        ("abcde", "cXeXY", 3, 0),  # one mismatch in the middle of the overlap
    ],
)
def test_repeated_head(previous: str, items: str, grown: int, expected: int) -> None:
    assert repeated_head(tuple(previous), tuple(items), grown) == expected


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, 1001])
def test_page_size_bounds(bad: int) -> None:
    with pytest.raises(ValueError, match=f"page_size must be between 1 and 1000, got {bad}"):
        validate_page_size(bad)


def test_page_size_edges_are_accepted() -> None:
    assert validate_page_size(1) == 1
    assert validate_page_size(1000) == 1000
    assert validate_page_size(10, 10, 10) == 10


def test_page_size_type_and_custom_bounds() -> None:
    with pytest.raises(TypeError, match="page_size must be an int, got str"):
        validate_page_size("20")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="page_size must be an int, got bool"):
        validate_page_size(True)
    with pytest.raises(ValueError, match="between 10 and 1000, got 5"):
        Pager(FakeList([]).fetch, page_size=5, min_page_size=10)
    with pytest.raises(ValueError, match="between 1 and 50, got 51"):
        Pager(FakeList([]).fetch, page_size=51, max_page_size=50)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start_page": 0}, ValueError, "start_page must be >= 1, got 0"),
        ({"start_page": True}, TypeError, "start_page must be an int, got bool"),
        ({"start_page": 1.0}, TypeError, "start_page must be an int, got float"),
        ({"max_items": -1}, ValueError, "max_items must be >= 0, got -1"),
        ({"max_items": True}, TypeError, "max_items must be an int, got bool"),
        ({"max_items": 2.0}, TypeError, "max_items must be an int, got float"),
        ({"prefetch": 0}, ValueError, "prefetch must be >= 1, got 0"),
        ({"prefetch": True}, TypeError, "prefetch must be an int, got bool"),
        ({"prefetch": 2.0}, TypeError, "prefetch must be an int, got float"),
    ],
)
def test_other_options_are_validated(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Pager(FakeList([]).fetch, **kwargs)


def test_options_are_kept_and_shown() -> None:
    pager = Pager(FakeList([]).fetch, page_size=30, start_page=2, max_items=0, prefetch=3)
    assert (pager.page_size, pager.start_page, pager.max_items, pager.prefetch) == (30, 2, 0, 3)
    assert repr(pager) == "Pager(page_size=30, start_page=2, max_items=0, prefetch=3)"
    default = Pager(FakeList([]).fetch)
    assert (default.page_size, default.start_page, default.max_items, default.prefetch) == (
        20, 1, None, 1,
    )


# --- walks over a list that holds still ---------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 19, 20, 21, 100, 101])
@pytest.mark.parametrize("prefetch", [1, 8])
async def test_walk_stops_at_total_without_extra_request(n: int, prefetch: int) -> None:
    server = FakeList(list(range(n)))
    assert await Pager(server.fetch, page_size=20, prefetch=prefetch).to_list() == list(range(n))
    assert sorted(server.requests) == pages_of(max(1, last_page(n, 20)))
    assert set(server.sizes) == {20}


async def test_pages_carry_numbers_and_total() -> None:
    server = FakeList(list(range(45)))
    pages = [p async for p in Pager(server.fetch, page_size=20).pages()]
    assert [(p.page_no, len(p.items), p.total, p.page_size) for p in pages] == [
        (1, 20, 45, 20), (2, 20, 45, 20), (3, 5, 45, 20),
    ]
    assert pages[1].items == tuple(range(20, 40))


async def test_pages_are_numbered_by_the_walk_not_by_the_fetch() -> None:
    server = FakeList(list(range(25)))

    async def zero_based(page_no: int, size: int) -> Page[Any]:
        page = await server.fetch(page_no, size)
        return Page(page.items, page_no - 1, size, page.total)  # echoes a 0-based number

    pages = [p async for p in Pager(zero_based, page_size=10, prefetch=2).pages()]
    assert [(p.page_no, p.items[0], p.page_size, p.total) for p in pages] == [
        (1, 0, 10, 25), (2, 10, 10, 25), (3, 20, 10, 25),
    ]
    assert sorted(server.requests) == [1, 2, 3]


async def test_iterating_the_pager_gives_the_items() -> None:
    server = FakeList(list(range(7)))
    assert [item async for item in Pager(server.fetch, page_size=3)] == list(range(7))
    assert server.requests == [1, 2, 3]


async def test_start_page_and_max_items() -> None:
    server = FakeList(list(range(100)))
    got = await Pager(server.fetch, page_size=10, start_page=3, max_items=15).to_list()
    assert got == list(range(20, 35))
    assert server.requests == [3, 4]
    assert await Pager(server.fetch, max_items=0).to_list() == []
    assert server.requests == [3, 4]  # max_items=0 sends nothing


@pytest.mark.parametrize(
    ("max_items", "prefetch", "requests"),
    [
        (20, 1, [1, 2]),  # ends on the page that fills max_items: no third request
        (20, 8, [1, 2]),
        (25, 8, [1, 2, 3]),  # prefetch asks only for the pages max_items still needs
        (21, 8, [1, 2, 3]),
        (10, 8, [1]),
        (1, 8, [1]),
    ],
)
async def test_max_items_bounds_the_requests(
    max_items: int, prefetch: int, requests: list[int]
) -> None:
    server = FakeList(list(range(1000)))
    pager = Pager(server.fetch, page_size=10, prefetch=prefetch, max_items=max_items)
    assert await pager.to_list() == list(range(max_items))
    assert sorted(server.requests) == requests


async def test_max_items_cuts_the_last_page_given() -> None:
    server = FakeList(list(range(100)))
    pages = [p async for p in Pager(server.fetch, page_size=10, max_items=15).pages()]
    assert [(p.page_no, p.items) for p in pages] == [
        (1, tuple(range(10))), (2, (10, 11, 12, 13, 14)),
    ]


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_short_page_ends_the_walk_when_total_is_missing(prefetch: int) -> None:
    server = FakeList(list(range(25)))
    server.total_of = lambda _: None
    assert await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list() == list(range(25))
    assert server.requests == [1, 2, 3]
    assert server.peak == 1  # without a total, one page at a time


async def test_without_total_a_full_page_asks_for_the_next() -> None:
    server = FakeList(list(range(20)))
    server.total_of = lambda _: None
    assert await Pager(server.fetch, page_size=10).to_list() == list(range(20))
    assert server.requests == [1, 2, 3]  # page 3 is empty: the end


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_empty_page_ends_the_walk_even_when_total_says_more(prefetch: int) -> None:
    server = FakeList(list(range(25)))
    server.total_of = lambda _: 100  # a stale total: 75 items that are not there
    got = await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == list(range(25))
    if prefetch == 1:
        # Page 3 is short but total says more remain: page 4 is asked for, and is empty.
        assert server.requests == [1, 2, 3, 4]
    else:
        # After page 1, pages 2-9 go out at once (total 100 means 10 pages, 8 in flight).
        assert sorted(server.requests) == pages_of(9)
        assert server.peak == 8
        assert server.in_flight == 0


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_short_page_mid_walk_does_not_end_it_while_total_says_more(prefetch: int) -> None:
    """A server that leaves an item out of page 2 (it says 50 and serves 49) is walked on."""
    server = FakeList(list(range(50)))
    base = server.fetch

    async def fetch(page_no: int, size: int) -> Page[Any]:
        page = await base(page_no, size)
        if page_no == 2:
            return Page(page.items[:-1], page_no, size, page.total)
        return page

    got = await Pager(fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == [i for i in range(50) if i != 19]
    assert sorted(server.requests) == pages_of(5)


# --- a server that serves fewer items than asked ------------------------------------------


@pytest.mark.parametrize("numbered_by", ["served", "asked"])
@pytest.mark.parametrize("prefetch", [1, 8])
async def test_capped_server_is_walked_by_what_it_serves(numbered_by: str, prefetch: int) -> None:
    server = FakeList(list(range(1000)), cap=50, numbered_by=numbered_by)
    got = await Pager(server.fetch, page_size=100, prefetch=prefetch).to_list()
    assert got == list(range(1000))
    assert sorted(server.requests) == pages_of(20)  # 1000 items in pages of 50
    assert server.sizes == [100] + [50] * 19  # from page 2 on it is asked for what it serves
    assert server.peak == prefetch


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_capped_server_with_a_short_last_page(prefetch: int) -> None:
    server = FakeList(list(range(123)), cap=50)
    pages = [p async for p in Pager(server.fetch, page_size=100, prefetch=prefetch).pages()]
    assert [(p.page_no, len(p.items), p.page_size) for p in pages] == [
        (1, 50, 100), (2, 50, 50), (3, 23, 50),
    ]
    assert [i for p in pages for i in p.items] == list(range(123))
    assert sorted(server.requests) == [1, 2, 3]


async def test_capped_server_hard_cap_counts_served_pages() -> None:
    """The cap is twice the pages of the *served* size: 250 items at 50 is 5 pages, cap 10
    (at the size asked, 100, it would be 3 pages and cap 6)."""
    server = FakeList(list(range(10_000)), cap=50)
    server.total_of = lambda page_no: 200 + 50 * page_no  # always four pages more to come
    got = await Pager(server.fetch, page_size=100).to_list()
    assert server.requests == pages_of(10)
    assert got == list(range(500))


async def test_capped_server_with_max_items_and_prefetch() -> None:
    server = FakeList(list(range(1000)), cap=50)
    got = await Pager(server.fetch, page_size=100, prefetch=8, max_items=120).to_list()
    assert got == list(range(120))
    assert sorted(server.requests) == [1, 2, 3]  # 50 + 50 + 20: three pages of the served size


async def test_capped_server_with_start_page_counts_served_pages() -> None:
    server = FakeList(list(range(500)), cap=50)
    got = await Pager(server.fetch, page_size=100, start_page=9).to_list()
    assert got == list(range(400, 500))
    assert server.requests == [9, 10]
    assert server.sizes == [100, 50]


async def test_a_count_below_the_minimum_is_not_taken_for_a_cap() -> None:
    server = FakeList(list(range(100)), cap=5, numbered_by="asked")
    got = await Pager(server.fetch, page_size=20, min_page_size=10).to_list()
    # Never asked for 5 (the service would refuse it): each page is short, total says more.
    assert set(server.sizes) == {20}
    assert server.requests == pages_of(6)  # page 6 is empty
    assert got == [i for k in range(5) for i in range(20 * k, 20 * k + 5)]


# --- equal items, repeated pages, and lists that change -----------------------------------


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_two_identical_items_on_adjacent_pages_are_both_given(prefetch: int) -> None:
    events = ["a", "b", "c", "d", "x", "x", "e", "f", "g", "h", "i"]
    server = FakeList(list(events))
    assert await Pager(server.fetch, page_size=5, prefetch=prefetch).to_list() == events
    assert sorted(server.requests) == [1, 2, 3]


async def test_identical_single_item_pages_are_all_given() -> None:
    server = FakeList(["x", "x", "x", "y"])
    assert await Pager(server.fetch, page_size=1).to_list() == ["x", "x", "x", "y"]
    assert server.requests == [1, 2, 3, 4]


async def test_growth_lets_at_most_that_many_equal_items_go() -> None:
    """Total grows by 1 (at the tail, as it happens); page 2 opens with two items equal to page
    1's last. The growth accounts for one shifted item, so one may be skipped, never two."""
    server = FakeList(["a", "b", "x", "x", "x", "c"])
    grown = iter(range(100))
    server.after = lambda page_no: server.items.append(f"new{next(grown)}")
    got = await Pager(server.fetch, page_size=3).to_list()
    # Page 2 ("x", "x", "c") may repeat at most 1 item of page 1's tail ("x"): one x is skipped.
    assert got == ["a", "b", "x", "x", "c", "new0", "new1"]
    assert server.requests == [1, 2, 3]


async def given_until_refused(pager: Pager[Any]) -> tuple[list[Any], ResponseError]:
    """The items a walk gave before it raised ``ResponseError``, and the error."""
    got: list[Any] = []
    with pytest.raises(ResponseError) as info:
        async for item in pager:
            got.append(item)
    return got, info.value


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_a_server_repeating_a_page_is_refused(prefetch: int) -> None:
    requests: list[int] = []

    async def stuck(page_no: int, size: int) -> Page[int]:
        requests.append(page_no)
        return Page(tuple(range(size)), page_no, size, 10**6)

    got, error = await given_until_refused(Pager(stuck, page_size=5, prefetch=prefetch))
    assert got == [0, 1, 2, 3, 4]
    assert "page 2 is page 1 again" in str(error) and "total stayed 1000000" in str(error)
    # Without the repetition rule the hard cap would stop it after 400,000 requests.
    assert sorted(requests) == pages_of(1 + prefetch)


async def test_a_server_repeating_a_page_of_two_is_refused() -> None:
    requests: list[int] = []

    async def stuck(page_no: int, size: int) -> Page[str]:
        requests.append(page_no)
        return Page(("a", "b"), page_no, size, 1000)

    got, _ = await given_until_refused(Pager(stuck, page_size=2))
    assert got == ["a", "b"]
    assert requests == [1, 2]


def cycling(pages: list[tuple[int, ...]], total: int | None, lead_in: int = 0) -> Any:
    """A server serving ``lead_in`` distinct pages, then ``pages`` over and over, every one
    with ``total``; records the pages asked for in ``.requests``."""

    async def fetch(page_no: int, size: int) -> Page[int]:
        fetch.requests.append(page_no)  # type: ignore[attr-defined]
        if page_no <= lead_in:
            return Page(tuple(range(-size * page_no, -size * (page_no - 1))), page_no, size, total)
        return Page(pages[(page_no - lead_in - 1) % len(pages)], page_no, size, total)

    fetch.requests = []  # type: ignore[attr-defined]
    return fetch


async def test_a_server_looping_over_two_pages_is_refused_at_the_fourth() -> None:
    a, b = (1, 2, 3, 4, 5), (6, 7, 8, 9, 10)
    server = cycling([a, b], 10**9)
    got, error = await given_until_refused(Pager(server, page_size=5, max_items=1_200_000))
    assert got == [*a, *b, *a]  # page 3 cannot be told from a new page until page 4 comes
    assert server.requests == [1, 2, 3, 4]
    assert "page 4 is page 2 again" in str(error)
    assert "total stayed 1000000000" in str(error) and "after 15 items" in str(error)


@pytest.mark.parametrize(("lead_in", "period"), [(0, 3), (5, 7), (40, 3), (3, 64), (0, 300)])
async def test_a_loop_of_any_length_is_refused_within_three_times_its_span(
    lead_in: int, period: int
) -> None:
    """Brent's cycle detection: a loop of ``period`` pages entered after ``lead_in`` distinct
    ones is found within 3 * max(lead_in + 1, period) pages, keeping two pages in memory."""
    loop = [tuple(range(1000 * k, 1000 * k + 4)) for k in range(1, period + 1)]
    server = cycling(loop, 10**9, lead_in)
    pager = Pager(server, page_size=4, prefetch=4, max_items=100_000)
    _, error = await given_until_refused(pager)
    bound = 3 * max(lead_in + 1, period)
    last = int(str(error).split("page ", 2)[1].split()[0])
    assert lead_in + period < last <= bound
    assert len(server.requests) <= bound + 4  # the prefetch horizon, cancelled
    again = int(str(error).split(" is page ")[1].split()[0])
    assert (last - again) % period == 0 and again > lead_in


async def test_a_loop_without_totals_is_refused_too() -> None:
    server = cycling([(1, 2), (3, 4), (5, 6)], None)
    _, error = await given_until_refused(Pager(server, page_size=2, max_items=10_000))
    assert server.requests == pages_of(7) and "page 7 is page 4 again" in str(error)


async def test_a_page_seen_before_total_changed_is_not_a_repeat() -> None:
    """A list that changed (total moved) may serve a page seen before: the comparison restarts."""
    a, b = (1, 2, 3), (4, 5, 6)
    totals = iter([10**9, 10**9, 10**9 + 1, 10**9 + 1, 10**9 + 2, 10**9 + 2])
    served = iter([a, b, a, b, a, b])
    requests: list[int] = []

    async def fetch(page_no: int, size: int) -> Page[int]:
        requests.append(page_no)
        return Page(next(served, ()), page_no, size, next(totals, 10**9 + 2))

    got = await Pager(fetch, page_size=3).to_list()
    assert got == [*a, *b] * 3
    assert requests == pages_of(7)  # page 7 is empty


async def test_a_repeated_page_within_the_growth_of_less_than_a_page_is_refused() -> None:
    async def stuck(page_no: int, size: int) -> Page[int]:
        return Page((1, 2, 3), page_no, size, 100 + page_no)  # grows by 1 < 3 a page

    got, error = await given_until_refused(Pager(stuck, page_size=3))
    assert got == [1, 2, 3] and "total went from 101 to 102" in str(error)


async def test_without_totals_equal_items_across_pages_are_all_given() -> None:
    server = FakeList(["a", "b", "x", "x", "c", "d"])
    server.total_of = lambda _: None  # no total: no growth can be told, nothing is skipped
    assert await Pager(server.fetch, page_size=3).to_list() == ["a", "b", "x", "x", "c", "d"]
    assert server.requests == [1, 2, 3]


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_total_vanishing_mid_walk_falls_back_to_one_page_at_a_time(prefetch: int) -> None:
    server = FakeList(list(range(35)))
    server.total_of = lambda page_no: 1000 if page_no == 1 else None
    got = await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == list(range(35))
    # Page 1's total (1000) sends pages 2-9 at once with prefetch; page 2 has no total, so the
    # walk goes on page by page from what is in flight, and page 4 (short, no total) ends it.
    assert sorted(server.requests) == pages_of(1 + prefetch if prefetch > 1 else 4)


async def test_a_whole_page_pushed_along_by_the_total_is_a_shift_not_a_repetition() -> None:
    server = FakeList(list(range(20)))
    fresh = iter(range(-1, -1000, -1))

    def insert_five(page_no: int) -> None:
        if page_no == 1:
            server.items[:0] = [next(fresh) for _ in range(5)]

    server.after = insert_five
    got = await Pager(server.fetch, page_size=5).to_list()
    assert got == list(range(20))
    assert server.requests == pages_of(5)  # 25 items after the insertion: 5 pages


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_head_insertions_mid_walk_give_no_duplicates_and_lose_nothing(
    prefetch: int,
) -> None:
    server = FakeList(list(range(100)))
    fresh = iter(range(-1, -1000, -1))

    def insert_two(page_no: int) -> None:
        server.items[:0] = [next(fresh), next(fresh)]

    server.after = insert_two
    got = await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == list(range(100))  # every original once, in order; the new ones are behind
    # Page k serves offsets [10(k-1), 10k) of a list grown by 2(k-1): the walk reaches the end
    # (total 100 + 2(k-1)) on page 13.
    assert sorted(server.requests) == pages_of(13)


async def test_a_shrinking_list_skips_nothing_and_loses_what_moved_back() -> None:
    server = FakeList(list(range(100)))

    def remove(page_no: int) -> None:
        if page_no == 1:
            del server.items[:30]

    server.after = remove
    got = await Pager(server.fetch, page_size=10).to_list()
    # Items 10-39 moved onto page 1, walked already: lost (documented). Nothing else is.
    assert got == list(range(10)) + list(range(40, 100))
    assert server.requests == pages_of(7)


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_growing_total_cannot_loop_forever(
    prefetch: int, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeList(list(range(10_000)))
    server.total_of = lambda page_no: 20 * (page_no + 5)  # always "more to come"
    with caplog.at_level(logging.WARNING, logger="ncp_media_async"):
        got = await Pager(server.fetch, page_size=20, prefetch=prefetch).to_list()
    # The first total (120) implies 6 pages; the walk stops at twice that.
    assert sorted(server.requests) == pages_of(12)
    assert got == list(range(240))
    assert [r.getMessage() for r in caplog.records] == [
        "list walk stopped at its hard cap, page 12 (twice the pages the first total implied);"
        " the server's total is now 340"
    ]


async def test_total_appearing_late_sets_the_cap() -> None:
    server = FakeList(list(range(10_000)))
    server.total_of = lambda page_no: None if page_no == 1 else 20 * (page_no + 5)
    got = await Pager(server.fetch, page_size=20).to_list()
    # Page 2 is the first to tell a total (140: 7 pages), so the cap is page 14.
    assert server.requests == pages_of(14)
    assert got == list(range(280))


# --- prefetch, errors, cancellation -------------------------------------------------------


@pytest.mark.parametrize("prefetch", [2, 4, 8, 16])
async def test_prefetch_gives_the_same_items_in_order(prefetch: int) -> None:
    items = list(range(403))
    server = FakeList(items)
    got = await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == items
    assert server.peak == prefetch
    assert sorted(server.requests) == pages_of(41)


async def test_prefetch_waits_for_the_first_page_before_fanning_out() -> None:
    server = FakeList(list(range(100)))
    await Pager(server.fetch, page_size=10, prefetch=4).to_list()
    assert server.requests[:5] == [1, 2, 3, 4, 5]
    assert server.peak == 4


async def test_prefetch_raises_errors_in_page_order_and_cancels_the_rest(
    leftover_tasks: LeftoverTasks,
) -> None:
    server = FakeList(list(range(1000)), hold_from=4)
    base = server.fetch

    async def fetch(page_no: int, size: int) -> Page[Any]:
        if page_no == 3:
            await asyncio.sleep(0)
            raise RuntimeError("page 3 broke")
        return await base(page_no, size)

    got: list[int] = []
    with pytest.raises(RuntimeError, match="page 3 broke"):
        async for item in Pager(fetch, page_size=10, prefetch=4):
            got.append(item)
    assert got == list(range(20))  # pages 1 and 2 came out before the error
    assert sorted(server.cancelled) == [4, 5]
    assert await leftover_tasks() == []


async def test_breaking_out_cancels_prefetched_requests(leftover_tasks: LeftoverTasks) -> None:
    server = FakeList(list(range(10_000)), hold_from=3)
    pager = Pager(server.fetch, page_size=10, prefetch=8)
    async for item in pager:
        if item == 15:
            break
    assert await leftover_tasks() == []  # the loop closes the abandoned generator
    assert server.in_flight == 0
    assert sorted(server.cancelled) == list(range(3, 10))


async def test_closing_the_pages_cancels_prefetched_requests(leftover_tasks: LeftoverTasks) -> None:
    server = FakeList(list(range(10_000)), hold_from=3)
    walk = Pager(server.fetch, page_size=10, prefetch=3).pages()
    assert [(await anext(walk)).page_no, (await anext(walk)).page_no] == [1, 2]
    await walk.aclose()
    assert sorted(server.cancelled) == [3, 4]
    assert await leftover_tasks() == []


async def test_cancelling_the_walking_task_leaves_no_task(leftover_tasks: LeftoverTasks) -> None:
    server = FakeList(list(range(10_000)), hold_from=5)
    given: list[int] = []

    async def walk() -> None:
        async for item in Pager(server.fetch, page_size=10, prefetch=8):
            given.append(item)

    task = asyncio.create_task(walk())
    for _ in range(50):  # no real time: until pages 1-4 are given and 5-12 hang
        if len(given) == 40 and len(server.requests) == 12:
            break
        await asyncio.sleep(0)
    assert (len(given), server.requests) == (40, pages_of(12))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await leftover_tasks() == []
    assert server.in_flight == 0
    assert sorted(server.cancelled) == list(range(5, 13))
