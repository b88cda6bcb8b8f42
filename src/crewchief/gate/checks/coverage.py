"""Do the tests execute the lines the change added?

The project's own coverage.py measures the head test run (the same run the `tests` check judges;
crewchief's reporter plugin starts it); the check reports the share of added executable lines in
changed non-test Python files that the tests execute, each file's uncovered added lines, and a
finding when the share is under the policy's threshold. A changed file that no test imports is in
the measured source all the same, so it counts as 0% covered rather than "not measured". A test environment without coverage.py is
not the change's fault: the check is skipped and says so.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from crewchief.gate.analysis import unimported
from crewchief.gate.analysis.pyfiles import python_changes
from crewchief.gate.change import FileChange, match_any
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.dynamic.runs import NoTestCommand, head_suite, session
from crewchief.gate.dynamic.suite import SuiteResult
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint

NAME = "coverage"


def ranges(lines: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    start = prev = None
    for n in sorted(lines):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(out)


NOT_INSTALLED = "coverage not measured: coverage is not installed in the test environment"

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "coverage-unavailable",
        Severity.MEDIUM,
        "coverage.py is installed in the test environment but measured nothing",
        "run the test command under `coverage run -m pytest` by hand and fix what it reports",
    ),
    Rule(
        NAME,
        "not-measured",
        Severity.LOW,
        "a changed file the tests never imported and whose statements cannot be counted (it does "
        "not parse); a file that parses counts as 0% covered instead",
        "add a test that imports and exercises the file",
    ),
    Rule(
        NAME,
        "uncovered-lines",
        Severity.LOW,
        "added executable lines the tests do not run",
        "add tests that run these lines",
    ),
    Rule(
        NAME,
        "diff-coverage-low",
        Severity.HIGH,
        "the share of added lines the tests run is under [coverage] min_diff_coverage",
        "add tests for the new code, or lower the threshold in the base's policy",
    ),
)


def _measured_run(ctx: CheckContext) -> SuiteResult:
    """The head test run, if it measured coverage; otherwise why not, as a skip reason."""
    try:
        head = head_suite(ctx)
    except NoTestCommand:
        raise CheckSkipped("no [tests] command in the policy") from None
    if head.timed_out or head.crashed:
        raise CheckSkipped("the head test run did not complete (see the tests check)")
    if not head.is_pytest:
        raise CheckSkipped(
            "coverage not measured: the test command never started pytest, which coverage needs"
        )
    if head.coverage_state == "not-installed":
        raise CheckSkipped(f"{NOT_INSTALLED} ({head.python})")
    if head.coverage_state == "measured-by-the-command":
        raise CheckSkipped("coverage not measured: the test command measures coverage itself")
    return head


def _unimported(file: FileChange) -> list[int] | None:
    """Added statement lines of a file the tests never imported: none of them ran. None when
    the file's statements cannot be told (it does not parse)."""
    text = file.new.text if file.new is not None else None
    statements = unimported.statement_lines(text) if text is not None else None
    if statements is None:
        return None
    return sorted(file.added_line_numbers & statements)


def _file_lines(
    targets: list[FileChange], measured: dict[str, dict[str, Any]], omit: list[str]
) -> tuple[list[Finding], list[tuple[str, list[int], int]], int, int]:
    """Per changed file: its uncovered added lines (all of them for a file no test imported,
    which counts as 0% covered), or a not-measured finding when they cannot be counted; and the
    totals of added executable and covered lines. Files the base's coverage configuration omits
    are left out, as coverage.py leaves them out."""
    findings: list[Finding] = []
    per_file: list[tuple[str, list[int], int]] = []
    total = covered = 0
    for file in targets:
        if unimported.omitted(file.path, omit):
            continue
        info = measured.get(file.path)
        if info is None:
            lines = _unimported(file)
            if lines is None:
                message = "the tests never imported this file, so none of its added lines ran"
                rule = RULES["not-measured"]
                findings.append(
                    rule.finding(
                        message, path=file.path, fingerprint=fingerprint(rule.id, file.path)
                    )
                )
            elif lines:
                total += len(lines)
                per_file.append((file.path, lines, len(lines)))
            continue
        added = file.added_line_numbers
        executed = set(info.get("executed_lines", ()))
        missing = set(info.get("missing_lines", ()))
        changed = added & (executed | missing)
        uncovered = sorted(added & missing)
        total += len(changed)
        covered += len(changed) - len(uncovered)
        if uncovered:
            per_file.append((file.path, uncovered, len(changed)))
    return findings, per_file, total, covered


class CoverageCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "3"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        targets = [
            f
            for f in python_changes(ctx.change.files)
            if not match_any(f.path, ctx.policy.tests.paths) and f.added_lines
        ]
        if not targets:
            raise CheckSkipped("no added lines in non-test Python files")
        head = _measured_run(ctx)
        if head.coverage_json is None:
            rule = RULES["coverage-unavailable"]
            message = (
                f"coverage.py did not produce data ({head.coverage_state}) with {head.python}; "
                f"see {head.log}"
            )
            return [rule.finding(message, fingerprint=fingerprint(rule.id))]
        session(ctx).add_evidence(NAME, head.coverage_json)
        with open(head.coverage_json, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        omit = unimported.omit_patterns(ctx.change.context)
        findings, per_file, total, covered = _file_lines(targets, data.get("files", {}), omit)
        if total == 0:
            return findings
        return findings + self._judge(ctx, per_file, total, covered, set(data.get("files", {})))

    @staticmethod
    def _judge(
        ctx: CheckContext,
        per_file: list[tuple[str, list[int], int]],
        total: int,
        covered: int,
        measured: set[str],
    ) -> list[Finding]:
        share = 100.0 * covered / total
        wanted = ctx.policy.coverage.min_diff_coverage
        below = share < wanted
        findings = []
        for path, uncovered, executable in per_file:
            message = (
                f"{len(uncovered)} of {executable} added executable lines are not run by the "
                f"tests: lines {ranges(uncovered)}"
            )
            if path not in measured:
                message = (
                    f"no test imports this file, so it is 0% covered: none of its {executable} "
                    f"added executable lines run (lines {ranges(uncovered)})"
                )
            findings.append(
                RULES["uncovered-lines"].finding(
                    message,
                    path=path,
                    line=uncovered[0],
                    severity=Severity.MEDIUM if below else Severity.LOW,
                    fingerprint=fingerprint("uncovered-lines", path, str(len(uncovered))),
                )
            )
        if below:
            message = (
                f"the tests run {share:.0f}% of the change's added executable lines "
                f"({covered}/{total}); the policy asks for {wanted:.0f}%"
            )
            rule = RULES["diff-coverage-low"]
            findings.append(rule.finding(message, fingerprint=fingerprint(rule.id)))
        return findings


CHECK = CoverageCheck()
