"""Callbacks end to end: the emulator POSTs VOD Station (and Live Station) callbacks as encodings
and channels move, and the receiver of ``examples/vod_callbacks.py`` parses them and answers at
once."""

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
    def __init__(self, base: str, queue: asyncio.Queue[Any]) -> None:
        self.vod = f"{base}/callbacks/vod"
        self.live = f"{base}/callbacks/live"
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
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Receiver(f"http://127.0.0.1:{runner.addresses[0][1]}", queue)
    finally:
        await runner.cleanup()


@pytest.fixture
async def vod() -> AsyncIterator[Vod]:
    async with served_vod() as vod:
        yield vod


async def test_encoding_callbacks_reach_the_receiver_typed_and_in_order(
    vod: Vod, receiver: Receiver
) -> None:
    cid = vod.store.add_category(name="VOD-Callback", notification_url=receiver.vod)
    (job,) = await vod.api.add_files(cid, bucket="in", paths=["VODStation.mp4"])
    await vod.store.drain_callbacks()
    waiting = receiver.drain()
    assert [(cb.status, cb.encoding_option_id, cb.file_path) for cb in waiting] == [
        ("WAITING", 1, ""), ("WAITING", 2, ""), ("WAITING", 3, "")
    ]  # fmt: skip
    assert all(isinstance(cb, ncp.EncodingCallback) for cb in waiting)
    assert {cb.file_id for cb in waiting} == {job.file_id}
    assert all(cb.link is None for cb in waiting)
    vod.clock.advance(2)
    assert len(await vod.store.drain_callbacks()) == 6  # RUNNING, each option
    vod.clock.advance(12)
    assert len(await vod.store.drain_callbacks()) == 9  # COMPLETE after 8, 10 and 12 s
    later = receiver.drain()
    assert [cb.status for cb in later] == ["RUNNING"] * 3 + ["COMPLETE"] * 3
    complete = later[3:]
    assert [cb.output_type for cb in complete] == [
        "AVC_SD_1Pass_30fps", "AVC_SD_1Pass_30fps_1", "AVC_HD_1Pass_30fps"
    ]  # fmt: skip
    assert all(cb.link and cb.link.endswith(f"{cb.output_type}.mp4") for cb in complete)
    assert all(cb.file_path.startswith("/VOD-Callback/VODStation_") for cb in later)
    assert all(d.delivered and d.status == 204 for d in vod.store.deliveries)
    assert len(await vod.store.drain_callbacks()) == 9 and vod.store.pending_callbacks == 0


async def test_the_files_own_notification_wins_over_the_categorys(
    vod: Vod, receiver: Receiver
) -> None:
    cid = vod.store.add_category(notification_url="http://127.0.0.1:9/never")
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"], notification=receiver.vod)
    await vod.store.drain_callbacks()
    assert len(receiver.drain()) == 3
    assert {d.url for d in vod.store.deliveries} == {receiver.vod}


async def test_repeated_deliveries_are_dropped_by_key(vod: Vod, receiver: Receiver) -> None:
    vod.store.callback_repeat = 3
    cid = vod.store.add_category(encoding_options=[3], notification_url=receiver.vod)
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4", "b.mp4"])
    vod.clock.advance(60)
    assert len(await vod.store.drain_callbacks()) == 2 * 3 * 3  # 2 files x 3 states x 3 times
    got = receiver.drain()
    assert len(got) == 6 and len({cb.key for cb in got}) == 6
    assert Counter(cb.status for cb in got) == {"WAITING": 2, "RUNNING": 2, "COMPLETE": 2}
    assert {d.status for d in vod.store.deliveries} == {204}


