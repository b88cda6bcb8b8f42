"""`crewchief guard install|uninstall|status`: the run's scope hook in your own Claude Code sessions.

Install writes the policy's scope (and a task's, with `--task`) to a rules file in the checkout's
git dir and merges a PreToolUse hook that enforces it into `.claude/settings.local.json` (default:
personal, so guardrails are not committed by surprise) or `.claude/settings.json`. Uninstall
removes exactly what install added. The work lives in `crewchief.agents.guard`.

Exit codes: 0 done (also uninstall when nothing is installed), 2 bad input (not a git repository,
unknown task, malformed settings JSON or policy; the settings file is left untouched).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crewchief import statepaths
from crewchief.agents import guard
from crewchief.agents.hooks import ScopeRules
from crewchief.cli.common import repo_root, worktree_policy
from crewchief.tasks.catalog import load_catalog
from crewchief.textsafe import visible

app = typer.Typer(
    help="Hold your own Claude Code sessions in this checkout to the policy's scope.",
    no_args_is_help=True,
    add_completion=False,
)

REPO = typer.Option(Path("."), "--repo", help="Repository (default: here).")
TASK = typer.Option(None, "--task", help="Also limit edits to this task's scope.")
SETTINGS = typer.Option(
    guard.SettingsKind.local,
    "--settings",
    help="local: .claude/settings.local.json (personal); project: .claude/settings.json (shared).",
)


def _shown(root: Path, path: Path) -> str:
    return visible(str(path.relative_to(root)) if path.is_relative_to(root) else str(path))


@app.command("install")
def install_command(
    task_id: str | None = TASK, settings: guard.SettingsKind = SETTINGS, repo: Path = REPO
) -> None:
    """Add the scope hook to this checkout's Claude Code settings (again: refresh the rules)."""
    root = repo_root(repo)
    task = load_catalog(root).get(task_id) if task_id is not None else None
    rules = ScopeRules.for_task(root, task, worktree_policy(root).scope)
    record, previous = guard.install(root, rules, settings)
    verb = "refreshed" if previous is not None else "installed"
    typer.echo(f"crewchief guard {verb} in {_shown(root, record.path)}")
    if previous is not None and previous.path != record.path:
        typer.echo(f"  removed from {_shown(root, previous.path)}")
    scope = ", ".join(rules.task_scope) if rules.task_scope else "the policy's scope"
    typer.echo(f"  Claude Code edits are limited to {visible(scope)}; protected paths are refused")
    if settings == guard.SettingsKind.project:
        typer.echo(
            "  note: .claude/settings.json is shared, but the hook names this machine's Python "
            "and this checkout's rules: do not commit it (in crewchief's run worktrees it would "
            "refuse every edit)"
        )
    typer.echo("  undo with 'crewchief guard uninstall'")


@app.command("uninstall")
def uninstall_command(repo: Path = REPO) -> None:
    """Remove exactly what `crewchief guard install` added."""
    root = repo_root(repo)
    record = guard.uninstall(root)
    if record is None:
        typer.echo("crewchief guard is not installed in this checkout; nothing to remove")
        return
    typer.echo(f"crewchief guard removed from {_shown(root, record.path)}")


@app.command("status")
def status_command(repo: Path = REPO) -> None:
    """Say whether the hook is installed, where, and the scope it enforces."""
    root = repo_root(repo)
    record = guard.load_record(root)
    if record is None:
        typer.echo("crewchief guard is not installed in this checkout")
        return
    typer.echo(f"crewchief guard is installed in {_shown(root, record.path)}")
    rules_path = statepaths.guard_dir(root) / guard.RULES
    try:
        rules = json.loads(rules_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        typer.echo(
            f"  its rules file {rules_path} is missing or damaged: run 'crewchief guard install'"
        )
        return
    if rules.get("task_id"):
        typer.echo(f"  task: {visible(str(rules['task_id']))}")
    for key in ("task_scope", "allow", "deny"):
        if rules.get(key):
            typer.echo(f"  {key}: {visible(', '.join(map(str, rules[key])))}")
