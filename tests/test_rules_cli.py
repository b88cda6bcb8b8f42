"""`crewchief rules` through the real CLI, and the rule tables it reads."""

from __future__ import annotations

import json

import pytest

from crewchief.gate import rulebook
from crewchief.gate.findings import Rule, RuleTable, Severity
from crewchief.gate.registry import available_checks
from tests.helpers.cli import run_cli
from tests.helpers.schemas import assert_matches

STATIC = ("scope", "test-integrity", "security", "secrets", "dependencies", "quality")
HOSTILE = "\x1b[31mred\x1b[0m [bold]x[/bold] \u202eevil"


class _Plugin:
    """A third-party check with a rule table whose text is hostile."""

    name = "plugin"
    version = "1"
    kind = "static"
    rules = RuleTable("plugin", Rule("plugin", "odd-rule", Severity.HIGH, HOSTILE, HOSTILE))

    def run(self, ctx):
        return []


class _Bare:
    """A third-party check without a rule table."""

    name = "bare"
    version = "1"
    kind = "static"

    def run(self, ctx):
        return []


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Rich folds long cells to the terminal's width; the assertions read whole words."""
    monkeypatch.setenv("COLUMNS", "300")


@pytest.fixture
def with_plugins(monkeypatch):
    checks = {**available_checks(), "plugin": _Plugin(), "bare": _Bare()}
    monkeypatch.setattr(rulebook, "available_checks", lambda: checks)


def test_json_lists_every_rule_of_every_static_check(capsys) -> None:
    result = run_cli(capsys, "rules", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["schema"] == "crewchief.rules/v1"
    assert_matches("rules", data)
    listed = {(r["check"], r["id"]) for r in data["rules"]}
    for name in STATIC:
        table = available_checks()[name].rules  # type: ignore[attr-defined]
        assert len(table) > 0
        assert {(name, r.id) for r in table} <= listed
    protected = next(r for r in data["rules"] if r["id"] == "protected-path")
    assert protected == {
        "check": "scope",
        "id": "protected-path",
        "severity": "critical",
        "blocking": True,
        "cwe": None,
        "summary": protected["summary"],
        "remedy": protected["remedy"],
        "family": False,
    }
    families = {(r["check"], r["id"]) for r in data["rules"] if r["family"]}
    assert families >= {("quality", "ruff"), ("security", "bandit")}


def test_text_lists_rules_with_severity_and_blocking(capsys) -> None:
    result = run_cli(capsys, "rules")
    assert result.code == 0, result.err
    assert "symlink-outside-repo" in result.out
    assert "CWE-59" in result.out
    assert "bandit-*" in result.out


def test_plugin_rule_text_is_escaped_and_checks_without_tables_are_skipped(
    capsys, with_plugins
) -> None:
    result = run_cli(capsys, "rules")
    assert result.code == 0, result.err
    assert "odd-rule" in result.out
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert "[bold]x[/bold]" in result.out  # shown literally, not interpreted as markup
    data = json.loads(run_cli(capsys, "rules", "--format", "json").out)
    assert {r["check"] for r in data["rules"]} >= {"plugin"}
    assert "bare" not in {r["check"] for r in data["rules"]}
    assert "plugin" not in {r.check for r in rulebook.all_rules(builtin_only=True)}


def test_unknown_format_is_a_usage_error(capsys) -> None:
    assert run_cli(capsys, "rules", "--format", "yaml").code == 2


def test_rule_text_is_one_line_and_ids_are_unique_per_check() -> None:
    seen: set[tuple[str, str]] = set()
    for rule in rulebook.all_rules():
        assert (rule.check, rule.id) not in seen
        seen.add((rule.check, rule.id))
        for text in (rule.summary, rule.remedy):
            assert text.strip() and "\n" not in text, (rule.check, rule.id)


def test_a_computed_id_finds_its_family_and_an_unknown_one_nothing() -> None:
    member = rulebook.find_rule("security", "bandit-b602")
    assert member is not None and member.id == "bandit-b602" and member.cwe == "CWE-710"
    assert rulebook.find_rule("quality", "ruff-E999") is not None
    assert rulebook.find_rule("scope", "protected-path-x") is None
    assert rulebook.find_rule("no-such-check", "x") is None


def test_only_a_family_has_members() -> None:
    from crewchief.gate.checks.quality import RULES

    member = RULES["ruff"].member("F401")
    assert (member.id, member.family, member.summary) == ("ruff-F401", False, RULES["ruff"].summary)
    assert member.finding("unused").rule == "ruff-F401"
    with pytest.raises(ValueError, match="not a family"):
        RULES["complex-function"].member("x")


def test_a_narrow_terminal_gets_one_readable_block_per_rule(
    capsys, monkeypatch, with_plugins
) -> None:
    """In 80 columns the table would leave the explanation a four-character sliver."""
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli(capsys, "rules")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "scope protected-path (critical, blocks)" in lines
    start = lines.index("scope protected-path (critical, blocks)")
    assert lines[start + 1].startswith("    Touches a built-in protected path: the policy, CI")
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert any("[bold]x[/bold]" in line for line in lines)
