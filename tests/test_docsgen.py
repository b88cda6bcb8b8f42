"""The generated reference pages say what the code says, and the committed ones are current."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import BaseModel, Field

from crewchief import docsgen
from crewchief.gate.findings import Rule, RuleTable, Severity
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_committed_pages_are_current() -> None:
    stale = docsgen.stale_pages(DOCS)
    assert stale == [], f"stale generated pages {stale}: run `{docsgen.REGENERATE}`"


class Sample(BaseModel):
    documented: int = Field(default=3, ge=1, le=9)
    """Said once, here."""
    undocumented: list[str] | None = None
    mode: Literal["a", "b"] = "a"
    """Which one.

    Two paragraphs | one cell."""
    required: str


def test_field_docstrings_belong_to_the_field_above() -> None:
    assert docsgen.field_docstrings(Sample) == {
        "documented": "Said once, here.",
        "mode": "Which one.\n\nTwo paragraphs | one cell.",
    }


def test_field_table_shows_type_bounds_default_and_meaning() -> None:
    rows = docsgen.field_table(Sample, prefix="s.").splitlines()
    assert rows[2] == "| `s.documented` | integer (≥ 1, ≤ 9) | `3` | Said once, here. |"
    assert rows[3] == "| `s.undocumented` | list of strings | not set |  |"
    assert (
        rows[4]
        == '| `s.mode` | one of `"a"`, `"b"` | `"a"` | Which one. Two paragraphs \\| one cell. |'
    )
    assert rows[5] == "| `s.required` | string | required |  |"


def test_policy_page_names_every_key_of_every_table() -> None:
    page = docsgen.policy_page()
    for table, info in Policy.model_fields.items():
        assert f"## `[{table}" in page
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for key in model.model_fields:
                assert f"| `{key}` |" in page, f"[{table}] {key}"
    assert "`.pre-commit-config.yaml`" in page


def test_task_page_names_every_front_matter_key() -> None:
    page = docsgen.task_page()
    for key in Task.model_fields:
        if key != "objective":
            assert f"| `{key}` |" in page
    assert "| `budget.usd` |" in page and "`objective`" in page


class _RuledCheck:
    name: ClassVar[str] = "scope"
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules = RuleTable(
        "scope",
        Rule(
            "scope", "protected-path", Severity.HIGH, "a protected path changed", "revert it", True
        ),
        Rule("scope", "shell", Severity.MEDIUM, "a | pipe", "quote it", cwe="CWE-78"),
    )

    def run(self, ctx: object) -> list[object]:
        return []


def test_rule_page_from_the_registry_lists_each_rule(monkeypatch) -> None:
    from crewchief.gate import registry

    monkeypatch.setattr(registry, "available_checks", lambda: {"scope": _RuledCheck()})
    monkeypatch.setitem(sys.modules, "crewchief.gate.rulebook", None)  # as if it did not exist
    with pytest.raises(ModuleNotFoundError):
        import crewchief.gate.rulebook  # noqa: F401
    page = docsgen.rules_page()
    assert "## `scope`" in page and "(static)" in page
    assert "| `protected-path` | high | yes |  | a protected path changed | revert it |" in page
    assert "| `shell` | medium | no | CWE-78 | a \\| pipe | quote it |" in page


def test_rule_page_prefers_the_gates_own_renderer(monkeypatch) -> None:
    rulebook = types.ModuleType("crewchief.gate.rulebook")
    rulebook.render_markdown = lambda: "# Rules from the rulebook\n\n"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crewchief.gate.rulebook", rulebook)
    assert docsgen.rules_page() == docsgen.HEADER + "# Rules from the rulebook\n"


def test_check_reports_stale_pages_and_write_fixes_them(tmp_path, capsys) -> None:
    shutil.copytree(DOCS / "schemas", tmp_path / "schemas")
    assert docsgen.main(["--check", str(tmp_path)]) == 1
    assert "stale: " in capsys.readouterr().err
    assert docsgen.main(["--write", str(tmp_path)]) == 0
    assert docsgen.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "reference" / "policy.md").write_text("edited by hand\n")
    assert docsgen.stale_pages(tmp_path) == ["reference/policy.md"]


def test_json_page_lists_every_field_of_every_published_schema() -> None:
    page = docsgen.json_page(DOCS / "schemas")
    for name in docsgen.SCHEMA_ORDER:
        doc = json.loads((DOCS / "schemas" / f"{name}.v1.json").read_text())
        assert f"## `crewchief.{name}/v1`" in page
        for node in [doc, *doc.get("$defs", {}).values()]:
            for field in node.get("properties", {}):
                assert f"| `{field}`" in page, (name, field)
    assert "| `cwe` (optional) | `string` |" in page


def test_markdown_links_stay_inside_the_repository() -> None:
    """Readers of a checkout or an offline site must be able to follow every link."""
    pages = [ROOT / n for n in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")]
    pages += sorted(DOCS.rglob("*.md"))
    for page in pages:
        for target in LINK.findall(page.read_text("utf-8")):
            where = f"{page.relative_to(ROOT)} links {target}"
            assert "://" not in target and not target.startswith(("/", "mailto:")), where
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), where
