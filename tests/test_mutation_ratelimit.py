"""Tests for the mutants of ``_ratelimit`` that lived in a mutation run: each asserts the text,
the bound or the value that the mutant changes.

* What a refused ``shared`` URL is shown as: the URL with its password masked, a value that is
  not text as itself, an unparsable URL as ``<unparsable URL>``; the message's own words.
* ``mask_url``'s exact output for a password in the query, and for user info it cannot read as
  such (everything before the *last* ``@`` hidden).
* ``name``'s bounds (1 and 200 characters); the repr of a limit that is not shared.
* ``share(1)`` keeps the period; the account's id is the first 16 hex digits of the SHA-256.
"""

from __future__ import annotations

import hashlib
import re

import pytest

import ncp_media_async as ncp
from ncp_media_async._ratelimit import account_id, mask_url

REFUSED = "shared must be a Redis URL (redis://host:6379/0, rediss://..., unix:///path), got "


@pytest.mark.parametrize(
    ("shared", "shown"),
    [
        ("http://user:hunter2@cache:6379/0", "'http://user:***@cache:6379/0'"),
        (6379, "6379"),  # not text: shown as it is
        ("redis://cache:port/0", "'<unparsable URL>'"),  # a port that is not a number
    ],
)
def test_a_refused_shared_url_is_shown_masked(shared: object, shown: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(REFUSED + shown)}$"):
        ncp.RateLimit(10, shared=shared)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "unix:///run/redis.sock?password=hunter2&db=1",
            "unix:///run/redis.sock?password=***&db=1",
        ),
        ("redis//:hunter2@cache:6379", "***@cache:6379"),  # a typo: no user info to read
        ("redis//:hun@ter2@cache", "***@cache"),  # a password holding an @
    ],
)
def test_mask_url_hides_every_password_it_may_hold(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize("length", [1, 200])
def test_a_name_of_1_to_200_characters_is_taken(length: int) -> None:
    assert ncp.RateLimit(10, name="n" * length).name == "n" * length


def test_a_name_of_201_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="name must be 1 to 200 printable characters"):
        ncp.RateLimit(10, name="n" * 201)


def test_the_repr_of_a_limit_not_shared_says_none() -> None:
    assert repr(ncp.RateLimit(10)) == (
        "RateLimit(calls=10, period=1.0, shared=None, name='default', processes=1, "
        "fallback='local')"
    )


def test_a_share_among_one_process_is_the_whole_limit() -> None:
    limit = ncp.RateLimit.per_minute(600, shared="redis://cache:6379/0")
    assert limit.share(1) == ncp.RateLimit.per_minute(600)
    assert limit.share(0).period == 60.0
    assert limit.share(3).period == 180.0


def test_an_account_is_named_by_16_hex_digits_of_its_keys_sha256() -> None:
    assert account_id("AK-EXAMPLE") == hashlib.sha256(b"AK-EXAMPLE").hexdigest()[:16]
    assert len(account_id("AK-EXAMPLE")) == 16
