"""``ncp-media emulator``: the package's emulator on a local port until Ctrl-C or SIGTERM.

The command is the emulator's own launcher (``ncp_media_async.testing``'s ``LaunchOptions``,
``FLAGS`` and ``run``, the code behind ``python -m ncp_media_async.testing``) with click in front:
the same options and the same banner, whose ``export`` line points ``--endpoint`` (through
``NCP_MEDIA_ENDPOINT``) and the key pair at it. Its ``--help`` lists the emulator's options
only; the client's global options (``--json``, ``--endpoint``...) do not apply to it.
"""

from __future__ import annotations

from typing import Any

import click

from ..testing._launch import FLAGS, Flag, LaunchOptions, run
from ._params import CONTEXT


def _option(flag: Flag) -> click.Option:
    """The click form of one launcher flag (``None`` when not given, as argparse does)."""
    if flag.kind is bool:
        return click.Option([flag.option], is_flag=True, default=None, help=flag.help_text)
    kind: Any = click.Choice(flag.choices) if flag.choices else flag.kind
    return click.Option([flag.option], type=kind, metavar=flag.metavar, help=flag.help_text)


@click.command(
    "emulator",
    context_settings=CONTEXT,
    params=[_option(flag) for flag in FLAGS],
    short_help="Serve the API emulator (point --endpoint at it).",
)
def emulator_command(**values: Any) -> None:
    """Serve the NCP media API emulator until Ctrl-C or SIGTERM (signatures are checked).

    Prints the URL and an export line with the emulator's (public, fake) key pair; the same
    as `python -m ncp_media_async.testing`.
    """
    try:
        options = LaunchOptions.from_flags(values)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    status = run(options)
    if status:
        raise click.exceptions.Exit(status)
