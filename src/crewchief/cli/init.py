"""`crewchief init`: write a commented starter policy and the .crewchief/ folder into a repo."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import typer

from crewchief import git
from crewchief.errors import UserError

GITIGNORE = "# crewchief's local state: runs, reports and logs stay on this machine\nstate.db*\nruns/\nlogs/\n"


def init_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository to set up (default: here)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing crewchief.toml."),
) -> None:
    """Write crewchief.toml (a commented starter policy) and .crewchief/ into a repository."""
    root = git.toplevel(repo)
    policy = root / "crewchief.toml"
    if policy.exists() and not force:
        raise UserError(f"{policy} exists; pass --force to overwrite it")
    policy.write_text(files("crewchief").joinpath("data/crewchief.toml").read_text("utf-8"))
    tasks = root / ".crewchief" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    ignore = root / ".crewchief" / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE)
    typer.echo(f"wrote {policy} and {tasks}/; edit the policy, then commit both")
