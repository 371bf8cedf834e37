"""Runs mutmut 3 on the modules named, in a scratch copy of the project, and reports the score.

One mutation at a time: mutmut rewrites every function of the named modules into a trampoline
that can switch to any of its mutants, runs the whole suite once to learn which tests reach
which function, then re-runs, for each mutant, the tests that reach its function. A mutant is
*killed* when a test fails, *timeout* when the tests run far longer than they did unmutated
(an endless loop: caught too), *survived* when every test passes.

The run happens in a temporary copy of ``ncp_media_async/``, ``tests/``, ``pyproject.toml`` and
the README (mutmut's ``mutants/`` folder and caches never land in the work tree, and every run
starts fresh). Surviving mutants are matched against ``mutation/equivalent.toml``, where each
mutant judged equivalent (no test can tell it from the original) is recorded with one line of
why, keyed by its function and its changed lines (not by mutmut's number, which moves as code
changes). ``--markdown FILE`` updates the sections of the modules run in FILE and keeps the
others, so a run over one module does not erase another's results. """

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "ncp_media_async"
DEFAULT_MODULES = ("_signing", "pagination")
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent.toml"
#: The pytest plugin that rebuilds, in each test, what a mutated module builds at import
#: (``rebuild.py``: a mutant in a function that only ran at import would otherwise never run).
REBUILD_PLUGIN = Path(__file__).resolve().parent / "rebuild.py"
# mutmut copies the README, the examples and the docs site on into its mutants tree
# (``also_copy``): the tests run the README's blocks, the examples' workers and ``mkdocs build``.
COPIED = (PACKAGE, "tests", "pyproject.toml", "README.md", "examples", "mkdocs.yml", "docs")
#: Statuses that count as caught. Everything else (survived, no tests, suspicious, ...) is not.
CAUGHT = ("killed", "timeout")

HEADER = """\
# Mutation testing results

Produced by `python -m mutation --markdown mutation/RESULTS.md [module ...]` (see README.md
beside this file). **score** = (killed + timeout) / mutants. **equivalent** counts the surviving
mutants judged equivalent in `mutation/equivalent.toml` (each listed below with why);
**score without equivalent** leaves them out of the mutants. Each module's section comes from
the last run that included it.
"""


@dataclass(frozen=True)
class Survivor:
    """A mutant no test killed, with its diff and, if judged equivalent, why."""

    name: str
    status: str
    changed: tuple[str, ...]
    why: str | None


@dataclass(frozen=True)
class ModuleResult:
    """One module's mutants by status, and the ones that lived."""

    path: str
    counts: Counter[str]
    survivors: tuple[Survivor, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def caught(self) -> int:
        return sum(self.counts[s] for s in CAUGHT)

    @property
    def equivalent(self) -> int:
        return sum(1 for s in self.survivors if s.why is not None)

    def score(self, *, without_equivalent: bool = False) -> float:
        total = self.total - (self.equivalent if without_equivalent else 0)
        return self.caught / total if total else 1.0


def library_modules() -> list[str]:
    """Every module of the library: ``ncp_media_async/`` without ``cli/`` and ``testing/``
    (the command line and the emulator are tested as the library's users, not mutated)."""
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / PACKAGE).rglob("*.py")
        if p.relative_to(ROOT / PACKAGE).parts[0] not in ("cli", "testing")
        and p.name not in ("__init__.py", "__main__.py", "_version.py")
    )


def module_path(name: str) -> str:
    """``pagination``, ``ncp_media_async.pagination`` or ``ncp_media_async/pagination.py``
    to ``ncp_media_async/pagination.py`` (checked to exist)."""
    text = name.strip().removesuffix(".py").replace("/", ".")
    if not text.startswith(PACKAGE + "."):
        text = f"{PACKAGE}.{text}"
    path = text.replace(".", "/") + ".py"
    if not (ROOT / path).is_file():
        raise SystemExit(f"mutation: no module {path} in {ROOT}")
    return path


def function_of(mutant: str) -> str:
    """``ncp_media_async.pagination.x_last_page__mutmut_3`` to its function's key (no number)."""
    return mutant.partition("__mutmut_")[0]