async def test_channel_callbacks_follow_the_channels_states(vod: Vod, receiver: Receiver) -> None:
    channel_id = vod.store.add_vod_channel(name="ch-callback", notification_url=receiver.vod)
    await vod.api.stop_channel(channel_id)
    vod.clock.advance(30)
    await vod.store.drain_callbacks()
    assert receiver.drain() == [
        ncp.ChannelCallback(channel_id, "ch-callback", ncp.VodChannelStatus.STOPPING),
        ncp.ChannelCallback(channel_id, "ch-callback", ncp.VodChannelStatus.STOPPED),
    ]
    vod.store.set_channel_status(channel_id, "FORCETERMINATED")
    await vod.store.drain_callbacks()
    (forced,) = receiver.drain()
    assert forced.channel_status.canonical is ncp.VodChannelStatus.FORCE_TERMINATED


async def test_a_served_emulator_posts_in_the_background(vod: Vod, receiver: Receiver) -> None:
    vod.store.callback_check_seconds = 0.005
    cid = vod.store.add_category(encoding_options=[1], notification_url=receiver.vod)
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])
    first = await asyncio.wait_for(receiver.queue.get(), 5)  # nobody drained
    vod.clock.advance(60)
    second = await asyncio.wait_for(receiver.queue.get(), 5)
    third = await asyncio.wait_for(receiver.queue.get(), 5)
    assert [cb.status for cb in (first, second, third)] == ["WAITING", "RUNNING", "COMPLETE"]


async def test_closing_the_server_stops_the_background_sender(receiver: Receiver) -> None:
    async with served_vod() as vod:
        cid = vod.store.add_category(notification_url=receiver.vod)
        await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])  # COMPLETE later
        sender = vod.store._sender
        assert sender is not None and not sender.done()
    assert sender.done()  # cancelled when the app was cleaned up
    assert vod.store.pending_callbacks > 0


async def test_a_receiver_that_fails_is_recorded_not_retried(vod: Vod) -> None:
    cid = vod.store.add_category(encoding_options=[1], notification_url="http://127.0.0.1:9/cb")
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])
    (delivery,) = await vod.store.drain_callbacks()
    assert delivery.status is None and delivery.error and not delivery.delivered
    assert delivery.payload["status"] == "WAITING"
    assert len(await vod.store.drain_callbacks()) == 1


async def test_one_receiver_takes_both_services(vod: Vod, receiver: Receiver) -> None:
    live = vod.emulator.live_station
    live.callback_url = receiver.live
    channel = live.add_channel(name="live-cb")
    live.start_publishing(channel)
    await live.drain_callbacks()
    cid = vod.store.add_category(encoding_options=[1], notification_url=receiver.vod)
    await vod.api.add_files(cid, bucket="in", paths=["a.mp4"])
    await vod.store.drain_callbacks()
    got = receiver.drain()
    events = [cb for cb in got if isinstance(cb, ncp.LiveEvent)]
    encodings = [cb for cb in got if isinstance(cb, ncp.EncodingCallback)]
    assert {e.event_code for e in events} == {
        ncp.LiveEventCode.STREAM_RESERVE, ncp.LiveEventCode.PUBLISH_START
    }  # fmt: skip
    assert {e.channel_id for e in events} == {channel}
    assert [cb.status for cb in encodings] == ["WAITING"]


async def test_the_receiver_refuses_what_is_not_its_services_callback(
    receiver: Receiver,
) -> None:
    async with aiohttp.ClientSession() as session:
        for url, body in (
            (receiver.vod, b"{}"),
            (receiver.vod, b"nope"),
            (receiver.vod, b'{"fileId": "x"}'),
            (receiver.vod, b'{"event": "PUBLISH_START"}'),  # a Live Station event
            (receiver.live, b'{"fileId": 1, "status": "WAITING"}'),  # a VOD Station callback
        ):
            async with session.post(url, data=body) as resp:
                assert resp.status == 400, body
        async with session.post(receiver.vod, data=b"x" * 70_000) as resp:
            assert resp.status == 413
    assert receiver.queue.empty()


async def test_a_full_queue_answers_503_and_remembers_nothing() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue(1)
    runner = web.AppRunner(example.make_app(queue))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/callbacks/vod"
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
