"""A receiver for VOD Station callbacks: an ``aiohttp.web`` app that takes each POST, parses it
with ``ncp_media_async.vod_station.parse_callback``, answers at once and leaves the work to a
consumer.

VOD Station POSTs one JSON message per encoding option and state of every file added to a
category with a callback URL (the category's ``notificationUrl`` or the add-files
``notification``), and one per state change of a channel created with a ``notificationUrl``.
How it retries, and whether it may deliver a message twice or out of order, is not documented,
so the receiver answers 204 at once, drops repeats by ``callback.key`` and never blocks on the
consumer (when the queue is full it answers 503 rather than lose a message silently).

Run it, point a category's callback URL at it, and watch::

    python examples/vod_callbacks.py --port 8081      # POST http://HOST:8081/vod-callbacks

Against the emulator (``ncp-media emulator``, or ``Emulator`` in a test), set the callback URL
with ``add_files(..., notification="http://127.0.0.1:8081/vod-callbacks")``; the emulator POSTs
as the encodings move.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Hashable

from aiohttp import web

import ncp_media_async as ncp
from ncp_media_async.vod_station import parse_callback

Callback = ncp.EncodingCallback | ncp.ChannelCallback

#: The app's queue of parsed callbacks (``app[CALLBACKS]``), for the consumer.
CALLBACKS = web.AppKey("callbacks", asyncio.Queue)
#: How many message keys are remembered to drop repeats (the oldest are forgotten first).
REMEMBERED = 10_000


def make_app(
    queue: asyncio.Queue[Callback] | None = None, *, path: str = "/vod-callbacks"
) -> web.Application:
    """The receiver: ``POST path`` → 204 (new or repeated message), 400 (not a VOD Station
    callback), 503 (the queue is full). Bodies over 64 KiB are refused by aiohttp (413)."""
    callbacks: asyncio.Queue[Callback] = queue if queue is not None else asyncio.Queue(10_000)
    seen: OrderedDict[Hashable, None] = OrderedDict()

    async def receive(request: web.Request) -> web.Response:
        try:
            callback = parse_callback(await request.read())
        except ncp.ResponseError as exc:
            return web.Response(status=400, text=f"{exc}\n")
        if callback.key in seen:
            return web.Response(status=204)  # a repeat: already queued
        try:
            callbacks.put_nowait(callback)
        except asyncio.QueueFull:
            return web.Response(status=503, text="busy\n")
        seen[callback.key] = None
        if len(seen) > REMEMBERED:
            seen.popitem(last=False)
        return web.Response(status=204)

    app = web.Application(client_max_size=64 * 1024)
    app[CALLBACKS] = callbacks
    app.router.add_post(path, receive)
    return app


async def print_callbacks(queue: asyncio.Queue[Callback]) -> None:
    """A consumer: one line per callback."""
    while True:
        cb = await queue.get()
        if isinstance(cb, ncp.EncodingCallback):
            link = f" {cb.link}" if cb.link else ""
            print(f"file {cb.file_id} {cb.output_type}: {cb.status}{link}", flush=True)
        else:
            print(f"channel {cb.id} ({cb.name}): {cb.channel_status}", flush=True)


async def main(host: str, port: int) -> None:
    app = make_app()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"receiving on http://{host}:{port}/vod-callbacks", flush=True)
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
