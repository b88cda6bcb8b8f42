"""Which Python runs a project's tests, found the way a developer would find it.

The order: `[tests] python` in the policy when set; else the active virtualenv (`VIRTUAL_ENV`);
else a `.venv/` or `venv/` in the repository; else `python`, then `python3`, on PATH. crewchief's own
interpreter is never used unless PATH leads to it: the project's environment runs the project's code.
The search itself is the gate's (`crewchief.workspace.pyenv.candidates`), so doctor cannot find
another interpreter, or give another reason, than the gate will; this module asks each one found
whether it can run pytest.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crewchief import proc
from crewchief.errors import UserError
from crewchief.workspace import pyenv

PROBE_TIMEOUT_S = 60.0

_PROBE = (
    "import json, sys\n"
    "try:\n"
    "    import pytest\n"
    "    version = pytest.__version__\n"
    "except Exception as exc:\n"
    "    version = None\n"
    "print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix,\n"
    "    'version': '%d.%d.%d' % sys.version_info[:3], 'pytest': version}))\n"
)


@dataclass(frozen=True)
class Candidate:
    python: str
    """The interpreter's path (absolute, or as configured)."""
    source: str
    """How it was found, in the gate's words (`ProjectPython.how`)."""
    policy_value: str | None
    """What `[tests] python` would say to pin it: repo-relative for a venv inside the repository."""
    problem: str | None = None
    """Why the configured value names no interpreter (the gate's own error for it)."""


@dataclass(frozen=True)
class Probe:
    candidate: Candidate
    executable: str | None = None
    version: str | None = None
    pytest: str | None = None
    problem: str | None = None
    """Why the interpreter could not be asked at all (missing, not executable, crashed)."""

    @property
    def usable(self) -> bool:
        return self.problem is None and self.pytest is not None


def configured_python(root: Path) -> tuple[str, str] | None:
    """`[tests] python` and the file it is in, read from the TOML text directly: the key is newer
    than some policy models, and doctor must see it either way."""
    for name, prefix in (("crewchief.toml", ()), ("pyproject.toml", ("tool", "crewchief"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            doc: Any = tomllib.loads(path.read_text("utf-8", "replace"))
        except tomllib.TOMLDecodeError:
            continue
        for key in (*prefix, "tests", "python"):
            doc = doc.get(key) if isinstance(doc, dict) else None
        if isinstance(doc, str) and doc:
            return doc, name
        if name == "crewchief.toml":
            return None  # crewchief.toml wins over pyproject.toml, as for the whole policy
    return None


def candidates(root: Path, environ: Mapping[str, str]) -> list[Candidate]:
    """The gate's candidates in the gate's order, one per real interpreter (a VIRTUAL_ENV that is
    the repository's .venv/ is asked once); a configured value that names nothing is kept, with
    the gate's error as its problem, so doctor reports what the gate would refuse."""
    configured = configured_python(root)
    value = configured[0] if configured is not None else None
    try:
        found = pyenv.candidates(root, value, environ)
    except UserError as exc:
        assert value is not None  # only a configured value can name nothing
        return [Candidate(value, f"[tests] python = {value!r} in the policy", value, str(exc))]
    unique: dict[str, Candidate] = {}
    for python in found:
        candidate = Candidate(str(python.python), python.how, python.pin)
        unique.setdefault(os.path.realpath(python.python), candidate)
    return list(unique.values())


def probe(candidate: Candidate, root: Path, environ: Mapping[str, str]) -> Probe:
    """Ask the interpreter for its version and its pytest's, in one short process."""
    if candidate.problem is not None:
        return Probe(candidate, problem=candidate.problem)
    try:
        outcome = proc.run_argv(
            (candidate.python, "-c", _PROBE), cwd=root, env=environ, timeout=PROBE_TIMEOUT_S
        )
    except UserError as exc:
        return Probe(candidate, problem=str(exc))
    if not outcome.ok:
        tail = (outcome.stderr or outcome.stdout).decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else f"exit {outcome.returncode}"
        return Probe(candidate, problem=f"{candidate.python} did not start: {last}")
    try:
        data = json.loads(outcome.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Probe(candidate, problem=f"{candidate.python} printed no answer")
    return Probe(candidate, data.get("executable"), data.get("version"), data.get("pytest"))


def env_for(python: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a developer has after activating the interpreter's virtualenv: its bin/
    first on PATH and VIRTUAL_ENV set, so tests that start `python` get the same one."""
    env = dict(environ)
    bin_dir = Path(python).parent
    if (bin_dir.parent / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
        env["PATH"] = os.pathsep.join([str(bin_dir), *filter(None, [environ.get("PATH")])])
    else:
        env.pop("VIRTUAL_ENV", None)
    return env
