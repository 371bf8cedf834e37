"""The API Gateway's protocol, spelt by the emulator itself: header names and signature v2.

Nothing here comes from the client (``ncp_media_async._signing``): the emulator writes the
header names and the string to sign from NCP's documentation, so a mistake in the client's
copy is caught by the tests instead of being shared by both sides.

Signature v2 (NCP-FACTS.md):

```text
x-ncp-apigw-timestamp     epoch *milliseconds*, a decimal string
x-ncp-iam-access-key      the access key id
x-ncp-apigw-signature-v2  base64(HMAC-SHA256(secret key, string to sign))

string to sign = METHOD + " " + raw path?query + "\\n" + timestamp + "\\n" + access key
```

where the raw path and query are the bytes on the request line (percent-encoded as sent, no
host, no ``?`` without a query).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = [
    "ACCESS_KEY_HEADER",
    "REGION_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AuthFailure",
    "authenticate",
    "signature_v2",
]

TIMESTAMP_HEADER: Final = "x-ncp-apigw-timestamp"
"""Epoch *milliseconds* of the request, the same string that went into the signature."""
ACCESS_KEY_HEADER: Final = "x-ncp-iam-access-key"
"""The access key id."""
SIGNATURE_HEADER: Final = "x-ncp-apigw-signature-v2"
"""base64(HMAC-SHA256(secret key, string to sign))."""
REGION_HEADER: Final = "x-ncp-region_code"
"""The region header Live Station requires (``KR``); VOD Station's documents say to omit it."""


def signature_v2(
    secret_key: str, method: str, path_and_query: str, timestamp: str, access_key: str
) -> str:
    """The signature-v2 header value NCP's gateway expects for one request.

    ``path_and_query`` is the raw (encoded) request target, ``timestamp`` the header's text
    (epoch milliseconds).
    """
    message = f"{method} {path_and_query}\n{timestamp}\n{access_key}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@attrs.frozen
class AuthFailure:
    """Why the gateway refuses a request (a 401 with ``errorCode`` ``"200"``).

    ``reason`` is the key counted in ``EmulatorStats.auth_failures`` (``missing_header``,
    ``invalid_timestamp``, ``unknown_access_key``, ``timestamp_skew``, ``bad_signature``);
    ``details`` the sentence sent in the body (never the expected signature or a secret).
    """

    reason: str
    details: str


def _missing(header: str) -> AuthFailure:
    return AuthFailure("missing_header", f"Missing required header {header}.")


def authenticate(
    headers: Mapping[str, str],
    method: str,
    path_and_query: str,
    *,
    keys: Mapping[str, str],
    now: float,
    tolerance: float,
) -> AuthFailure | None:
    """Check signature v2 as the NCP API Gateway does; ``None`` when the request may pass.

    ``keys`` maps access keys to secret keys; ``now`` is the gateway's clock in epoch *seconds*
    and ``tolerance`` how many *seconds* a timestamp may be away from it (NCP: 300).
    """
    timestamp = headers.get(TIMESTAMP_HEADER)
    access_key = headers.get(ACCESS_KEY_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not timestamp:
        return _missing(TIMESTAMP_HEADER)
    if not access_key:
        return _missing(ACCESS_KEY_HEADER)
    if not signature:
        return _missing(SIGNATURE_HEADER)
    if not (timestamp.isascii() and timestamp.isdigit()):
        return AuthFailure("invalid_timestamp", f"{TIMESTAMP_HEADER} must be epoch milliseconds.")
    secret_key = keys.get(access_key)
    if secret_key is None:
        return AuthFailure("unknown_access_key", "The access key is not registered.")
    if abs(int(timestamp) / 1000 - now) > tolerance:
        return AuthFailure(
            "timestamp_skew",
            f"The timestamp differs from the gateway clock by more than {tolerance:g} seconds.",
        )
    expected = signature_v2(secret_key, method, path_and_query, timestamp, access_key)
    # A header that is not ASCII (undecodable bytes arrive as surrogates) cannot match a
    # base64 signature, and compare_digest only takes ASCII strings.
    if not signature.isascii() or not hmac.compare_digest(expected, signature):
        return AuthFailure("bad_signature", "The signature does not match the request.")
    return None
