"""Live Station callbacks: ``parse_callback`` on every documented example (and what the pages
disagree on), and the emulator POSTing events to a real receiver on loopback (the README's
receiver example)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from _live import T0, serve_raw, served_live
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async.live_station import parse_callback
from ncp_media_async.testing import Fault, Route

C = ncp.LiveEventCode

# The current callback page's example (event ids and times are numbers).
PUSHED = {"id": 1234, "logLevel": "INFO", "channelId": "ls-20200327******-aBCD3",
          "event": "STREAM_UPDATE", "timestamp": 1599218791425}  # fmt: skip
# The old page types every field as String.
PUSHED_AS_TEXT = {key: str(value) for key, value in PUSHED.items()}
# The event list's example item (``eventCode``, ``description``, no ``id``).
LISTED = {"logLevel": "INFO", "eventCode": "PUBLISH_END",
          "description": "channel000 channel publishing has ended.",
          "timestamp": 1755591429630, "channelId": "ls-20250818******-KRXat"}  # fmt: skip


def test_the_pushed_example() -> None:
    event = parse_callback(json.dumps(PUSHED).encode())
    assert event == ncp.LiveEvent(
        event_code=C.STREAM_UPDATE,
        channel_id="ls-20200327******-aBCD3",
        log_level=ncp.LogLevel.INFO,
        timestamp=datetime(2020, 9, 4, 11, 26, 31, 425000, tzinfo=UTC),  # epoch milliseconds
        id=1234,
    )
    assert event.description is None


def test_the_old_pages_text_fields_read_the_same() -> None:
    assert parse_callback(json.dumps(PUSHED_AS_TEXT)) == parse_callback(PUSHED)


def test_an_event_list_item_parses_too() -> None:
    event = parse_callback(LISTED)
    assert (event.event_code, event.id) == (C.PUBLISH_END, None)
    assert event.description == "channel000 channel publishing has ended."
    assert event.timestamp == datetime.fromtimestamp(1755591429.630, UTC)


@pytest.mark.parametrize(
    "code",
    [
        "STREAM_RESERVE", "STREAM_UPDATE", "PUBLISH_START", "PUBLISH_END", "THUMBNAIL_CREATE",
        "SIMULCAST_STATUS_CHANGE", "ONAIR_START", "ONAIR_END", "PUBLISH_OVER_THRESHOLD",
        "RTMP_MAIN_STREAM_ENABLED", "RTMP_BACKUP_STREAM_ENABLED",
        "BACKUP_SESSION_STREAMING_CONNECTED", "BACKUP_SESSION_STREAMING_DISCONNECTED",
        "STREAM_FINISH",
    ],
)  # fmt: skip
def test_every_documented_event_code(code: str) -> None:
    event = parse_callback({**PUSHED, "event": code})
    assert event.event_code == code and event.event_code.known
    assert event.event_code is C[code]


@pytest.mark.parametrize(("spelt", "code"), [("PUBLISH_Start", C.PUBLISH_START),
                                             ("ONAIR_Start", C.ONAIR_START),
                                             ("onair_end", C.ONAIR_END)])  # fmt: skip
def test_codes_are_read_in_any_case(spelt: str, code: ncp.LiveEventCode) -> None:
    assert parse_callback({**PUSHED, "event": spelt}).event_code is code


def test_unknown_codes_and_levels_are_kept() -> None:
    event = parse_callback({**PUSHED, "event": "STREAM_TELEPORTED", "logLevel": "WARN"})
    assert (event.event_code, event.log_level) == ("STREAM_TELEPORTED", "WARN")
    assert not event.event_code.known and not event.log_level.known


def test_extra_and_missing_fields_never_fail() -> None:
    event = parse_callback({"event": "ONAIR_START", "brandNew": {"nested": [1, 2]}})
    assert event == ncp.LiveEvent(event_code=C.ONAIR_START)


def test_duplicate_deliveries_are_equal() -> None:
    first, again = parse_callback(json.dumps(PUSHED)), parse_callback(json.dumps(PUSHED).encode())
    assert first == again and len({first, again}) == 1


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>502</html>", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a Live Station event"),
        (b'{"categoryId": 1, "fileId": 2, "status": "COMPLETE"}', "not a Live Station event"),
        (json.dumps({**PUSHED, "timestamp": "yesterday"}).encode(), r"\$\.timestamp"),
        (json.dumps({**PUSHED, "id": [1]}).encode(), r"\$\.id"),
        (json.dumps({**PUSHED, "channelId": 7}).encode(), r"\$\.channelId"),
        (b"[" * 100_000 + b"]" * 100_000, "more than an event can be"),
        ("[" * 30_000 + "]" * 30_000, "not JSON"),  # too deep: no RecursionError escapes
    ],
)
def test_what_is_not_a_live_station_event_is_a_response_error(body: bytes, match: str) -> None:
    with pytest.raises(ncp.ResponseError, match=match) as caught:
        parse_callback(body)
    assert len(caught.value.excerpt) <= 200


# ---------------------------------------------------------------- delivered by the emulator


@contextlib.asynccontextmanager
async def receiver(
    answer: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
) -> AsyncIterator[tuple[str, list[ncp.LiveEvent]]]:
    """The README's receiver: parse, keep, answer 204 at once. Yields its URL and what it got."""
    received: list[ncp.LiveEvent] = []

    async def live_callback(request: web.Request) -> web.StreamResponse:
        try:
            received.append(ncp.live_station.parse_callback(await request.read()))
        except ncp.ResponseError:
            return web.Response(status=400)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/callbacks/live", answer or live_callback)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/callbacks/live", received
    finally:
        await runner.cleanup()


