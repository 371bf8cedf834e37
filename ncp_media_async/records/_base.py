"""What every service's records share: ``OpenStrEnum``, ``Page``, ``KST`` and the field helpers.

A record field declares how it is read off the wire next to its type, and nothing else does:
``wire_field(wire=...)`` for a JSON name that is not the camelCase of the field,
``wire_field(kind=...)`` for a conversion the type alone does not say (epoch seconds or
milliseconds), ``local_field()`` for a field the client fills
in and never reads off the wire. ``ncp_media_async._converter`` turns these declarations into
cattrs hooks once per record class.
"""

from __future__ import annotations

import enum
import hmac
from datetime import timedelta, timezone
from typing import Any, Final, Generic, Literal, TypeVar

import attrs

from .._checks import expect

__all__ = ["OpenStrEnum", "Page", "Secret"]

T = TypeVar("T")

#: Korea Standard Time (UTC+9, no daylight saving time), the zone the services report in: an ISO
#: 8601 time sent without an offset is read in it. The client's one definition (the emulator
#: spells its own on purpose: it must not import the client's constants).
KST: Final = timezone(timedelta(hours=9), "KST")

#: How a field is converted from JSON when its type does not say it all: ``epoch_s`` epoch
#: *seconds*, ``epoch_ms`` epoch *milliseconds*, ``epoch_auto`` either (a value above 10^11 is
#: milliseconds; for fields whose unit the documents disagree on), all to an aware UTC
#: ``datetime``. (By type alone: ``datetime`` is ISO 8601 text, ``+0900`` offsets allowed; ``int``
#: is a JSON integer or its text; ``float`` a JSON number or its text; ``str`` text only;
#: ``int | str`` / ``float | str``, for a field the documents type as text that carries a number,
#: the number when the text is one and else the text as sent.)
Kind = Literal["epoch_s", "epoch_ms", "epoch_auto"]


def wire_field(*, wire: str | tuple[str, ...] | None = None, kind: Kind | None = None) -> Any:
    """An optional attrs field (default ``None``) read off the wire: from JSON field ``wire``
    (default: the camelCase of the attribute name), converted as ``kind`` says (default: as its
    type says).

    ``wire`` may name several spellings of one field, the documents' first: the first one the
    body carries is read (``wire=("useDVR", "useDvr")``)."""
    wire = (wire,) if isinstance(wire, str) else wire
    return attrs.field(default=None, metadata={"wire": wire, "kind": kind})


def id_text(value: Any) -> str:
    """An id as text: the services send ids as JSON numbers and take them as path text, so a
    ref built from either compares equal. A bool is not an id (``True`` would become
    ``"True"``); anything but text or an int is a ``TypeError``."""
    return str(expect("an id", value, (str, int), "text or an int"))


def local_field(default: Any = None) -> Any:
    """An attrs field the client fills in (``ImportStatus.asset``): never read off the wire, so
    a JSON field of the same name is ignored like any unknown field."""
    return attrs.field(default=default, metadata={"local": True})


class OpenStrEnum(enum.StrEnum):
    """A ``StrEnum`` that accepts values it does not know.

    ``EncodingState("PAUSED")`` returns a pseudo-member whose ``name`` and ``value`` are
    ``"PAUSED"``; it compares equal to the string and is not among the class's members. Its
    ``known`` property is ``False``. The services add states without notice: an unknown value
    never fails structuring.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """Whether the value is one the documents list."""
        return self._name_ in type(self).__members__


class Secret:
    """A secret text (a stream key): ``repr``, ``str`` and formatting show ``<hidden>``;
    ``reveal()`` gives the text.

    It is not a ``str``, so it cannot leak by being serialised as one: ``json.dumps`` refuses it
    and ``attrs.asdict`` keeps the ``Secret`` object. Two secrets are equal when their texts are
    (compared in constant time).
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = expect("a Secret", text, str, "text")

    def reveal(self) -> str:
        """The secret text itself: print or log it only when that is what is asked for."""
        return self._text

    def __repr__(self) -> str:
        return "Secret('<hidden>')"

    def __str__(self) -> str:
        return "<hidden>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._text.encode(), other._text.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._text))

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._text,))


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items, its 1-based number, the size asked for and the ``total``
    the server reported for the whole list (``None`` if it sent none)."""

    items: tuple[T, ...]
    page_no: int
    page_size: int
    total: int | None
