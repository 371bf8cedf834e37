"""Tests for the mutants of ``_converter`` that lived once every mutant ran (in a mutation run,
``mutation/rebuild.py`` builds the hooks made at import again, by the mutant under test). Each
asserts the value or the words of the message that the mutant changes:

* an integer sent as a whole float (``3.0``), ``""`` as ``None`` in an optional number, a time's
  own offset kept, a fixed-size tuple read item by item by its own types;
* an array of enum members (each item read by its own type's hook, with that type);
* what a wrong value is said to be (``got text``, ``got 1``), and the excerpt of a body that is
  not an object (or a record list that is not a map), and a value cattrs' own hooks refuse;
* how the problems of one body are joined, and when the ones past three are counted;
* epoch times sent as text, ``epoch_auto``'s bound (10^11 is still seconds), and the message of
  an epoch time out of range (an integer too large even for a float included).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

import ncp_media_async as ncp
from ncp_media_async._converter import (
    structure,
    structure_content,
    structure_list,
    structure_records,
    structure_statistics,
)
from ncp_media_async.records import OpenStrEnum
from ncp_media_async.records._base import local_field, wire_field


class _Shade(OpenStrEnum):
    DARK = "DARK"
    LIGHT = "LIGHT"


@attrs.frozen
class _Palette:
    """A record with an array of enum members and a flag (no record of the library has the
    first yet: the hooks are general)."""

    shades: tuple[_Shade, ...] = ()
    matte: bool | None = None
    gloss: float | None = None
    tint: int | None = None
    pair: tuple[int, str] | None = None
    at: datetime | None = None
    counts: dict[str, int] | None = None


def test_an_integer_sent_as_a_whole_float_reads_as_an_int() -> None:
    tint = structure({"tint": 3.0}, _Palette).tint
    assert tint == 3 and type(tint) is int
    with pytest.raises(ncp.ResponseError, match=re.escape("$.tint: expected an integer, got 3.5")):
        structure({"tint": 3.5}, _Palette)


def test_an_empty_text_is_none_in_an_optional_number() -> None:
    assert structure({"tint": "", "gloss": ""}, _Palette) == _Palette()


def test_a_value_of_any_type_of_the_converter_structures_alone() -> None:
    assert structure("DARK", _Shade) is _Shade.DARK
    assert structure_list({"content": ["LIGHT"], "total": 1}, _Shade) == ([_Shade.LIGHT], 1)


def test_a_page_whose_content_is_not_an_array_says_what_it_is() -> None:
    body = {"content": "none", "total": 0}
    with pytest.raises(ncp.ResponseError) as info:
        structure_list(body, _Palette)
    assert info.value.args[0] == "unexpected response body: $.content: expected an array, got text"
    assert info.value.excerpt == "{'content': 'none', 'total': 0}"


def test_a_page_whose_total_is_not_a_number_says_so() -> None:
    body = {"content": [], "total": "many"}
    with pytest.raises(ncp.ResponseError) as info:
        structure_list(body, _Palette)
    assert info.value.args[0] == (
        "unexpected response body: $.total: expected an integer, got 'many'"
    )
    assert info.value.excerpt == "{'content': [], 'total': 'many'}"


@attrs.frozen
class _Framed:
    """A field the client fills in (``local_field``) before one read off the wire."""

    frame: str | None = local_field()
    frame_width: int | None = None


def test_a_field_the_client_fills_in_is_skipped_wherever_it_sits() -> None:
    assert structure({"frame": "oak", "frameWidth": 3}, _Framed) == _Framed(None, 3)


def test_a_time_with_an_offset_keeps_it() -> None:
    at = structure({"at": "2025-08-19T08:08:03+00:00"}, _Palette).at
    assert at == datetime(2025, 8, 19, 8, 8, 3, tzinfo=UTC)
    assert at is not None and at.utcoffset() == timedelta(0)


def test_a_fixed_size_tuple_reads_each_item_by_its_own_type() -> None:
    """Only ``tuple[X, ...]`` is an array of ``X``s; ``tuple[int, str]`` is cattrs' own."""
    assert structure({"pair": [1, "one"]}, _Palette).pair == (1, "one")
    with pytest.raises(ncp.ResponseError, match=re.escape("$.pair[1]: expected text, got a num")):
        structure({"pair": [1, 2]}, _Palette)  # cattrs' own iterables name the item


