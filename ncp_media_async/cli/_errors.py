"""How a command fails: every expected failure (a bad command line, an error of the service or
the network, Ctrl-C, a closed pipe, an output that cannot be written) ends as one ``error: ...``
line on stderr and an exit status, never a traceback; and the one-line texts of errors used for
it and for failed targets."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import ApiError, NcpError, shorten
from ._columns import printable

#: Exit statuses: the service said no, a request failed, or what was awaited did not happen;
#: a bad command line; interrupted.
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


# ------------------------------------------------------------------------------ error texts


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space, and any other
    control character escaped (``printable``)."""
    return printable(" ".join(text.split()))


#: The longest ``error:`` line the command prints (characters); the rest is cut with ``…``.
ERROR_LINE_CHARS = 1000


def error_message(error: BaseException) -> str:
    """``str(error)`` on one line (the type's name if that is empty), at most
    ``ERROR_LINE_CHARS`` characters: a batch's error quoting its failures stays one line."""
    return shorten(one_line(str(error)), ERROR_LINE_CHARS) or type(error).__name__


def short_reason(error: BaseException) -> str:
    """Why one target failed, without the request line (the target is shown beside it)."""
    if isinstance(error, ApiError):
        code = f", code {error.code}" if error.code is not None else ""
        return f"{type(error).__name__} (HTTP {error.status}{code}): {one_line(error.message)}"
    return f"{type(error).__name__}: {error_message(error)}"


def error_json(error: BaseException) -> dict[str, Any]:
    """An exception as a JSON object (type, message and, for API errors, status and code)."""
    data: dict[str, Any] = {"type": type(error).__name__, "message": error_message(error)}
    if isinstance(error, ApiError):
        data["status"] = error.status
        data["code"] = error.code
    return data


# ------------------------------------------------------------------------------- the group


class ErrorLineGroup(click.Group):
    """A group whose ``main`` turns every expected failure into one ``error:`` line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            if sys.stdout is None:  # started with stdout closed (``>&-``): nothing could be shown
                raise click.ClickException("standard output is closed")
            code = _exit_code(
                super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            )
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            _error(f"{exc.format_message()}{hint}")
            code = EXIT_USAGE
        except click.ClickException as exc:
            _error(exc.format_message())
            code = exc.exit_code
        except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort)
            _error("interrupted")
            code = EXIT_INTERRUPTED
        except NcpError as exc:
            _error(error_message(exc))
            code = EXIT_FAILED
        except UnicodeEncodeError as exc:  # stdout in ASCII or a legacy code page
            shown = exc.object[exc.start : exc.end]
            _error(
                f"the output's encoding ({exc.encoding}) cannot show {shown!r}: "
                "set PYTHONIOENCODING=utf-8"
            )
            code = EXIT_FAILED
        except OSError as exc:
            # stdout closed early (| head): nothing more to say; a full disk, an I/O error: why
            if exc.errno != errno.EPIPE:
                _error(error_message(exc))
            code = EXIT_FAILED
            _settle_stdout()
        if standalone_mode:
            sys.exit(code)
        return code


def _settle_stdout() -> None:
    """Flush what stdout holds; if it cannot take it (a closed pipe, a full disk), silence it,
    so that the flush at exit does not complain with a traceback of its own."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the flush at exit does not complain of a broken pipe
    (the recipe of Python's ``signal`` documentation)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _exit_code(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)
