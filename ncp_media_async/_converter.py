"""The one cattrs setup: JSON bodies in, frozen records out, ``ResponseError`` for anything else.

Two converters share one set of hooks. The fast one (``detailed_validation=False``, generated
per-class functions) runs on every body; only when it fails is the body structured again by the
detailed one, to explain *where* it is wrong (``$.content[3].percent: ...``). Either way the caller
sees a ``ResponseError`` with a short excerpt, never a ``KeyError`` or a cattrs traceback.

Wire quirks smoothed over here, each once for every record:

* ``"-"`` (the APIs' "no value yet") and ``null`` become ``None`` in an optional field;
* integers may arrive as strings (``"waiting": "3"``), floats as integers;
* ``kind="iso"``: ISO 8601 text, ``+0900`` offsets allowed; a time without an offset is read as
  Korea Standard Time (UTC+9), the zone the services report in;
* ``kind="epoch_s"`` / ``kind="epoch_ms"``: epoch seconds / milliseconds → aware UTC datetimes;
* ``OpenStrEnum`` subclasses keep values they do not know;
* strings must be strings: a number or an object where text belongs is an error, not ``str(x)``.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import re
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .errors import ResponseError, excerpt
from .records import ImportStatus, OpenStrEnum, Recording, StatusStatistics, VideoAssetRef

__all__ = [
    "structure",
    "structure_import_status",
    "structure_list",
    "structure_media_ai_result",
    "structure_records",
    "structure_statistics",
    "to_camel",
]

T = TypeVar("T")

KST: Final = timezone(timedelta(hours=9), "KST")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PLACEHOLDERS: Final = frozenset({"-", ""})


class _Invalid(ValueError):
    """A value of the wrong type or form (raised by the hooks below)."""


def to_camel(name: str) -> str:
    """``last_work_time`` → ``lastWorkTime``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# -- scalar hooks -----------------------------------------------------------------------------


def _str(value: Any, _: Any = None) -> str:
    if type(value) is str:
        return value
    raise _Invalid(f"expected text, got {type(value).__name__}")


def _int(value: Any, _: Any = None) -> int:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is str:
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif kind is float and value.is_integer():
        return int(value)
    raise _Invalid(f"expected an integer, got {value!r:.40}")


def _float(value: Any, _: Any = None) -> float:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if kind is str:
        try:
            return float(value)
        except ValueError:
            pass
    raise _Invalid(f"expected a number, got {value!r:.40}")


@functools.lru_cache(maxsize=4096)
def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"expected an ISO 8601 time, got {value!r:.40}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=KST)


def _iso_time(value: Any, _: Any = None) -> datetime:
    return _iso(_str(value))


def _epoch(scale: float) -> Callable[[Any, Any], datetime]:
    def hook(value: Any, _: Any = None) -> datetime:
        number = _float(value) if type(value) is not int else value
        try:
            return _EPOCH + timedelta(seconds=number / scale)
        except (OverflowError, ValueError):
            raise _Invalid(f"epoch time out of range: {value!r:.40}") from None

    return hook


_KIND_HOOKS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "iso": _iso_time,
    "epoch_s": _epoch(1),
    "epoch_ms": _epoch(1000),
    "count": _int,
}


def _optional(hook: Callable[[Any, Any], T], inner: Any = None) -> Callable[[Any, Any], T | None]:
    """``hook`` for ``inner``, with ``None``, ``"-"`` and ``""`` read as ``None``."""

    def optional(value: Any, _: Any = None) -> T | None:
        if value is None or (type(value) is str and value in _PLACEHOLDERS):
            return None
        return hook(value, inner)

    return optional


# Hand-written optional hooks for the common scalar types: one call per field instead of two on
# the hot path. Text keeps ``""`` (only ``"-"`` means "no value"); numbers and times read both
# ``"-"`` and ``""`` as ``None``.


def _opt_str(value: Any, _: Any = None) -> str | None:
    if type(value) is str:
        return None if value == "-" else value
    if value is None:
        return None
    raise _Invalid(f"expected text, got {type(value).__name__}")


def _opt_int(value: Any, _: Any = None) -> int | None:
    if type(value) is int:
        return value
    if value is None or value == "-" or value == "":
        return None
    return _int(value)


