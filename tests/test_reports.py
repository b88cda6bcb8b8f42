"""Report renderings: SARIF validated against the SARIF 2.1.0 schema, hostile text escaped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from crewchief.gate.change import Change
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Severity
from crewchief.gate.report import render_json, render_sarif, render_text
from crewchief.spec.policy import Policy

HOSTILE = "\x1b[31mred\x1b[0m <script>alert(1)</script> [bold]x[/bold] \u202eevil"


class _Fixed:
    """A check that reports fixed findings, to exercise every field of the renderers."""

    name = "security"
    version = "1"
    kind = "static"

    def run(self, ctx):
        return [
            Finding(
                "security",
                "taint-sql",
                Severity.HIGH,
                HOSTILE,
                path="src/caf\udce9 x.py",
                line=3,
                blocking=True,
                cwe="CWE-89",
                fingerprint="abc",
                snippet=HOSTILE,
            ),
            Finding("security", "b101", Severity.LOW, "assert used", path="src/a.py", line=1),
            Finding("security", "whole-change", Severity.MEDIUM, "no location"),
        ]


def report():
    change = Change.from_files({}, {"src/a.py": "x = 1\n"})
    return gate_change(change, Policy(), only=["security"], checks={"security": _Fixed()})


def schema_path() -> Path:
    path = os.environ.get("CREWCHIEF_SARIF_SCHEMA") or ".cache/sarif/sarif-2.1.0.json"
    if not Path(path).exists():
        pytest.fail(f"SARIF schema missing at {path}: run 'make test' (it fetches the schema)")
    return Path(path)


def test_sarif_validates_against_schema() -> None:
    schema = json.loads(schema_path().read_text())
    sarif = json.loads(render_sarif(report()))
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    result = sarif["runs"][0]["results"][0]
    assert result["level"] == "error"
    assert result["properties"]["cwe"] == "CWE-89"
    assert (
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/caf%E9%20x.py"
    )
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][0]
    assert "external/cwe/cwe-89" in rule["properties"]["tags"]


def test_empty_report_sarif_validates() -> None:
    """`jsonschema.validate` raises on an invalid document: that is the main assertion here."""
    schema = json.loads(schema_path().read_text())
    empty = gate_change(Change.from_files({}, {}), Policy(), only=["scope"])
    sarif = json.loads(render_sarif(empty))
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    assert [run["results"] for run in sarif["runs"]] == [[]]


def test_json_report_escapes_and_carries_cwe() -> None:
    text = render_json(report())
    assert "\x1b" not in text and "\u202e" not in text
    data = json.loads(text)
    assert data["verdict"] == "block"
    assert data["findings"][0]["cwe"] == "CWE-89"
    assert data["findings"][0]["message"] == HOSTILE


def test_text_report_neutralises_terminal_escapes_and_markup() -> None:
    text = render_text(report())
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[31mred" in text
    assert "[bold]x[/bold]" in text  # shown literally, not interpreted as markup
    assert "BLOCK" in text and "CWE-89" in text


class _Emits:
    """A check that reports given findings under a built-in check's name."""

    version = "1"
    kind = "static"

    def __init__(self, name, findings):
        self.name = name
        self.findings = findings

    def run(self, ctx):
        return self.findings


def _sarif_of(check: str, *findings: Finding) -> dict:
    change = Change.from_files({}, {"src/a.py": "x = 1\n"})
    gated = gate_change(change, Policy(), only=[check], checks={check: _Emits(check, findings)})  # type: ignore[dict-item]
    sarif = json.loads(render_sarif(gated))
    jsonschema.validate(
        sarif, json.loads(schema_path().read_text()), cls=jsonschema.Draft4Validator
    )
    return sarif


def test_sarif_rule_metadata_comes_from_the_checks_rule_tables() -> None:
    from crewchief.gate.checks.scope import RULES

    rule = RULES["symlink-outside-repo"]
    sarif = _sarif_of("scope", rule.finding("adds a symlink to /etc/passwd", path="src/a.py"))
    [described] = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert described["id"] == "scope/symlink-outside-repo"
    assert described["shortDescription"]["text"] == rule.summary
    assert described["help"]["text"] == rule.remedy
    assert described["defaultConfiguration"]["level"] == "error"
    assert "external/cwe/cwe-59" in described["properties"]["tags"]
    assert described["properties"]["cwe"] == "CWE-59"


def test_sarif_describes_a_computed_rule_id_by_its_family() -> None:
    from crewchief.gate.checks.quality import RULES

    member = RULES["ruff"].member("F401")
    quiet = RULES["complexity-growth"]
    sarif = _sarif_of(
        "quality",
        member.finding("F401: os imported but unused", path="src/a.py", line=1),
        quiet.finding("f: cyclomatic complexity grew", path="src/a.py", line=1),
    )
    first, second = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert first["id"] == "quality/ruff-F401"
    assert first["shortDescription"]["text"] == RULES["ruff"].summary
    assert first["defaultConfiguration"]["level"] == "note"
    assert second["defaultConfiguration"]["level"] == "warning"
    assert second["help"]["text"] == quiet.remedy
    assert [r["ruleIndex"] for r in sarif["runs"][0]["results"]] == [0, 1]
