"""`crewchief demo`: the whole loop on a bundled sample repository, offline.

It builds the sample repository with tonight's backlog, runs scripted agents on it (two at a time,
each in its own worktree and sandbox), gates every change, prints each gate report and the review
queue, and then serves the review UI on those runs (unless --no-serve).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from crewchief.cli.common import ListFormat
from crewchief.cli.review import review_command
from crewchief.demo.sample import AGENTS, BACKLOG, build_sample
from crewchief.gate.findings import Report
from crewchief.gate.report.text import renderable
from crewchief.runs.execute import execute_run
from crewchief.runs.scheduler import Batch, Scheduler, queue_tasks
from crewchief.store import Store, open_store
from crewchief.tasks.catalog import load_catalog
from crewchief.textsafe import visible


def _queue_backlog(repo: Path, console: Console) -> Store:
    """Queue tonight's backlog (a run per task and agent) and say what it is."""
    store = open_store(repo)
    catalog = load_catalog(repo)
    for item in BACKLOG:
        queue_tasks(
            store, [item.task], list(item.agents), base_ref="main", tasks=dict(catalog.tasks)
        )
    console.print("[bold]tonight's backlog[/]")
    for item in BACKLOG:
        for agent in item.agents:
            console.print(f"  {item.task:<22} {agent:<13} [dim]{AGENTS[agent]}[/]")
    console.print()
    return store


def _work(store: Store, repo: Path, parallel: int, console: Console) -> None:
    """Run the queue, one line per state change of a run."""
    seen: dict[int, str] = {}

    def progress(batch: Batch) -> None:
        for run_id in sorted(batch.run_ids):
            run = store.run(run_id)
            if seen.get(run_id) != run.state:
                seen[run_id] = run.state
                why = f" ({escape(visible(run.reason, 100))})" if run.reason else ""
                console.print(f"  run {run_id} {run.task_id}/{run.agent}: {run.state}{why}")

    Scheduler(
        store,
        repo,
        lambda run_id: execute_run(store, repo, run_id),
        parallel=parallel,
        on_change=progress,
    ).run()


def _print_reports(store: Store, console: Console) -> None:
    for run in store.runs():
        report = store.latest_report(run.id)
        console.rule(f"run {run.id}: {run.task_id} by {run.agent} ({AGENTS.get(run.agent, '')})")
        if report is None:
            console.print(
                f"no gate report: the run ended {run.state}: {escape(visible(run.reason or ''))}"
            )
            continue
        console.print(renderable(Report.from_json(report)))


def demo_command(
    directory: Path | None = typer.Option(
        None, "--dir", help="Where to build the sample (default: a new temporary folder)."
    ),
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Exit after printing the queue (for CI)."
    ),
    port: int = typer.Option(8765, "--port", help="Port of the review UI."),
    parallel: int = typer.Option(2, "--parallel", help="Runs at the same time."),
) -> None:
    """Run scripted agents on a sample backlog, gate their changes, print the review queue, serve it."""
    console = Console()
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="crewchief-demo-"))
    repo = build_sample(root / "textutil")
    console.print(f"[bold]sample repository:[/] {repo}")
    store = _queue_backlog(repo, console)
    _work(store, repo, parallel, console)
    _print_reports(store, console)
    console.rule("the review queue")
    review_command(repo=repo, fmt=ListFormat.text)
    console.print(
        f"\nnext: [bold]crewchief show RUN --repo {repo}[/], then approve or reject with feedback"
    )
    if no_serve:
        return
    from crewchief.web.app import serve

    serve(
        repo,
        "127.0.0.1",
        port,
        None,
        on_ready=lambda url: console.print(f"[bold]review UI:[/] {url}  (ctrl-c stops)"),
    )
