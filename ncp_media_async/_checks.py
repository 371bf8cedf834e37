"""Arguments checked once, at the public boundary, by the same functions everywhere.

The same mistake raises the same exception in every method:

* the wrong type (a ``str`` or ``bytes`` where a collection of strings belongs, which Python
  would otherwise iterate character by character; a float or a bool where an int belongs):
  ``TypeError``;
* the right type with a value that cannot be meant (a negative interval, an empty key, a page
  size of 0, a naive datetime): ``ValueError``.

Each function returns the value it checked (converted where it says so), so that a call site
reads ``concurrency = checks.count("concurrency", concurrency, 1)``. ``field`` adapts one to an
attrs validator. Nothing here does I/O; every check runs before anything is sent.
"""

from __future__ import annotations

import contextlib
import enum
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs
from yarl import URL

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


def expect(name: str, value: Any, kind: type[T] | tuple[type[T], ...], what: str) -> T:
    """``value``, checked to be a ``kind`` (or one of them) and not a bool (an ``int`` to
    Python, not a number or an id to the caller); else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def count(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """An ``int`` (not a bool) from ``minimum`` to ``maximum`` (no upper bound when ``None``)."""
    value = expect(name, value, int, "an int")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def seconds(name: str, value: Any, *, positive: bool = False) -> float:
    """A finite number of seconds, ``>= 0`` (``> 0`` when ``positive``); an int or a float."""
    expect(name, value, (int, float), "a number of seconds")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a number of seconds {'>' if positive else '>='} 0, "
                         f"got {value}")  # fmt: skip
    return float(value)


def optional_seconds(name: str, value: Any) -> float | None:
    """``None`` (no limit) or a number of seconds ``> 0`` (a timeout)."""
    return None if value is None else seconds(name, value, positive=True)


def text(name: str, value: object) -> str:
    """A ``str`` with something in it besides whitespace."""
    value = expect(name, value, str, "a str")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def texts(name: str, values: Any) -> list[str]:
    """A collection of non-empty strings as a list, in order, each listed once (``text``).

    A single ``str`` or ``bytes`` is a ``TypeError``: it is iterable, and ``keys="clip.mp4"``
    would otherwise mean eight keys of one character.
    """
    if isinstance(values, str | bytes | bytearray) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a collection of strings, not {type(values).__name__}")
    return list(dict.fromkeys(text(name, value) for value in values))


def whole(name: str, value: Any) -> int:
    """A whole number given as an ``int`` or its decimal text (ids that the documents type as
    text in one place and as integers in another)."""
    expect(name, value, (str, int), "an int or its text")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{name} must be a number (whole, not negative), got {value!r}")
    return int(text)


def http_url(name: str, value: object) -> str:
    """An ``http``/``https`` URL with a host, without whitespace or unprintable characters."""
    value = expect(name, value, str, "a str")
    try:
        url = URL(value)
    except ValueError:
        url = URL()  # no scheme: refused below
    unprintable = any(ch.isspace() or not ch.isprintable() for ch in value)
    if unprintable or url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{name} must be an http(s) URL with a host, got {value!r}")
    return value


def instances(name: str, values: Any, kind: type[T] | tuple[type[T], ...]) -> list[T]:
    """A collection of ``kind`` objects (bools are not ints: ``expect``) as a list, in order,
    each listed once; the first item of another type is named by its index (``refs[2]``)."""
    if isinstance(values, str | bytes | bytearray) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a collection, not {type(values).__name__}")
    names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    items = [expect(f"{name}[{i}]", item, kind, names) for i, item in enumerate(values)]
    return list(dict.fromkeys(items))


def segment(name: str, value: Any) -> str:
    """A path parameter as text: a ``str`` (or an ``int`` id), not empty, not ``.`` or ``..``.

    Each segment is percent-encoded exactly once on the way out, so ``/``, ``?`` or ``#`` inside
    an id cannot change the route; an empty segment or a dot segment would (servers and proxies
    collapse ``/./`` and ``/x/../``), so those are refused.
    """
    expect(name, value, (str, int), "a str")
    out = str(value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    if out in (".", ".."):
        raise ValueError(f"{name} must not be {out!r} (a dot segment would change the path)")
    return out


def member(cls: type[E], value: Any, name: str, allowed: Iterable[E] | None = None) -> E:
    """``value`` as a member of ``cls``: a member as is; a documented value's text in any case
    (``"publishing"``). ``allowed`` narrows the documented values (a filter that takes only
    some states); else ``ValueError`` listing them.

    A member made by the caller for a value the documents do not list (``ChannelStatus("NEW")``,
    an ``OpenStrEnum``) passes: it is the way to send what the documents have not caught up with.
    """
    known = list(cls) if allowed is None else list(allowed)
    if isinstance(value, cls) and (value in known or value.name not in cls.__members__):
        return value
    if isinstance(value, str) and not isinstance(value, cls):
        with contextlib.suppress(ValueError):  # by value, any case (aliases too: "PUBLISH")
            if (candidate := cls(value.strip().upper())) in known:
                return candidate
    names = ", ".join(str(m.value) for m in known)
    raise ValueError(f"{name} must be one of {names}; got {value!r}")


def aware(name: str, value: object) -> datetime:
    """A timezone-aware ``datetime`` (a naive one is refused rather than guessed at)."""
    value = expect(name, value, datetime, "a datetime")
    if value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (got naive {value.isoformat()}); "
            "use datetime(..., tzinfo=UTC)"
        )
    return value


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def field(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Validator:
    """``check(name, value, *args, **kwargs)`` as an attrs validator (the attribute's name is
    the name)."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check(attribute.name, value, *args, **kwargs)

    return validate
