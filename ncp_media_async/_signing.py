"""NCP API Gateway signature v2: pure functions, no I/O.

The gateway authenticates a request by three headers:

```text
x-ncp-apigw-timestamp     epoch *milliseconds*, as a decimal string
x-ncp-iam-access-key      the access key id
x-ncp-apigw-signature-v2  base64(HMAC-SHA256(secret_key, string_to_sign))
```

with ``string_to_sign = METHOD + " " + PATH_AND_QUERY + "\\n" + TIMESTAMP + "\\n" + ACCESS_KEY``.

``PATH_AND_QUERY`` is the path and query *exactly as they go on the wire*: percent-encoded, same
parameter order, no host, no ``?`` when there is no query. NCP's own Python and JavaScript samples
sign unencoded values while sending encoded ones, which breaks on any value that needs escaping;
this module signs what the transport sends, byte for byte. The emulator verifies with the same
functions, so a mismatch between the two sides cannot hide.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote

TIMESTAMP_HEADER: Final = "x-ncp-apigw-timestamp"
ACCESS_KEY_HEADER: Final = "x-ncp-iam-access-key"
SIGNATURE_HEADER: Final = "x-ncp-apigw-signature-v2"


def string_to_sign(method: str, path_and_query: str, timestamp: str, access_key: str) -> str:
    """The message NCP signs: ``"METHOD PATH?QUERY\\nTIMESTAMP\\nACCESS_KEY"``.

    ``path_and_query`` must be the encoded form sent on the wire; ``timestamp`` is epoch
    milliseconds as a decimal string. The access key is the last line (a widely copied sample
    drops it by putting it on a line of its own).
    """
    return f"{method} {path_and_query}\n{timestamp}\n{access_key}"


class Signer:
    """Signs requests for one key pair, with the HMAC key schedule computed once.

    ``hmac.new`` hashes the key on every call; copying a keyed HMAC object skips that, which
    matters at thousands of requests a second. The secret is held only inside the HMAC object
    and never appears in ``repr``.
    """

    __slots__ = ("_mac", "access_key")

    def __init__(self, access_key: str, secret_key: str) -> None:
        #: The access key id (not a secret: it travels in a header of every request).
        self.access_key = access_key
        self._mac = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return f"Signer(access_key={self.access_key[:4]!r}...)"

    def signature(self, method: str, path_and_query: str, timestamp: str) -> str:
        """The signature-v2 header value for one attempt."""
        mac = self._mac.copy()
        mac.update(string_to_sign(method, path_and_query, timestamp, self.access_key).encode())
        return base64.b64encode(mac.digest()).decode("ascii")

    def headers(self, method: str, path_and_query: str, timestamp_ms: int) -> dict[str, str]:
        """The three authentication headers for one attempt (``timestamp_ms`` in milliseconds)."""
        ts = str(timestamp_ms)
        return {
            TIMESTAMP_HEADER: ts,
            ACCESS_KEY_HEADER: self.access_key,
            SIGNATURE_HEADER: self.signature(method, path_and_query, ts),
        }


@functools.lru_cache(maxsize=4096)
def _quote(text: str) -> str:
    """Percent-encode everything but RFC 3986 unreserved characters (cached: ids repeat)."""
    return quote(text, safe="")


def encode_path(*segments: str) -> str:
    """Join path segments into an encoded absolute path, each segment escaped exactly once.

    ``encode_path("api", "v2", "channels", "vs-a b/ü?x=1")`` gives
    ``/api/v2/channels/vs-a%20b%2F%C3%BC%3Fx%3D1``: a ``/`` or ``?`` inside an id cannot
    change the route.
    """
    return "/" + "/".join(map(_quote, segments))


def encode_query(params: Iterable[tuple[str, str | int]]) -> str:
    """Encode query parameters in the given order (no leading ``?``; ``""`` for none).

    Integers (page numbers, epoch milliseconds) are digits and a sign, which need no escaping.
    """
    return "&".join(f"{_quote(k)}={v if type(v) is int else _quote(str(v))}" for k, v in params)
