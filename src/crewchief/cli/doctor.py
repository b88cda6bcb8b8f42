"""`crewchief doctor`: check that the project's tests run the way the gate will run them.

Exit 0 when a `[tests]` section works (printed, or written with --write); exit 2 with one line
saying what is missing when nothing does (no interpreter, no pytest in it, an import error naming
the module, no tests collected).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from crewchief import git
from crewchief.errors import UserError
from crewchief.project.doctor import Diagnosis, commands_to_try, diagnose
from crewchief.project.layout import Layout, detect_layout
from crewchief.project.policyfile import python_key_supported, with_tests_section
from crewchief.project.testcmd import detect_test_command
from crewchief.spec.policy import POLICY_FILE, PYPROJECT, Policy, load_policy
from crewchief.textsafe import visible


def repo_files(root: Path) -> list[str]:
    """Tracked files and untracked ones git does not ignore (a new project has not committed yet)."""
    out = git.run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    return [git.decode_path(p) for p in out.split(b"\0") if p]


def _policy(root: Path) -> tuple[Policy, str | None]:
    files: dict[str, bytes | None] = {}
    for name in (POLICY_FILE, PYPROJECT):
        path = root / name
        files[name] = path.read_bytes() if path.is_file() else None
    return load_policy(files)


def _write(root: Path, source: str | None, diagnosis: Diagnosis, python: str | None) -> str:
    if source != POLICY_FILE:
        where = "pyproject.toml [tool.crewchief.tests]" if source else "no crewchief.toml"
        raise UserError(
            f"--write edits crewchief.toml, but the policy is in {where}; "
            "run 'crewchief init' or copy the section above by hand"
        )
    path = root / POLICY_FILE
    text = with_tests_section(path.read_text("utf-8"), diagnosis.runs[-1].command, python)
    path.write_text(text, "utf-8")
    return f"wrote [tests] into {path}"


def run_doctor(root: Path, *, write: bool, timeout: float | None = None) -> Diagnosis:
    """Diagnose the repository at `root` and print what was found; write the working `[tests]`
    into crewchief.toml when asked. Shared by `doctor` and the end of `init`."""
    policy, source = _policy(root)
    layout: Layout = detect_layout(repo_files(root))
    detected = detect_test_command(root)
    typer.echo(f"test command: {detected.command} (from {detected.source})")
    commands = commands_to_try(policy.tests.command, detected)
    environ = dict(os.environ)
    diagnosis = diagnose(
        root,
        layout,
        commands,
        environ,
        timeout or policy.tests.timeout_s,
        lambda line: typer.echo(visible(line, 500)),
    )
    for note in diagnosis.notes:
        typer.echo(f"note: {note}")
    if not diagnosis.ok:
        return diagnosis
    python = diagnosis.python_value()
    typer.echo("\nok: the tests run. The [tests] section that works:\n")
    typer.echo(diagnosis.proposal())
    if python is not None and not python_key_supported():
        typer.echo("(this crewchief does not read [tests] python yet: it is written commented out)")
    if write:
        typer.echo(_write(root, source, diagnosis, python))
    return diagnosis


def doctor_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository to check (default: here)."),
    write: bool = typer.Option(
        False, "--write", help="Write the working [tests] into crewchief.toml."
    ),
    timeout: float = typer.Option(
        None, "--timeout", help="Seconds the suite may run (default: [tests] timeout_s)."
    ),
) -> None:
    """Find the tests' interpreter and command, run the suite once, print the [tests] that works."""
    diagnosis = run_doctor(git.toplevel(repo), write=write, timeout=timeout)
    if diagnosis.problem is not None:
        raise UserError(diagnosis.problem)
