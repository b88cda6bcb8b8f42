"""`crewchief init`: write a starter policy that fits the repository, the .crewchief/ folder, then
check with `doctor` that the tests run.

The scope names the packages, modules and test folders found in the repository (a flat `mypkg/`, a
`src/<pkg>/`, a single module, `tests/`), and the test command is the one the project's own runner
uses, so the first good change in a project is not blocked as out of scope.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import typer

from crewchief import git
from crewchief.cli.doctor import repo_files, run_doctor
from crewchief.errors import UserError
from crewchief.project.layout import Layout, detect_layout
from crewchief.project.policyfile import set_key, toml_list
from crewchief.project.testcmd import TestCommand, detect_test_command
from crewchief.spec.policy import POLICY_FILE, parse_policy

GITIGNORE = "# crewchief's local state: runs, reports and logs stay on this machine\nstate.db*\nruns/\nlogs/\n"


def starter_policy(layout: Layout, command: TestCommand) -> str:
    """The commented starter policy with this repository's scope and test command filled in."""
    text = files("crewchief").joinpath("data/crewchief.toml").read_text("utf-8")
    allow = layout.scope_allow()
    text = set_key(text, "scope", "allow", toml_list(allow))
    if not allow:
        text = text.replace(
            "allow = []",
            "allow = []  # no Python package or test folder found: name your code's folders here",
            1,
        )
    text = set_key(text, "tests", "command", toml_list([command.command])[1:-1])
    parse_policy(text.encode("utf-8"), POLICY_FILE)
    return text


def _describe(layout: Layout, command: TestCommand) -> str:
    code = ", ".join([*layout.packages, *layout.modules]) or "no Python package"
    tests = ", ".join([*layout.test_dirs, *layout.test_files]) or "no top-level test folder"
    return f"found {code}; tests: {tests}; test command: {command.command} (from {command.source})"


def init_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository to set up (default: here)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing crewchief.toml."),
    doctor: bool = typer.Option(
        True, "--doctor/--no-doctor", help="Run the test suite once to check [tests] (default: on)."
    ),
) -> None:
    """Write crewchief.toml (a commented starter policy that fits the repo) and .crewchief/."""
    root = git.toplevel(repo)
    policy = root / POLICY_FILE
    if policy.exists() and not force:
        raise UserError(f"{policy} exists; pass --force to overwrite it")
    layout = detect_layout(repo_files(root))
    command = detect_test_command(root)
    policy.write_text(starter_policy(layout, command), "utf-8")
    tasks = root / ".crewchief" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    ignore = root / ".crewchief" / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE)
    typer.echo(_describe(layout, command))
    typer.echo(f"wrote {policy} and {tasks}/; edit the policy, then commit both")
    if not doctor:
        return
    typer.echo("\nchecking that the tests run (crewchief doctor):")
    diagnosis = run_doctor(root, write=True)
    if diagnosis.problem is not None:
        typer.echo(f"\nthe tests do not run yet: {diagnosis.problem}")
        typer.echo("fix that, then run 'crewchief doctor --write'")
