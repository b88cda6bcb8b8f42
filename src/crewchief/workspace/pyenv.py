"""Which interpreter runs the project's tests: the project's own, found the way a developer would.

crewchief is often installed in its own virtualenv (pipx, `uv tool`), which has none of the
project's packages and maybe no pytest; running the project's tests with `sys.executable` would
report every change as broken. So the gate looks, in order, at `[tests] python` in the policy, the
virtualenv the user has activated (`VIRTUAL_ENV`), a `.venv/` or `venv/` in the user's checkout,
and `python` / `python3` on PATH, and says which it took and why. crewchief's own interpreter is
used only when that is what the search finds (the user runs crewchief from the project's venv).

This is the one door for that search: `crewchief doctor` (`crewchief.project.environment`) probes
the same candidates in the same order, so what doctor proposes is what the gate then runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief.errors import UserError

VENV_FOLDERS = (".venv", "venv")
NAMES_ON_PATH = ("python", "python3")


@dataclass(frozen=True)
class ProjectPython:
    """The interpreter the project's commands run with, and how it was found (for the report)."""

    python: Path
    """The interpreter as the developer would call it (a venv's `bin/python`, not its target)."""
    how: str
    """One line: why this interpreter ("[tests] python in the policy", "the repository's .venv")."""
    venv: Path | None = None
    """The virtualenv folder when the interpreter is one: activated for the commands."""
    pin: str | None = None
    """What `[tests] python` says to choose this interpreter (doctor proposes it when the order
    would find another first): the configured value itself, or the repository-relative path of a
    venv in the checkout, which stays right on every clone; None for one outside the repository."""

    def describe(self) -> str:
        return f"{self.python} ({self.how})"

    def activation(self, path_var: str) -> dict[str, str]:
        """The variables `source bin/activate` would set, so `python`, `pytest` and any tool the
        environment installed resolve to it in the project's command, whatever wraps it."""
        if self.venv is None:
            return {}
        bin_dir = str(self.venv / "bin")
        return {"VIRTUAL_ENV": str(self.venv), "PATH": f"{bin_dir}{os.pathsep}{path_var}"}


def venv_of(python: Path) -> Path | None:
    """The virtualenv `python` belongs to (`<venv>/bin/python` beside `<venv>/pyvenv.cfg`)."""
    prefix = python.parent.parent
    return prefix if python.parent.name == "bin" and (prefix / "pyvenv.cfg").is_file() else None


def _interpreter_in(folder: Path) -> Path | None:
    for name in ("python", "python3"):
        candidate = folder / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _found(python: Path, how: str, pin: str | None = None) -> ProjectPython:
    python = Path(os.path.abspath(python))
    return ProjectPython(python, how, venv_of(python), pin)


def _configured(value: str, repo: Path, path_var: str) -> ProjectPython:
    """`[tests] python`: a virtualenv folder, an interpreter path (relative to the repository),
    or a name on PATH. A value that names nothing is the user's to fix, so it is an error."""
    how = f"[tests] python = {value!r} in the policy"
    if "/" not in value:
        found = shutil.which(value, path=path_var)
        if found is None:
            raise UserError(f"[tests] python = {value!r}: no such program on PATH")
        return _found(Path(found), how, value)
    target = Path(value).expanduser()
    target = target if target.is_absolute() else repo / target
    if target.is_dir():
        inner = _interpreter_in(target)
        if inner is None:
            raise UserError(f"[tests] python = {value!r}: {target} has no bin/python")
        return _found(inner, how, value)
    if not (target.is_file() and os.access(target, os.X_OK)):
        raise UserError(f"[tests] python = {value!r}: {target} is not an executable file")
    return _found(target, how, value)


def candidates(
    repo: Path, configured: str | None = None, environ: Mapping[str, str] | None = None
) -> list[ProjectPython]:
    """Every interpreter the order finds, first first. Only the configured one when the policy
    names one: a pinned interpreter that does not work is the user's to fix, never skipped (a
    value that names nothing raises `UserError`). The gate takes the first; doctor probes them in
    turn for one that has pytest, and proposes pinning it when it is not the first."""
    environ = os.environ if environ is None else environ
    path_var = environ.get("PATH", os.defpath)
    if configured:
        return [_configured(configured, repo, path_var)]
    found: list[ProjectPython] = []
    active = environ.get("VIRTUAL_ENV")
    if active:
        inner = _interpreter_in(Path(active))
        if inner is not None:
            found.append(_found(inner, f"the active virtualenv (VIRTUAL_ENV={active})"))
    for folder in VENV_FOLDERS:
        inner = _interpreter_in(repo / folder)
        if inner is not None:
            pin = f"{folder}/bin/{inner.name}"
            found.append(_found(inner, f"the repository's {folder}/", pin))
    for name in NAMES_ON_PATH:
        on_path = shutil.which(name, path=path_var)
        if on_path is not None:
            found.append(_found(Path(on_path), f"'{name}' on PATH"))
    return found


def find_python(
    repo: Path, configured: str | None = None, environ: Mapping[str, str] | None = None
) -> ProjectPython:
    """The project's interpreter for the checkout at `repo` (the user's, not a gate worktree: a
    `.venv/` is never committed, so only the user's checkout has one)."""
    found = candidates(repo, configured, environ)
    if not found:
        raise UserError(
            "no Python interpreter for the project's tests: set [tests] python in crewchief.toml, "
            "activate the project's virtualenv, or create .venv/ in the repository"
        )
    return found[0]
