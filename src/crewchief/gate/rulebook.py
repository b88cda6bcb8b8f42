"""Every rule the installed checks can report, for `crewchief rules`, SARIF and the README.

The checks' own rule tables are the single source: the reference a reader sees, the metadata a
code-scanning UI shows and the findings a check emits cannot drift apart. A third-party check
without a table simply contributes no rules.

`python -m crewchief.gate.rulebook --write-readme README.md` regenerates the README's rule
reference between its `<!-- rules:begin -->` and `<!-- rules:end -->` markers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crewchief.gate.findings import Rule, RuleTable
from crewchief.gate.registry import available_checks

SCHEMA = "crewchief.rules/v1"
BEGIN = "<!-- rules:begin -->"
END = "<!-- rules:end -->"


def all_rules(*, builtin_only: bool = False) -> list[Rule]:
    """The rules of every available check, in check order and each table's own order;
    `builtin_only` leaves out installed plugins (the README documents crewchief itself)."""
    rules: list[Rule] = []
    for check in available_checks().values():
        if builtin_only and not type(check).__module__.startswith("crewchief."):
            continue
        rules.extend(r for r in getattr(check, "rules", ()) if isinstance(r, Rule))
    return rules


def find_rule(check: str, rule_id: str) -> Rule | None:
    """What a reported `check`/`rule_id` pair stands for, a computed id finding its family."""
    table = getattr(available_checks().get(check), "rules", ())
    if isinstance(table, RuleTable):
        return table.find(rule_id)
    return next((r for r in table if isinstance(r, Rule) and r.id == rule_id), None)


def display_id(rule: Rule) -> str:
    """A family's id as the pattern its findings' ids follow."""
    return f"{rule.id}-*" if rule.family else rule.id


def rule_json(rule: Rule) -> dict[str, Any]:
    return {**rule.to_json(), "family": rule.family}


def to_json(rules: Iterable[Rule] | None = None) -> dict[str, Any]:
    chosen = all_rules() if rules is None else rules
    return {"schema": SCHEMA, "rules": [rule_json(r) for r in chosen]}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: a pipe or a line break would end the cell."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def render_markdown(rules: Iterable[Rule] | None = None) -> str:
    """The rule reference, one table per check."""
    by_check: dict[str, list[Rule]] = {}
    for rule in all_rules() if rules is None else rules:
        by_check.setdefault(rule.check, []).append(rule)
    parts: list[str] = []
    for check, group in by_check.items():
        parts += [
            f"#### `{_cell(check)}`",
            "",
            "| rule | severity | blocks | CWE | what it catches | what to do |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for rule in group:
            cells = (
                f"`{_cell(display_id(rule))}`",
                rule.severity.value,
                "yes" if rule.blocking else "no",
                _cell(rule.cwe or ""),
                _cell(rule.summary),
                _cell(rule.remedy),
            )
            parts.append(f"| {' | '.join(cells)} |")
        parts.append("")
    return "\n".join(parts)


def replace_block(document: str, block: str) -> str:
    """`document` with the text between the rule markers replaced by `block`."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {BEGIN} and {END} not found in order")
    return f"{document[: start + len(BEGIN)]}\n{block.strip()}\n{document[end:]}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crewchief.gate.rulebook")
    parser.add_argument("--write-readme", metavar="FILE", type=Path, required=True)
    args = parser.parse_args(argv)
    path: Path = args.write_readme
    block = render_markdown(all_rules(builtin_only=True))
    path.write_text(replace_block(path.read_text(encoding="utf-8"), block), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
