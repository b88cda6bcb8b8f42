"""`crewchief rules`: every rule the installed checks can report, what it means, what to do."""

from __future__ import annotations

import textwrap

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crewchief.cli.common import ListFormat, print_json
from crewchief.gate import rulebook
from crewchief.gate.findings import Rule
from crewchief.textsafe import visible

FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")
WIDE = 120
"""Below this many columns the rules print one block each instead of as a table."""
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _safe(text: str) -> str:
    """Plugin checks bring their own rule text: neither terminal escapes nor rich markup in it
    may reach the terminal as anything but text."""
    return escape(visible(text, 1000))


def rules_command(fmt: ListFormat = FORMAT) -> None:
    """List the gate's rules: severity, whether they block, CWE, what they catch, what to do."""
    rules = rulebook.all_rules()
    if fmt == ListFormat.json:
        payload = rulebook.to_json(rules)
        print_json(payload.pop("schema"), payload)
        return
    console = Console()
    if console.width < WIDE:
        _print_stacked(console, rules)
        return
    # Ids never wrap (they are what a reader greps for); what a rule catches and what to do share
    # one column.
    table = Table(box=None)
    for column in ("check", "rule", "severity", "blocks", "CWE"):
        table.add_column(column, no_wrap=True)
    table.add_column("what it catches / what to do", overflow="fold")
    for rule in rules:
        table.add_row(
            _safe(rule.check),
            _safe(rulebook.display_id(rule)),
            _severity(rule),
            "yes" if rule.blocking else "no",
            _safe(rule.cwe or "-"),
            f"{_safe(rule.summary)}\n[dim]{_safe(rule.remedy)}[/]",
        )
    console.print(table)


def _severity(rule: Rule) -> str:
    severity = rule.severity.value
    return f"[{SEVERITY_STYLE[severity]}]{severity}[/]" if severity in SEVERITY_STYLE else severity


def _print_stacked(console: Console, rules: list[Rule]) -> None:
    """One block per rule: in a terminal narrower than the table needs, the ids and flags take
    one line and the explanation wraps under them at full width instead of in a sliver."""
    for rule in rules:
        flags = f"{_severity(rule)}, {'blocks' if rule.blocking else 'does not block'}"
        cwe = f", {_safe(rule.cwe)}" if rule.cwe else ""
        console.print(
            f"[bold]{_safe(rule.check)}[/] {_safe(rulebook.display_id(rule))} ({flags}{cwe})"
        )
        width = max(40, console.width - 1)
        for text, style in ((rule.summary, ""), (rule.remedy, "dim")):
            block = textwrap.fill(
                visible(text, 1000), width, initial_indent="    ", subsequent_indent="    "
            )
            console.print(escape(block), style=style, highlight=False)
        console.print()