async def test_the_emulator_posts_every_event_to_the_receiver() -> None:
    async with receiver() as (url, received), served_live() as live:
        live.store.callback_url = url
        cid = live.store.add_channel(name="live-cb")
        live.store.start_publishing(cid)
        await live.api.start_recording(cid)
        live.clock.advance(5)
        await live.api.stop_recording(cid)
        live.store.stop_publishing(cid)
        deliveries = await live.store.drain_callbacks()
    codes = [C.STREAM_RESERVE, C.PUBLISH_START, C.ONAIR_START, C.ONAIR_END, C.PUBLISH_END]
    assert sorted(e.event_code for e in received) == sorted(codes)  # sent at once: any order
    assert [d.status for d in deliveries] == [204] * 5 and all(d.delivered for d in deliveries)
    assert {e.channel_id for e in received} == {cid}
    assert sorted(e.id or 0 for e in received) == [1, 2, 3, 4, 5]
    by_code = {e.event_code: e for e in received}
    assert by_code[C.ONAIR_END].timestamp == datetime.fromtimestamp(T0 + 5, UTC)
    assert [e["eventCode"] for e in live.store.events(cid)] == codes  # the list, in order


async def test_a_channels_own_endpoint_wins_over_the_default() -> None:
    async with (
        receiver() as (default_url, to_default),
        receiver() as (own_url, to_own),
        served_live() as live,
    ):
        live.store.callback_url = default_url
        mine = live.store.add_channel(name="own", callback_endpoint=own_url)
        other = live.store.add_channel(name="default")
        live.store.start_publishing(mine)
        await live.store.drain_callbacks()
        assert (await live.api.channel(mine)).callback_endpoint == own_url
    assert sorted(e.event_code for e in to_own) == sorted([C.STREAM_RESERVE, C.PUBLISH_START])
    assert {e.channel_id for e in to_own} == {mine}
    assert [(e.channel_id, e.event_code) for e in to_default] == [(other, C.STREAM_RESERVE)]


async def test_nothing_is_sent_without_a_callback_url() -> None:
    async with served_live() as live:
        cid = live.store.add_channel()
        live.store.start_publishing(cid)
        assert await live.store.drain_callbacks() == []
        assert len(live.store.events(cid)) == 2  # listed all the same


async def test_old_spelling_deliveries_parse_the_same() -> None:
    async with receiver() as (url, received), served_live() as live:
        live.store.callback_url = url
        live.store.old_spellings = True  # every field of the payload as text
        cid = live.store.add_channel()
        (delivery,) = await live.store.drain_callbacks()
    assert delivery.payload["id"] == "1" and delivery.payload["timestamp"] == str(int(T0 * 1000))
    assert [(e.id, e.channel_id, e.event_code) for e in received] == [(1, cid, C.STREAM_RESERVE)]


