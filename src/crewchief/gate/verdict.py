"""From findings to a verdict and a risk score.

Only deterministic findings block: a check marks a finding `blocking` when the fact it states is
certain (a deleted test, a protected path, a private key). The verdict is `block` if any finding
blocks, `review` if anything deserves a human's eyes, `pass` otherwise.

The risk score (0-100) ranks a review queue, so it must order changes sensibly rather than be a
probability: the weight of each finding by severity, more for blocking ones, plus a term that grows
with the logarithm of the change's size, because large changes hide more. Capped at 100.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from crewchief.gate.findings import CheckResult, CheckStatus, Finding, Severity, Stats, Verdict

SEVERITY_WEIGHT = {
    Severity.INFO: 0,
    Severity.LOW: 3,
    Severity.MEDIUM: 8,
    Severity.HIGH: 20,
    Severity.CRITICAL: 35,
}
BLOCKING_WEIGHT = 15
MAX_SIZE_POINTS = 20


def risk_score(findings: Iterable[Finding], stats: Stats) -> int:
    points = 0.0
    for finding in findings:
        points += SEVERITY_WEIGHT[finding.severity]
        if finding.blocking:
            points += BLOCKING_WEIGHT
    lines = stats.lines_added + stats.lines_removed
    points += min(MAX_SIZE_POINTS, 4 * math.log2(1 + lines / 25) + stats.files_changed / 5)
    return max(0, min(100, round(points)))


def decide(checks: Iterable[CheckResult], risk: int, review_at_risk: int) -> Verdict:
    checks = list(checks)
    findings = [f for c in checks for f in c.findings]
    if any(f.blocking for f in findings):
        return Verdict.BLOCK
    if any(c.status == CheckStatus.ERROR for c in checks):
        return Verdict.REVIEW
    if any(f.severity.rank >= Severity.MEDIUM.rank for f in findings) or risk >= review_at_risk:
        return Verdict.REVIEW
    return Verdict.PASS


def status_of(findings: Iterable[Finding]) -> CheckStatus:
    findings = list(findings)
    if any(f.blocking for f in findings):
        return CheckStatus.FAILED
    if any(f.severity.rank >= Severity.MEDIUM.rank for f in findings):
        return CheckStatus.WARNED
    return CheckStatus.PASSED
