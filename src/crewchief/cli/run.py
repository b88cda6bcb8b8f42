"""`crewchief run`: queue tonight's tasks and work the queue, with a live view.

Before taking new work it recovers what a crashed `crewchief run` left behind (orphan agents,
interrupted runs, worktrees). With task names it queues a run per task and agent; without, it works
whatever is queued (crash-interrupted runs, attempts queued by a rejection).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from crewchief import git
from crewchief.cli.common import repo_root, worktree_policy
from crewchief.cli.notifying import batch_notifications
from crewchief.cli.status import STATE_STYLE
from crewchief.errors import UserError
from crewchief.runs.execute import RunOptions, execute_run
from crewchief.runs.recovery import recover
from crewchief.runs.scheduler import Batch, Scheduler, deadline_from, queue_tasks
from crewchief.spec.task import TASK_DIR
from crewchief.store import Store, open_store
from crewchief.tasks.catalog import load_catalog
from crewchief.textsafe import visible


def _base_ref(root: Path) -> str:
    branch = git.run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).text().strip()
    return branch or git.resolve_commit(root, "HEAD")


def _agents_for(
    task_agent: str | None, agent: str | None, agents: str | None, known: list[str]
) -> list[str]:
    if agents:
        return [a.strip() for a in agents.split(",") if a.strip()]
    if agent:
        return [agent]
    if task_agent:
        return [task_agent]
    if len(known) == 1:
        return known
    raise UserError(
        "no agent for this task: pass --agent NAME, set 'agent:' in the task, or define "
        "exactly one [agents.NAME] in crewchief.toml"
    )


def _table(store: Store, batch: Batch) -> Table:
    table = Table(box=None, title="crewchief run")
    for column in ("run", "task", "agent", "state", "verdict", "risk", "elapsed", "note"):
        table.add_column(column)
    now = dt.datetime.now(dt.UTC)
    for run_id in sorted(batch.run_ids | set(batch.waiting)):
        run = store.run(run_id)
        started = (
            run.started_at.replace(tzinfo=run.started_at.tzinfo or dt.UTC)
            if run.started_at
            else None
        )
        ended = run.ended_at.replace(tzinfo=run.ended_at.tzinfo or dt.UTC) if run.ended_at else None
        elapsed = f"{((ended or now) - started).total_seconds():.0f}s" if started else "-"
        style = STATE_STYLE.get(run.state, "")
        note = batch.waiting.get(run_id) or (run.reason or "")
        table.add_row(
            str(run.id),
            escape(visible(run.task_id)),
            escape(visible(run.agent)),
            f"[{style}]{run.state}[/]",
            run.verdict or "-",
            str(run.risk) if run.risk is not None else "-",
            elapsed,
            escape(visible(note, 60)),
        )
    return table


def _queue_named(
    store: Store, root: Path, tasks: list[str], agent: str | None, agents: str | None
) -> tuple[list[int], str]:
    """Queue a run per named task and agent, on the branch checked out here (or the task's own
    `base`); a task must be committed there, since runs read it from the base commit."""
    catalog = load_catalog(root)
    policy = worktree_policy(root)
    base_ref = _base_ref(root)
    queued: list[int] = []
    for task_id in tasks:
        task = catalog.get(task_id)
        path = f"{TASK_DIR}/{task_id}.md"
        if git.run(root, "cat-file", "-e", f"{base_ref}:{path}", check=False).returncode != 0:
            raise UserError(
                f"{path} is not committed on {base_ref}: runs read their task from the "
                "base commit, so commit it first"
            )
        names = _agents_for(task.agent, agent, agents, sorted(policy.agents))
        queued += queue_tasks(
            store, [task_id], names, base_ref=task.base or base_ref, tasks={task_id: task}
        )
    return queued, base_ref


def _state_lines(store: Store, console: Console) -> Callable[[Batch], None]:
    """Progress for a log or a pipe: one line per state change of a run."""
    last: dict[int, str] = {}

    def report_lines(batch: Batch) -> None:
        for run_id in sorted(batch.run_ids):
            state = store.run(run_id).state
            if last.get(run_id) != state:
                last[run_id] = state
                run = store.run(run_id)
                console.print(
                    f"run {run_id} {escape(visible(run.task_id))}/{escape(visible(run.agent))}: {state}"
                    + (f" ({escape(visible(run.reason, 120))})" if run.reason else "")
                )

    return report_lines


def _work(scheduler: Scheduler, store: Store, console: Console) -> Batch:
    """Work the queue with a live table on a terminal, state lines otherwise; Ctrl-C re-queues
    the runs in flight and exits 130."""
    try:
        if console.is_terminal and sys.stdout.isatty():
            with Live(
                _table(store, scheduler.batch), console=console, refresh_per_second=2
            ) as live:
                scheduler.on_change = lambda batch: live.update(_table(store, batch))
                return scheduler.run()
        scheduler.on_change = _state_lines(store, console)
        return scheduler.run()
    except KeyboardInterrupt:
        scheduler.stop()
        console.print(
            "[yellow]interrupted: runs in flight were re-queued; 'crewchief run' resumes them[/]"
        )
        raise typer.Exit(130) from None


def _summary(store: Store, batch: Batch, console: Console) -> None:
    for warning in batch.warnings:
        console.print(f"[yellow]warning:[/] {escape(visible(warning))}")
    for run_id, why in sorted(batch.waiting.items()):
        console.print(f"[dim]run {run_id} not started: {escape(visible(why))}[/]")
    done = [store.run(r) for r in sorted(batch.run_ids)]
    summary = ", ".join(
        f"{s}: {sum(1 for r in done if r.state == s)}" for s in sorted({r.state for r in done})
    )
    console.print(f"{len(done)} run(s) worked: {summary or 'none'}; next: 'crewchief review'")


def run_command(
    tasks: list[str] = typer.Argument(None, help="Tasks to queue (default: work what is queued)."),
    agent: str | None = typer.Option(None, "--agent", help="Agent name from the policy."),
    agents: str | None = typer.Option(
        None, "--agents", help="Several agents on each task (best-of-N)."
    ),
    parallel: int = typer.Option(1, "--parallel", help="Runs at the same time."),
    until: str | None = typer.Option(None, "--until", help="Start no new run after HH:MM."),
    executor: str = typer.Option("local", "--executor", help="local (a process pool) or ray."),
    static_gate: bool = typer.Option(
        False, "--static-gate", help="Gate runs with static checks only."
    ),
    sandbox: str | None = typer.Option(
        None, "--sandbox", help="auto, required or off (default: [runs] sandbox in the policy)."
    ),
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: here)."),
) -> None:
    """Queue runs for TASKs (or work the existing queue) and run them, gated, in isolated worktrees."""
    if executor not in ("local", "ray"):
        raise UserError(f"--executor {executor!r}: use local or ray")
    if executor == "ray":
        raise UserError("the Ray executor is not built yet; use --executor local")
    root = repo_root(repo)
    store = open_store(root)
    console = Console(stderr=False)
    for item in recover(store, root):
        console.print(f"[yellow]recovered run {item.run_id}: {item.action}[/]")
    deadline = deadline_from(until)
    if tasks:
        queued, base_ref = _queue_named(store, root, tasks, agent, agents)
        console.print(f"queued runs {', '.join(map(str, queued))} on {base_ref}")
    if sandbox not in (None, "auto", "required", "off"):
        raise UserError(f"--sandbox {sandbox!r}: use auto, required or off")
    options = RunOptions(static_gate=static_gate, sandbox=sandbox)  # type: ignore[arg-type]
    scheduler = Scheduler(
        store,
        root,
        lambda run_id: execute_run(store, root, run_id, options=options),
        parallel=parallel,
        deadline=deadline,
    )
    # [notify] sends the brief at the deadline and at the end (never on Ctrl-C)
    with batch_notifications(root, store, deadline, console):
        _summary(store, _work(scheduler, store, console), console)
