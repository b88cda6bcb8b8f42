"""The base's oracle: head's production code judged by the base's tests, whatever the change did
to them.

An agent that breaks behaviour can make its own tests agree: edit the expected value, loosen a
helper the tests import, add `--deselect` to the pytest configuration, or rewrite a conftest. The
oracle run takes every file that decides what the tests check from the base and runs the suite
on head's code with it:

- test files, conftests and test data (the policy's `[tests] paths`): reset to the base, and
  removed when the change added them (head's new tests run in the ordinary head suite);
- test helper modules, wherever they live, and test data outside the test folders: decided by
  the base's imports and string literals, never by head's (`test_support`);
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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from crewchief.gate.change import FileChange
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity.testconfig import PYTEST_FILES, pytest_source
from crewchief.gate.dynamic import test_support
from crewchief.gate.dynamic.doctests import with_base_doctests
from crewchief.gate.dynamic.runs import session
from crewchief.gate.dynamic.suite import BROKEN, PASSING, SuiteRequest, SuiteResult, run_suite
from crewchief.gate.reader import read_files_at
from crewchief.spec.globs import match_any
from crewchief.workspace.checkouts import PreparedTree

PYTEST_INI = "pytest.ini"


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
    elsewhere: list[str] = []
    for old, new in _changed_paths(ctx.change.files):
        paths = [p for p in (old, new) if p is not None]
        testish = ctx.policy.tests.base_oracle and old is not None and test_support.testish(old)
        if any(match_any(p, globs) for p in paths) or (testish and not str(old).endswith(".py")):
            _reset(overlay, restore, old, new)
        elif ctx.policy.tests.base_oracle and old is not None:
            elsewhere.append(old)
    if elsewhere:
        support = test_support.BaseSupport(repo, base, lambda p: match_any(p, globs))
        restore += support.test_helpers(elsewhere)
        restore += support.test_data(elsewhere)
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
