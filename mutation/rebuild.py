"""The pytest plugin of a mutation run: what a module builds at import time is built again, in
each test that uses it, so that it is built by the mutant under test.

mutmut 3 switches mutants per call: each function of a mutated module is a trampoline that
reads the mutant under test at every call. What a module *builds at import* escapes that: the
module is imported once, before mutmut forks a process per mutant, so a value made then by
calling the module's own functions (``_converter``'s ``_fast`` and ``_detailed`` converters and
their hook closures, its ``_KINDS`` table of epoch hooks) was made by the unmutated functions,
and a mutant in the body of such a function (or of a closure it returns) never ran: it
"survived" every test. This plugin finds those values (a module-level ``NAME = ...`` whose
right-hand side calls a function of the same module) and, before each test, puts in their place
a proxy that evaluates the same expression again at its first use in that test. In a mutant's
process that runs the mutant; in mutmut's first, instrumented run it ties the functions called
to each test that uses the value, so a mutant in them is run against those tests.

The runner copies this file to ``mutants/conftest.py`` (the root of mutmut's tree, so pytest
loads it in every run, a bare ``mutmut run <mutant>`` in a kept directory included); the
modules mutated are the files of that tree that hold mutmut's generated lines. Not handled (no
such case in the library so far): a value built at import by *another* module's function, and
a decorator applied at import.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

import pytest

#: mutmut marks each line it generates with this comment (``trampoline_templates``).
_GENERATED = "# mutmut generated"


class Lazy:
    """Evaluates ``code`` in ``namespace`` at its first use, then stands for the value: its
    attributes, items, calls, iteration, length and membership."""

    __slots__ = ("_code", "_namespace", "_value")

    def __init__(self, code: CodeType, namespace: dict[str, Any]) -> None:
        self._code = code
        self._namespace = namespace
        self._value: Any = Lazy

    def _get(self) -> Any:
        if self._value is Lazy:
            self._value = eval(self._code, self._namespace)  # the module's own expression
        return self._value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._get()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._get()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._get()(*args, **kwargs)


def built_at_import(module: ModuleType) -> list[tuple[str, CodeType]]:
    """``(name, code of its value)`` for each module-level ``name = ...`` of ``module`` whose
    value calls a function defined in the module (mutmut's generated lines left out)."""
    source = Path(module.__file__ or "").read_text("utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    functions = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or _GENERATED in lines[node.lineno - 1]:
            continue
        calls = {
            n.func.id
            for n in ast.walk(value)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        if calls & functions:
            expression = ast.Expression(body=value)
            found.append((target.id, compile(expression, module.__file__ or "?", "eval")))
    return found


_plan: list[tuple[ModuleType, str, CodeType]] | None = None


def _built() -> list[tuple[ModuleType, str, CodeType]]:
    global _plan
    if _plan is None:
        root = Path(__file__).resolve().parent
        modules = [
            importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
            for path in sorted(root.glob("ncp_media_async/**/*.py"))
            if _GENERATED in path.read_text("utf-8")
        ]
        _plan = [(m, name, code) for m in modules for name, code in built_at_import(m)]
    return _plan


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before each test (and its fixtures): a fresh ``Lazy`` for every value built at import."""
    for module, name, code in _built():
        setattr(module, name, Lazy(code, vars(module)))
