"""A receiver for both services' callbacks: an ``aiohttp.web`` app that takes each POST, parses
it (``ncp_media_async.vod_station.parse_callback`` at ``/callbacks/vod``,
``ncp_media_async.live_station.parse_callback`` at ``/callbacks/live``), answers at once and
leaves the work to a consumer.

VOD Station POSTs one JSON message per encoding option and state of every file added to a
category with a callback URL (the category's ``notificationUrl`` or the add-files
``notification``), and one per state change of a channel created with a ``notificationUrl``;
Live Station POSTs one per event of a channel (its ``callbackEndpoint``, else the default one).
Neither documents retries, order or duplicates, so the receiver answers 204 at once, drops
repeats, and never blocks on the consumer (when the queue is full it answers 503 rather than
lose a message silently).

Run it, point the callback URLs at it, and watch::

    python examples/vod_callbacks.py --port 8081
    # VOD Station: add_files(..., notification="http://HOST:8081/callbacks/vod")
    # Live Station: set_callback_endpoint("http://HOST:8081/callbacks/live")

The emulator (``ncp-media emulator``, or ``EmulatorServer`` in a test) POSTs both services'
callbacks as its encodings and channels move.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from aiohttp import web

import ncp_media_async as ncp

Callback = ncp.EncodingCallback | ncp.ChannelCallback | ncp.LiveEvent

#: The app's queue of parsed callbacks (``app[CALLBACKS]``), for the consumer.
CALLBACKS = web.AppKey("callbacks", asyncio.Queue)
#: How many messages are remembered to drop repeats (the oldest are forgotten first).
REMEMBERED = 10_000


def _key(callback: Callback) -> Hashable:
    """What a repeat of ``callback`` has in common with it: a VOD Station callback's ``key``;
    a Live Station event is equal to its repeats."""
    return callback if isinstance(callback, ncp.LiveEvent) else callback.key


def make_app(
    queue: asyncio.Queue[Callback] | None = None, *, prefix: str = "/callbacks"
) -> web.Application:
    """The receiver: ``POST {prefix}/vod`` and ``POST {prefix}/live`` → 204 (new or repeated
    message), 400 (not that service's callback), 503 (the queue is full). Bodies over 64 KiB
    are refused by aiohttp (413)."""
    callbacks: asyncio.Queue[Callback] = queue if queue is not None else asyncio.Queue(10_000)
    seen: OrderedDict[Hashable, None] = OrderedDict()

    def receiver(
        parse: Callable[[bytes], Callback],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def receive(request: web.Request) -> web.StreamResponse:
            try:
                callback = parse(await request.read())
            except ncp.ResponseError as exc:
                return web.Response(status=400, text=f"{exc}\n")
            key = _key(callback)
            if key in seen:
                return web.Response(status=204)  # a repeat: already queued
            try:
                callbacks.put_nowait(callback)
            except asyncio.QueueFull:
                return web.Response(status=503, text="busy\n")
            seen[key] = None
            if len(seen) > REMEMBERED:
                seen.popitem(last=False)
            return web.Response(status=204)

        return receive

    app = web.Application(client_max_size=64 * 1024)
    app[CALLBACKS] = callbacks
    app.router.add_post(f"{prefix}/vod", receiver(ncp.vod_station.parse_callback))
    app.router.add_post(f"{prefix}/live", receiver(ncp.live_station.parse_callback))
    return app


async def print_callbacks(queue: asyncio.Queue[Callback]) -> None:
    """A consumer: one line per callback."""
    while True:
        cb = await queue.get()
        if isinstance(cb, ncp.EncodingCallback):
            link = f" {cb.link}" if cb.link else ""
            print(f"vod file {cb.file_id} {cb.output_type}: {cb.status}{link}", flush=True)
        elif isinstance(cb, ncp.ChannelCallback):
            print(f"vod channel {cb.id} ({cb.name}): {cb.channel_status}", flush=True)
        else:
            print(f"live channel {cb.channel_id}: {cb.event_code}", flush=True)


async def main(host: str, port: int) -> None:
    app = make_app()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"receiving on http://{host}:{port}/callbacks/vod and /callbacks/live", flush=True)
    try:
        await print_callbacks(app[CALLBACKS])
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.host, args.port))
