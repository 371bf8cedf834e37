"""The API reference site (issue 19 item 3): built with ``mkdocs build --strict`` into a temporary
directory, its HTML has parameter tables with real default values (``64``, not
``POLL_CONCURRENCY``), the module docstrings the text points to, the fixtures' examples, and a
section per command generated from the click group itself. Skipped without the ``docs`` extra
(CI installs it); the build takes about 5 s. The fixtures' examples also run, in a throw-away
project."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from test_readme import PYTEST_INI, run_pytest

from ncp_media_async.cli._app import cli
from ncp_media_async.testing import _plugin

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("mkdocs", "mkdocstrings_handlers.python", "mkdocs_click", "griffe"):
        pytest.importorskip(module, reason="the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def section(markup: str, anchor: str) -> str:
    """The HTML from the heading with id ``anchor`` to the next heading of the same level."""
    start = markup.index(f'id="{anchor}"')
    level = markup.rfind("<h", 0, start)
    tag = markup[level : level + 3]
    end = markup.find(tag, start)
    return markup[start : end if end > 0 else None]


def test_parameters_are_tables_with_the_values_of_their_defaults(site: Path) -> None:
    reference = page(site, "reference")
    waiting = section(reference, "ncp_media_async.MediaAI.wait_for_imports")
    assert "<table>" in waiting and "<th>Default</th>" in waiting
    assert "concurrency: int = 64" in text_of(waiting).replace("\n", " ").replace("  ", " ")
    # No default shows a constant's name (= POLL_CONCURRENCY, = _defaults.TIMEOUT, = _USABLE)
    # nor the overloads' "= ...": the implementation's signature, with values.
    named = r"= (?:_defaults\.\w+|_?[A-Z][A-Z_]{3,}|\.\.\.)\s*[,)\n]"
    assert not re.findall(named, text_of(reference))
    # Google style: "Args:" is a table, not a paragraph that runs on.
    client = section(reference, "ncp_media_async.MediaClient")
    assert "<th>Default</th>" in client and "Args:" not in text_of(client)
    credentials = text_of(section(reference, "ncp_media_async.Credentials"))
    assert "~/.ncloud/configure" in credentials


def test_the_module_docstrings_the_text_points_to_are_in_the_site(site: Path) -> None:
    reference = page(site, "reference")
    for module in ("pagination", "polling", "media_ai"):
        assert f'id="ncp_media_async.{module}"' in reference, module


def test_every_command_has_a_section_generated_from_the_cli(site: Path) -> None:
    commands = page(site, "cli")

    def names(group: click.Group, prefix: str) -> Iterator[str]:
        for name, command in group.commands.items():
            yield f"{prefix}-{name}"
            if isinstance(command, click.Group):
                yield from names(command, f"{prefix}-{name}")

    anchors = list(names(cli, "ncp-media"))
    assert len(anchors) > 20
    for anchor in anchors:
        assert f'id="{anchor}"' in commands, anchor
    assert "--secret-key" in text_of(commands) and "<table>" in commands  # the options
    assert "_commands" not in commands and "_params" not in commands  # no private modules
    for name in ("cli", "testing"):
        assert "<p>::</p>" not in page(site, name), name


def test_the_fixtures_have_examples_in_the_site(site: Path) -> None:
    testing = text_of(page(site, "testing"))
    assert "async def test_statistics(ncp_client):" in testing
    assert "def ncp_scenario() -> Scenario:" in testing


def fixture_examples() -> dict[str, str]:
    """The fenced Python blocks of the fixtures' docstrings: the ``ncp_scenario`` one is a
    ``conftest.py``, the others test modules."""
    files: dict[str, str] = {}
    for name in ("ncp_scenario", "ncp_emulator", "ncp_emulator_server", "ncp_client"):
        doc = getattr(_plugin, name).__doc__ or ""
        (code,) = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)
        files["conftest.py" if name == "ncp_scenario" else f"test_{name}.py"] = (
            textwrap.dedent(code)
        )
    return files


def test_the_fixtures_examples_pass(tmp_path: Path) -> None:
    pytest.importorskip("pytest_asyncio")
    for name, code in fixture_examples().items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(PYTEST_INI + "asyncio_mode = auto\n", encoding="utf-8")
    out = run_pytest(tmp_path, "-q")
    assert "3 passed" in out
