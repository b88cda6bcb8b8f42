"""Static findings about edited tests, decided by running the base's tests.

Counting asserts cannot tell a refactor from a cover-up: four tests folded into one parametrised
test, a helper that now holds the asserts, or a test file renamed all look like lost assertions.
What settles it is whether the behaviour the base's tests pinned still holds. When the gate ran
the base's oracle on head's code (`dynamic.oracle`, or the acceptance check's pass-to-pass) and
every base test in the edited file still passes, such a finding stops blocking and asks for a
look instead. When any of them fails, the `tests` or `acceptance` check already blocks with the
failing test named, and the static finding keeps blocking beside it.

Findings about forging the run itself (result hooks, collection hooks, deselecting config) are
not softened: the attempt is the problem, whatever the run shows.
"""

from __future__ import annotations

from dataclasses import replace

from crewchief.gate.check import GateSession
from crewchief.gate.dynamic.oracle import OracleRun
from crewchief.gate.dynamic.suite import BROKEN, PASSING
from crewchief.gate.findings import CheckResult, Finding, Severity
from crewchief.gate.verdict import status_of
from crewchief.spec.task import Task

CHECK = "test-integrity"
DECIDED = frozenset(
    {
        "test-deleted",
        "test-not-collected",
        "test-skipped",
        "module-skipped",
        "assertions-removed",
        "assertion-weakened",
        "assertion-loosened",
        "assertions-swallowed",
        "tolerance-loosened",
    }
)
"""Rules whose worry, lost checking of behaviour, the base-oracle run answers."""


def _settled(
    finding: Finding, run: OracleRun, passing: dict[str, list[str]], task: Task | None
) -> Finding:
    if not finding.blocking or finding.rule not in DECIDED or not finding.path:
        return finding
    if finding.path in run.task_files:  # the run held the task's version, not the base's
        return finding
    if any(  # a test failing at base may be the one removed: the run cannot vouch for it
        t.split("::", 1)[0] == finding.path and o in BROKEN for t, o in run.base.outcomes.items()
    ):
        return finding
    tests = passing.get(finding.path, [])
    kept = [t for t in tests if task is None or not task.supersedes_test(t)]
    if not tests or any(run.outcome(t) not in PASSING for t in kept):
        return finding
    return replace(
        finding,
        blocking=False,
        severity=Severity.MEDIUM,
        message=(
            f"{finding.message}; but the base's {len(tests)} passing test(s) in {finding.path} "
            "still pass on head's code (base-oracle run), so no tested behaviour was lost: "
            "review the edit rather than block it"
        ),
    )


def decided_by_oracle(
    results: dict[str, CheckResult], session: GateSession | None, task: Task | None = None
) -> dict[str, CheckResult]:
    """`results` with test-integrity's lost-checking findings settled by the oracle run."""
    run = session.peek("base-oracle") if session is not None else None
    result = results.get(CHECK)
    if not isinstance(run, OracleRun) or result is None:
        return results
    if not run.ran or run.head.inconsistent:
        return results
    passing: dict[str, list[str]] = {}
    for test, outcome in run.base.outcomes.items():
        if outcome in PASSING:
            passing.setdefault(test.split("::", 1)[0], []).append(test)
    findings = tuple(_settled(f, run, passing, task) for f in result.findings)
    if findings == result.findings:
        return results
    return {**results, CHECK: replace(result, findings=findings, status=status_of(findings))}
