"""Callbacks end to end: the emulator POSTs VOD Station callbacks as encodings and channels move,
and the receiver of ``examples/vod_callbacks.py`` parses them and answers at once."""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib
from collections import Counter
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from _vod import Vod, served_vod
from aiohttp import web

import ncp_media_async as ncp


def _load_example() -> ModuleType:
    path = pathlib.Path(__file__).parent.parent / "examples" / "vod_callbacks.py"
    spec = importlib.util.spec_from_file_location("vod_callbacks_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


class Receiver:
    def __init__(self, url: str, queue: asyncio.Queue[Any]) -> None:
        self.url = url
        self.queue = queue

    def drain(self) -> list[Any]:
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    queue: asyncio.Queue[Any] = asyncio.Queue(1000)
    runner = web.AppRunner(example.make_app(queue))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Receiver(f"http://127.0.0.1:{port}/vod-callbacks", queue)
    finally:
        await runner.cleanup()


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


async def test_encoding_callbacks_reach_the_receiver_typed_and_in_order(
    vod: Vod, receiver: Receiver
) -> None:
    cid = vod.store.add_category(name="VOD-Callback", notification_url=receiver.url)
    (job,) = await vod.api.add_files(cid, bucket="in", paths=["VODStation.mp4"])
    assert await vod.store.deliver_callbacks() == 3
    waiting = receiver.drain()
    assert [(cb.status, cb.encoding_option_id, cb.file_path) for cb in waiting] == [
        ("WAITING", 1, ""), ("WAITING", 2, ""), ("WAITING", 3, "")
    ]  # fmt: skip
    assert all(isinstance(cb, ncp.EncodingCallback) for cb in waiting)
    assert {cb.file_id for cb in waiting} == {job.file_id}
    assert all(cb.link is None for cb in waiting)
    vod.clock.advance(2)
    assert await vod.store.deliver_callbacks() == 3  # RUNNING, each option
    vod.clock.advance(12)
    assert await vod.store.deliver_callbacks() == 3  # COMPLETE after 8, 10 and 12 s
    later = receiver.drain()
    assert [cb.status for cb in later] == ["RUNNING"] * 3 + ["COMPLETE"] * 3
    complete = later[3:]
    assert [cb.output_type for cb in complete] == [
        "AVC_SD_1Pass_30fps", "AVC_SD_1Pass_30fps_1", "AVC_HD_1Pass_30fps"
    ]  # fmt: skip
    assert all(cb.link and cb.link.endswith(f"{cb.output_type}.mp4") for cb in complete)
    assert all(cb.file_path.startswith("/VOD-Callback/VODStation_") for cb in later)
    assert {d.status for d in vod.store.callback_log} == {204}
    assert await vod.store.deliver_callbacks() == 0 and vod.store.pending_callbacks == 0


async def test_the_files_own_notification_wins_over_the_categorys(
    vod: Vod, receiver: Receiver
) -> None:
    cid = vod.store.add_category(notification_url="http://127.0.0.1:9/never")
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"], notification=receiver.url)
    await vod.store.deliver_callbacks()
    assert len(receiver.drain()) == 3
    assert {d.url for d in vod.store.callback_log} == {receiver.url}


async def test_repeated_deliveries_are_dropped_by_key(vod: Vod, receiver: Receiver) -> None:
    vod.store.callback_repeat = 3
    cid = vod.store.add_category(encoding_options=[3], notification_url=receiver.url)
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4", "b.mp4"])
    vod.clock.advance(60)
    assert await vod.store.deliver_callbacks() == 2 * 3 * 3  # 2 files x 3 states x 3 times
    got = receiver.drain()
    assert len(got) == 6 and len({cb.key for cb in got}) == 6
    assert Counter(cb.status for cb in got) == {"WAITING": 2, "RUNNING": 2, "COMPLETE": 2}
    assert {d.status for d in vod.store.callback_log} == {204}


async def test_channel_callbacks_follow_the_channels_states(vod: Vod, receiver: Receiver) -> None:
    channel_id = vod.store.add_vod_channel(name="ch-callback", notification_url=receiver.url)
    await vod.api.stop_channel(channel_id)
    vod.clock.advance(30)
    await vod.store.deliver_callbacks()
    assert receiver.drain() == [
        ncp.ChannelCallback(channel_id, "ch-callback", ncp.VodChannelStatus.STOPPING),
        ncp.ChannelCallback(channel_id, "ch-callback", ncp.VodChannelStatus.STOPPED),
    ]
    vod.store.set_channel_status(channel_id, "FORCETERMINATED")
    await vod.store.deliver_callbacks()
    (forced,) = receiver.drain()
    assert forced.channel_status.canonical is ncp.VodChannelStatus.FORCE_TERMINATED


async def test_background_delivery(vod: Vod, receiver: Receiver) -> None:
    cid = vod.store.add_category(encoding_options=[1], notification_url=receiver.url)
    async with vod.store.delivering_callbacks(interval=0.01):
        await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])
        first = await asyncio.wait_for(receiver.queue.get(), 5)
        vod.clock.advance(60)
        second = await asyncio.wait_for(receiver.queue.get(), 5)
        third = await asyncio.wait_for(receiver.queue.get(), 5)
    assert [cb.status for cb in (first, second, third)] == ["WAITING", "RUNNING", "COMPLETE"]


async def test_a_receiver_that_fails_is_logged_not_retried(vod: Vod) -> None:
    cid = vod.store.add_category(encoding_options=[1], notification_url="http://127.0.0.1:9/cb")
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])
    assert await vod.store.deliver_callbacks() == 1
    (delivery,) = vod.store.callback_log
    assert delivery.status is None and delivery.error
    assert delivery.body["status"] == "WAITING"


async def test_the_receiver_refuses_what_is_not_a_callback(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as session:
        for body in (b"{}", b"nope", b'{"fileId": "x"}'):
            async with session.post(receiver.url, data=body) as resp:
                assert resp.status == 400
        async with session.post(receiver.url, data=b"x" * 70_000) as resp:
            assert resp.status == 413
    assert receiver.queue.empty()


async def test_a_full_queue_answers_503_and_remembers_nothing() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue(1)
    runner = web.AppRunner(example.make_app(queue))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/vod-callbacks"
    try:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for status in ("WAITING", "RUNNING", "RUNNING"):
                body = {"fileId": 1, "encodingOptionId": 1, "status": status}
                async with session.post(url, json=body) as resp:
                    statuses.append(resp.status)
            queue.get_nowait()
            async with session.post(url, json=body) as resp:
                statuses.append(resp.status)  # not remembered when refused: taken now
    finally:
        await runner.cleanup()
    assert statuses == [204, 503, 503, 204]
