"""Does the head still pass the tests the base passed?

Runs the policy's test command at head in its own worktree and compares per-test outcomes with the
base (cached by tree id). A test that passed at base and fails, errors or is skipped at head blocks;
failures are re-run once, and a test that then passes is labelled flaky, recorded, and does not
block. A test that disappeared is reported (test-integrity says why); a new test that fails blocks.
A suite that cannot start at base and at head the same way is a configuration problem: one
`test-config-broken` finding, for review, never a block. An info finding names the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.dynamic.config import NO_TESTS, same_start_failure
from crewchief.gate.dynamic.evidence import RULE_ID as EVIDENCE
from crewchief.gate.dynamic.evidence import evidence_rule
from crewchief.gate.dynamic.oracle import base_oracle
from crewchief.gate.dynamic.runs import (
    NoTestCommand,
    base_suite,
    head_suite,
    prepared,
    session,
    superseded,
    task_replaced_files,
)
from crewchief.gate.dynamic.suite import (
    BROKEN,
    NOT_RUN,
    PASSING,
    SuiteRequest,
    SuiteResult,
    run_suite,
)
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.workspace.checkouts import PreparedTree

NAME = "tests"
MAX_LISTED = 20


RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "tests-timeout",
        Severity.HIGH,
        "the test suite ran past [tests] timeout_s and was killed",
        "find the test that hangs (the log's last lines) or raise [tests] timeout_s",
        blocking=True,
    ),
    Rule(
        NAME,
        "tests-error",
        Severity.HIGH,
        "the test suite could not run (pytest interrupted, a usage or internal error)",
        "run the test command at head and fix what stops it from collecting or starting",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-config-broken",
        Severity.MEDIUM,
        "the suite fails to start at base and at head the same way: the configuration is broken",
        "fix the test environment ([tests] python, setup, command) so the base's tests run",
    ),
    Rule(
        NAME,
        "test-environment",
        Severity.INFO,
        "which interpreter ran the tests, and how it was found",
        "set [tests] python if it is not the project's environment",
    ),
    Rule(
        NAME,
        "test-disappeared",
        Severity.MEDIUM,
        "a test that passed at base did not run at head",
        "restore the test, or explain why it no longer applies (test-integrity says how it went)",
    ),
    Rule(
        NAME,
        "flaky-test",
        Severity.LOW,
        "a test failed at head and passed on a re-run",
        "make the test deterministic",
    ),
    Rule(
        NAME,
        "test-regressed",
        Severity.HIGH,
        "a test that passed at base fails or errors at head",
        "fix the change so the test passes again",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-skipped-at-head",
        Severity.HIGH,
        "a test that passed at base is skipped at head",
        "remove the skip, or fix what makes the test skip itself",
        blocking=True,
    ),
    Rule(
        NAME,
        "new-test-failing",
        Severity.HIGH,
        "a test the change added fails at head",
        "fix the code or the new test",
        blocking=True,
    ),
    Rule(
        NAME,
        "no-tests-collected",
        Severity.HIGH,
        "pytest collected no tests at head but did at base",
        "restore the tests, or the configuration that collects them",
        blocking=True,
    ),
    Rule(
        NAME,
        "tests-failed",
        Severity.HIGH,
        "a non-pytest test command passed at base and fails at head",
        "fix the change so the command passes again",
        blocking=True,
    ),
    Rule(
        NAME,
        "replaced-by-task",
        Severity.INFO,
        "tests that passed at base fail at head in a file the task ships its own version of: the "
        "task changed them, and the acceptance check judges them in that version",
        "nothing to do; the acceptance check's pass-to-pass and fail-to-pass results count",
    ),
    Rule(
        NAME,
        "base-tests-broken",
        Severity.HIGH,
        "a test that passes at base fails on head's code when run with the base's own tests, "
        "conftests, helpers and pytest settings: the change broke behaviour, and its edits to "
        "the tests hide it",
        "fix the code so the base's test passes again; if the behaviour was meant to change, say "
        "so in a task (supersedes) and review the test's new version",
        blocking=True,
    ),
    Rule(
        NAME,
        "base-oracle-error",
        Severity.HIGH,
        "the base's tests could not run against head's code, so the change's edits to the tests "
        "could not be checked against the base's oracle",
        "read the oracle run's log: a reorganised test layout needs a human to confirm no tested "
        "behaviour was lost",
    ),
    Rule(
        NAME,
        "superseded-by-task",
        Severity.INFO,
        "tests that passed at base fail at head, and the task says its objective changes them "
        "(supersedes)",
        "nothing to do if the task is right; its acceptance entries judge the new behaviour",
    ),
    Rule(
        NAME,
        "no-tests",
        Severity.MEDIUM,
        "the test command collected no tests at base or head",
        "add tests, or fix the [tests] command so it finds them",
    ),
    evidence_rule(NAME),
)


def _path_of(nodeid: str) -> str | None:
    head = nodeid.split("::", 1)[0]
    return head if head.endswith(".py") else None


def _test_finding(rule: str, message: str, test: str) -> Finding:
    return RULES[rule].finding(message, path=_path_of(test), fingerprint=fingerprint(rule, test))


def _plain(rule: str, message: str, *, blocking: bool | None = None) -> Finding:
    return RULES[rule].finding(message, fingerprint=fingerprint(rule, ""), blocking=blocking)


def suite_problem(result: SuiteResult, side: str) -> Finding | None:
    """A finding when the suite could not run at all, else None; it blocks only at head."""
    if result.timed_out:
        message = f"the test suite timed out at {side} and was killed; see {result.log}"
        return _plain("tests-timeout", message, blocking=side == "head")
    if result.crashed:
        errors = (
            result.start_error
            or ", ".join(result.collect_errors[:5])
            or f"exit code {result.exit_code}"
        )
        message = f"the test suite could not run at {side} ({errors}); see {result.log}"
        return _plain("tests-error", message, blocking=side == "head")
    return None


def config_problem(base: SuiteResult, head: SuiteResult) -> Finding | None:
    """One fix-the-configuration finding when base and head fail to start the same way."""
    failure = same_start_failure(base, head)
    if failure is None:
        return None
    if failure.cause == NO_TESTS and not base.collect_errors:
        return _plain(
            "no-tests",
            "the test command collected no tests at base or head: "
            "nothing checks this change's behaviour",
        )
    return _plain("test-config-broken", failure.message(head.python))


@dataclass(frozen=True)
class Expected:
    """What the change and its task say about tests before they are compared: tests that are
    flaky, files the task ships its own version of, tests it supersedes, and renamed files."""

    flaky: frozenset[str] = frozenset()
    replaced: frozenset[str] = frozenset()
    supersedes: Callable[[str], bool] = field(default=lambda test: False)
    renames: Mapping[str, str] = field(default_factory=dict)

    def at_head(self, test: str, head: SuiteResult) -> str | None:
        """The test's outcome at head, following its file through a rename."""
        after = head.outcomes.get(test)
        path, _, rest = test.partition("::")
        if after is None and path in self.renames and rest:
            after = head.outcomes.get(f"{self.renames[path]}::{rest}")
        return after


