"""A quota shared by processes (issue 11), in one process: the ``RateLimit`` value, the
emulator's quota per access key, and the shared pacer against a real ``redis-server`` (started
on a free loopback port, never a fake): one timeline for every client, deadlines, Redis going
away and coming back, ``fallback="fail"``, cancellation and closing; one timeline per account,
the rate recorded beside it, corrupt slots reset and a TTL on every key (issue 16).

Waits are recorded by an injected ``sleep`` (nothing waits out a slot for real); slot times come
from Redis' own clock, so recorded waits are compared with a tolerance of the real time the
test took.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from _clocks import Recorder  # a standing clock and a sleep that records
from _redis import RedisServer, free_port

import ncp_media_async as ncp
from ncp_media_async import _defaults
from ncp_media_async._ratelimit import account_id
from ncp_media_async._shared_ratelimit import CLIENT_NAME, KEY_PREFIX
from ncp_media_async.testing import (
    DEFAULT_ACCESS_KEY,
    Emulator,
    EmulatorServer,
    LaunchOptions,
    ManualClock,
    Quota,
    Scenario,
)
from ncp_media_async.testing.__main__ import main as module_main
from ncp_media_async.testing._launch import banner

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


def unique() -> str:
    """A budget name of its own for each test (they share one redis-server)."""
    return f"test-{uuid.uuid4().hex[:12]}"


def client_for(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    kw.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **kw)


@pytest.fixture
def clock() -> ManualClock:
    """The emulator's clock, and the client's (signatures, back-offs, the 429 gate)."""
    return ManualClock(1_000.0)


@pytest.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(Emulator(Scenario.empty())) as server:
        yield server


class HungRedis:
    """A TCP server where Redis should be that accepts connections and never answers."""

    def __init__(self) -> None:
        self.accepted: list[asyncio.StreamWriter] = []
        self.connected = asyncio.Event()
        self.url = ""

    async def _hang(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted.append(writer)
        self.connected.set()


@pytest.fixture
async def hung_redis() -> AsyncIterator[HungRedis]:
    hung = HungRedis()
    server = await asyncio.start_server(hung._hang, "127.0.0.1", 0)
    hung.url = f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    try:
        yield hung
    finally:
        for writer in hung.accepted:
            writer.close()
        server.close()
        await server.wait_closed()


def key_of(name: str, access_key: str = DEFAULT_ACCESS_KEY) -> str:
    """The Redis key of a shared limit's next slot (the emulator's account unless told)."""
    return f"{KEY_PREFIX}{account_id(access_key)}:{name}"


async def slot_key(url: str, name: str) -> bytes | None:
    """The next free slot of a shared limit (and its rate), as Redis holds it."""
    async with aioredis.Redis.from_url(url) as r:
        value: bytes | None = await r.get(key_of(name))
        return value


async def our_connections(url: str) -> int:
    """Connections to Redis opened by shared limits (by their client name)."""
    async with aioredis.Redis.from_url(url) as r:
        return sum(c.get("name") == CLIENT_NAME for c in await r.client_list())


# -- the value ------------------------------------------------------------------------------


def test_a_shared_limit_is_a_frozen_hashable_picklable_value_that_hides_its_password() -> None:
    limit = ncp.RateLimit.per_minute(
        1000, shared="redis://:hunter2@redis.local:6379/0", name="acct", processes=3
    )
    assert (limit.calls, limit.period, limit.name, limit.processes) == (1000, 60.0, "acct", 3)
    assert limit.fallback == "local"
    assert pickle.loads(pickle.dumps(limit)) == limit
    assert hash(limit) == hash(ncp.RateLimit.per_minute(
        1000, shared="redis://:hunter2@redis.local:6379/0", name="acct", processes=3
    ))  # fmt: skip
    assert "hunter2" not in repr(limit)
    assert "redis://:***@redis.local:6379/0" in repr(limit)
    assert limit.share(4) == ncp.RateLimit(1000, 240.0, None, "acct", 3)
    assert ncp.RateLimit.per_second(5, shared="unix:///run/redis.sock").shared is not None
    assert ncp.RateLimit.per_second(5).shared is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shared": "http://redis:6379"}, "shared must be a Redis URL"),
        ({"shared": "redis://host:6379/0 "}, "without spaces"),
        ({"shared": "redis://:pw@host/0", "name": ""}, "name must be 1 to 200"),
        ({"name": "two words"}, "name must be 1 to 200"),
        ({"processes": 0}, "processes must be >= 1"),
        ({"fallback": "retry"}, "'fallback' must be in \\('local', 'fail'\\)"),
    ],
)
def test_bad_shared_options_are_refused_when_the_limit_is_made(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as info:
        ncp.RateLimit.per_second(10, **kwargs)
    assert "pw" not in str(info.value)


def test_a_shared_limit_without_the_redis_extra_fails_when_the_client_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    limit = ncp.RateLimit.per_second(10, shared="redis://127.0.0.1:6379/0")
    creds = ncp.Credentials("AK", "SK")
    with pytest.raises(ncp.ConfigurationError, match=r"pip install 'ncp_media_async\[redis\]'"):
        ncp.MediaClient(creds, rate_limit=limit)


# -- the emulator's quota -------------------------------------------------------------------


async def test_the_emulator_refuses_past_its_quota_per_access_key_until_the_window_turns(
    clock: ManualClock,
) -> None:
    emulator = Emulator(Scenario.empty(), clock=clock, quota=Quota(3, 10.0))
    emulator.add_credentials("OTHERKEY", "other-secret")
    async with (
        EmulatorServer(emulator) as server,
        client_for(server, max_retries=0, clock=clock, monotonic=clock) as client,
        ncp.MediaClient(
            ncp.Credentials("OTHERKEY", "other-secret"), endpoints=ncp.Endpoints.at(server.url),
            max_retries=0, clock=clock, monotonic=clock,
        ) as other,
    ):  # fmt: skip
        for _ in range(3):
            await client.vod_station.status_statistics()
        with pytest.raises(ncp.RateLimitError) as info:
            await client.vod_station.status_statistics()
        await other.vod_station.status_statistics()  # another key, its own budget
        clock.advance(10.0)  # the next fixed window (1010 s is a multiple of 10)
        await client.vod_station.status_statistics()
    error = info.value
    assert (error.status, error.code, error.message) == (429, "400", "Quota Exceeded")
    assert error.retry_after == 10.0  # the window [1000, 1010) ends in 10 s
    key = emulator.access_key
    assert emulator.quotas.admitted == {key: 4, "OTHERKEY": 1}
    assert emulator.quotas.refused == {key: 1}  # a refused request does not count
    assert emulator.stats.statuses == {200: 5, 429: 1}


async def test_a_sliding_quota_admits_at_most_n_in_any_window(clock: ManualClock) -> None:
    emulator = Emulator(Scenario.empty(), clock=clock, quota=Quota(2, 10.0, mode="sliding"))
    outcomes: list[float | None] = []
    async with (
        EmulatorServer(emulator) as server,
        client_for(server, max_retries=0, clock=clock, monotonic=clock) as client,
    ):
        for step in (0.0, 6.0, 2.0, 2.0, 2.0, 4.0):  # at 1000, 1006, 1008, 1010, 1012, 1016
            clock.advance(step)
            try:
                await client.vod_station.status_statistics()
                outcomes.append(None)
            except ncp.RateLimitError as exc:
                outcomes.append(exc.retry_after)
    # 1008: two within (998, 1008], the oldest (1000) leaves in 2 s; 1010: it left;
    # 1012: 1006 and 1010 are within the window, 1006 leaves in 4 s; 1016: it left.
    assert outcomes == [None, None, 2.0, None, 4.0, None]


async def test_the_quota_can_use_the_other_429_codes_and_send_no_retry_after(
    clock: ManualClock,
) -> None:
    quota = Quota(1, 60.0, code="420", retry_after=False)
    async with (
        EmulatorServer(Emulator(Scenario.empty(), clock=clock, quota=quota)) as server,
        client_for(server, max_retries=0, clock=clock, monotonic=clock) as client,
    ):
        await client.vod_station.status_statistics()
        with pytest.raises(ncp.RateLimitError) as info:
            await client.live_station.records("ls-20200313162828-G60tN")
    assert (info.value.code, info.value.message, info.value.retry_after) == (
        "420", "Rate Limited", None,
    )


@pytest.mark.parametrize("retry_after", [True, False])
async def test_a_client_over_the_quota_waits_and_gets_through(
    clock: ManualClock, retry_after: bool
) -> None:
    emulator = Emulator(Scenario.empty(), clock=clock, quota=Quota(2, 1.0, retry_after=retry_after))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the client's waits move the emulator's clock
        slept.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    policy = ncp.RetryPolicy(initial_delay=0.4, max_delay=0.8, max_retries=8)
    async with (
        EmulatorServer(emulator) as server,
        client_for(server, retry=policy, sleep=sleep, clock=clock, monotonic=clock) as client,
    ):
        for _ in range(3):
            await client.vod_station.status_statistics()
    assert emulator.quotas.admitted[emulator.access_key] == 3
    refused = emulator.quotas.refused[emulator.access_key]
    assert refused >= 1
    if retry_after:  # told to wait 1 s (the window [1000, 1001) ends): one wait, one retry
        assert (slept, refused) == ([1.0], 1)
    else:  # no Retry-After: back-offs with jitter until the window turned
        assert sum(slept) >= 1.0
        assert len(slept) == refused


def test_the_launcher_takes_a_quota_and_says_so() -> None:
    options = LaunchOptions.from_flags(
        {"scenario": "empty", "quota": "600/60", "quota_mode": "sliding", "quota_code": "410",
         "quota_without_retry_after": True}
    )  # fmt: skip
    emulator = options.make_emulator()
    assert emulator.quotas.quota == Quota(600, 60.0, "sliding", "410", retry_after=False)
    assert "quota per access key: 600/60 s (sliding window, 429 code 410)" in banner(
        "http://127.0.0.1:1", emulator
    )
    assert LaunchOptions().make_emulator().quotas.quota is None


@pytest.mark.parametrize("spec", ["600", "0/60", "600/0", "a/b", "600/-1"])
def test_a_bad_quota_is_a_usage_error(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        module_main(["--quota", spec])
    assert exit_info.value.code == 2
    assert "--quota: " in capsys.readouterr().err


# -- the shared timeline, against a real Redis ----------------------------------------------


async def test_clients_sharing_a_name_take_turns_on_one_evenly_spaced_timeline(
    redis_server: RedisServer, server: EmulatorServer
) -> None:
    limit = ncp.RateLimit.per_minute(60, shared=redis_server.url, name=unique())  # 1 s apart
    a_waits, b_waits = Recorder(), Recorder()
    started = time.monotonic()
    async with (
        client_for(server, rate_limit=limit, sleep=a_waits.sleep) as a,
        client_for(server, rate_limit=limit, sleep=b_waits.sleep) as b,
    ):
        for _ in range(3):
            await a.vod_station.status_statistics()
            await b.vod_station.status_statistics()
        took = time.monotonic() - started
        assert await our_connections(redis_server.url) == 2  # one per client
    # Slots 0, 1, 2, 3, 4, 5 s on one timeline, alternately a's and b's (a's first is now);
    # each wait is its slot minus the real time already gone by.
    assert a_waits.slept == pytest.approx([2.0, 4.0], abs=took + 0.05)
    assert b_waits.slept == pytest.approx([1.0, 3.0, 5.0], abs=took + 0.05)
    assert server.emulator.stats.total_requests == 6
    assert await our_connections(redis_server.url) == 0  # closed with the clients


async def test_no_shared_slot_before_the_deadline_gives_up_at_once_and_reserves_nothing(
    redis_server: RedisServer, server: EmulatorServer
) -> None:
    name = unique()
    limit = ncp.RateLimit.per_minute(1, shared=redis_server.url, name=name)
    waits = Recorder()
    policy = ncp.RetryPolicy(deadline=30.0)
    async with client_for(server, rate_limit=limit, retry=policy, sleep=waits.sleep) as client:
        await client.vod_station.status_statistics()
        reserved = await slot_key(redis_server.url, name)
        assert reserved is not None
        with pytest.raises(ncp.TransportError, match="rate limit has no free slot") as info:
            await client.vod_station.status_statistics()
    assert info.value.attempts == 0
    assert waits.slept == []  # the next slot is 60 s away, past the 30 s deadline
    assert await slot_key(redis_server.url, name) == reserved  # nothing was reserved
    assert server.emulator.stats.total_requests == 1


async def test_when_redis_goes_away_the_client_says_so_once_and_paces_alone_at_its_share(
    own_redis: RedisServer, server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ncp_media_async")
    limit = ncp.RateLimit.per_second(10, shared=own_redis.url, name=unique())
    waits = Recorder()
    clients = [
        client_for(server, rate_limit=limit, monotonic=waits.monotonic, sleep=waits.sleep)
        for _ in range(3)
    ]
    try:
        for _ in range(2):  # three participants; the second round shows each all three
            for client in clients:
                await client.vod_station.status_statistics()
        waits.slept.clear()
        own_redis.stop()
        first = clients[0]
        for _ in range(3):
            await first.vod_station.status_statistics()
        # Alone at 1/3 of 10 a second: 0.3 s apart on the client's own (standing) clock.
        assert waits.slept == pytest.approx([0.3, 0.6])
        down = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
        assert len(down) == 1
        assert down[0].levelno == logging.WARNING
        assert "pacing this process alone at 1/3 of the limit" in down[0].getMessage()
        assert f"127.0.0.1:{own_redis.port}" in down[0].getMessage()

        own_redis.start()  # back, empty
        await first.vod_station.status_statistics()  # within the retry interval: still alone
        assert waits.slept == pytest.approx([0.3, 0.6, 0.9])
        waits.now += _defaults.SHARED_LIMIT_RETRY_INTERVAL
        await first.vod_station.status_statistics()  # asks Redis again: shared once more
        await first.vod_station.status_statistics()
        assert waits.slept[3:] == pytest.approx([0.1], abs=0.05)  # the shared spacing again
        assert [r.getMessage() for r in caplog.records if "resumed" in r.getMessage()] == [
            f"shared rate limit {limit.name!r} at {own_redis.url}: Redis answers again; "
            "sharing resumed"
        ]
        assert len([r for r in caplog.records if "cannot be reached" in r.getMessage()]) == 1
    finally:
        for client in clients:
            await client.close()
    assert server.emulator.stats.total_requests == 6 + 6


async def test_a_redis_that_never_answers_costs_one_short_wait_not_a_stall(
    server: EmulatorServer, hung_redis: HungRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_defaults, "SHARED_LIMIT_REDIS_TIMEOUT", 0.5)
    limit = ncp.RateLimit.per_second(100, shared=hung_redis.url, name=unique())
    async with client_for(server, rate_limit=limit) as client:
        started = time.monotonic()
        for _ in range(5):
            await client.vod_station.status_statistics()
        took = time.monotonic() - started
    # One 0.5 s wait for Redis, then the local share without asking again (asking at every
    # call would take five: 2.5 s; the rest of the bound is for a loaded machine).
    assert 0.5 <= took < 2.5
    assert len(hung_redis.accepted) == 1
    assert server.emulator.stats.total_requests == 5


async def test_fallback_fail_raises_a_typed_error_that_shows_no_password(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    limit = ncp.RateLimit.per_second(10, shared=url, name=unique(), fallback="fail")
    async with client_for(server, rate_limit=limit) as client:
        for _ in range(2):
            with pytest.raises(ncp.SharedLimitError) as info:
                await client.vod_station.status_statistics()
    message = str(info.value)
    assert "Redis cannot be reached" in message
    assert "redis://:***@127.0.0.1" in message
    assert "hunter2" not in message + caplog.text + repr(client)
    assert len([r for r in caplog.records if "cannot be reached" in r.getMessage()]) == 1
    assert server.emulator.stats.total_requests == 0  # nothing was sent unpaced


async def test_a_call_cancelled_while_waiting_for_its_slot_leaves_nothing_behind(
    redis_server: RedisServer,
    server: EmulatorServer,
    leftover_tasks: Callable[[], Awaitable[list[asyncio.Task[object]]]],
) -> None:
    limit = ncp.RateLimit.per_minute(6, shared=redis_server.url, name=unique())  # 10 s apart
    async with client_for(server, rate_limit=limit) as client:
        await client.vod_station.status_statistics()
        waiting = asyncio.ensure_future(client.vod_station.status_statistics())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await leftover_tasks() == []
    assert await our_connections(redis_server.url) == 0
    assert server.emulator.stats.total_requests == 1


async def test_a_call_cancelled_while_waiting_for_redis_leaves_nothing_behind(
    server: EmulatorServer,
    hung_redis: HungRedis,
    leftover_tasks: Callable[[], Awaitable[list[asyncio.Task[object]]]],
) -> None:
    limit = ncp.RateLimit.per_second(10, shared=hung_redis.url, name=unique())
    async with client_for(server, rate_limit=limit) as client:
        waiting = asyncio.ensure_future(client.vod_station.status_statistics())
        await asyncio.wait_for(hung_redis.connected.wait(), 5)
        await asyncio.sleep(0.01)  # the command is written; the client waits for the answer
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await leftover_tasks() == []
    assert server.emulator.stats.total_requests == 0


async def test_closing_the_client_while_a_call_waits_for_redis_is_no_redis_outage(
    server: EmulatorServer, hung_redis: HungRedis, caplog: pytest.LogCaptureFixture
) -> None:
    limit = ncp.RateLimit.per_second(10, shared=hung_redis.url, name=unique())
    client = client_for(server, rate_limit=limit)
    waiting = asyncio.ensure_future(client.vod_station.status_statistics())
    await asyncio.wait_for(hung_redis.connected.wait(), 5)
    await client.close()
    with pytest.raises(ncp.ClientClosedError):
        await asyncio.wait_for(waiting, 5)
    # Closing its connection is not Redis going away: no warning, nothing sent unpaced.
    assert not [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert server.emulator.stats.total_requests == 0


# -- accounts and rates (issue 16, item 1) ---------------------------------------------------


def other_account(server: EmulatorServer, **kw: Any) -> ncp.MediaClient:
    """A client of a second account (the emulator knows its key too)."""
    server.emulator.add_credentials("OTHERKEY", "other-secret")
    kw.setdefault("retry", FAST)
    creds = ncp.Credentials("OTHERKEY", "other-secret")
    return ncp.MediaClient(creds, endpoints=ncp.Endpoints.at(server.url), **kw)


async def test_two_accounts_with_the_default_name_do_not_wait_for_each_other(
    own_redis: RedisServer, server: EmulatorServer
) -> None:
    limit = ncp.RateLimit.per_second(10, shared=own_redis.url)  # the default name
    a_waits, b_waits = Recorder(), Recorder()
    started = time.monotonic()
    async with (
        client_for(server, rate_limit=limit, monotonic=a_waits.monotonic, sleep=a_waits.sleep) as a,
        other_account(server, rate_limit=limit, monotonic=b_waits.monotonic, sleep=b_waits.sleep)
        as b,
    ):
        # Account A queues 200 requests: their slots reach 19.9 s ahead on A's timeline (one
        # after another, the recorded sleeps returning at once: 200 reservations at once would
        # queue for the client's 8 Redis connections, and on a loaded machine the last ones
        # would wait past the 1 s Redis timeout and pace locally).
        for _ in range(200):
            await a.vod_station.status_statistics()
        await b.vod_station.status_statistics()  # account B's one call, beside A's queue
        took = time.monotonic() - started
    assert max(a_waits.slept) == pytest.approx(19.9, abs=took + 0.05)
    assert b_waits.slept == []  # B's first slot is now: it did not wait behind A
    assert server.emulator.stats.total_requests == 201


async def test_another_rate_on_one_account_and_name_is_refused_naming_both_rates(
    redis_server: RedisServer, server: EmulatorServer
) -> None:
    fast_name, hourly_name = unique(), unique()
    url = redis_server.url
    fast_waits, other_waits = Recorder(), Recorder()
    async with (
        client_for(server, rate_limit=ncp.RateLimit.per_second(100, shared=url, name=fast_name),
                   monotonic=fast_waits.monotonic, sleep=fast_waits.sleep) as fast,
        client_for(server, rate_limit=ncp.RateLimit(1, 3600, shared=url, name=fast_name)) as late,
        client_for(server, rate_limit=ncp.RateLimit(1, 3600, shared=url, name=hourly_name))
        as hourly,
        client_for(server, rate_limit=ncp.RateLimit.per_second(100, shared=url, name=hourly_name))
        as blocked,
        other_account(server, rate_limit=ncp.RateLimit.per_second(100, shared=url,
                      name=hourly_name), monotonic=other_waits.monotonic, sleep=other_waits.sleep)
        as other,
    ):  # fmt: skip
        # The fast client came first: the hourly one is refused, the fast one goes on at its pace.
        await fast.vod_station.status_statistics()
        with pytest.raises(ncp.ConfigurationError) as refused:
            await late.vod_station.status_statistics()
        for _ in range(3):
            await fast.vod_station.status_statistics()
        # The hourly client came first: the fast one of its account is refused; another
        # account's fast client under the same name does not wait at all.
        await hourly.vod_station.status_statistics()
        with pytest.raises(ncp.ConfigurationError) as blocked_info:
            await blocked.vod_station.status_statistics()
        for _ in range(3):
            await other.vod_station.status_statistics()
    assert str(refused.value) == (
        f"RateLimit {fast_name!r} is shared at 100 per 1 s by another client of this account; "
        "this client asks 1 per 3600 s"
    )
    assert str(blocked_info.value) == (
        f"RateLimit {hourly_name!r} is shared at 1 per 3600 s by another client of this account; "
        "this client asks 100 per 1 s"
    )
    # Each waits at most its own three slots of 10 ms: neither was pushed an hour ahead.
    assert max(fast_waits.slept, default=0.0) <= 0.03
    assert max(other_waits.slept, default=0.0) <= 0.03
    assert server.emulator.stats.total_requests == 4 + 1 + 3  # none sent by a refused client


async def redis_now_us(r: aioredis.Redis) -> int:
    seconds, micros = await r.time()
    return int(seconds) * 1_000_000 + int(micros)


async def ahead(r: aioredis.Redis, key: str, seconds: float) -> None:
    """A well-formed next slot of ``6 per 60 s``, ``seconds`` ahead of Redis' clock."""
    await r.set(key, f"{await redis_now_us(r) + round(seconds * 1e6)} 6 per 60 s", px=7_200_000)


