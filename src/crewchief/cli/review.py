"""`review`, `show`, `approve`, `reject`, `push`, `pr`: the human decision on agent runs."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crewchief.cli.common import ListFormat, print_json, repo_root
from crewchief.cli.status import parse_run_id
from crewchief.github import GitHub
from crewchief.review.decide import reject
from crewchief.review.land import Strategy, approve, gate_replayed, identity
from crewchief.review.pull_requests import open_run, sync
from crewchief.review.queue import rank, review_document
from crewchief.review.remote import push
from crewchief.review.show import render_run, transcript_tail
from crewchief.statepaths import state_dir
from crewchief.store import RunState, open_store
from crewchief.textsafe import visible

REPO = typer.Option(Path("."), "--repo", help="Repository (default: here).")
FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")


def reviewer(repo: Path, who: str | None) -> str:
    if who:
        return who
    name, email = identity(repo, None)
    if name == "crewchief reviewer":
        name = getpass.getuser()
    return f"{name} <{email}>"


def review_command(repo: Path = REPO, fmt: ListFormat = FORMAT) -> None:
    """The review queue: runs awaiting review, riskiest and most important first."""
    store = open_store(repo_root(repo))
    runs = store.runs([RunState.AWAITING_REVIEW])
    if fmt == ListFormat.json:
        document = review_document(runs)
        print_json(document["schema"], {"queue": document["queue"]})
        return
    groups = rank(runs)
    table = Table(box=None)
    for column in ("#", "run", "task", "agent", "try", "verdict", "risk", "pri", "cost"):
        table.add_column(column)
    for position, group in enumerate(groups, 1):
        for index, run in enumerate(group.runs):
            color = {"pass": "green", "review": "yellow", "block": "red"}.get(run.verdict or "", "")
            table.add_row(
                str(position) if index == 0 else "↳",
                str(run.id),
                escape(visible(run.task_id)),
                escape(visible(run.agent)),
                str(run.attempt),
                f"[{color}]{run.verdict or '-'}[/]",
                str(run.risk if run.risk is not None else "-"),
                str(run.priority),
                f"${run.cost_usd:.2f}" if run.cost_usd is not None else "-",
            )
    Console().print(table)
    if not groups:
        typer.echo("nothing awaits review")


def show_command(run: str = typer.Argument(..., help="Run id."), repo: Path = REPO) -> None:
    """A run's gate summary, diff with findings at their lines, transcript tail, time and cost."""
    root = repo_root(repo)
    store = open_store(root)
    row = store.run(parse_run_id(run))
    Console().print(render_run(root, row, store.latest_report(row.id), transcript_tail(row)))


def approve_command(
    run: str = typer.Argument(..., help="Run id."),
    squash: bool = typer.Option(False, "--squash", help="One commit on the target (default)."),
    rebase: bool = typer.Option(
        False, "--rebase", help="The run's commit, replayed, on the target."
    ),
    merge: bool = typer.Option(False, "--merge", help="A merge commit on the target."),
    who: str | None = typer.Option(None, "--as", help="Approver (default: git user)."),
    force: bool = typer.Option(False, "--force", help="Land even though the gate blocked it."),
    repo: Path = REPO,
) -> None:
    """Land a run on its target branch (rebased and re-gated first if the target moved); the
    task's other candidates leave the queue as superseded. A change already on the target lands
    nothing (exit 2)."""
    if sum((squash, rebase, merge)) > 1:
        raise typer.BadParameter("choose one of --squash, --rebase, --merge")
    strategy = Strategy.rebase if rebase else Strategy.merge if merge else Strategy.squash
    root = repo_root(repo)
    store = open_store(root)
    run_id = parse_run_id(run)
    task = store.task(store.run(run_id).task_id)
    landed = approve(
        store,
        root,
        run_id,
        strategy=strategy,
        who=reviewer(root, who) if who else None,
        regate=gate_replayed,
        force=force,
        title=task.title if task else None,
    )
    note = " (replayed on the new target and re-gated)" if landed.rebased else ""
    typer.echo(f"run {run_id} landed on {landed.target} as {landed.commit[:12]}{note}")
    if landed.superseded:
        ids = ", ".join(str(i) for i in landed.superseded)
        typer.echo(
            f"superseded (left the review queue): run{'s' if len(landed.superseded) > 1 else ''} {ids}"
        )


def reject_command(
    run: str = typer.Argument(..., help="Run id."),
    feedback: str = typer.Option(
        ..., "--feedback", help="What the next attempt must do differently."
    ),
    no_retry: bool = typer.Option(False, "--no-retry", help="Only record the decision."),
    who: str | None = typer.Option(None, "--as", help="Reviewer (default: git user)."),
    repo: Path = REPO,
) -> None:
    """Reject a run; queue the next attempt with the feedback (and the gate's blocking findings)."""
    root = repo_root(repo)
    store = open_store(root)
    run_id = parse_run_id(run)
    next_id = reject(store, run_id, feedback, reviewer(root, who), retry=not no_retry)
    if next_id:
        typer.echo(
            f"run {run_id} rejected; attempt queued as run {next_id} (start it with 'crewchief run')"
        )
    else:
        typer.echo(f"run {run_id} rejected")


def push_command(
    run: str = typer.Argument(..., help="Run id."),
    remote: str = typer.Option("origin", "--remote", help="Remote name."),
    repo: Path = REPO,
) -> None:
    """Push a run's branch to a remote."""
    root = repo_root(repo)
    row = open_store(root).run(parse_run_id(run))
    branch = push(root, row, remote)
    typer.echo(f"pushed {branch} to {remote}")


def pr_command(
    run: str = typer.Argument(..., help="Run id."),
    remote: str = typer.Option("origin", "--remote", help="Remote name."),
    repo: Path = REPO,
) -> None:
    """Push a run's branch and open a GitHub pull request with the gate's report, its verdict as
    a commit status, and the pull request recorded on the run (needs GITHUB_TOKEN)."""
    root = repo_root(repo)
    url = open_run(open_store(root), root, parse_run_id(run), remote, GitHub.from_env())
    typer.echo(f"opened {url or 'pull request'}")


def sync_command(repo: Path = REPO) -> None:
    """Bring back what happened on GitHub to runs opened with `pr`: merged there marks the run
    merged, closed marks it rejected, the `crewchief:retry` label queues the next attempt with
    the review comments as feedback; runs of tasks imported from issues get their outcome
    commented there (needs GITHUB_TOKEN)."""
    root = repo_root(repo)
    posted = state_dir(root) / "github-outcomes.txt"
    results = sync(open_store(root), GitHub.from_env(), posted)
    if not results:
        typer.echo("no run awaiting review has a pull request")
    for result in results:
        typer.echo(f"run {result.run_id}: {visible(result.outcome, 300)}")
