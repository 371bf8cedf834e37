"""``ncp-media emulator``: serve the package's emulator on a local port until Ctrl-C or
SIGTERM, after printing the URL and the key pair to point ``--endpoint`` at it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

import click

from ._output import Output
from ._params import ENDPOINT_ENV

if TYPE_CHECKING:
    from ..testing import Emulator

#: The data sets ``--scenario`` offers (``Scenario``'s constructors of the same names).
SCENARIOS = ("default", "demo", "empty")


async def serve(
    output: Output, *, host: str, port: int, seed: int, latency_ms: float, scenario: str
) -> None:
    """Serve until SIGTERM (or until cancelled, as Ctrl-C does); a port that cannot be bound
    is a ``ClickException``."""
    from ..testing import Emulator, EmulatorServer, Scenario  # not needed by other commands

    data = {"default": Scenario.default, "demo": Scenario.demo, "empty": Scenario.empty}
    emulator = Emulator(data[scenario](seed), latency=latency_ms / 1000)
    try:
        server = await EmulatorServer(emulator, host, port).start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        _announce(output, server.url, emulator)
        await stop.wait()
    finally:
        await server.close()


def _announce(output: Output, url: str, emulator: Emulator) -> None:
    """Where the emulator listens, its (public, fake) key pair and what it holds: shell
    ``export`` lines, or one JSON object."""
    info = emulator.info()
    refs = info["imports"]
    if output.as_json:
        output.json_line(
            {
                "url": url,
                "access_key": emulator.access_key,
                "secret_key": emulator.secret_key,
                **{k: v for k, v in info.items() if k != "imports"},
                "imports": ["/".join(ref) for ref in refs],
            }
        )
        return
    lines = [
        f"listening on {url}",
        f"export {ENDPOINT_ENV}={url}",
        f"export NCP_ACCESS_KEY={emulator.access_key}",
        f"export NCP_SECRET_KEY={emulator.secret_key}  # the emulator's own fake key",
        f"vod channels: {' '.join(info['vod_channels']) or '-'}",
        f"live channels: {' '.join(info['live_channels']) or '-'}",
        f"encoding statuses: {info['encoding_statuses']}",
    ]
    if refs:
        lines.append(f"imports: {len(refs)}, {'/'.join(refs[0])} .. {'/'.join(refs[-1])}")
    lines.append("press Ctrl-C to stop")
    for line in lines:
        click.echo(line)