CORRUPT: dict[str, Callable[[aioredis.Redis, str], Awaitable[Any]]] = {
    "1e30": lambda r, key: r.set(key, "1e30"),
    "text": lambda r, key: r.set(key, "garbage"),
    "no time to live": lambda r, key: r.set(key, "1 6 per 60 s"),
    "too far ahead": lambda r, key: r.set(key, f"{10**24} 6 per 60 s", px=60_000),
    "just over an hour ahead": lambda r, key: ahead(r, key, 3610.0),
    "a hash": lambda r, key: r.hset(key, "slot", "1"),
}


@pytest.mark.parametrize("corrupt", CORRUPT)
async def test_a_corrupt_slot_is_reset_with_one_warning_and_the_call_proceeds(
    redis_server: RedisServer,
    server: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    corrupt: str,
) -> None:
    name = unique()
    limit = ncp.RateLimit.per_minute(6, shared=redis_server.url, name=name)  # 10 s apart
    waits = Recorder()
    async with (
        aioredis.Redis.from_url(redis_server.url) as r,
        client_for(server, rate_limit=limit, monotonic=waits.monotonic, sleep=waits.sleep)
        as client,
    ):  # fmt: skip
        for _ in range(2):  # corrupt twice: reset twice, one warning
            await r.delete(key_of(name))
            await CORRUPT[corrupt](r, key_of(name))
            await client.vod_station.status_statistics()
            assert waits.slept == []  # the slot was reset to now
            slot, _, rate = (await r.get(key_of(name))).partition(b" ")
            assert 0 < int(slot) - await redis_now_us(r) <= 10_000_000  # one spacing ahead
            assert rate == b"6 per 60 s"
            assert 100_000 < await r.pttl(key_of(name)) <= 130_000  # 10 s ahead + 2 periods
        await client.vod_station.status_statistics()
    assert waits.slept == pytest.approx([10.0], abs=2.0)  # paced again
    warnings = [rec for rec in caplog.records if "next slot in Redis" in rec.getMessage()]
    assert [rec.levelno for rec in warnings] == [logging.WARNING]
    assert "further ahead than 6 per 60 s can produce; reset" in warnings[0].getMessage()
    assert server.emulator.stats.total_requests == 3


