"""The pager's arithmetic and stop rules, against an in-memory list (no network needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from ncp_media_async.pagination import Pager, last_page, page_cap, validate_page_size
from ncp_media_async.records import Page


class FakeList:
    """A server-side list paginated like the NCP services, with hooks to change it mid-walk."""

    def __init__(self, items: list[int], *, delay: float = 0.0) -> None:
        self.items = items
        self.delay = delay
        self.requests: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self.after: Callable[[int], None] | None = None
        self.total_override: Callable[[int], int] | None = None

    async def fetch(self, page_no: int, size: int) -> Page[int]:
        self.requests.append(page_no)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            start = (page_no - 1) * size
            chunk = tuple(self.items[start : start + size])
            total = len(self.items) if self.total_override is None else self.total_override(page_no)
            if self.after is not None:
                self.after(page_no)
            return Page(chunk, page_no, size, total)
        finally:
            self.in_flight -= 1


def test_page_arithmetic() -> None:
    assert last_page(0, 20) == 0
    assert last_page(1, 20) == 1
    assert last_page(20, 20) == 1
    assert last_page(21, 20) == 2
    assert page_cap(1, 100, 20) == 10
    assert page_cap(3, 100, 20) == 8
    assert page_cap(1, 0, 20) == 2
    assert page_cap(1, None, 20) is None


@pytest.mark.parametrize("bad", [0, -1, 1001])
def test_page_size_bounds(bad: int) -> None:
    with pytest.raises(ValueError, match="page_size must be between 1 and 1000"):
        validate_page_size(bad)


def test_page_size_type_and_custom_bounds() -> None:
    with pytest.raises(TypeError):
        validate_page_size("20")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        validate_page_size(True)
    with pytest.raises(ValueError, match="between 10 and 1000, got 5"):
        Pager(FakeList([]).fetch, page_size=5, min_page_size=10)


@pytest.mark.parametrize(
    "kwargs", [{"start_page": 0}, {"max_items": -1}, {"prefetch": 0}, {"prefetch": True}]
)
def test_other_options_are_validated(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Pager(FakeList([]).fetch, **kwargs)


@pytest.mark.parametrize("n", [0, 1, 19, 20, 21, 100, 101])
async def test_walk_stops_at_total_without_extra_request(n: int) -> None:
    server = FakeList(list(range(n)))
    assert await Pager(server.fetch, page_size=20).to_list() == list(range(n))
    assert server.requests == list(range(1, max(1, last_page(n, 20)) + 1))


async def test_pages_carry_numbers_and_total() -> None:
    server = FakeList(list(range(45)))
    pages = [p async for p in Pager(server.fetch, page_size=20).pages()]
    assert [(p.page_no, len(p.items), p.total, p.page_size) for p in pages] == [
        (1, 20, 45, 20), (2, 20, 45, 20), (3, 5, 45, 20),
    ]


async def test_start_page_and_max_items() -> None:
    server = FakeList(list(range(100)))
    got = await Pager(server.fetch, page_size=10, start_page=3, max_items=15).to_list()
    assert got == list(range(20, 35))
    assert server.requests == [3, 4]
    assert await Pager(server.fetch, max_items=0).to_list() == []


async def test_short_page_ends_the_walk_when_total_is_missing() -> None:
    server = FakeList(list(range(25)))
    server.total_override = lambda _: None  # type: ignore[assignment,return-value]
    assert await Pager(server.fetch, page_size=10).to_list() == list(range(25))
    assert server.requests == [1, 2, 3]


async def test_growing_total_cannot_loop_forever() -> None:
    server = FakeList(list(range(10_000)))
    server.total_override = lambda page_no: 20 * (page_no + 5)  # always "more to come"
    got = await Pager(server.fetch, page_size=20).to_list()
    # The first total (120) implies 6 pages; the walk stops at twice that.
    assert server.requests == list(range(1, 13))
    assert got == list(range(240))


async def test_a_server_repeating_a_page_ends_the_walk() -> None:
    async def stuck(page_no: int, size: int) -> Page[int]:
        return Page(tuple(range(size)), page_no, size, 10**6)

    got = await Pager(stuck, page_size=5).to_list()
    assert got == [0, 1, 2, 3, 4]


async def test_head_insertion_mid_walk_gives_no_duplicates() -> None:
    server = FakeList(list(range(100)))
    fresh = iter(range(-1, -1000, -1))

    def insert_two(page_no: int) -> None:
        server.items[:0] = [next(fresh), next(fresh)]

    server.after = insert_two
    got = await Pager(server.fetch, page_size=10).to_list()
    assert len(got) == len(set(got)), "an item was given twice"
    assert set(range(100)) <= set(got), "an original item was lost"


async def test_shrinking_list_ends_on_the_short_page() -> None:
    server = FakeList(list(range(100)))
    server.after = lambda page_no: server.items.__delitem__(slice(0, 30)) if page_no == 1 else None
    got = await Pager(server.fetch, page_size=10).to_list()
    assert got[:10] == list(range(10))
    assert len(got) == len(set(got))
    assert server.requests[-1] <= 8


@pytest.mark.parametrize("prefetch", [2, 4, 8, 16])
async def test_prefetch_gives_the_same_items_in_order(prefetch: int) -> None:
    items = list(range(403))
    server = FakeList(items, delay=0.001)
    got = await Pager(server.fetch, page_size=10, prefetch=prefetch).to_list()
    assert got == items
    assert server.peak <= prefetch
    assert sorted(server.requests) == list(range(1, 42))


async def test_prefetch_keeps_at_most_n_requests_in_flight() -> None:
    server = FakeList(list(range(1000)), delay=0.002)
    await Pager(server.fetch, page_size=10, prefetch=4).to_list()
    assert server.peak == 4


async def test_prefetch_respects_max_items() -> None:
    server = FakeList(list(range(1000)))
    got = await Pager(server.fetch, page_size=10, prefetch=8, max_items=25).to_list()
    assert got == list(range(25))


async def test_prefetch_raises_errors_in_page_order_and_cancels_the_rest() -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def fetch(page_no: int, size: int) -> Page[int]:
        started.append(page_no)
        try:
            if page_no == 3:
                raise RuntimeError("page 3 broke")
            await asyncio.sleep(0 if page_no < 3 else 10)
        except asyncio.CancelledError:
            cancelled.append(page_no)
            raise
        return Page(tuple(range((page_no - 1) * size, page_no * size)), page_no, size, 1000)

    got: list[int] = []
    with pytest.raises(RuntimeError, match="page 3 broke"):
        async for item in Pager(fetch, page_size=10, prefetch=4):
            got.append(item)
    assert len(got) == 20  # pages 1 and 2 came out before the error
    assert cancelled and all(n > 3 for n in cancelled)
    assert _other_tasks() == []


def _other_tasks() -> list[asyncio.Task[object]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


async def _settle(rounds: int = 10) -> None:
    """Let the loop run the finaliser of an abandoned generator (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def test_breaking_out_cancels_prefetched_requests() -> None:
    server = FakeList(list(range(10_000)), delay=0.01)
    pager = Pager(server.fetch, page_size=10, prefetch=8)
    async for item in pager:
        if item == 15:
            break
    await _settle()  # asyncio closes the abandoned generator, which cancels its requests
    assert _other_tasks() == []
    assert server.in_flight == 0


async def test_cancelling_the_walking_task_leaves_no_task() -> None:
    server = FakeList(list(range(10_000)), delay=0.01)

    async def walk() -> None:
        async for _ in Pager(server.fetch, page_size=10, prefetch=8):
            pass

    task = asyncio.create_task(walk())
    await asyncio.sleep(0.03)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _other_tasks() == []
    assert server.in_flight == 0
