"""`crewchief status` and `crewchief logs RUN`: what the store knows about runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crewchief.cli.common import ListFormat, print_json, repo_root
from crewchief.errors import UserError
from crewchief.store import RunState, open_store
from crewchief.store.db import run_to_json
from crewchief.textsafe import visible

REPO = typer.Option(Path("."), "--repo", help="Repository (default: here).")
FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")
STATE_STYLE = {
    "queued": "cyan",
    "preparing": "blue",
    "running": "blue",
    "validating": "blue",
    "awaiting_review": "yellow",
    "approved": "green",
    "merged": "green",
    "rejected": "red",
    "failed": "red",
    "timed_out": "red",
    "cancelled": "dim",
    "superseded": "dim",
}


def parse_run_id(value: str) -> int:
    try:
        return int(value.lstrip("#"))
    except ValueError:
        raise UserError(
            f"'{value}' is not a run id (a number, as 'crewchief status' shows)"
        ) from None


def status_command(
    repo: Path = REPO,
    fmt: ListFormat = FORMAT,
    all_runs: bool = typer.Option(
        True, "--all/--active", help="All runs, or only unfinished ones."
    ),
) -> None:
    """List runs and their states."""
    store = open_store(repo_root(repo))
    runs = store.runs()
    if not all_runs:
        runs = [r for r in runs if not RunState(r.state).is_final]
    if fmt == ListFormat.json:
        print_json("crewchief.status/v1", {"runs": [run_to_json(r) for r in runs]})
        return
    table = Table(box=None)
    for column in ("run", "task", "agent", "try", "state", "verdict", "risk", "cost", "branch"):
        table.add_column(column)
    for run in runs:
        style = STATE_STYLE.get(run.state, "")
        table.add_row(
            str(run.id),
            escape(visible(run.task_id)),
            escape(visible(run.agent)),
            str(run.attempt),
            f"[{style}]{run.state}[/]",
            run.verdict or "-",
            str(run.risk) if run.risk is not None else "-",
            f"${run.cost_usd:.2f}" if run.cost_usd is not None else "-",
            escape(visible(run.branch or "-")),
        )
    Console().print(table)
    if not runs:
        typer.echo("no runs yet: queue some with 'crewchief run TASK'")


def logs_command(
    run: str = typer.Argument(..., help="Run id."),
    repo: Path = REPO,
    fmt: ListFormat = FORMAT,
    tail: int = typer.Option(60, "--tail", help="Transcript lines to show."),
) -> None:
    """Show a run's events and the tail of its agent transcript."""
    store = open_store(repo_root(repo))
    row = store.run(parse_run_id(run))
    events = store.events(row.id)
    transcript = Path(row.transcript) if row.transcript else None
    lines: list[str] = []
    if transcript and transcript.is_file():
        with open(transcript, "rb") as fh:
            fh.seek(max(0, transcript.stat().st_size - 256 * 1024))
            lines = fh.read().decode("utf-8", "replace").splitlines()[-tail:]
    if fmt == ListFormat.json:
        print_json(
            "crewchief.logs/v1",
            {
                "run": run_to_json(row),
                "events": [
                    {
                        "at": e.at.isoformat(),
                        "from": e.from_state,
                        "to": e.to_state,
                        "message": e.message,
                    }
                    for e in events
                ],
                "transcript": str(transcript) if transcript else None,
                "tail": lines,
            },
        )
        return
    console = Console()
    console.print(
        f"[bold]run {row.id}[/] {escape(visible(row.task_id))} · {escape(visible(row.agent))} · attempt {row.attempt} · "
        f"{row.state}"
    )
    for e in events:
        console.print(
            f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.from_state or '-':>15} → {e.to_state:<15} "
            f"{escape(visible(e.message or '', 300))}"
        )
    if transcript:
        console.print(f"\n[dim]transcript: {escape(str(transcript))} (last {len(lines)} lines)[/]")
        for line in lines:
            console.print(escape(visible(line, 400)), highlight=False)