def changed_lines(diff: str) -> tuple[str, ...]:
    """The removed and added lines of a unified diff, without its file headers."""
    return tuple(
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def load_judgments(path: Path = EQUIVALENT_FILE) -> dict[tuple[str, tuple[str, ...]], str]:
    """``(function, changed lines) -> why`` from ``equivalent.toml``."""
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text("utf-8"))
    return {
        (entry["function"], tuple(entry["diff"])): entry["why"]
        for entry in data.get("mutant", [])
    }


def prepare(workdir: Path) -> None:
    """Copy what the suite needs into ``workdir`` (no caches, no virtualenv), and the rebuild
    plugin to the root of mutmut's tree (``mutants/conftest.py``: mutmut adds to that folder,
    it does not empty it), where pytest loads it in every run mutmut makes."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=ignore)
        else:
            shutil.copy2(source, workdir / name)
    (workdir / "mutants").mkdir()
    shutil.copy2(REBUILD_PLUGIN, workdir / "mutants" / "conftest.py")


def kept_modules(workdir: Path) -> list[str]:
    """The modules a kept directory's run mutated (each has mutmut's ``.meta`` file)."""
    tree = workdir / "mutants"
    return sorted(str(p.relative_to(tree)).removesuffix(".meta") for p in tree.rglob("*.py.meta"))


def refresh(workdir: Path, modules: Sequence[str], jobs: int) -> None:
    """The work tree's library and tests copied over a kept directory (both copies: the source
    and mutmut's tree, but for the mutated modules), then those mutated again where they changed:
    mutmut gives the functions that changed new mutants, with no result, and keeps the results
    of the others (run from the kept directory)."""
    from mutmut import configuration
    from mutmut.__main__ import create_mutants

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    mutated = {ROOT / m for m in modules}

    def ignore_mutated(folder: str, names: list[str]) -> set[str]:
        return set(ignore(folder, names)) | {n for n in names if Path(folder) / n in mutated}

    for name in (PACKAGE, "tests"):
        shutil.copytree(ROOT / name, workdir / name, ignore=ignore, dirs_exist_ok=True)
        shutil.copytree(ROOT / name, workdir / "mutants" / name, ignore=ignore_mutated,
                        dirs_exist_ok=True)  # fmt: skip
    configuration.config().only_mutate = list(modules)
    create_mutants(jobs)


def run_mutmut(modules: Sequence[str], jobs: int, mutants: Sequence[str] = ()) -> None:
    """``mutmut run`` in the current directory, mutating only ``modules``; only ``mutants``
    (their names) when given."""
    from mutmut import configuration
    from mutmut.__main__ import cli

    configuration.config().only_mutate = list(modules)
    try:
        cli.main(["run", "--max-children", str(jobs), *mutants], standalone_mode=False)
    except SystemExit as stop:  # mutmut exits on a red clean run
        if stop.code not in (0, None):
            raise


def collect(
    modules: Sequence[str], judgments: dict[tuple[str, tuple[str, ...]], str]
) -> list[ModuleResult]:
    """Read mutmut's results for ``modules`` (run from the directory mutmut ran in)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    results = []
    for path in modules:
        data = SourceFileMutationData(path=Path(path))
        data.load()
        counts: Counter[str] = Counter()
        survivors = []
        for name, code in sorted(data.exit_code_by_key.items(), key=lambda kv: _natural(kv[0])):
            status = status_by_exit_code[code]
            counts[status] += 1
            if status not in CAUGHT:
                changed = changed_lines(get_diff_for_mutant(name, path=path))
                why = judgments.get((function_of(name), changed))
                survivors.append(Survivor(name, status, changed, why))
        results.append(ModuleResult(path, counts, tuple(survivors)))
    return results


def _natural(name: str) -> tuple[str, int]:
    function, _, number = name.partition("__mutmut_")
    return function, int(number or 0)


