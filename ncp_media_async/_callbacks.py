"""What the services' callbacks share before each reads its own fields: the body, bounded and
decoded. ``live_station.parse_callback`` and ``vod_station.parse_callback`` build on it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ._transport import strict_json_loads
from .errors import ResponseError, excerpt

__all__ = ["MAX_CALLBACK_BYTES", "callback_json", "preview"]

#: The longest callback body read, in bytes (or characters of a ``str``): a callback is a few
#: hundred bytes; a larger body is refused before it is decoded.
MAX_CALLBACK_BYTES: Final = 65_536


def callback_json(body: Any, service: str, what: str) -> Any:
    """The decoded JSON of a callback ``body``: ``bytes``/``str`` (at most
    ``MAX_CALLBACK_BYTES``) are decoded, a ``Mapping`` becomes a ``dict``, anything else is
    returned as it is (for the caller to refuse). ``ResponseError`` with an excerpt for a body
    too long or not JSON (nesting too deep included); ``service`` and ``what`` (``"an event"``)
    name the callback in the message."""
    if isinstance(body, bytes | bytearray | memoryview | str):
        raw = bytes(body) if not isinstance(body, str) else body
        if len(raw) > MAX_CALLBACK_BYTES:
            raise ResponseError(
                f"{service} callback of {len(raw):,} bytes, more than {what} can be "
                f"({MAX_CALLBACK_BYTES:,})",
                excerpt=excerpt(raw),
            )
        try:
            return strict_json_loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise ResponseError(f"{service} callback is not JSON", excerpt=excerpt(raw)) from None
    if isinstance(body, Mapping):
        return dict(body)
    return body


def preview(data: Any) -> str:
    """Decoded JSON as short text, for an excerpt (whatever it holds)."""
    try:
        return json.dumps(data, ensure_ascii=False)[:1000]
    except (TypeError, ValueError, RecursionError):
        return f"<{type(data).__name__}>"
