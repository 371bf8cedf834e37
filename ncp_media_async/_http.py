"""HTTP header values the client reads: ``Date`` and ``Retry-After``. Pure functions.

Both come from servers and proxies the client does not control, so both are parsed defensively:
anything that is not a sane value (unparseable text, a date without a zone, a year out of range,
an infinite or negative delay) reads as absent, never as an exception.
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime


def parse_http_date(value: str | None) -> float | None:
    """An HTTP date (RFC 9110 IMF-fixdate and the obsolete forms) as epoch seconds, or ``None``.

    ``None`` for a missing, unparseable or zone-less date and for one that Python cannot represent
    (``Date: Fri, 31 Dec 99999 ...`` raises ``OverflowError`` or ``ValueError`` deep inside
    ``email.utils``; here it is simply not a date).
    """
    try:
        when = parsedate_to_datetime(value or "")  # ``""`` (no date) raises ``ValueError``
        return None if when.tzinfo is None else when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as a delay in seconds, or ``None`` when absent or not sane.

    The header is either delta-seconds (``"120"``) or an HTTP date, resolved against ``now``
    (epoch seconds). A negative delay counts as absent (RFC 9110 allows only non-negative
    integers; a server that sends ``-1`` has not told anything); a date in the past means "now",
    ``0``. NaN and infinity are absent.
    """
    if not value:
        return None
    try:
        seconds = float(value)  # surrounding white space is ignored, by both parsers
    except ValueError:
        when = parse_http_date(value)
        return None if when is None else max(0.0, when - now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
