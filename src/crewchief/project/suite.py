"""Run a project's test command once, in its own environment, and read what happened.

Outcomes come through crewchief's pytest reporter plugin (the channel the gate uses), so a suite
that runs here can be read by the gate too. What a person needs when it does not run is one line:
the module an import failed on, that nothing was collected, that it timed out.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from crewchief import proc
from crewchief.workspace.pytest_command import pytest_args

PLUGIN = "crewchief_pytest_reporter"
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
USAGE_ERROR = 4
NO_TESTS = 5


@dataclass(frozen=True)
class SuiteRun:
    command: str
    exit_code: int | None
    timed_out: bool
    duration_s: float
    is_pytest: bool
    reported: bool
    """Whether the reporter plugin wrote its results (pytest ran its session to the end)."""
    collected: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    collect_errors: tuple[str, ...] = ()
    output: str = ""

    @property
    def missing_modules(self) -> tuple[str, ...]:
        """Modules the run could not import, in the order pytest met them."""
        names = [m.group(1) for m in _NO_MODULE.finditer(self.output)]
        names += [m.group(2) for m in _CANNOT_IMPORT.finditer(self.output)]
        return tuple(dict.fromkeys(names))

    @property
    def works(self) -> bool:
        """The suite ran and its outcomes are readable; failing tests still count as working (the
        gate compares them per test with the change)."""
        if self.timed_out:
            return False
        if not self.is_pytest:
            return self.exit_code == 0
        return self.reported and self.collected > 0 and self.exit_code in (0, 1)

    def summary(self) -> str:
        if not self.is_pytest:
            return f"exit {self.exit_code} in {self.duration_s:.1f}s"
        parts = [f"{n} {state}" for state, n in sorted(self.counts.items())]
        shown = ", ".join(parts) or "no tests run"
        return (
            f"{self.collected} collected: {shown} in {self.duration_s:.1f}s (exit {self.exit_code})"
        )


def run_suite(
    root: Path, python: str, command: str, env: Mapping[str, str], timeout: float
) -> SuiteRun:
    """Run `command` once in `root`: pytest as `<python> -m pytest` with the reporter loaded,
    anything else as written."""
    argv = shlex.split(command)
    args = pytest_args(argv)
    with tempfile.TemporaryDirectory(prefix="crewchief-doctor-") as tmp:
        folder = Path(tmp)
        source = files("crewchief.workspace").joinpath("pytest_reporter.py").read_text("utf-8")
        (folder / f"{PLUGIN}.py").write_text(source, encoding="utf-8")
        report = folder / "report.json"
        run_env = dict(env)
        run_env["PYTHONDONTWRITEBYTECODE"] = "1"
        if args is not None:
            run_env["CREWCHIEF_PYTEST_REPORT"] = str(report)
            path = run_env.get("PYTHONPATH")
            run_env["PYTHONPATH"] = str(folder) + (f":{path}" if path else "")
            argv = [python, "-m", "pytest", *args, "-p", PLUGIN, "-p", "no:cacheprovider"]
        outcome = proc.run(
            proc.Request(tuple(argv), cwd=root, env=run_env, timeout=timeout, merge_stderr=True)
        )
        data = _read_report(report)
    outcomes = data.get("outcomes")
    outcomes = outcomes if isinstance(outcomes, dict) else {}
    errors = data.get("collect_errors")
    collected = data.get("collected")
    return SuiteRun(
        command=command,
        exit_code=outcome.returncode,
        timed_out=outcome.timed_out,
        duration_s=outcome.duration_s,
        is_pytest=args is not None,
        reported=bool(data),
        collected=collected if isinstance(collected, int) else 0,
        counts=dict(Counter(str(v) for v in outcomes.values())),
        collect_errors=tuple(str(e) for e in errors) if isinstance(errors, list) else (),
        output=outcome.text(),
    )


def _read_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
