"""`crewchief rules`: every rule the installed checks can report, what it means, what to do."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crewchief.cli.common import ListFormat, print_json
from crewchief.gate import rulebook
from crewchief.textsafe import visible

FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")
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
    # Ids never wrap (they are what a reader greps for); what a rule catches and what to do share
    # one column, so the table stays readable in an 80-column terminal.
    table = Table(box=None)
    for column in ("check", "rule", "severity", "blocks", "CWE"):
        table.add_column(column, no_wrap=True)
    table.add_column("what it catches / what to do", overflow="fold")
    for rule in rules:
        severity = rule.severity.value
        table.add_row(
            _safe(rule.check),
            _safe(rulebook.display_id(rule)),
            f"[{SEVERITY_STYLE[severity]}]{severity}[/]"
            if severity in SEVERITY_STYLE
            else severity,
            "yes" if rule.blocking else "no",
            _safe(rule.cwe or "-"),
            f"{_safe(rule.summary)}\n[dim]{_safe(rule.remedy)}[/]",
        )
    Console().print(table)
