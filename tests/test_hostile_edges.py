"""Issue 16, items 6, 7 and 10: a server that types documented text as it likes, callbacks no
text field should hold, and a server that loops. Hostile ``aiohttp.web`` servers on loopback and
real clients; callbacks are parsed without a client."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async import live_station, vod_station
from ncp_media_async._converter import structure
from ncp_media_async.records import InputMetadata
from ncp_media_async.records.live_station import ChannelCdn

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)
MB = 1_000_000


@contextlib.asynccontextmanager
async def hostile(
    path: str, answer: Callable[[web.Request], dict[str, Any]]
) -> AsyncIterator[tuple[ncp.MediaClient, list[web.Request]]]:
    """A server answering ``GET path`` with ``answer(request)`` as JSON, a client for it, and
    the requests it saw."""
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response(answer(request))

    app = web.Application()
    app.router.add_get(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with ncp.MediaClient(
            ncp.Credentials("AKEY", "SECRET"), endpoints=ncp.Endpoints.at(url), retry=FAST
        ) as client:
            yield client, seen
    finally:
        await runner.cleanup()


# -- item 6: documented types read leniently ---------------------------------------------------


async def test_a_bit_rate_that_is_not_a_number_keeps_its_text_and_fails_nothing() -> None:
    urls = [
        {"name": "ABR", "url": "https://cdn.invalid/abr.m3u8"},
        {"name": "720p", "videoBitrate": "2500000", "audioBitrate": "128000"},
        {"name": "1080p", "videoBitrate": "4.5 Mbps", "audioBitrate": "-"},
    ]
    path = "/api/v2/channels/{cid}/serviceUrls"
    async with hostile(path, lambda _: {"content": urls}) as (client, seen):
        got = await client.live_station.service_urls("ls-20250813120000-SkhxV")
    assert [(u.name, u.video_bitrate, u.audio_bitrate) for u in got] == [
        ("ABR", None, None),
        ("720p", 2_500_000, 128_000),  # numbers where the text is one
        ("1080p", "4.5 Mbps", None),  # the text where it is not; "-" is no value
    ]
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("record", "body", "expected"),
    [
        (ChannelCdn, {"instanceNo": "edge-4938"}, "edge-4938"),
        (InputMetadata, {"framerate": "30000/1001"}, "30000/1001"),
    ],
)
def test_other_fields_documented_as_text_keep_text_that_is_no_number(
    record: type[Any], body: dict[str, Any], expected: object
) -> None:
    value = structure(body, record)
    assert getattr(value, "instance_no" if record is ChannelCdn else "framerate") == expected
    # A value that is neither a number nor text is still refused, naming the field.
    for bad in (True, [1], {"n": 1}):
        with pytest.raises(ncp.ResponseError, match=rf"\$\.{next(iter(body))}"):
            structure({next(iter(body)): bad}, record)


@pytest.mark.parametrize("status", ["RESERVED", "reserved", ncp.ChannelStatus.RESERVED])
async def test_the_channel_list_takes_only_its_documented_filters(status: Any) -> None:
    async with hostile("/api/v2/channels", lambda _: {"content": [], "total": 0}) as (c, seen):
        with pytest.raises(ValueError, match="CREATING, READY, PUBLISHING, BLOCK, FORCE_BLOCK"):
            await c.live_station.channels(status=status).to_list()
        assert seen == []
        # A member the caller made for a value the documents do not list is sent as it is.
        await c.live_station.channels(status=ncp.ChannelStatus("SCHEDULED")).to_list()
        await c.live_station.channels(status="force_block").to_list()
        assert [r.query["channelStatus"] for r in seen] == ["SCHEDULED", "FORCE_BLOCK"]


# -- item 7: callbacks ---------------------------------------------------------------------------

EVENT = '{"id": 1, "logLevel": "INFO", "channelId": "ls-1", "event": "%s", "timestamp": 1}'
ENCODING = '{"fileId": 1, "encodingOptionId": 2, "outputType": "%s", "status": "COMPLETE"}'
PARSERS = [(live_station.parse_callback, EVENT), (vod_station.parse_callback, ENCODING)]
#: As ``\u`` escapes in JSON strings: lone surrogates (high, low, high before a non-surrogate)
#: and NUL. (A raw NUL was refused already: JSON allows no control character in a string.)
ESCAPED = ["X\\ud800", "X\\udfff", "X\\udbff\\u0041", "X\\u0000"]


@pytest.mark.parametrize(("parse", "template"), PARSERS, ids=["live", "vod"])
@pytest.mark.parametrize(
    ("text", "as_bytes"),
    [
        *[(text, as_bytes) for text in ESCAPED for as_bytes in (False, True)],
        ("X\ud800", False),  # raw: only a str can hold it (UTF-8 bytes cannot)
    ],
)
def test_text_no_field_may_hold_is_refused(
    parse: Callable[[Any], Any], template: str, text: str, as_bytes: bool
) -> None:
    body: str | bytes = template % text
    if as_bytes:
        body = body.encode()
    with pytest.raises(ncp.ResponseError, match="NUL character or a lone surrogate") as info:
        parse(body)
    assert str(info.value).encode() and info.value.excerpt  # the message itself encodes


@pytest.mark.parametrize(("parse", "template"), PARSERS, ids=["live", "vod"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_body_is_refused(parse: Callable[[Any], Any], template: str, encoding: str) -> None:
    with pytest.raises(ncp.ResponseError, match="not JSON"):
        parse((template % "STREAM_UPDATE").encode(encoding))
    # UTF-8 is read, after a byte order mark too; a surrogate pair is one character.
    assert parse(b"\xef\xbb\xbf" + (template % "STREAM_UPDATE").encode()) is not None
    assert "X\U0001f600" in repr(parse((template % "X\\ud83d\\ude00").encode()))


@pytest.mark.parametrize(("parse", "template"), PARSERS, ids=["live", "vod"])
@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_a_50_mb_body_is_refused_before_any_copy(
    parse: Callable[[Any], Any], template: str, kind: type[Any]
) -> None:
    huge = bytearray((template % "STREAM_UPDATE").encode().ljust(50 * MB))
    body = huge if kind is bytearray else memoryview(huge)
    tracemalloc.start()
    try:
        with pytest.raises(ncp.ResponseError, match="50,000,000 bytes"):
            parse(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MB  # a copy of the body would be 50 MB


# -- item 10: a server that loops ------------------------------------------------------------------


async def test_a_server_serving_two_pages_over_and_over_is_refused_after_four_requests() -> None:
    """Pages A, B, A, B, ... with a constant total of 10^9: 0.2.0 walked 1.2 million items (200
    distinct) until ``max_items``."""

    def category_page(request: web.Request) -> dict[str, Any]:
        size = int(request.query["pageSizeNo"])
        first = 0 if int(request.query["pageNo"]) % 2 else size  # A on odd pages, B on even
        content = [{"id": i, "name": f"c{i}"} for i in range(first, first + size)]
        return {"content": content, "total": 10**9}

    async with hostile("/api/v2/category", category_page) as (client, seen):
        pager = client.vod_station.categories(page_size=100, max_items=1_200_000, prefetch=1)
        got: list[ncp.Category] = []
        with pytest.raises(ncp.ResponseError, match="page 4 is page 2 again") as info:
            async for category in pager:
                got.append(category)
    assert [r.query["pageNo"] for r in seen] == ["1", "2", "3", "4"]
    assert [c.id for c in got] == [*range(200), *range(100)]  # A, B, then A (not yet a loop)
    assert "total stayed 1000000000" in str(info.value)