def _opt_float(value: Any, _: Any = None) -> float | None:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if value is None or value == "-" or value == "":
        return None
    return _float(value)


def _opt_iso(value: Any, _: Any = None) -> datetime | None:
    if type(value) is str and value != "-" and value != "":
        return _iso(value)
    if value is None or value == "-" or value == "":
        return None
    raise _Invalid(f"expected an ISO 8601 time, got {type(value).__name__}")


#: Keyed by the type inside ``X | None``, or by the ``kind=`` hook of a field.
_OPTIONAL_HOOKS: Final[Mapping[Any, Callable[[Any, Any], Any]]] = {
    str: _opt_str,
    int: _opt_int,
    float: _opt_float,
    datetime: _opt_iso,
    _iso_time: _opt_iso,
    _int: _opt_int,
}


def _wire_name(a: attrs.Attribute[Any]) -> str:
    """The JSON name of a record field: its ``wire=`` name, else the camelCase of its name."""
    return str(a.metadata.get("wire", to_camel(a.name)))


def _inner(optional: Any) -> Any:
    """``X`` of ``X | None``."""
    return next(t for t in get_args(optional) if t is not type(None))


def _is_optional(type_: Any) -> bool:
    origin = get_origin(type_)
    if origin is not Union and origin is not types.UnionType:
        return False
    args = get_args(type_)
    return len(args) == 2 and type(None) in args


def _enum(value: Any, cls: type[OpenStrEnum]) -> OpenStrEnum:
    member = cls._value2member_map_.get(value) if type(value) is str else None
    if member is not None:
        return member  # type: ignore[return-value]
    return cls(_str(value))  # an unknown value becomes a pseudo-member (OpenStrEnum._missing_)


# -- the exact-type fast path ------------------------------------------------------------------

_MISSING: Final = object()
_fast_sources = itertools.count()


def _exact_hook(
    cls: type[Any], fallback: Callable[[Any, Any], Any], conv: cattrs.Converter
) -> Callable[[Any, Any], Any]:
    """A structure hook for bodies that already carry exactly the expected JSON types.

    Generated once per record class. Each field is read straight off the dict and stored in the
    record's slot when its value has the exact type the wire normally uses: text that is not the
    ``"-"`` placeholder, an int, a float (or an int where a float belongs), a known enumeration
    value, ISO text, epoch integers, a nested object. Anything else (a count sent as a string,
    ``"-"``, an unknown enumeration value, a missing required field, a wrong type) makes the
    generated ``exact`` give up, and the *whole item* goes to ``fallback``, the cattrs-generated
    hook: both paths give identical records and identical errors. Storing into the slots skips
    attrs' frozen ``__init__`` (one ``object.__setattr__`` per field), which is sound because
    the records have no validators, converters or ``__attrs_post_init__``; that is checked here.
    """
    if getattr(cls, "__attrs_post_init__", None) is not None or "__slots__" not in vars(cls):
        return fallback
    ns: dict[str, Any] = {"cls": cls, "fallback": fallback, "new": object.__new__,
                          "MISSING": _MISSING, "iso": _iso}
    body = [
        "def structure(o, _=None):",
        "  r = exact(o)",
        "  return fallback(o, cls) if r is MISSING else r",  # outside exact(): errors raise once
        "def exact(o):",
        "  try:",
        "    get = o.get",
    ]
    stores = []
    for i, a in enumerate(attrs.fields(cls)):
        if a.validator is not None or a.converter is not None:
            return fallback
        ns[f"set{i}"] = getattr(cls, a.name).__set__
        if a.metadata.get("local"):
            ns[f"d{i}"] = a.default
            stores.append(f"  set{i}(r, d{i})")
            continue
        v, wire = f"v{i}", _wire_name(a)
        optional = _is_optional(a.type)
        inner = _inner(a.type) if optional else a.type
        kind = a.metadata.get("kind")
        if a.default is attrs.NOTHING:
            body.append(f"    {v} = o[{wire!r}]")
        else:
            ns[f"d{i}"] = a.default
            body.append(f"    {v} = get({wire!r}, MISSING)")
            body.append(f"    if {v} is MISSING: {v} = d{i}")
        indent = "    "
        if optional:
            body.append(f"    if {v} is not None:")
            indent = "      "
        if kind == "iso":
            check = [f"if type({v}) is not str: return MISSING", f"{v} = iso({v})"]
        elif kind in ("epoch_s", "epoch_ms"):
            ns[f"k{i}"] = _KIND_HOOKS[kind]
            check = [f"if type({v}) is not int: return MISSING", f"{v} = k{i}({v})"]
        elif kind == "count" or inner is int:
            check = [f"if type({v}) is not int: return MISSING"]
        elif inner is float:
            check = [
                f"if type({v}) is not float:",
                f"  if type({v}) is not int: return MISSING",
                f"  {v} = float({v})",
            ]
        elif inner is str:
            dash = f" or {v} == '-'" if optional else ""
            check = [f"if type({v}) is not str{dash}: return MISSING"]
        elif isinstance(inner, type) and issubclass(inner, OpenStrEnum):
            ns[f"m{i}"] = inner._value2member_map_
            check = [
                f"{v} = m{i}.get({v}) if type({v}) is str else None",
                f"if {v} is None: return MISSING",
            ]
        elif attrs.has(inner):
            ns[f"h{i}"] = conv.get_structure_hook(inner)
            check = [f"if type({v}) is not dict: return MISSING", f"{v} = h{i}({v})"]
        else:
            return fallback
        body += [indent + line for line in check]
        stores.append(f"  set{i}(r, {v})")
    body += ["  except Exception:", "    return MISSING", "  r = new(cls)", *stores, "  return r"]
    source = "\n".join(body) + "\n"
    filename = f"<ncp_media_async exact hook for {cls.__name__} #{next(_fast_sources)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)
    return ns["structure"]  # type: ignore[no-any-return]


