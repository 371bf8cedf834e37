"""``ncp-media``: the command line of ncp_media_async (installed with the ``cli`` extra).

One subcommand per endpoint, plus bulk waiting, watching, a local emulator and a self-contained
demo:

```sh
ncp-media encoding-status --start 2025-08-01T00:00:00+09:00 --prefetch 8
ncp-media --json channel-events vs-20250801-abc | jq .message
ncp-media wait-imports --file refs.txt --concurrency 64 --rate-limit 1000
ncp-media ingest my-workspace 1234 --bucket media --file keys.txt --concurrency 128
ncp-media add-files 13814 --bucket in --file paths.txt --wait
ncp-media live-channels --status PUBLISHING
ncp-media record start ls-20250813120000-SkhxV
ncp-media demo
```

Credentials come from ``--access-key``/``--secret-key`` (``--secret-key -`` reads the secret
from the first line of stdin: a secret given on the command line shows in the process list, and
the command warns so), else ``NCP_ACCESS_KEY``/``NCP_SECRET_KEY``, else ``NCLOUD_*``, else
``~/.ncloud/configure``; ``--zone public|gov|fin`` picks the zone's hosts; ``--endpoint URL``
(or ``NCP_MEDIA_ENDPOINT``) points every service at one base URL (the emulator, a proxy), with
the zone's paths. Output is a table that fits the terminal (``--wide``: every value whole), or
JSON lines with ``--json`` (one object per record; datetimes in ISO 8601, enumerations as their
values).

Exit status: 0 on success; 1 when the service said no, the request failed, or (``wait-imports``,
``import``, ``index``, ``ingest``, ``add-files --wait``) an import, an analysis or an encoding
did not complete; 2 for a bad command line; 130 when interrupted. An expected failure prints one
``error: ...`` line on stderr and no traceback; the secret key is never printed.
"""

# This module imports neither click nor rich: the library installs without them, and the console
# script then says in one line how to get them. The package, module by module:
#
# * ``_app``: the click group ``cli`` (global options, every subcommand);
# * ``_commands``: the subcommands, one thin function each (options → client → render);
# * ``_params``: parameter types, the global and shared options, ``command``;
# * ``_settings``: ``Settings`` (the global options) and how a command runs: client, event
#   loop, logging;
# * ``_output``: ``Output`` (tables or JSON lines) and the JSON form of records;
# * ``_columns``: table columns (kinds, priorities), fitting them to the terminal, cell formats,
#   the columns of each record type;
# * ``_errors``: the one-line ``error:`` and exit status of every expected failure;
# * ``_progress``: the progress display of a batch, stage by stage;
# * ``_imports``: waiting for many imports, their tally and the closing report;
# * ``_media_ai``: ``import``, ``index`` and ``ingest`` (a bar per stage), shared with the demo;
# * ``_live_station``: the Live Station subcommands (channels, service URLs, waiting for a
#   channel, ``record start|stop``, uploads); stream keys only with ``--show-stream-keys``;
# * ``_vod_station``: ``categories``, ``vod-channels`` and ``add-files`` (``--wait``);
# * ``_emulator``: the ``emulator`` subcommand (the emulator's own launcher, behind click);
# * ``_demo``: the ``demo`` subcommand's machinery.

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["CLI_EXTRA_HINT", "CLI_REQUIREMENTS", "main"]

#: The top-level modules the command line needs beyond the library (the ``cli`` extra).
CLI_REQUIREMENTS = frozenset({"click", "rich"})

#: What ``ncp-media`` prints, alone, when they are missing.
CLI_EXTRA_HINT = (
    "error: the ncp-media command needs the 'cli' extra: pip install 'ncp_media_async[cli]'"
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``ncp-media`` console script. Without click or rich installed (a lean install of
    the library), it prints ``CLI_EXTRA_HINT`` on stderr and exits with status 1."""
    try:
        from ._app import cli
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in CLI_REQUIREMENTS:
            raise
        print(CLI_EXTRA_HINT, file=sys.stderr)
        raise SystemExit(1) from None
    cli.main(args=argv, prog_name="ncp-media")
    raise AssertionError("unreachable: click exits")  # pragma: no cover