def compare(base: SuiteResult, head: SuiteResult, expected: Expected) -> list[Finding]:
    findings: list[Finding] = []
    set_aside: dict[tuple[str, str], list[str]] = {}
    for test, before in base.outcomes.items():
        after = expected.at_head(test, head)
        if before not in PASSING or after in PASSING:
            continue
        if _path_of(test) in expected.replaced:
            set_aside.setdefault(("replaced-by-task", str(_path_of(test))), []).append(test)
        elif expected.supersedes(test):
            set_aside.setdefault(("superseded-by-task", str(_path_of(test))), []).append(test)
        else:
            findings.extend(_lost(test, after, expected.flaky))
    for test, after in head.outcomes.items():
        if test not in base.outcomes and after in BROKEN and test not in expected.flaky:
            message = f"{test} is new and {after} at head"
            findings.append(_test_finding("new-test-failing", message, test))
    for (rule, path), tests in sorted(set_aside.items()):
        findings.append(_set_aside(rule, path, tests))
    if head.is_pytest and head.exit_code == 5 and base.outcomes:
        message = "pytest collected no tests at head, but did at base"
        findings.append(_plain("no-tests-collected", message))
    return findings


def _lost(test: str, after: str | None, flaky: frozenset[str]) -> list[Finding]:
    """A test that passed at base and does not pass at head."""
    if after is None:
        message = f"{test} passed at base and did not run at head"
        return [_test_finding("test-disappeared", message, test)]
    if after in BROKEN and test in flaky:
        message = (
            f"{test} failed at head, then passed on a re-run: flaky, not counted against the change"
        )
        return [_test_finding("flaky-test", message, test)]
    if after in BROKEN:
        return [_test_finding("test-regressed", f"{test} passed at base and {after} at head", test)]
    if after in NOT_RUN:
        message = f"{test} passed at base and is {after} at head"
        return [_test_finding("test-skipped-at-head", message, test)]
    return []


