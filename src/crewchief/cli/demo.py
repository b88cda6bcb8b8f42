"""`crewchief demo`: the loop on a bundled sample repository, offline.

Today it builds the sample repository, gates four agent-style changes against the task and policy,
and prints each report and a summary. Runs, the review queue and the web UI join it as they land.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from crewchief.demo.sample import CHANGES, build_sample
from crewchief.gate.report.text import renderable
from crewchief.gate.runner import GateRequest, run_gate


def demo_command(
    directory: Path | None = typer.Option(
        None, "--dir", help="Where to build the sample repo (default: a new temporary folder)."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit after printing (for CI)."),
) -> None:
    """Build a sample repo, gate agent-style changes to it, and print the reports."""
    console = Console()
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="crewchief-demo-"))
    repo = build_sample(root / "textutil")
    console.print(f"[bold]sample repository:[/] {repo}")
    console.print("task [bold]fix-slugify-unicode[/]: slugify must keep accented letters\n")
    summary = Table(title="gate verdicts", show_lines=False)
    for column in ("branch", "agent", "what it did", "verdict", "risk", "blocking findings"):
        summary.add_column(column, no_wrap=column in ("branch", "verdict", "risk"))
    for change in CHANGES:
        console.rule(f"{change.branch}  ({change.agent}: {change.story})")
        report = run_gate(
            GateRequest(repo=repo, base="main", head=change.branch, task="fix-slugify-unicode")
        )
        console.print(renderable(report))
        console.print()
        blocking = sorted({f"{f.check}/{f.rule}" for f in report.findings if f.blocking})
        color = {"pass": "green", "review": "yellow", "block": "red"}[report.verdict.value]
        summary.add_row(
            change.branch,
            change.agent,
            change.story,
            f"[{color}]{report.verdict.value}[/]",
            str(report.risk),
            ", ".join(blocking) or "-",
        )
    console.print(summary)
    if not no_serve:
        console.print("[dim]the web review UI is not built yet; nothing to serve[/]")
