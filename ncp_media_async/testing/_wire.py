"""Wire-level helpers for the emulator: JSON encoding, the gateway's error body, HTTP dates.

Everything here is pure (no emulator state). The services' own error dialects live with their
stores (``VodStationError``, ``LiveStationError``, ``MediaAiError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from typing import Any, Final

from aiohttp import web

__all__ = [
    "JSON_CONTENT_TYPE",
    "KST",
    "dumps",
    "gateway_error",
    "http_date",
    "is_decimal",
    "json_response",
    "kst_iso",
]

JSON_CONTENT_TYPE: Final = "application/json;charset=utf-8"
"""The ``Content-Type`` NCP's gateways send (no space before ``charset``)."""

KST: Final = timezone(timedelta(hours=9), "KST")
"""Korea Standard Time, the offset VOD Station writes into ``lastWorkTime`` (``+0900``)."""


def _dumps_stdlib(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _load_dumps() -> Callable[[Any], bytes]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is an optional extra
        return _dumps_stdlib

    option = orjson.OPT_NON_STR_KEYS

    def _dumps_orjson(obj: Any) -> bytes:
        return orjson.dumps(obj, option=option)

    return _dumps_orjson


dumps: Final = _load_dumps()
"""Serialize a JSON value to compact UTF-8 bytes (orjson when installed, else ``json``)."""


def is_decimal(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits (``str.isdigit`` alone accepts ``"١٢"``)."""
    return text.isascii() and text.isdigit()


def http_date(epoch_seconds: float) -> str:
    """Format epoch *seconds* as an RFC 7231 IMF-fixdate (``Wed, 12 Sep 2018 09:53:32 GMT``)."""
    return formatdate(epoch_seconds, usegmt=True)


def kst_iso(epoch_ms: int) -> str:
    """Format epoch *milliseconds* the way VOD Station writes ``lastWorkTime``.

    The service sends whole seconds with a ``+0900`` offset and no colon in it, e.g.
    ``"2025-08-19T17:08:03+0900"``.
    """
    return datetime.fromtimestamp(epoch_ms / 1000, tz=KST).strftime("%Y-%m-%dT%H:%M:%S%z")


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with NCP's exact ``Content-Type``."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE}
    if headers:
        all_headers.update(headers)
    return web.Response(body=dumps(obj), status=status, headers=all_headers)


def gateway_error(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    """The API Gateway's body: ``{"error": {"errorCode": "200", "message": ..., "details": ...}}``.

    The gateway sends ``errorCode`` as a *string*; ``details`` is omitted when ``None``.
    """
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}
