"""The gate report as GitHub Actions workflow commands: each finding becomes an annotation on the
diff (`::error file=...,line=...::`), so a reviewer sees it on the line it is about.

Blocking findings are errors, high and medium ones warnings, the rest notices. GitHub shows only the
first annotations of each kind per step, so the list is ordered most important first, and a last
line says what the gate decided. Untrusted text is escaped as the runner unescapes it
(`workflow_command_value`): a message cannot end its command and start another.
"""

from __future__ import annotations

from crewchief.gate.findings import Finding, Report, Severity
from crewchief.textsafe import workflow_command_value


def _level(finding: Finding) -> str:
    if finding.blocking:
        return "error"
    if finding.severity.rank >= Severity.MEDIUM.rank:
        return "warning"
    return "notice"


def _annotation(finding: Finding) -> str:
    props = [
        f"title={workflow_command_value(f'{finding.check}/{finding.rule}', property_value=True)}"
    ]
    if finding.path:
        props.insert(0, f"file={workflow_command_value(finding.path, property_value=True)}")
        if finding.line:
            props.insert(1, f"line={finding.line}")
    message = finding.message + (f" ({finding.cwe})" if finding.cwe else "")
    return f"::{_level(finding)} {','.join(props)}::{workflow_command_value(message)}"


def render_github(report: Report) -> str:
    findings = sorted(
        report.findings, key=lambda f: (not f.blocking, -f.severity.rank, f.path or "", f.line or 0)
    )
    lines = [_annotation(f) for f in findings]
    blocking = sum(1 for f in findings if f.blocking)
    lines.append(
        f"crewchief gate: {report.verdict.value} (risk {report.risk}/100), "
        f"{len(findings)} findings, {blocking} blocking"
    )
    return "\n".join(lines) + "\n"
