"""The ``ncp-media`` click group: the global options and every subcommand (see the package's
docstring for the command line as a whole)."""

from __future__ import annotations

import click

from ._commands import COMMANDS
from ._errors import ErrorLineGroup
from ._params import CONTEXT, group_params
from ._settings import Settings

__all__ = ["cli"]


@click.group(
    cls=ErrorLineGroup,
    context_settings=CONTEXT,
    params=group_params(),
    commands=COMMANDS,
    invoke_without_command=True,
)
@click.version_option(package_name="ncp_media_async", prog_name="ncp-media")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Query the NAVER Cloud Platform media APIs (VOD Station, Live Station, Media Intelligence).

    Credentials come from the flags (--secret-key - reads the secret from stdin), else
    $NCP_ACCESS_KEY/$NCP_SECRET_KEY, else $NCLOUD_*, else ~/.ncloud/configure.
    Try `ncp-media demo` (no credentials, no network) or `ncp-media emulator` for a local
    server to point --endpoint at.
    """
    ctx.ensure_object(Settings)
    if ctx.invoked_subcommand is None:  # plain `ncp-media`: the help, and success
        click.echo(ctx.get_help())
