"""``ncp-media``: the command line of ncp_media_async.

One subcommand per endpoint, plus bulk waiting, watching, a local emulator and a self-contained
demo::

    ncp-media encoding-status --start 2025-08-01T00:00:00+09:00 --prefetch 8
    ncp-media --json channel-events vs-20250801-abc | jq .message
    ncp-media wait-imports --file refs.txt --concurrency 64 --rate-limit 1000
    ncp-media demo

Credentials come from ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY`` (else ``NCLOUD_*``) or from
``--access-key``/``--secret-key``; ``--endpoint URL`` (or ``NCP_MEDIA_ENDPOINT``) points every
service at one base URL (the emulator, a proxy). Output is a table by default and JSON lines
with ``--json`` (one object per record; datetimes in ISO 8601, enumerations as their values).

Exit status: 0 on success; 1 when the service said no, the request failed, or (``wait-imports``)
an import did not complete; 2 for a bad command line; 130 when interrupted. An expected failure
prints one ``error: ...`` line on stderr and no traceback; the secret key is never printed.

The package, module by module:

* ``_commands``: the subcommands, one thin function each (options → client → render);
* ``_params``: parameter types, the global and shared options, ``command``;
* ``_settings``: ``Settings`` (the global options) and how a command runs: client, event
  loop, logging;
* ``_output``: ``Output`` (tables or JSON lines) and the JSON form of records;
* ``_columns``: table columns, cell formats, the columns of each record type;
* ``_errors``: the one-line ``error:`` and exit status of every expected failure;
* ``_progress``: the progress display of a batch;
* ``_imports``: waiting for many imports, their tally and the closing report;
* ``_emulator``: the ``emulator`` subcommand (the emulator's own launcher, behind click);
* ``_demo``: the ``demo`` subcommand's machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import click

from ._columns import fit_widths
from ._commands import COMMANDS
from ._errors import ErrorLineGroup
from ._output import to_jsonable
from ._params import CONTEXT, group_params, parse_asset_ref
from ._settings import Settings

__all__ = ["cli", "fit_widths", "main", "parse_asset_ref", "to_jsonable"]


@click.group(cls=ErrorLineGroup, context_settings=CONTEXT, params=group_params(), commands=COMMANDS)
@click.version_option(package_name="ncp_media_async", prog_name="ncp-media")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Query the NAVER Cloud Platform media APIs (VOD Station, Live Station, Media AI).

    Credentials come from $NCP_ACCESS_KEY/$NCP_SECRET_KEY (else $NCLOUD_*) or the flags.
    Try `ncp-media demo` (no credentials, no network) or `ncp-media emulator` for a local
    server to point --endpoint at.
    """
    ctx.ensure_object(Settings)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``ncp-media`` console script."""
    cli.main(args=argv, prog_name="ncp-media")
    raise AssertionError("unreachable: click exits")  # pragma: no cover
