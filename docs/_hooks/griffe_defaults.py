"""A griffe extension for the API reference, loaded by ``mkdocs.yml`` (``extensions:``).

* A parameter whose default is a module constant (``concurrency: int = POLL_CONCURRENCY``)
  shows the constant's value (``64``) in signatures and parameter tables, as a reader needs
  it; griffe itself keeps the name. A constant set to a literal (a number, a string,
  ``None``) shows it, one set to a short expression (``(READY, PUBLISHING)``) shows that;
  anything else keeps its name.
* A documented function whose docstring has no ``Args:`` section (it describes its
  parameters in prose) gets a parameter table from its signature: name, type and default,
  the prose saying what they mean.
"""

from __future__ import annotations

import ast
from typing import Any

import griffe


class ConstantDefaults(griffe.Extension):
    """Replace each parameter default that names a literal constant with its value."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for function in _functions(pkg):
            for parameter in function.parameters:
                value = _literal(pkg, parameter.default)
                if value is not None:
                    parameter.default = value
            _add_parameter_table(function)


def _add_parameter_table(function: griffe.Function) -> None:
    """A parameters section from the signature, if the docstring has none."""
    docstring = function.docstring
    shown = [p for p in function.parameters if p.name not in ("self", "cls")]
    if docstring is None or not shown or function.name.startswith("_"):
        return
    sections = docstring.parsed
    if any(isinstance(s, griffe.DocstringSectionParameters) for s in sections):
        return
    rows = [
        griffe.DocstringParameter(
            ("*" if p.kind is griffe.ParameterKind.var_positional else "**")
            + p.name if p.kind in _STARRED else p.name,
            annotation=p.annotation,
            description="",
            value=None if p.kind in _STARRED else p.default,
        )
        for p in shown
    ]
    sections.insert(1 if sections else 0, griffe.DocstringSectionParameters(rows))


_STARRED = (griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword)


def _functions(obj: griffe.Object | griffe.Alias) -> list[griffe.Function]:
    """Every function and method defined under ``obj`` (aliases, re-exports, skipped)."""
    found = []
    for member in obj.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Function):
            found.append(member)
        elif isinstance(member, griffe.Class | griffe.Module):
            found.extend(_functions(member))
    return found


def _literal(pkg: griffe.Module, default: Any, depth: int = 0) -> str | None:
    """The source of the literal value ``default`` names (following a constant set to another
    constant a few times), or ``None``."""
    if not isinstance(default, griffe.ExprName | griffe.ExprAttribute) or depth > 3:
        return None
    path = default.canonical_path
    try:
        target = pkg.modules_collection.get_member(path)
    except (KeyError, ValueError):
        return None
    if target.is_alias:
        try:
            target = target.final_target
        except griffe.AliasResolutionError:
            return None
    value = getattr(target, "value", None)
    if value is None:
        return None
    if isinstance(value, griffe.ExprName | griffe.ExprAttribute):  # another constant's name
        return _literal(pkg, value, depth + 1)
    if not isinstance(value, str):  # an expression: ``(READY, PUBLISHING)``, ``32 * 1024``
        text = str(value)
        return text if len(text) <= _LONGEST else None
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None
    return value


#: The longest expression shown in place of a constant's name (characters).
_LONGEST = 60
