"""README.md runs as printed.

* Its pytest example (the block that defines a ``test_`` function) passes in a throw-away
  project, in pytest-asyncio's default strict mode with every warning an error, with the fixtures
  loaded by the package's entry point (same interpreter, nothing installed).
* Every other ```` ```python ```` block runs in a subprocess against an emulator server, with
  ``NCP_MEDIA_ENDPOINT`` and the emulator's key pair in the environment; a block that is not
  meant to run says so on its first line: ``# not run: <why>``.
* Its sample outputs of the command line have the shape of what the command prints (one
  pattern per README line: numbers and the length of runs of spaces may differ, nothing else).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from _loopback import LoopbackEmulator
from click.testing import CliRunner

from ncp_media_async.cli._app import cli
from ncp_media_async.testing import Emulator, Scenario

README = Path(__file__).resolve().parent.parent / "README.md"

# ---------------------------------------------------------------------------- the README


@attrs.frozen
class Block:
    """One fenced code block of a Markdown file."""

    lang: str
    text: str
    line: int  # of the opening fence, from 1

    @property
    def not_run(self) -> str | None:
        """Why the block is not run (its first line ``# not run: why``), or ``None``."""
        first = self.text.lstrip("\n").partition("\n")[0]
        found = re.fullmatch(r"#\s*not run\b:?\s*(.*)", first.strip())
        return None if found is None else found.group(1) or "marked not run"

    @property
    def is_pytest_example(self) -> bool:
        """The block defines a test function (it is run by pytest, not as a script)."""
        return re.search(r"^\s*(async\s+)?def test_", self.text, re.MULTILINE) is not None


def blocks(markdown: str) -> list[Block]:
    """Every fenced block, in order (``lang`` is the word after the fence, or ``""``)."""
    found = []
    pattern = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
    for match in pattern.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        found.append(Block(match.group(1), match.group(2), line))
    return found


def readme_blocks(lang: str) -> list[Block]:
    return [b for b in blocks(README.read_text(encoding="utf-8")) if b.lang == lang]


def example_files(block: Block) -> dict[str, str]:
    """The files of a pytest example: a line ``# name.py`` alone starts a file; a block without
    such lines is one test module."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in block.text.splitlines():
        named = re.fullmatch(r"#\s*([\w./-]+\.py)\s*", line)
        if named:
            current = files.setdefault(named.group(1), [])
        elif current is not None:
            current.append(line)
    if not files:
        return {"test_readme_example.py": block.text}
    return {name: "\n".join(lines).strip() + "\n" for name, lines in files.items()}


def test_block_parsing() -> None:
    text = textwrap.dedent(
        """\
        Intro.

        ```python
        # not run: needs real credentials
        print(1)
        ```

        ```sh
        ls
        ```

        ```python
        # conftest.py
        x = 1

        # test_a.py
        async def test_it(): pass
        ```
        """
    )
    found = blocks(text)
    assert [(b.lang, b.line) for b in found] == [("python", 3), ("sh", 8), ("python", 12)]
    assert found[0].not_run == "needs real credentials"
    assert found[2].not_run is None
    assert found[2].is_pytest_example and not found[0].is_pytest_example
    assert example_files(found[2]) == {
        "conftest.py": "x = 1\n",
        "test_a.py": "async def test_it(): pass\n",
    }
    assert example_files(found[0]) == {"test_readme_example.py": found[0].text}


# ----------------------------------------------------------------- subprocesses, projects


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a new shell of the user would have: none of this run's pytest or
    credential settings."""
    dropped = {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "NCLOUD_ACCESS_KEY", "NCLOUD_SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("NCP_")}
    return {**env, **extra}


def run_pytest(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``python -m pytest -W error ARGS`` in ``project`` (this interpreter); its output."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


#: pytest-asyncio (0.24 and later) warns at start-up in every project that leaves
#: ``asyncio_default_fixture_loop_scope`` unset, whatever its plugins; a user's project sets it
#: (to the value that will become pytest-asyncio's default), as this throw-away one does.
PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_readme_pytest_example_passes_in_a_fresh_project(tmp_path: Path) -> None:
    (example,) = [b for b in readme_blocks("python") if b.is_pytest_example]
    files = example_files(example)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    tests = sum(len(re.findall(r"^\s*(?:async\s+)?def test_", t, re.M)) for t in files.values())
    out = run_pytest(tmp_path)
    assert "mode=strict" in out.lower().replace("mode.strict", "strict")  # no asyncio_mode=auto
    assert re.search(rf"\b{tests} passed\b", out), out
    assert "warning" not in out.lower()


#: A ``sitecustomize`` after which the interpreter finds no ``pytest_asyncio``.
HIDE_PYTEST_ASYNCIO = textwrap.dedent(
    """\
    import importlib.machinery
    import sys


    class HidePytestAsyncio(importlib.machinery.PathFinder):
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name.partition(".")[0] == "pytest_asyncio":
                return None
            return super().find_spec(name, path, target)


    sys.meta_path[sys.meta_path.index(importlib.machinery.PathFinder)] = HidePytestAsyncio
    """
)


def test_plugin_without_pytest_asyncio_leaves_pytest_working(tmp_path: Path) -> None:
    # pytest-asyncio made unimportable, as if not installed (and its own plugin off): the
    # synchronous fixtures are there, the async ones are not defined, and the run goes on.
    # (--assert=plain: pytest's assertion rewriter would find the package on its own.)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_PYTEST_ASYNCIO)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_sync.py").write_text(
        textwrap.dedent(
            """\
            import pytest

            def test_emulator(ncp_emulator):
                assert ncp_emulator.info()["encoding_statuses"] > 0

            def test_no_async_fixtures(request):
                for name in ("ncp_client", "ncp_emulator_server"):
                    with pytest.raises(pytest.FixtureLookupError):
                        request.getfixturevalue(name)

            def test_plain():
                assert 1 + 1 == 2
            """
        )
    )
    env = clean_env(PYTHONPATH=str(site))
    out = run_pytest(project, "-p", "no:asyncio", "--assert=plain", env=env)
    assert re.search(r"\b3 passed\b", out)


# -------------------------------------------------------------------- python blocks run


@pytest.fixture
def served() -> Iterator[LoopbackEmulator]:
    """The data ``ncp-media emulator`` serves by default, fresh for each block."""
    with LoopbackEmulator(Emulator(Scenario.default(0))) as loopback:
        yield loopback


def run_block(
    block: Block, served: LoopbackEmulator, workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run a block as a script in a subprocess, pointed at the emulator by the environment
    (``NCP_MEDIA_ENDPOINT`` and the emulator's key pair)."""
    script = workdir / f"readme_line_{block.line}.py"
    script.write_text(block.text, encoding="utf-8")
    env = clean_env(
        NCP_MEDIA_ENDPOINT=served.url,
        NCP_ACCESS_KEY=served.emulator.access_key,
        NCP_SECRET_KEY=served.emulator.secret_key,
    )
    return subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", str(script)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SCRIPT_BLOCKS = [b for b in readme_blocks("python") if not b.is_pytest_example]


@pytest.mark.parametrize("block", SCRIPT_BLOCKS, ids=[f"line{b.line}" for b in SCRIPT_BLOCKS])
def test_readme_python_block_runs(block: Block, served: LoopbackEmulator, tmp_path: Path) -> None:
    if block.not_run is not None:
        pytest.skip(f"README line {block.line}: not run: {block.not_run}")
    done = run_block(block, served, tmp_path)
    assert done.returncode == 0, f"README line {block.line}:\n{done.stdout}{done.stderr}"
    assert served.emulator.stats.total_requests > 0, "the block sent nothing to the emulator"


def test_block_harness_points_a_block_at_the_emulator(
    served: LoopbackEmulator, tmp_path: Path
) -> None:
    block = Block(
        "python",
        textwrap.dedent(
            """\
            import asyncio, os
            import ncp_media_async as ncp

            async def main():
                endpoints = ncp.Endpoints.at(os.environ["NCP_MEDIA_ENDPOINT"])
                async with ncp.MediaClient(endpoints=endpoints) as client:
                    stats = await client.vod_station.status_statistics()
                    print(stats.total)

            asyncio.run(main())
            """
        ),
        1,
    )
    done = run_block(block, served, tmp_path)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(served.emulator.vod_station.encoding_statuses())
    assert served.emulator.stats.total_requests == 1
    failing = attrs.evolve(block, text="raise SystemExit('broken example')\n")
    assert run_block(failing, served, tmp_path).returncode == 1


# ------------------------------------------------------------------ sample outputs' shape

NUMBER = r"\d[\d,]*(?:\.\d+)?"


def shape(line: str) -> re.Pattern[str]:
    """A line of sample output as a pattern: every number may differ, and every run of
    spaces may have another length; everything else is as printed."""
    pieces = re.split(rf"({NUMBER}|\s+)", line.strip())
    return re.compile(
        "".join(
            NUMBER if re.fullmatch(NUMBER, p) else r"\s+" if p.isspace() else re.escape(p)
            for p in pieces
            if p
        )
    )


def sample(first_word: str) -> list[re.Pattern[str]]:
    """The patterns of the README's sample output whose first line starts with ``first_word``."""
    (block,) = [b for b in readme_blocks("") if b.text.startswith(first_word)]
    return [shape(line) for line in block.text.splitlines()]


def test_shape() -> None:
    pattern = shape("progress: imports 200/1,501 (13%), 18 failed, 199/s, elapsed 1.0s, ETA 6.5s")
    assert pattern.fullmatch("progress: imports 2/8 (25%), 0 failed, 1,234/s, elapsed 0.9s, ETA 3s")
    assert not pattern.fullmatch("progress: imports 2/8 (25%), 0 failed, 12/s, in 0.9s, ETA 3s")
    assert not pattern.fullmatch("progress: imports 2/8 (25%), 0 failed, 12/s, elapsed 0.9s")
    assert shape(" peak in flight        64").fullmatch("peak in flight  3")


def test_readme_progress_lines_have_the_shape_wait_imports_prints(tmp_path: Path) -> None:
    intermediate, final, summary = sample("progress:")
    emulator = Emulator(Scenario.empty())
    outcomes = ["COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"]
    for i, outcome in enumerate(outcomes * 2):
        emulator.media_ai.add_import("ws", "p", 100 + i, outcome=outcome, polls=1)
    # Two slow ones, polled every 0.2 s: one lands after a second (a progress line with an
    # ETA), the other later still (the last line).
    emulator.media_ai.add_import("ws", "p", 200, outcome="COMPLETED", polls=7)
    emulator.media_ai.add_import("ws", "p", 201, outcome="COMPLETED", polls=10)
    refs = [f"ws/p/{100 + i}" for i in range(8)] + ["ws/p/200", "ws/p/201", "ws/p/404"]
    with LoopbackEmulator(emulator) as served:
        result = served.invoke("wait-imports", *refs, "--interval", "0.2", "--progress", "plain")
    assert result.exit_code == 1  # some did not complete
    lines = result.stderr.splitlines()
    progress = [line for line in lines if line.startswith("progress:")]
    assert all(intermediate.fullmatch(p) or final.fullmatch(p) for p in progress), progress
    assert any(intermediate.fullmatch(p) for p in progress), progress
    assert final.fullmatch(progress[-1]), progress
    after = lines[lines.index(progress[-1]) + 1]
    assert summary.fullmatch(after), after


def test_readme_demo_summary_has_the_shape_demo_prints() -> None:
    patterns = sample("Summary")
    result = CliRunner().invoke(
        cli,
        ["demo", "--imports", "200", "--interval", "0.02", "--watch", "0", "--latency-ms", "1",
         "--ingest", "200"],
        env={"COLUMNS": None},  # a pipe: the whole table, unwrapped
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    printed = lines[lines.index("Summary") :]
    assert len(printed) == len(patterns), printed
    for pattern, line in zip(patterns, printed, strict=True):
        assert pattern.fullmatch(line), (pattern.pattern, line)
