"""``python -m ncp_media_async.testing``: serve the emulator until SIGINT/SIGTERM.

The same launcher as ``ncp-media emulator`` (see ``_launch``): the same options, the same
banner (first line exactly ``listening on http://HOST:PORT``, the real port when ``--port 0``;
then an ``export NCP_MEDIA_ENDPOINT=... NCP_ACCESS_KEY=... NCP_SECRET_KEY=...`` line and a
summary of the data). Needs neither click nor rich.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._launch import LaunchOptions, argument_parser, run


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argument_parser("python -m ncp_media_async.testing")
    values = vars(parser.parse_args(argv))
    try:
        options = LaunchOptions.from_flags(values)
    except ValueError as exc:
        parser.error(str(exc))
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
