"""Do the tests execute the lines the change added?

coverage.py measures the head test run (the same run the `tests` check judges); the check reports
the share of added executable lines in changed non-test Python files that the tests execute, each
file's uncovered added lines, and a finding when the share is under the policy's threshold.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from crewchief.gate.analysis.pyfiles import python_changes
from crewchief.gate.change import match_any
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.dynamic.runs import NoTestCommand, head_suite, session
from crewchief.gate.findings import Finding, Severity, fingerprint

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


class CoverageCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"

    def run(self, ctx: CheckContext) -> list[Finding]:
        targets = [
            f
            for f in python_changes(ctx.change.files)
            if not match_any(f.path, ctx.policy.tests.paths) and f.added_lines
        ]
        if not targets:
            raise CheckSkipped("no added lines in non-test Python files")
        try:
            head = head_suite(ctx)
        except NoTestCommand:
            raise CheckSkipped("no [tests] command in the policy") from None
        if head.timed_out or head.crashed:
            raise CheckSkipped("the head test run did not complete (see the tests check)")
        if not head.is_pytest:
            raise CheckSkipped(
                "the test command is not pytest; coverage needs `pytest` or `python -m pytest`"
            )
        if head.coverage_json is None:
            return [
                Finding(
                    NAME,
                    "coverage-unavailable",
                    Severity.MEDIUM,
                    "coverage.py is not importable in the test environment; add it to "
                    "[tests] setup (e.g. 'pip install coverage') to measure changed lines",
                    fingerprint=fingerprint("coverage-unavailable"),
                )
            ]
        session(ctx).add_evidence(NAME, head.coverage_json)
        with open(head.coverage_json, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        measured: dict[str, dict[str, Any]] = data.get("files", {})
        findings: list[Finding] = []
        total = covered = 0
        per_file: list[tuple[str, list[int], int]] = []
        for file in targets:
            info = measured.get(file.path)
            added = file.added_line_numbers
            if info is None:
                findings.append(
                    Finding(
                        NAME,
                        "not-measured",
                        Severity.LOW,
                        "the tests never imported this file, so none of its added lines ran",
                        path=file.path,
                        fingerprint=fingerprint("not-measured", file.path),
                    )
                )
                continue
            executed = set(info.get("executed_lines", ()))
            missing = set(info.get("missing_lines", ()))
            changed = added & (executed | missing)
            uncovered = sorted(added & missing)
            total += len(changed)
            covered += len(changed) - len(uncovered)
            if uncovered:
                per_file.append((file.path, uncovered, len(changed)))
        if total == 0:
            return findings
        share = 100.0 * covered / total
        below = share < ctx.policy.coverage.min_diff_coverage
        for path, uncovered, executable in per_file:
            findings.append(
                Finding(
                    NAME,
                    "uncovered-lines",
                    Severity.MEDIUM if below else Severity.LOW,
                    f"{len(uncovered)} of {executable} added executable lines are not run by the tests: "
                    f"lines {ranges(uncovered)}",
                    path=path,
                    line=uncovered[0],
                    fingerprint=fingerprint("uncovered-lines", path, str(len(uncovered))),
                )
            )
        if below:
            findings.append(
                Finding(
                    NAME,
                    "diff-coverage-low",
                    Severity.HIGH,
                    f"the tests run {share:.0f}% of the change's added executable lines ({covered}/{total}); "
                    f"the policy asks for {ctx.policy.coverage.min_diff_coverage:.0f}%",
                    fingerprint=fingerprint("diff-coverage-low"),
                )
            )
        return findings


CHECK = CoverageCheck()