def test_an_array_of_enum_members_reads_each_item_as_its_type() -> None:
    palette = structure({"shades": ["DARK", "LIGHT", "NEON"]}, _Palette)
    assert palette.shades == (_Shade.DARK, _Shade.LIGHT, "NEON")
    assert palette.shades[0] is _Shade.DARK
    assert all(isinstance(s, _Shade) for s in palette.shades)
    assert not palette.shades[2].known


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"shades": "DARK"}, "$.shades: expected an array, got text"),
        ({"shades": {"DARK": 1}}, "$.shades: expected an array, got an object"),
        ({"matte": 1}, "$.matte: expected a boolean, got 1"),
        ({"matte": "yes"}, "$.matte: expected a boolean, got 'yes'"),
        ({"gloss": "high"}, "$.gloss: expected a number, got 'high'"),
        ({"gloss": 10**5000}, "$.gloss: expected a number, got <a number>"),  # repr refuses it
        ({"shades": ["DARK", None]}, "$.shades: expected text, got null"),  # (no index)
        ({"counts": {"a": "x"}}, "$.counts['a']: expected an integer, got 'x'"),
        ({"counts": [1]}, "$.counts: unexpected value (AttributeError)"),  # cattrs' own hook
    ],
)
def test_a_wrong_value_is_named_by_what_it_is(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ncp.ResponseError, match=re.escape(message)):
        structure(body, _Palette)


def test_a_body_without_content_is_shown_in_the_excerpt() -> None:
    with pytest.raises(ncp.ResponseError) as info:
        structure_content({"contnet": {"matte": True}}, _Palette)
    assert info.value.args[0] == (
        "unexpected response body: expected an object with a 'content' field"
    )
    assert info.value.excerpt == "{'contnet': {'matte': True}}"


@attrs.frozen
class _Times:
    """A record with each ``kind`` of epoch time (no record of the library uses ``epoch_auto``
    at present)."""

    s: datetime | None = wire_field(kind="epoch_s")  # noqa: RUF009 (an attrs field)
    ms: datetime | None = wire_field(kind="epoch_ms")  # noqa: RUF009
    auto: datetime | None = wire_field(kind="epoch_auto")  # noqa: RUF009


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_epoch_times_sent_as_text_read_as_numbers() -> None:
    times = structure({"s": "1584952615", "ms": "1584952615250", "auto": "1584952615"}, _Times)
    at = datetime(2020, 3, 23, 8, 36, 55, tzinfo=UTC)
    assert times == _Times(at, at + timedelta(milliseconds=250), at)


def test_epoch_auto_reads_milliseconds_only_above_10_to_the_11() -> None:
    assert structure({"auto": 10**11}, _Times).auto == EPOCH + timedelta(seconds=10**11)
    assert structure({"auto": 10**11 + 1}, _Times).auto == EPOCH + timedelta(
        milliseconds=10**11 + 1
    )
    assert structure({"auto": -(10**11) - 1}, _Times).auto == EPOCH - timedelta(
        milliseconds=10**11 + 1
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**20, "100000000000000000000"),
        (10**400, "100000000000000000...0000000000000000000"),  # beyond a float: no OverflowError
    ],
)
def test_an_epoch_time_out_of_range_says_so(value: int, shown: str) -> None:
    message = f"unexpected response body: $.s: epoch time out of range: {shown}"
    with pytest.raises(ncp.ResponseError) as info:
        structure({"s": value}, _Times)
    assert info.value.args[0] == message


def test_a_record_list_that_is_not_an_object_is_refused_and_shown() -> None:
    body = {"content": {"recordList": ["1", "2"]}}
    with pytest.raises(ncp.ResponseError) as info:
        structure_records(body)
    assert info.value.args[0] == (
        "unexpected response body: expected 'content.recordList' to be an object keyed by record id"
    )
    assert info.value.excerpt == "{'content': {'recordList': ['1', '2']}}"


@pytest.mark.parametrize("content", [{"waiting": "x"}, [{"waiting": "x"}]])
def test_a_bad_count_of_statistics_is_named_under_content(content: Any) -> None:
    with pytest.raises(ncp.ResponseError) as info:
        structure_statistics({"content": content})
    assert info.value.args[0] == (
        "unexpected response body: $.content.waiting: expected an integer, got 'x'"
    )


def test_three_problems_are_listed_and_a_fourth_is_counted() -> None:
    three = {"matte": 1, "gloss": "high", "tint": "low"}
    listed = (
        "unexpected response body: $.matte: expected a boolean, got 1; "
        "$.gloss: expected a number, got 'high'; $.tint: expected an integer, got 'low'"
    )
    with pytest.raises(ncp.ResponseError) as info:
        structure(three, _Palette)
    assert info.value.args[0] == listed
    assert info.value.excerpt == "{'gloss': 'high', 'matte': 1, 'tint': 'low'}"  # keys sorted
    with pytest.raises(ncp.ResponseError) as info:
        structure({"shades": "DARK", **three}, _Palette)
    assert info.value.args[0] == (
        "unexpected response body: $.shades: expected an array, got text; "
        "$.matte: expected a boolean, got 1; $.gloss: expected a number, got 'high' (and 1 more)"
    )
