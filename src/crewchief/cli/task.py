"""`crewchief task new|list|show|lint`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crewchief.cli.common import ListFormat, print_json, repo_root, tracked_files, worktree_policy
from crewchief.errors import UserError
from crewchief.spec.task import TASK_DIR, Task
from crewchief.tasks.catalog import load_catalog, render_new
from crewchief.tasks.lint import Level, lint_catalog
from crewchief.textsafe import visible, visible_lines

app = typer.Typer(
    help="Write, list, show and lint tasks (.crewchief/tasks/*.md).",
    no_args_is_help=True,
    add_completion=False,
)

REPO = typer.Option(Path("."), "--repo", help="Repository (default: here).")
FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")


def _task_json(task: Task) -> dict[str, object]:
    return task.model_dump(mode="json")


@app.command("new")
def new(
    task_id: str = typer.Argument(..., help="Id: lower-case letters, digits, '.', '_', '-'."),
    title: str = typer.Option(None, "--title", help="One line (default: the id)."),
    agent: str | None = typer.Option(None, "--agent", help="Agent name from the policy."),
    scope: list[str] = typer.Option([], "--scope", help="A glob the change may touch (repeat)."),
    acceptance: list[str] = typer.Option([], "--acceptance", help="A test id or command (repeat)."),
    repo: Path = REPO,
) -> None:
    """Write a new task file from a template."""
    root = repo_root(repo)
    try:
        Task(id=task_id, title=title or task_id)
    except ValueError as exc:
        raise UserError(
            f"task id '{task_id}': use lower-case letters, digits, '.', '_' and '-'"
        ) from exc
    path = root / TASK_DIR / f"{task_id}.md"
    if path.exists():
        raise UserError(f"{path} exists; edit it or pick another id")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_new(task_id, title or task_id, agent, scope, acceptance), "utf-8")
    typer.echo(f"wrote {path}; describe the objective, then run 'crewchief task lint {task_id}'")


@app.command("list")
def list_tasks(repo: Path = REPO, fmt: ListFormat = FORMAT) -> None:
    """List the repository's tasks."""
    catalog = load_catalog(repo_root(repo))
    if fmt == ListFormat.json:
        print_json(
            "crewchief.tasks/v1",
            {
                "tasks": [_task_json(t) for _, t in sorted(catalog.tasks.items())],
                "errors": [{"path": str(p), "message": m} for p, m in catalog.errors.items()],
            },
        )
        return
    table = Table(box=None)
    for column in ("id", "pri", "agent", "title", "acceptance", "depends on"):
        table.add_column(column)
    for task_id, task in sorted(catalog.tasks.items(), key=lambda kv: (kv[1].priority, kv[0])):
        table.add_row(
            escape(task_id),
            str(task.priority),
            escape(task.agent or "-"),
            escape(visible(task.title, 60)),
            "existing" if task.acceptance_existing else str(len(task.acceptance)),
            escape(", ".join(task.depends_on) or "-"),
        )
    console = Console()
    console.print(table)
    for message in catalog.errors.values():
        console.print(f"[red]error:[/] {escape(visible(message))}")


@app.command("show")
def show(task_id: str = typer.Argument(...), repo: Path = REPO, fmt: ListFormat = FORMAT) -> None:
    """Show one task's spec and objective."""
    task = load_catalog(repo_root(repo)).get(task_id)
    if fmt == ListFormat.json:
        print_json("crewchief.task/v1", {"task": _task_json(task)})
        return
    console = Console()
    console.print(f"[bold]{escape(task.id)}[/]: {escape(visible(task.title))}")
    for key in ("agent", "priority", "scope", "acceptance", "depends_on", "base"):
        value = getattr(task, key)
        if key == "acceptance" and task.acceptance_existing:
            value = "existing (the current suite must keep passing)"
        console.print(f"  {key}: {escape(visible(str(value)))}")
    console.print(f"  budget: {escape(task.budget.model_dump_json(exclude_none=True))}")
    console.print()
    # The objective is Markdown written by a person (or imported from an issue): its lines stay
    # lines, every other control character is escaped.
    console.print(escape(visible_lines(task.objective, 20000)), markup=True, soft_wrap=True)


import_app = typer.Typer(help="Import tasks from where work is tracked.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("github")
def import_github(
    repository: str = typer.Option(..., "--repo", help="OWNER/NAME of the GitHub repository."),
    label: str = typer.Option("agent-ready", "--label", help="Import the open issues with it."),
    directory: Path = typer.Option(
        Path("."), "--dir", help="Local repository to write the tasks in (default: here)."
    ),
) -> None:
    """Write a task per labelled issue (title, objective, the body's Acceptance and Scope sections,
    the issue URL as source), rewrite it when the issue changed unless the file was edited since
    (then it is kept and reported), and ask on the issue for acceptance entries when it has none
    (needs GITHUB_TOKEN)."""
    from crewchief.github import GitHub
    from crewchief.tasks.from_issues import KEPT_EDITED, NOT_POSTED, import_issues

    root = repo_root(directory)

    def lint_one(task_id: str) -> list[str]:
        problems = lint_catalog(
            load_catalog(root), tracked_files(root), worktree_policy(root), [task_id]
        )
        return [f"{p.rule}: {p.message}" for p in problems]

    results = import_issues(GitHub.from_env(), repository, label, root, lint_one)
    for r in results:
        shown = f"#{r.number} -> {TASK_DIR}/{r.task_id}.md: {r.action}"
        unposted = [p for p in r.problems if p.startswith(NOT_POSTED)]
        findings = len(r.problems) - len(unposted)
        notes = ([f"{findings} lint findings"] if findings else []) + unposted
        typer.echo(shown + (f" ({'; '.join(notes)})" if notes else ""))
    listed = ("created", "updated", "unchanged", KEPT_EDITED)
    imported = [r for r in results if r.action in listed]
    typer.echo(f"{len(imported)} issue(s) labelled {visible(label, 60)} imported")


@app.command("lint")
def lint(
    task_ids: list[str] = typer.Argument(None, help="Tasks to lint (default: all)."),
    repo: Path = REPO,
    fmt: ListFormat = FORMAT,
) -> None:
    """Say what each task leaves open for the agent to guess. Exit 1 when any error is found."""
    root = repo_root(repo)
    catalog = load_catalog(root)
    for task_id in task_ids or []:
        catalog.get(task_id)
    problems = lint_catalog(catalog, tracked_files(root), worktree_policy(root), task_ids or None)
    errors = sum(1 for p in problems if p.level == Level.ERROR)
    if fmt == ListFormat.json:
        print_json(
            "crewchief.task-lint/v1",
            {"problems": [p.to_json() for p in problems], "errors": errors},
        )
    else:
        console = Console()
        for p in problems:
            color = "red" if p.level == Level.ERROR else "yellow"
            console.print(
                f"[{color}]{p.level.value:<7}[/] {escape(p.task)}  [bold]{p.rule}[/]: "
                f"{escape(visible(p.message))}\n          → {escape(p.suggestion)}"
            )
        checked = len(task_ids) if task_ids else len(catalog.tasks) + len(catalog.errors)
        console.print(
            f"{checked} task(s) checked: {errors} error(s), {len(problems) - errors} warning(s)"
        )
    raise typer.Exit(1 if errors else 0)
