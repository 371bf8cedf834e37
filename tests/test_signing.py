"""Signature v2: the vectors from NCP-FACTS.md, and the bytes-signed-are-bytes-sent rules."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ncp_media_async._signing import (
    ACCESS_KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Signer,
    encode_path,
    encode_query,
    string_to_sign,
)

ACCESS = "D78BB444D6D3C84CA38A"
SECRET = "secret"
STAMP = "1505290625682"

VECTORS = [
    ("/photos/puppy.jpg?query1=&query2", "7li28IKh+YUD+1W7i4+x6g04jTJZgIr12ELkY5B6UT4="),
    ("/api/v2/channels?pageNo=1&pageSizeNo=20", "FTx8WzLNs6euKxVLfyEdzQ6ipr8IP7w0Kno0PTEO4Z8="),
    ("/api/v2/channels", "2FZx/KJDCOxuxAPlkfXMDycZ7N0aNKUoWO0X/NTVqSg="),
]


@pytest.mark.parametrize(("path_qs", "expected"), VECTORS)
def test_vectors_with_pure_functions(path_qs: str, expected: str) -> None:
    message = string_to_sign("GET", path_qs, STAMP, ACCESS).encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == expected


@pytest.mark.parametrize(("path_qs", "expected"), VECTORS)
def test_vectors_with_signer(path_qs: str, expected: str) -> None:
    signer = Signer(ACCESS, SECRET)
    assert signer.signature("GET", path_qs, STAMP) == expected
    # The keyed HMAC is copied, not consumed: a second signature is the same.
    assert signer.signature("GET", path_qs, STAMP) == expected


def test_string_to_sign_keeps_access_key_on_the_last_line() -> None:
    msg = string_to_sign("GET", "/a?b=1", "123", "KEY")
    assert msg == "GET /a?b=1\n123\nKEY"
    assert msg.count("\n") == 2


def test_headers_carry_the_same_timestamp_that_was_signed() -> None:
    headers = Signer(ACCESS, SECRET).headers("GET", "/api/v2/channels", 1505290625682)
    assert headers[TIMESTAMP_HEADER] == STAMP
    assert headers[ACCESS_KEY_HEADER] == ACCESS
    assert headers[SIGNATURE_HEADER] == VECTORS[2][1]


def test_signer_repr_hides_secret_and_most_of_the_access_key() -> None:
    text = repr(Signer(ACCESS, "topsecretvalue"))
    assert text == "Signer(access_key='D78B'...)"  # four characters of the key, no more


def test_each_path_segment_is_escaped_exactly_once() -> None:
    assert encode_path("api", "v2", "channels", "vs-a b/ü?x=1", "events") == (
        "/api/v2/channels/vs-a%20b%2F%C3%BC%3Fx%3D1/events"
    )
    # An id that already looks escaped is escaped again, not passed through.
    assert encode_path("x", "a%20b") == "/x/a%2520b"


def test_query_keeps_order_and_escapes_values() -> None:
    assert encode_query([("pageNo", 1), ("pageSizeNo", 20)]) == "pageNo=1&pageSizeNo=20"
    assert encode_query([("q", "a b&c=d")]) == "q=a%20b%26c%3Dd"
    assert encode_query([]) == ""
