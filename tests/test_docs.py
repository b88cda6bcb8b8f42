"""The README stays current: it opens with the two commands, and names every CLI command."""

from __future__ import annotations

from pathlib import Path

from crewchief.cli.main import _register, app

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_names_every_command() -> None:
    _register([])
    text = README.read_text()
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert len(names) >= 14
    for name in names:
        assert f"crewchief {name}" in text, name


def test_readme_rule_reference_is_generated_from_the_rule_tables() -> None:
    from crewchief.gate.rulebook import BEGIN, END, all_rules, render_markdown

    text = README.read_text()
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == render_markdown(all_rules(builtin_only=True)).strip(), (
        "the README's rule reference is stale: run "
        "`python -m crewchief.gate.rulebook --write-readme README.md`"
    )


def test_readme_names_every_policy_field() -> None:
    """The README's one-paragraph policy summary lists every table and key the model accepts."""
    from pydantic import BaseModel

    from crewchief.spec.policy import AgentPolicy, Policy

    section = README.read_text().split("## Policy and tasks", 1)[1].split("\n## ", 1)[0]
    for name, info in Policy.model_fields.items():
        model = AgentPolicy if name == "agents" else info.annotation
        table = "[agents.NAME]" if name == "agents" else f"[{name}]"
        assert f"`{table}`" in section, table
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for field in model.model_fields:
            assert f"`{field}`" in section, f"{table} {field}"