# -- converters -------------------------------------------------------------------------------


def _configure(conv: cattrs.Converter, detailed: bool) -> cattrs.Converter:
    # By class (singledispatch, which follows the MRO): ``OpenStrEnum`` is more specific than
    # ``str``, so enum fields get the enum hook and plain text the strict text hook.
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(datetime, _iso_time)
    conv.register_structure_hook(OpenStrEnum, _enum)

    def optional_factory(type_: Any) -> Callable[[Any, Any], Any]:
        inner = _inner(type_)
        return _OPTIONAL_HOOKS.get(inner) or _optional(conv.get_structure_hook(inner), inner)

    conv.register_structure_hook_factory(_is_optional, optional_factory)

    def record_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        overrides: dict[str, Any] = {}
        for a in attrs.fields(attrs.resolve_types(cls)):  # annotations are strings until resolved
            if a.metadata.get("local"):
                overrides[a.name] = override(omit=True)
                continue
            hook = _KIND_HOOKS.get(a.metadata.get("kind", ""))
            if hook is not None and _is_optional(a.type):
                hook = _OPTIONAL_HOOKS.get(hook) or _optional(hook)
            overrides[a.name] = override(rename=_wire_name(a), struct_hook=hook)
        generated = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=False,
            _cattrs_detailed_validation=detailed,
            **overrides,
        )
        # ``resolve_types`` above made every ``a.type`` a real type for ``_exact_hook`` too.
        return generated if detailed else _exact_hook(cls, generated, conv)

    conv.register_structure_hook_factory(attrs.has, record_factory)
    return conv


_fast: Final = _configure(cattrs.Converter(detailed_validation=False), detailed=False)
_detailed: Final = _configure(cattrs.Converter(detailed_validation=True), detailed=True)


_ATTRIBUTE = re.compile(r"\.([a-z][a-z0-9_]*)")


@functools.cache
def _wire_names(type_: Any) -> Mapping[str, str]:
    """Attribute name → JSON name for a record and the records inside it (for messages)."""
    names: dict[str, str] = {}
    if attrs.has(type_):
        for a in attrs.fields(attrs.resolve_types(type_)):
            names[a.name] = _wire_name(a)
            inner = _inner(a.type) if _is_optional(a.type) else a.type
            names.update(_wire_names(inner))
    return names


