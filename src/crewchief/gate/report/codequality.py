"""The gate report as a GitLab Code Quality report (the Code Climate issue format GitLab reads from
a job's `codequality` artifact), so findings show in the merge request's widget and diff.

GitLab requires a location for every issue and a fingerprint that identifies it across pipelines;
the gate's own fingerprint (rule plus a hash of the code, not the line) serves, hashed with the
check, rule and path so two findings never share one. A finding about the whole change (no path) is
placed on the repository root. Blocking findings are `blocker`s, the rest follow their severity.
"""

from __future__ import annotations

import hashlib
import json

from crewchief.gate.findings import Finding, Report, Severity

_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "major",
    Severity.MEDIUM: "minor",
    Severity.LOW: "info",
    Severity.INFO: "info",
}


def _fingerprint(finding: Finding) -> str:
    parts = (
        finding.check,
        finding.rule,
        finding.path or "",
        finding.fingerprint or finding.message,
    )
    raw = "\x00".join(parts).encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()


def _issue(finding: Finding) -> dict[str, object]:
    cwe = f" ({finding.cwe})" if finding.cwe else ""
    return {
        "type": "issue",
        "description": f"{finding.message}{cwe}",
        "check_name": f"{finding.check}/{finding.rule}",
        "categories": ["Security" if finding.cwe else "Bug Risk"],
        "fingerprint": _fingerprint(finding),
        "severity": "blocker" if finding.blocking else _SEVERITY[finding.severity],
        "location": {
            "path": (finding.path or ".")
            .encode("utf-8", "surrogateescape")
            .decode("utf-8", "backslashreplace"),
            "lines": {"begin": finding.line or 1},
        },
    }


def render_codequality(report: Report) -> str:
    issues = [_issue(f) for f in report.findings]
    seen: set[str] = set()
    for issue in issues:  # two identical findings on one line: keep GitLab's fingerprints unique
        while issue["fingerprint"] in seen:
            issue["fingerprint"] = hashlib.sha256(str(issue["fingerprint"]).encode()).hexdigest()
        seen.add(str(issue["fingerprint"]))
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
