"""Does the head still pass the tests the base passed?

Runs the policy's test command at head in its own worktree and compares per-test outcomes with the
base (cached by tree id). A test that passed at base and fails, errors or is skipped at head blocks;
failures are re-run once, and a test that then passes is labelled flaky, recorded, and does not
block. A test that disappeared is reported (test-integrity says why); a new test that fails blocks.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.dynamic.runs import NoTestCommand, base_suite, head_suite, prepared, session
from crewchief.gate.dynamic.suite import (
    BROKEN,
    NOT_RUN,
    PASSING,
    SuiteRequest,
    SuiteResult,
    run_suite,
)
from crewchief.gate.findings import Finding, Severity, fingerprint

NAME = "tests"
MAX_LISTED = 20


def _finding(
    rule: str,
    severity: Severity,
    message: str,
    *,
    blocking: bool,
    test: str = "",
    path: str | None = None,
) -> Finding:
    return Finding(
        NAME,
        rule,
        severity,
        message,
        path=path,
        blocking=blocking,
        fingerprint=fingerprint(rule, test),
    )


def _path_of(nodeid: str) -> str | None:
    head = nodeid.split("::", 1)[0]
    return head if head.endswith(".py") else None


def suite_problem(result: SuiteResult, side: str) -> Finding | None:
    """A finding when the suite could not run at all, else None."""
    if result.timed_out:
        return _finding(
            "tests-timeout",
            Severity.HIGH,
            f"the test suite timed out at {side} and was killed; see {result.log}",
            blocking=side == "head",
        )
    if result.crashed:
        errors = ", ".join(result.collect_errors[:5]) or f"exit code {result.exit_code}"
        return _finding(
            "tests-error",
            Severity.HIGH,
            f"the test suite could not run at {side} ({errors}); see {result.log}",
            blocking=side == "head",
        )
    return None


def compare(base: SuiteResult, head: SuiteResult, flaky: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    regressed = []
    for test, before in base.outcomes.items():
        after = head.outcomes.get(test)
        if before not in PASSING:
            continue
        if after is None:
            findings.append(
                _finding(
                    "test-disappeared",
                    Severity.MEDIUM,
                    f"{test} passed at base and did not run at head",
                    blocking=False,
                    test=test,
                    path=_path_of(test),
                )
            )
        elif after in BROKEN and test in flaky:
            findings.append(
                _finding(
                    "flaky-test",
                    Severity.LOW,
                    f"{test} failed at head, then passed on a re-run: flaky, "
                    "not counted against the change",
                    blocking=False,
                    test=test,
                    path=_path_of(test),
                )
            )
        elif after in BROKEN:
            regressed.append(test)
            findings.append(
                _finding(
                    "test-regressed",
                    Severity.HIGH,
                    f"{test} passed at base and {after} at head",
                    blocking=True,
                    test=test,
                    path=_path_of(test),
                )
            )
        elif after in NOT_RUN:
            findings.append(
                _finding(
                    "test-skipped-at-head",
                    Severity.HIGH,
                    f"{test} passed at base and is {after} at head",
                    blocking=True,
                    test=test,
                    path=_path_of(test),
                )
            )
    for test, after in head.outcomes.items():
        if test not in base.outcomes and after in BROKEN and test not in flaky:
            findings.append(
                _finding(
                    "new-test-failing",
                    Severity.HIGH,
                    f"{test} is new and {after} at head",
                    blocking=True,
                    test=test,
                    path=_path_of(test),
                )
            )
    if head.is_pytest and head.exit_code == 5 and base.outcomes:
        findings.append(
            _finding(
                "no-tests-collected",
                Severity.HIGH,
                "pytest collected no tests at head, but did at base",
                blocking=True,
            )
        )
    return findings


class TestsCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"

    def run(self, ctx: CheckContext) -> list[Finding]:
        ws = session(ctx)
        try:
            base = base_suite(ctx)
            head = head_suite(ctx)
        except NoTestCommand:
            raise CheckSkipped("no [tests] command in the policy") from None
        ws.add_evidence(NAME, head.log)
        ws.add_evidence(NAME, base.log)
        problem = suite_problem(head, "head")
        if problem:
            return [problem]
        findings: list[Finding] = []
        base_problem = suite_problem(base, "base")
        if base_problem:
            findings.append(base_problem)
        if not head.is_pytest:
            if (
                base.outcomes
                and all(v in PASSING for v in base.outcomes.values())
                and not all(v in PASSING for v in head.outcomes.values())
            ):
                findings.append(
                    _finding(
                        "tests-failed",
                        Severity.HIGH,
                        f"the test command passed at base and fails at head "
                        f"(exit {head.exit_code}); see {head.log}",
                        blocking=True,
                    )
                )
            return findings
        if head.exit_code == 5 and not base.outcomes:
            findings.append(
                _finding(
                    "no-tests",
                    Severity.MEDIUM,
                    "the test command collected no tests at base or head: "
                    "nothing checks this change's behaviour",
                    blocking=False,
                )
            )
        suspects = [t for t, v in head.outcomes.items() if v in BROKEN]
        flaky = self._rerun(ctx, suspects) if suspects else set()
        findings.extend(compare(base, head, flaky))
        return findings

    @staticmethod
    def _rerun(ctx: CheckContext, tests: list[str]) -> set[str]:
        """Re-run failing tests once; those that pass now are flaky."""
        ws = session(ctx)
        command = ctx.policy.tests.command or ""
        env = prepared(ctx, "head")
        selected = tests[:200]
        result = run_suite(
            ws.checkouts,
            env,
            SuiteRequest(
                command,
                extra_args=selected,
                timeout=ctx.policy.tests.timeout_s,
                label="tests-head-rerun",
            ),
        )
        ws.add_evidence(NAME, result.log)
        return {t for t in selected if result.outcomes.get(t) in PASSING}


CHECK = TestsCheck()