def section(result: ModuleResult, run: str) -> str:
    """The markdown section of one module."""
    other = result.total - result.caught - result.counts["survived"] - result.counts["no tests"]
    lines = [
        f"## {result.path}",
        "",
        run,
        "",
        "| mutants | killed | timeout | survived | no tests | other | score | equivalent "
        "| score without equivalent |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result.total} | {result.counts['killed']} | {result.counts['timeout']} "
        f"| {result.counts['survived']} | {result.counts['no tests']} | {other} "
        f"| {result.score():.1%} | {result.equivalent} "
        f"| {result.score(without_equivalent=True):.1%} |",
        "",
    ]
    if result.survivors:
        lines += ["Not killed:", ""]
    for s in result.survivors:
        verdict = f"equivalent: {s.why}" if s.why else f"**{s.status}, not judged**"
        lines += [f"- `{s.name}`: {verdict}", "  ```diff", *(f"  {c}" for c in s.changed), "  ```"]
    return "\n".join(lines).rstrip() + "\n"


_SECTION = re.compile(r"<!-- mutation:(\S+) -->\n(.*?)<!-- /mutation:\1 -->\n", re.DOTALL)


def merge(existing: str, sections: dict[str, str]) -> str:
    """``existing`` with the sections of ``sections`` replaced or added, in module order."""
    kept = {m.group(1): m.group(2) for m in _SECTION.finditer(existing)}
    kept.update(sections)
    body = "".join(
        f"<!-- mutation:{path} -->\n{text}<!-- /mutation:{path} -->\n"
        for path, text in sorted(kept.items())
    )
    return f"{HEADER}\n{body}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mutation",
        description="Mutation testing (mutmut 3) of the named modules of ncp_media_async.",
    )
    parser.add_argument(
        "modules", nargs="*", default=list(DEFAULT_MODULES),
        help=f"modules to mutate (default: {' '.join(DEFAULT_MODULES)}); "
        "'pagination', 'ncp_media_async.pagination' or 'ncp_media_async/pagination.py'",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="mutants run at once"
    )
    parser.add_argument(
        "--all", action="store_true", help="every library module (not cli/ nor testing/)"
    )
    parser.add_argument("--markdown", type=Path, help="update this results file (RESULTS.md)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument(
        "--again", type=Path, metavar="DIR",
        help="in DIR, a directory kept by --keep: copy the work tree's library and tests in and "
        "run only the mutants not caught there nor judged equivalent, and those of the "
        "functions changed since (the modules are DIR's; DIR is kept)",
    )
    args = parser.parse_args(argv)
    markdown = args.markdown.resolve() if args.markdown else None
    judgments = load_judgments()

    if args.again:
        workdir = args.again.resolve()
        modules = kept_modules(workdir)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="ncp-mutation-"))
        modules = library_modules() if args.all else [module_path(m) for m in args.modules]
    here = Path.cwd()
    try:
        if args.again:
            os.chdir(workdir)
            refresh(workdir, modules, args.jobs)
            again = [
                s.name
                for r in collect(modules, judgments)
                for s in r.survivors
                if not s.why or s.status == "not checked"
            ]
        else:
            prepare(workdir)
            os.chdir(workdir)
            again = []
        started = time.monotonic()
        if again or not args.again:
            run_mutmut(modules, args.jobs, again)
        wall = time.monotonic() - started
        results = collect(modules, judgments)
    finally:
        os.chdir(here)
        if args.keep or args.again:
            print(f"mutation: scratch directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    what = f"the {len(again)} mutants run again" if args.again else "the run"
    run = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · mutmut {version('mutmut')} · "
        f"{platform.python_implementation()} {platform.python_version()} · "
        f"{os.cpu_count()} CPUs, {args.jobs} jobs · modules in the run: "
        f"{', '.join(modules)} · wall time of {what}: {wall:.0f} s"
    )
    sections = {r.path: section(r, run) for r in results}
    print()
    print("\n".join(sections.values()))
    if markdown is not None:
        old = markdown.read_text("utf-8") if markdown.is_file() else ""
        markdown.write_text(merge(old, sections), "utf-8")
        print(f"mutation: {markdown} updated")
    unjudged = sum(1 for r in results for s in r.survivors if s.why is None)
    return 1 if unjudged else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
