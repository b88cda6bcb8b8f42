"""Which interpreter runs the project's tests: the project's own, found the way a developer would.

crewchief is often installed in its own virtualenv (pipx, `uv tool`), which has none of the
project's packages and maybe no pytest; running the project's tests with `sys.executable` would
report every change as broken. So the gate looks, in order, at `[tests] python` in the policy, the
virtualenv the user has activated (`VIRTUAL_ENV`), a `.venv/` or `venv/` in the user's checkout,
and `python` / `python3` on PATH, and says which it took and why. crewchief's own interpreter is
used only when that is what the search finds (the user runs crewchief from the project's venv).
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


def _found(python: Path, how: str) -> ProjectPython:
    python = Path(os.path.abspath(python))
    return ProjectPython(python, how, venv_of(python))


def _configured(value: str, repo: Path, path_var: str) -> ProjectPython:
    """`[tests] python`: a virtualenv folder, an interpreter path (relative to the repository),
    or a name on PATH. A value that names nothing is the user's to fix, so it is an error."""
    how = f"[tests] python = {value!r} in the policy"
    if "/" not in value:
        found = shutil.which(value, path=path_var)
        if found is None:
            raise UserError(f"[tests] python = {value!r}: no such program on PATH")
        return _found(Path(found), how)
    target = Path(value).expanduser()
    target = target if target.is_absolute() else repo / target
    if target.is_dir():
        inner = _interpreter_in(target)
        if inner is None:
            raise UserError(f"[tests] python = {value!r}: {target} has no bin/python")
        return _found(inner, how)
    if not (target.is_file() and os.access(target, os.X_OK)):
        raise UserError(f"[tests] python = {value!r}: {target} is not an executable file")
    return _found(target, how)


def find_python(
    repo: Path, configured: str | None = None, environ: Mapping[str, str] | None = None
) -> ProjectPython:
    """The project's interpreter for the checkout at `repo` (the user's, not a gate worktree: a
    `.venv/` is never committed, so only the user's checkout has one)."""
    environ = os.environ if environ is None else environ
    path_var = environ.get("PATH", os.defpath)
    if configured:
        return _configured(configured, repo, path_var)
    active = environ.get("VIRTUAL_ENV")
    if active:
        inner = _interpreter_in(Path(active))
        if inner is not None:
            return _found(inner, f"the active virtualenv (VIRTUAL_ENV={active})")
    for folder in VENV_FOLDERS:
        inner = _interpreter_in(repo / folder)
        if inner is not None:
            return _found(inner, f"the repository's {folder}/")
    for name in NAMES_ON_PATH:
        found = shutil.which(name, path=path_var)
        if found is not None:
            return _found(Path(found), f"'{name}' on PATH")
    raise UserError(
        "no Python interpreter for the project's tests: set [tests] python in crewchief.toml, "
        "activate the project's virtualenv, or create .venv/ in the repository"
    )
