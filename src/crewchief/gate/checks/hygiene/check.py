"""The `hygiene` check: what a reviewer of agent output looks for first, found statically.

Stray and generated files, debug leftovers in library code, gutted functions, commented-out code,
and removed tooling configuration. Each rule looks only at what the change adds or removes, so a
repository's existing prints or stubs stay quiet."""

from __future__ import annotations

from typing import ClassVar, Literal

from crewchief.gate.analysis.pyfiles import python_changes
from crewchief.gate.change import FileChange
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.hygiene.gutted import (
    commented_code_findings,
    gutted_findings,
    unused_store_lines,
)
from crewchief.gate.checks.hygiene.jsdebug import js_leftover_findings
from crewchief.gate.checks.hygiene.leftovers import leftover_findings
from crewchief.gate.checks.hygiene.paths import is_library_module, is_test_path
from crewchief.gate.checks.hygiene.rules import NAME, RULES
from crewchief.gate.checks.hygiene.stray import stray_findings
from crewchief.gate.checks.hygiene.tooling import tooling_findings
from crewchief.gate.findings import Finding, RuleTable


def _allowed_files(ctx: CheckContext) -> list[str]:
    """New files the policy allows (globs), the task's `allow_files` (globs), and files the task's
    scope names exactly: a scope glob says where the change may go, not that whatever it adds
    there is wanted, so only an exact name counts as asking for that file."""
    allowed = list(ctx.policy.hygiene.allow)
    if ctx.task is not None:
        allowed.extend(ctx.task.allow_files)
        allowed.extend(g for g in ctx.task.scope if not any(c in g for c in "*?["))
    return allowed


def covers_gutting(path: str, test_globs: list[str]) -> bool:
    """Whether the gutted-code rules judge this file: library code and anything not a test (a
    test helper's stub is often deliberate). The quality check asks too, to leave to hygiene the
    unused variables hygiene reports."""
    return is_library_module(path, test_globs) or not is_test_path(path, test_globs)


def unused_after_delete_lines(file: FileChange, test_globs: list[str]) -> set[int]:
    """Lines of `file` storing a variable `unused-after-delete` reports."""
    if not covers_gutting(file.path, test_globs):
        return set()
    return unused_store_lines(file)


class HygieneCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "2"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        test_globs = list(ctx.policy.tests.paths)
        found = stray_findings(ctx.change, _allowed_files(ctx))
        found.extend(tooling_findings(ctx.change))
        for file in python_changes(ctx.change.files):
            library = is_library_module(file.path, test_globs)
            if library:
                found.extend(leftover_findings(file))
            if covers_gutting(file.path, test_globs):
                found.extend(gutted_findings(file))
            found.extend(commented_code_findings(file))
        found.extend(js_leftover_findings(ctx.change.files, test_globs))
        return found


CHECK = HygieneCheck()