def _explain(body: Any, type_: Any, path: str) -> str:
    """Why ``body`` does not structure as ``type_``, in one line, from the detailed converter.

    Paths name the JSON fields (``$.content[0].lastWorkTime``), not the Python attributes.
    """
    try:
        _detailed.structure(body, type_)
    except cattrs.BaseValidationError as exc:
        names = _wire_names(type_)
        lines = [
            _ATTRIBUTE.sub(lambda m: "." + names.get(m[1], m[1]), line)
            for line in cattrs.transform_error(exc, path=path)
        ]
        return "; ".join(lines[:3]) + (f" (and {len(lines) - 3} more)" if len(lines) > 3 else "")
    except Exception as exc:
        return f"{path}: {exc}"
    return f"{path}: unexpected value"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "null" if value is None else "a number")


def _fail(reason: str, raw: Any) -> ResponseError:
    return ResponseError(f"unexpected response body: {reason}", excerpt=excerpt(repr(raw)))


def structure(body: Any, type_: type[T], path: str = "$") -> T:
    """One record from its JSON object; ``ResponseError`` if the body does not fit."""
    if not isinstance(body, dict):
        raise _fail(f"{path}: expected an object, got {_json_type(body)}", body)
    try:
        return _fast.get_structure_hook(type_)(body, type_)  # type: ignore[no-any-return]
    except Exception:
        raise _fail(_explain(body, type_, path), body) from None


def _content(body: Any) -> Any:
    if not isinstance(body, dict) or "content" not in body:
        raise _fail("expected an object with a 'content' field", body)
    return body["content"]


def structure_list(body: Any, item_type: type[T]) -> tuple[list[T], int | None]:
    """A list page ``{"content": [...], "total": N}`` → (records, total).

    A ``total`` that is absent or ``null`` comes back as ``None``; the pager then relies on short
    pages to know the end.
    """
    content = _content(body)
    if not isinstance(content, list):
        raise _fail(f"$.content: expected an array, got {_json_type(content)}", body)
    hook = _fast.get_structure_hook(item_type)
    try:
        items = [hook(item, item_type) for item in content]
    except Exception:
        for i, item in enumerate(content):
            structure(item, item_type, f"$.content[{i}]")
        raise _fail("$.content: unexpected value", body) from None
    total = body.get("total")
    try:
        return items, None if total is None else _int(total)
    except _Invalid as exc:
        raise _fail(f"$.total: {exc}", body) from None


def structure_statistics(body: Any) -> StatusStatistics:
    """``{"content": {...}}``; the document calls ``content`` an array, so ``[{...}]`` works too."""
    content = _content(body)
    if isinstance(content, list) and len(content) == 1:
        content = content[0]
    return structure(content, StatusStatistics, "$.content")


def structure_records(body: Any) -> list[Recording]:
    """Live Station ``{"content": {"recordList": {"<id>": {...}}}}`` → recordings.

    Each recording gets its map key as ``record_id``.

    The list is a map keyed by record id, not a list; ``total`` need not match its size and is not
    used. Recordings come back in record-id order (numeric ids numerically).
    """
    content = _content(body)
    records = content.get("recordList") if isinstance(content, dict) else None
    if records is None and isinstance(content, dict):
        return []  # a channel that never recorded may leave the map out
    if not isinstance(records, dict):
        raise _fail("expected 'content.recordList' to be an object keyed by record id", body)
    ordered = sorted(records.items(), key=lambda kv: (len(kv[0]), kv[0]))
    return [
        structure(
            {**rec, "recordId": key} if isinstance(rec, dict) else rec,
            Recording,
            f"$.content.recordList[{key!r}]",
        )
        for key, rec in ordered
    ]


def structure_media_ai_result(body: Any, type_: type[T]) -> T:
    """Media AI ``{"code": "0", "message": "success", "result": {...}}`` → the result record."""
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        raise _fail("expected an object with a 'result' object", body)
    return structure(body["result"], type_, "$.result")


def structure_import_status(body: Any, asset: VideoAssetRef) -> ImportStatus:
    """A Media AI import-status body → ``ImportStatus`` carrying the ``asset`` asked about.

    ``asset`` is not on the wire. The record was just built and is not shared yet, so its slot is
    filled in place instead of copying the record with ``attrs.evolve``.
    """
    status = structure_media_ai_result(body, ImportStatus)
    object.__setattr__(status, "asset", asset)
    return status
