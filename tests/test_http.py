"""``Date`` and ``Retry-After`` parsing: one parser, never an exception, absurd values absent."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from ncp_media_async._http import parse_http_date, parse_retry_after

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def test_http_date_forms() -> None:
    assert parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT") == NOW
    later = format_datetime(datetime(2026, 12, 1, 12, 15, tzinfo=UTC), usegmt=True)
    assert parse_http_date(later) == NOW + 900
    assert parse_http_date("Tuesday, 01-Dec-26 12:00:00 GMT") == NOW  # RFC 850
    assert parse_http_date("Tue Dec  1 12:00:00 2026") is None  # asctime has no zone: not trusted


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "Fri, 31 Dec 99999 23:59:59 GMT",  # OverflowError/ValueError inside email.utils
        "Mon, 32 Jan 2026 00:00:00 GMT",
        "Mon, 01 Jan 2026 25:61:61 GMT",
        "\x00\x01",
        "Tue, 01 Dec 2026 12:00:00",  # no zone
        "9" * 400,
    ],
)
def test_http_date_absurd_values_are_absent(value: str | None) -> None:
    assert parse_http_date(value) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("Tue, 01 Dec 2026 12:00:30 GMT", 30.0),
        ("Tue, 01 Dec 2026 11:00:00 GMT", 0.0),  # a date in the past means now
        ("-1", None),  # negative counts as absent
        ("-0.5", None),
        ("inf", None),
        ("nan", None),
        ("1e400", None),  # infinite once parsed
        ("soon", None),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
