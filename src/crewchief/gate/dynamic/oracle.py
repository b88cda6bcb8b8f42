"""The base's oracle: head's production code judged by the base's tests, whatever the change did
to them.

An agent that breaks behaviour can make its own tests agree: edit the expected value, loosen a
helper the tests import, add `--deselect` to the pytest configuration, or rewrite a conftest. The
oracle run takes every file that decides what the tests check from the base and runs the suite
on head's code with it:

- test files, conftests and test data (the policy's `[tests] paths`): reset to the base, and
  removed when the change added them (head's new tests run in the ordinary head suite);
- test helper modules, wherever they live: a changed `.py` file whose name says it serves tests
  (`testing.py`, `calc_testing.py`, `fixtures/`, `_test_utils.py`) that the base's tests import
  and no production module does;
- data files under a folder named for tests or fixtures (`testdata/`, `fixtures/`);
- pytest's configuration: `pytest.ini` is restored, and when the section pytest reads
  (`[tool.pytest.ini_options]`, tox.ini's `[pytest]`, setup.cfg's `[tool:pytest]`) differs from
  the base's, the base's section is written as a `pytest.ini`, which pytest reads before any other
  file. The rest of pyproject.toml or setup.cfg (dependencies, metadata) stays head's.

A change that touches none of these runs no extra suite: head's suite already is the base's
oracle. Doctests are tests too: a production module whose docstring examples the change edited
runs with the base's docstrings put back (`doctests`), so the base's examples judge head's code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from crewchief import git
from crewchief.gate.change import FileChange
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity.testconfig import PYTEST_FILES, pytest_source
from crewchief.gate.dynamic.doctests import with_base_doctests
from crewchief.gate.dynamic.runs import session
from crewchief.gate.dynamic.suite import BROKEN, PASSING, SuiteRequest, SuiteResult, run_suite
from crewchief.gate.reader import read_files_at
from crewchief.spec.globs import match_any
from crewchief.workspace.checkouts import PreparedTree

PYTEST_INI = "pytest.ini"

_TESTISH = frozenset(
    {
        "test",
        "tests",
        "testing",
        "testutil",
        "testutils",
        "testdata",
        "fixture",
        "fixtures",
        "mock",
        "mocks",
        "fake",
        "fakes",
        "stub",
        "stubs",
        "conftest",
    }
)
"""Words that name a folder or module as serving tests (`calc_testing`, `_test_utils`)."""


def _testish(path: str) -> bool:
    """A path component (folder or module stem) with a word that names it for tests."""
    parts = PurePosixPath(path).parts
    stems = [*parts[:-1], PurePosixPath(parts[-1]).stem] if parts else []
    return any(
        word in _TESTISH for part in stems for word in re.split(r"[_\-.]+", part.lower()) if word
    )


def collection_failed(entry: str, result: SuiteResult) -> bool:
    """Whether pytest could not collect the file (or a folder above it) that holds the entry: an
    import error in the test module is the entry failing, the usual shape of a fail-to-pass test
    that imports a name only the fix adds."""
    return any(
        error and (entry == error or entry.startswith((error + "::", error + "/")))
        for error in result.collect_errors
    )


@dataclass(frozen=True)
class OracleRun:
    """The base suite, and the suite run with the base's oracle on head's code."""

    base: SuiteResult
    head: SuiteResult
    restored: tuple[str, ...]
    """Files the oracle tree takes from the base (or drops, when the change added them)."""
    tree: PreparedTree
    task_files: tuple[str, ...] = ()
    """Test files the task ships its own version of in this run (acceptance's pass-to-pass)."""

    @property
    def ran(self) -> bool:
        """pytest ran the base's tests, even if none of their modules collected on head's code
        (a suite whose only output is collection errors reads as crashed elsewhere)."""
        head = self.head
        if not head.is_pytest:
            return False
        return not head.crashed or (head.exit_code == 1 and bool(head.collect_errors))

    def outcome(self, test: str) -> str | None:
        """The test's outcome in the oracle run; a module that no longer collects is an error."""
        found = self.head.outcomes.get(test)
        return found or ("error" if collection_failed(test, self.head) else None)

    def broken(self) -> list[str]:
        """Tests that pass at base and fail or error on head's code with the base's oracle."""
        return [
            test
            for test, before in self.base.outcomes.items()
            if before in PASSING and self.outcome(test) in BROKEN
        ]


def _changed_paths(files: Sequence[FileChange]) -> list[tuple[str | None, str | None]]:
    return [(f.old.path if f.old else None, f.new.path if f.new else None) for f in files]


def _reset(
    overlay: dict[str, bytes | None], restore: list[str], old: str | None, new: str | None
) -> None:
    """Take `old` from the base and drop `new` when the change put a file there."""
    if old is not None:
        restore.append(old)
    if new is not None and new != old:
        overlay[new] = None


def oracle_overlay(ctx: CheckContext) -> dict[str, bytes | None]:
    """The files that make head's tree run the base's oracle (see the module's note)."""
    ws = session(ctx)
    repo, base = ws.checkouts.repo, ws.base
    globs = ctx.policy.tests.paths
    overlay: dict[str, bytes | None] = {}
    restore: list[str] = []
    helper_candidates: list[str] = []
    for old, new in _changed_paths(ctx.change.files):
        paths = [p for p in (old, new) if p is not None]
        testish = ctx.policy.tests.base_oracle and old is not None and _testish(old)
        if any(match_any(p, globs) for p in paths) or (testish and not str(old).endswith(".py")):
            _reset(overlay, restore, old, new)
        elif testish and old is not None:
            helper_candidates.append(old)
    helpers = [p for p in helper_candidates if _is_test_helper(ctx, p)]
    for path in helpers:
        restore.append(path)
    if restore:
        overlay.update(read_files_at(repo, base, sorted(set(restore))))
    if ctx.policy.tests.base_oracle:
        overlay.update(_pytest_config_overlay(ctx))
        overlay.update(_doctest_overlay(ctx, set(overlay)))
    return overlay


def _doctest_overlay(ctx: CheckContext, taken: set[str]) -> dict[str, bytes | None]:
    """Changed production modules whose docstring examples changed, with the base's put back."""
    out: dict[str, bytes | None] = {}
    for f in ctx.change.files:
        if f.old is None or f.new is None or f.new.path in taken:
            continue
        if not f.new.path.endswith(".py") or f.old.data is None or f.new.data is None:
            continue
        rewritten = with_base_doctests(f.old.data, f.new.data)
        if rewritten is not None:
            out[f.new.path] = rewritten
    return out


def _importers(ctx: CheckContext, name: str) -> list[str]:
    """Python files at the base with an import line naming `name` (a cheap first cut:
    `_imports_module` decides)."""
    ws = session(ctx)
    pattern = rf"^\s*(from|import)\s[^#]*\b{re.escape(name)}\b"
    out = git.run(
        ws.checkouts.repo, "grep", "-l", "-E", "-e", pattern, ws.base, "--", "*.py", check=False
    )
    prefix = f"{ws.base}:"
    return [line.removeprefix(prefix) for line in out.text().splitlines() if line.strip()]


def _dotted(path: str) -> list[str]:
    """The module names a file may be imported by: each dotted suffix of its path
    (`src/calc/testing.py`: `testing`, `calc.testing`, `src.calc.testing`)."""
    pure = PurePosixPath(path)
    parts = [*pure.parent.parts, *(() if pure.stem == "__init__" else (pure.stem,))]
    return [".".join(parts[i:]) for i in range(len(parts))]


def _imported(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every module an import statement may load, with relative imports resolved by path."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    module = node.module or ""
    if node.level:
        package = list(PurePosixPath(importer).parent.parts)
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        module = ".".join([*package, *([module] if module else [])])
    return [module, *(f"{module}.{a.name}" if module else a.name for a in node.names)]


def _imports_module(importer: str, data: bytes | None, path: str) -> bool:
    """Whether the file at `importer` imports the module at `path` (or one inside it)."""
    try:
        tree = ast.parse(data or b"")
    except (SyntaxError, ValueError, RecursionError):
        return False
    names = _dotted(path)
    full = names[0] if names else ""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        relative = isinstance(node, ast.ImportFrom) and node.level > 0
        for module in _imported(importer, node):
            wanted = [full] if relative else names
            if any(module == n or module.startswith(n + ".") for n in wanted):
                return True
    return False


def _is_test_helper(ctx: CheckContext, path: str) -> bool:
    """A test-named module the base's tests import and no production module does."""
    pure = PurePosixPath(path)
    name = pure.parent.name if pure.name == "__init__.py" else pure.stem
    if not name.isidentifier():
        return False
    candidates = [p for p in _importers(ctx, name) if p != path]
    ws = session(ctx)
    sources = read_files_at(ws.checkouts.repo, ws.base, candidates) if candidates else {}
    importers = [p for p in candidates if _imports_module(p, sources.get(p), path)]
    from_tests = [p for p in importers if match_any(p, ctx.policy.tests.paths)]
    from_code = [p for p in importers if not match_any(p, ctx.policy.tests.paths)]
    return bool(from_tests) and not from_code


def _ini_value(value: Any) -> str:
    """A TOML value as pytest reads it from an ini file (lists one item per line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "".join(f"\n    {item}" for item in value)
    return str(value).strip()


def pytest_config(files: dict[str, bytes | None]) -> tuple[str, dict[str, str]] | None:
    """The file pytest takes its settings from at the rootdir, and the settings as ini values."""
    found = pytest_source(files)
    if found is None:
        return None
    return found[0], {str(k): _ini_value(v) for k, v in found[1].items()}


def render_pytest_ini(options: dict[str, str]) -> bytes:
    lines = [
        "# The base's pytest settings, written by crewchief for the base-oracle run.",
        "[pytest]",
    ]
    lines += [f"{key} = {value}" for key, value in options.items()]
    return ("\n".join(lines) + "\n").encode()


def _pytest_config_overlay(ctx: CheckContext) -> dict[str, bytes | None]:
    """A pytest.ini with the base's settings when the settings pytest reads changed."""
    changed = {p for pair in _changed_paths(ctx.change.files) for p in pair if p in PYTEST_FILES}
    if not changed:
        return {}
    ws = session(ctx)
    repo = ws.checkouts.repo
    before = pytest_config(read_files_at(repo, ws.base, list(PYTEST_FILES)))
    after = pytest_config(read_files_at(repo, ws.head, list(PYTEST_FILES)))
    if before == after:
        return {}
    overlay: dict[str, bytes | None] = {PYTEST_INI: None, ".pytest.ini": None}
    if before is not None and before[0] in (PYTEST_INI, ".pytest.ini"):
        overlay.update(read_files_at(repo, ws.base, [before[0]]))
    else:
        overlay[PYTEST_INI] = render_pytest_ini(before[1] if before else {})
    return overlay


def _selection(overlay: dict[str, bytes | None]) -> list[str] | None:
    """When the oracle takes only test modules from the base, just those need to run (a large
    suite costs one more run of a few files, not of everything); an empty list when the change
    only added test modules, which no base test depends on. None: anything else (a conftest, a
    helper, data, settings, doctests) may touch any test, so the whole suite runs."""
    for path in overlay:
        name = PurePosixPath(path).name
        if not (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))):
            return None
    return sorted(path for path, data in overlay.items() if data is not None)


def base_oracle(ctx: CheckContext, base: SuiteResult) -> OracleRun | None:
    """The suite with the base's oracle on head's code, once per gate; None when the change
    touched nothing the oracle takes from the base (head's own suite is then that run)."""
    ws = session(ctx)

    def compute() -> OracleRun | None:
        overlay = oracle_overlay(ctx) if ctx.policy.tests.base_oracle else {}
        selected = _selection(overlay)
        if not overlay or selected == []:
            return None
        tree = ws.checkouts.checkout(ws.head, overlay, label="tests-oracle")
        request = SuiteRequest(
            ctx.policy.tests.command or "",
            extra_args=selected or (),
            timeout=ctx.policy.tests.timeout_s,
            label="tests-oracle",
            env={"PYTEST_ADDOPTS": "--continue-on-collection-errors"},
        )
        head = run_suite(ws.checkouts, tree, request)
        return OracleRun(base, head, tuple(sorted(overlay)), tree)

    result: OracleRun | None = ws.once("base-oracle", compute)
    return result