async def test_a_receiver_that_is_down_is_recorded_not_retried() -> None:
    async with receiver() as (url, _):
        pass  # closed: nothing listens on its port any more
    async with served_live() as live:
        live.store.callback_url = url
        live.store.add_channel()
        (delivery,) = await live.store.drain_callbacks()
    assert delivery.status is None and not delivery.delivered
    assert delivery.error is not None and "Connect" in delivery.error


async def test_closing_the_emulator_stops_deliveries_in_flight(
    leftover_tasks: Callable[[], Awaitable[list[asyncio.Task[object]]]],
) -> None:
    arrived = asyncio.Event()

    async def hang(request: web.Request) -> web.StreamResponse:
        arrived.set()
        await asyncio.sleep(30)
        return web.Response(status=204)

    async with receiver(hang) as (url, _):
        async with served_live() as live:
            live.store.callback_url = url
            live.store.add_channel()
            await asyncio.wait_for(arrived.wait(), 5)
        # The server closed: its store cancelled the delivery under way.
        assert await leftover_tasks() == []
        assert live.store.deliveries == []


def test_an_event_outside_an_event_loop_is_recorded_as_unsent() -> None:
    from ncp_media_async.testing import Emulator, Scenario

    emulator = Emulator(Scenario.empty())
    emulator.live_station.callback_url = "http://127.0.0.1:9/callbacks"
    emulator.live_station.add_channel()
    (delivery,) = emulator.live_station.deliveries
    assert delivery.error == "no running event loop to send it from"


# ------------------------------------------------------------- the default callback endpoint


async def test_the_default_endpoint_is_set_through_the_api() -> None:
    async with receiver() as (url, received), served_live() as live:
        assert await live.api.callback_endpoint() == ncp.CallbackEndpoint(None)
        setting = await live.api.set_callback_endpoint(url)
        assert setting == ncp.CallbackEndpoint(url, datetime.fromtimestamp(T0, UTC))
        assert (await live.api.callback_endpoint()).callback_url == url
        cid = live.store.add_channel()
        await live.store.drain_callbacks()
    assert [(e.channel_id, e.event_code) for e in received] == [(cid, C.STREAM_RESERVE)]


@pytest.mark.parametrize(
    "body",
    [b'{"content": null}', b'{"content": {}}', b'{"content": {"callbackUrl": null}}'],
    ids=["content-null", "content-empty", "url-null"],
)
async def test_no_default_endpoint_in_any_plausible_form(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    """The documents do not show the answer when no default endpoint is set: each plausible
    one reads as ``callback_url=None``, at the first request."""
    serve_raw(monkeypatch, Route.CALLBACK_ENDPOINT, body)
    async with served_live() as live:
        assert await live.api.callback_endpoint() == ncp.CallbackEndpoint(None)
        assert live.emulator.stats.requests[Route.CALLBACK_ENDPOINT] == 1


async def test_setting_the_endpoint_again_after_a_lost_answer_is_safe() -> None:
    async with served_live() as live:
        live.emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.SET_CALLBACK_ENDPOINT)
        setting = await live.api.set_callback_endpoint("https://hooks.example.invalid/live")
        assert setting.callback_url == live.store.callback_url
        assert live.emulator.stats.requests[Route.SET_CALLBACK_ENDPOINT] == 2  # sent again


@pytest.mark.parametrize(
    ("url", "error"),
    [("ftp://h/x", ValueError), ("hooks.example/x", ValueError), ("http://h/a b", ValueError),
     ("http:///x", ValueError), (b"http://h", TypeError)],
)  # fmt: skip
async def test_a_bad_endpoint_fails_before_any_request(url: object, error: type[Exception]) -> None:
    async with served_live() as live:
        with pytest.raises(error):
            await live.api.set_callback_endpoint(url)  # type: ignore[arg-type]
        assert live.emulator.stats.total_requests == 0