async def test_a_slot_within_an_hour_is_a_queue_not_corruption(
    redis_server: RedisServer, server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique()
    limit = ncp.RateLimit.per_minute(6, shared=redis_server.url, name=name)
    async with (
        aioredis.Redis.from_url(redis_server.url) as r,
        client_for(server, rate_limit=limit, sleep=Recorder().sleep) as client,
    ):
        await ahead(r, key_of(name), 3000.0)
        held = await r.get(key_of(name))
        with pytest.raises(ncp.TransportError, match="no free slot"):
            await client.vod_station.status_statistics()  # 50 min away: past the deadline
        assert await r.get(key_of(name)) == held
    assert "next slot in Redis" not in caplog.text
    assert server.emulator.stats.total_requests == 0


async def test_every_key_of_a_shared_limit_has_a_time_to_live_of_a_few_periods(
    redis_server: RedisServer, server: EmulatorServer
) -> None:
    name = unique()
    limit = ncp.RateLimit.per_minute(1, shared=redis_server.url, name=name)  # 60 s apart
    policy = ncp.RetryPolicy(deadline=30.0)
    async with (
        aioredis.Redis.from_url(redis_server.url) as r,
        client_for(server, rate_limit=limit, retry=policy, sleep=Recorder().sleep) as client,
    ):
        await client.vod_station.status_statistics()
        with pytest.raises(ncp.TransportError, match="no free slot"):
            await client.vod_station.status_statistics()  # 60 s away: gives up
        keys = await r.keys(f"{KEY_PREFIX}*{name}*")
        ttls = {key.decode(): await r.pttl(key) for key in keys}
    # The slot key lives until its slot (60 s) and 2 periods more; the participants, 2 periods.
    assert ttls == {
        key_of(name): pytest.approx(180_000, abs=2_000),
        key_of(name) + ":members": pytest.approx(120_000, abs=2_000),
    }