def _set_aside(rule: str, path: str, tests: list[str]) -> Finding:
    listed = ", ".join(t.split("::", 1)[1] for t in tests[:MAX_LISTED])
    why = (
        "the task ships its own version of this file, and the acceptance check judges them in it"
        if rule == "replaced-by-task"
        else "the task supersedes them (its objective changes what they pin), and its "
        "acceptance entries judge the new behaviour"
    )
    message = f"{len(tests)} test(s) in {path} passed at base and not at head ({listed}); {why}"
    return _test_finding(rule, message, path)


def _command_findings(base: SuiteResult, head: SuiteResult) -> list[Finding]:
    """A command that never started pytest is one pseudo-test: did it pass at base only?"""
    if (
        base.outcomes
        and all(v in PASSING for v in base.outcomes.values())
        and not all(v in PASSING for v in head.outcomes.values())
    ):
        message = (
            f"the test command passed at base and fails at head "
            f"(exit {head.exit_code}); see {head.log}"
        )
        return [_plain("tests-failed", message)]
    return []


def expected(ctx: CheckContext, flaky: set[str]) -> Expected:
    renames = {
        f.old.path: f.new.path
        for f in ctx.change.files
        if f.old is not None and f.new is not None and f.old.path != f.new.path
    }
    return Expected(
        frozenset(flaky),
        task_replaced_files(ctx),
        lambda test: superseded(ctx, test),
        renames,
    )


def _acceptance_judges(ctx: CheckContext) -> bool:
    """The acceptance check runs the base's tests on head itself (pass-to-pass, with the task's
    own tests laid over them), so this check need not run them a second time."""
    task = ctx.task
    return (
        task is not None
        and "acceptance" in ctx.running
        and bool(task.acceptance or task.acceptance_existing)
    )


class TestsCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "2"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        ws = session(ctx)
        try:
            base = base_suite(ctx)
            head = head_suite(ctx)
        except NoTestCommand:
            raise CheckSkipped("no [tests] command in the policy") from None
        ws.add_evidence(NAME, head.log)
        ws.add_evidence(NAME, base.log)
        environment = _plain(
            "test-environment",
            f"test environment: {head.python or 'unknown'}; `{ctx.policy.tests.command}` ran "
            "with it activated (its python and tools first on PATH)",
        )
        return [*self._judge(ctx, base, head), environment]

    def _judge(self, ctx: CheckContext, base: SuiteResult, head: SuiteResult) -> list[Finding]:
        config = config_problem(base, head)
        if config is not None:
            return [config]
        problem = suite_problem(head, "head")
        if problem:
            return [problem]
        findings: list[Finding] = []
        if head.inconsistent:
            message = f"at head, {head.inconsistent}; see {head.log}"
            findings.append(_plain(EVIDENCE, message))
        base_problem = suite_problem(base, "base")
        if base_problem:
            findings.append(base_problem)
        if not head.is_pytest:
            return [*findings, *_command_findings(base, head)]
        suspects = [t for t, v in head.outcomes.items() if v in BROKEN]
        flaky = self._rerun(ctx, suspects, findings) if suspects else set()
        findings.extend(compare(base, head, expected(ctx, flaky)))
        if not _acceptance_judges(ctx):
            findings.extend(self._oracle(ctx, base, head, flaky))
        return findings

    @classmethod
    def _oracle(
        cls, ctx: CheckContext, base: SuiteResult, head: SuiteResult, flaky: set[str]
    ) -> list[Finding]:
        """Head's code judged by the base's tests, when the change touched what the tests are
        (see `oracle`). Failures head's own suite already reported are not repeated."""
        run = base_oracle(ctx, base)
        if run is None:
            return []
        ws = session(ctx)
        ws.add_evidence(NAME, run.head.log)
        if not run.ran:
            message = (
                f"the base's tests could not run on head's code ({len(run.restored)} file(s) "
                f"taken from the base); see {run.head.log}"
            )
            return [_plain("base-oracle-error", message)]
        findings: list[Finding] = []
        if run.head.inconsistent:
            message = f"in the base-oracle run, {run.head.inconsistent}; see {run.head.log}"
            findings.append(_plain(EVIDENCE, message))
        replaced = task_replaced_files(ctx)
        suspects = [
            test
            for test in run.broken()
            if head.outcomes.get(test) not in BROKEN
            and test not in flaky
            and _path_of(test) not in replaced
            and not superseded(ctx, test)
        ]
        uncollected: dict[str, list[str]] = {}
        for test in suspects:
            if test not in run.head.outcomes:
                uncollected.setdefault(str(_path_of(test)), []).append(test)
        for path, tests in sorted(uncollected.items()):
            # Usually an interface the base's tests import was renamed or removed: a human
            # decides whether that was meant (a task says so with supersedes); not a block.
            message = (
                f"{path}: the base's version of this test module no longer imports on head's "
                f"code (a name it imports was renamed or removed?), so {len(tests)} test(s) "
                f"that passed at base cannot run "
                f"({', '.join(t.split('::', 1)[-1] for t in tests[:MAX_LISTED])}); see {run.head.log}"
            )
            found = _test_finding("base-tests-broken", message, path)
            findings.append(replace(found, blocking=False))
        ran = [t for t in suspects if t in run.head.outcomes]
        again = cls._rerun_in(ctx, run.tree, ran, findings, "tests-oracle-rerun")
        for test in ran:
            if test in again:
                message = f"{test} failed with the base's tests at head, then passed on a re-run"
                findings.append(_test_finding("flaky-test", message, test))
                continue
            message = (
                f"{test} passes at base and {run.outcome(test)} on head's code with the base's "
                f"own tests and settings, though head's edited tests pass; see {run.head.log}"
            )
            findings.append(_test_finding("base-tests-broken", message, test))
        return findings

    @classmethod
    def _rerun(cls, ctx: CheckContext, tests: list[str], findings: list[Finding]) -> set[str]:
        return cls._rerun_in(ctx, prepared(ctx, "head"), tests, findings, "tests-head-rerun")

    @staticmethod
    def _rerun_in(
        ctx: CheckContext, env: PreparedTree, tests: list[str], findings: list[Finding], label: str
    ) -> set[str]:
        """Re-run failing tests once; those that pass now are flaky. A wrapper command (`make
        test`) cannot take node ids, so it runs whole and the same tests are read from it. A
        re-run whose evidence is inconsistent adds its finding and makes nothing flaky: code that
        forges only when node ids are selected would otherwise turn failures into "flaky"."""
        if not tests:
            return set()
        ws = session(ctx)
        command = ctx.policy.tests.command or ""
        selected = tests[:200]
        result = run_suite(
            ws.checkouts,
            env,
            SuiteRequest(
                command,
                extra_args=selected,
                timeout=ctx.policy.tests.timeout_s,
                label=label,
            ),
        )
        ws.add_evidence(NAME, result.log)
        if result.inconsistent:
            message = f"in the re-run of failing tests, {result.inconsistent}; see {result.log}"
            findings.append(_plain(EVIDENCE, message))
            return set()
        return {t for t in selected if result.outcomes.get(t) in PASSING}


CHECK = TestsCheck()
