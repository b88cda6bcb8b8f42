"""SARIF 2.1.0, so code-scanning UIs (GitHub, GitLab, IDEs) can show gate findings inline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from crewchief import __version__
from crewchief.gate.findings import Finding, Report, Rule, Severity
from crewchief.gate.rulebook import find_rule

RuleLookup = Callable[[str, str], Rule | None]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _level(finding: Finding | Rule) -> str:
    if finding.blocking or finding.severity in (Severity.HIGH, Severity.CRITICAL):
        return "error"
    if finding.severity == Severity.MEDIUM:
        return "warning"
    return "note"


def _uri(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _security_severity(severity: Severity) -> str:
    return {"info": "0.0", "low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}[
        severity
    ]


def _descriptor(finding: Finding, rule: Rule | None) -> dict[str, Any]:
    """SARIF rule metadata: what the check's rule table says, so a code-scanning UI shows what the
    rule catches and what to do; a finding of a check without a table describes itself."""
    cwe = (rule.cwe if rule is not None else None) or finding.cwe
    tags = [finding.check]
    if cwe:
        tags += ["security", f"external/cwe/{cwe.lower()}"]
    described = rule or finding
    descriptor: dict[str, Any] = {
        "id": f"{finding.check}/{finding.rule}",
        "name": finding.rule,
        "shortDescription": {"text": rule.summary if rule else f"{finding.check}: {finding.rule}"},
        "defaultConfiguration": {"level": _level(described)},
        "properties": {
            "tags": list(dict.fromkeys(tags)),
            "security-severity": _security_severity(described.severity),
        },
    }
    if rule is not None:
        descriptor["help"] = {"text": rule.remedy}
        if cwe:
            descriptor["properties"]["cwe"] = cwe
    return descriptor


def render_sarif(report: Report, lookup: RuleLookup = find_rule) -> str:
    """`lookup` finds a finding's rule in the checks' tables (by check and rule id)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        rule_id = f"{finding.check}/{finding.rule}"
        if rule_id not in rules:
            rules[rule_id] = _descriptor(finding, lookup(finding.check, finding.rule))
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": list(rules).index(rule_id),
            "level": _level(finding),
            "message": {"text": finding.message},
            "properties": {
                "check": finding.check,
                "severity": finding.severity.value,
                "blocking": finding.blocking,
            },
        }
        if finding.cwe:
            result["properties"]["cwe"] = finding.cwe
        if finding.fingerprint:
            result["partialFingerprints"] = {"crewchief/v1": finding.fingerprint}
        if finding.path:
            location: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path)}}
            if finding.line:
                location["region"] = {"startLine": finding.line}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "crewchief",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/crewchief/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                "properties": {
                    "verdict": report.verdict.value,
                    "risk": report.risk,
                    "base": report.base,
                    "head": report.head,
                },
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=True) + "\n"
