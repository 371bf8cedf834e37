"""What the services' callbacks share before each reads its own fields: the body, bounded and
decoded. ``live_station.parse_callback`` and ``vod_station.parse_callback`` build on it, and refuse
what is not theirs with ``refusal`` (``_converter``'s, re-exported here)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ._converter import refusal
from ._transport import strict_json_loads
from .errors import ResponseError, excerpt

__all__ = ["MAX_CALLBACK_BYTES", "callback_json", "refusal"]

#: The longest callback body read, in bytes (or characters of a ``str``): a callback is a few
#: hundred bytes; a larger body is refused before it is decoded.
MAX_CALLBACK_BYTES: Final = 65_536

#: What no callback text may hold: NUL (a UTF-16 body read as UTF-8 is full of them) and a
#: surrogate, which in decoded text is always a lone one (a pair is one character).
_UNSAFE: Final = re.compile("[\x00\ud800-\udfff]")


def callback_json(body: Any, service: str, what: str) -> Any:
    """The decoded JSON of a callback ``body``: ``bytes``/``bytearray``/``memoryview`` (UTF-8,
    at most ``MAX_CALLBACK_BYTES``, measured before anything is copied; a ``memoryview`` read
    as its bytes, so a non-contiguous one is a ``TypeError``) and ``str`` (at most as many
    characters) are decoded, a ``Mapping`` becomes a ``dict``, anything else is returned as
    it is (for the caller to refuse). ``ResponseError`` with an excerpt for a body too long, not
    UTF-8 (UTF-16 included), not JSON (nesting too deep included), or holding a NUL character or
    a lone surrogate (raw or as a ``\\u`` escape: text that fails later, on ``.encode()`` or in
    a database); ``service`` and ``what`` (``"an event"``) name the callback in the message."""
    if not isinstance(body, bytes | bytearray | memoryview | str):
        return dict(body) if isinstance(body, Mapping) else body
    view = body if isinstance(body, str) else memoryview(body).cast("B")  # a view copies nothing
    if len(view) > MAX_CALLBACK_BYTES:
        raise ResponseError(
            f"{service} callback of {len(view):,} bytes, more than {what} can be "
            f"({MAX_CALLBACK_BYTES:,})",
            excerpt=excerpt(view[:1024] if isinstance(view, str) else bytes(view[:1024])),
        )
    raw = view if isinstance(view, str) else bytes(view)
    try:
        data = strict_json_loads(raw if isinstance(raw, str) else raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ResponseError(f"{service} callback is not JSON", excerpt=excerpt(raw)) from None
    if any(_UNSAFE.search(text) for text in _texts(data)):
        raise ResponseError(
            f"{service} callback holds a NUL character or a lone surrogate", excerpt=excerpt(raw)
        )
    return data


def _texts(data: Any) -> Iterator[str]:
    """Every string of decoded JSON, keys included (without recursion: any depth)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack += [*item, *item.values()]
        elif isinstance(item, list):
            stack += item
