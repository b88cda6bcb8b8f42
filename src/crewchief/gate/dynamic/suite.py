"""Run a test command in a prepared worktree and read per-test outcomes.

For pytest commands crewchief loads its own small reporter plugin (pytest's own hooks, written to
JSON) to learn each test's outcome by node id; any other command is judged by its exit code alone,
as one pseudo-test named after the command. `pytest` is run as `<env python> -m pytest` so the
interpreter is the prepared environment's, and coverage can wrap it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from crewchief.workspace.checkouts import Checkouts, PreparedTree, split_command

PLUGIN = "crewchief_pytest_reporter"
PASSING = frozenset({"passed", "xpassed"})
NOT_RUN = frozenset({"skipped", "xfailed"})
BROKEN = frozenset({"failed", "error"})


@dataclass(frozen=True)
class SuiteResult:
    outcomes: dict[str, str]
    """Node id to passed | failed | error | skipped | xfailed | xpassed."""
    exit_code: int | None
    timed_out: bool
    log: str
    is_pytest: bool
    collect_errors: tuple[str, ...] = ()
    coverage_json: str | None = None
    duration_s: float = 0.0
    truncated: bool = False

    @property
    def crashed(self) -> bool:
        """The suite could not run: a timeout, pytest's interrupted/internal/usage exits (2-4), or
        a pytest that exited without our reporter's results (it never got to run tests)."""
        if self.timed_out:
            return True
        if not self.is_pytest:
            return False
        if self.exit_code in (2, 3, 4):
            return True
        return self.exit_code != 5 and not self.outcomes and bool(self.exit_code)

    def to_json(self) -> dict[str, Any]:
        return {
            "outcomes": self.outcomes,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "log": self.log,
            "is_pytest": self.is_pytest,
            "collect_errors": list(self.collect_errors),
            "coverage_json": self.coverage_json,
            "duration_s": self.duration_s,
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SuiteResult:
        return cls(
            outcomes=dict(data["outcomes"]),
            exit_code=data["exit_code"],
            timed_out=data["timed_out"],
            log=data["log"],
            is_pytest=data["is_pytest"],
            collect_errors=tuple(data.get("collect_errors", ())),
            coverage_json=data.get("coverage_json"),
            duration_s=data.get("duration_s", 0.0),
            truncated=data.get("truncated", False),
        )


def is_pytest(argv: Sequence[str]) -> bool:
    if not argv:
        return False
    if Path(argv[0]).name in ("pytest", "py.test"):
        return True
    return (
        len(argv) >= 3
        and Path(argv[0]).name.startswith("python")
        and list(argv[1:3]) == ["-m", "pytest"]
    )


def pytest_args(argv: Sequence[str]) -> list[str]:
    """The arguments after `pytest` / `python -m pytest`."""
    return list(argv[1:]) if Path(argv[0]).name in ("pytest", "py.test") else list(argv[3:])


def _plugin_dir(checkouts: Checkouts) -> Path:
    folder = checkouts.evidence_dir / "_plugin"
    target = folder / f"{PLUGIN}.py"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        source = files("crewchief.workspace").joinpath("pytest_reporter.py").read_text("utf-8")
        target.write_text(source, encoding="utf-8")
    return folder


@dataclass
class SuiteRequest:
    command: str
    extra_args: Sequence[str] = ()
    """Appended to a pytest command (node ids to select)."""
    coverage: bool = False
    timeout: float = 1800
    label: str = "tests"
    env: dict[str, str] = field(default_factory=dict)


def run_suite(checkouts: Checkouts, prepared: PreparedTree, request: SuiteRequest) -> SuiteResult:
    argv = split_command(request.command)
    log = checkouts.log_path(request.label)
    env = dict(prepared.env)
    env.update(request.env)
    if not is_pytest(argv):
        outcome = checkouts.run(
            [*argv, *request.extra_args], prepared.tree.path, env, request.timeout, log
        )
        name = f"command: {request.command}"
        state = "passed" if outcome.ok else "failed"
        return SuiteResult(
            {name: state},
            outcome.returncode,
            outcome.timed_out,
            str(log),
            False,
            duration_s=outcome.duration_s,
            truncated=outcome.truncated,
        )
    report = log.with_suffix(".json")
    report.unlink(missing_ok=True)
    env["CREWCHIEF_PYTEST_REPORT"] = str(report)
    plugin_dir = str(_plugin_dir(checkouts))
    env["PYTHONPATH"] = plugin_dir + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    args = [*pytest_args(argv), "-p", PLUGIN, "-p", "no:cacheprovider", *request.extra_args]
    coverage_json: str | None = None
    if request.coverage:
        data_file = log.with_suffix(".coverage")
        run = [
            prepared.python,
            "-m",
            "coverage",
            "run",
            f"--data-file={data_file}",
            "--source=.",
            "-m",
            "pytest",
            *args,
        ]
    else:
        run = [prepared.python, "-m", "pytest", *args]
    outcome = checkouts.run(run, prepared.tree.path, env, request.timeout, log)
    data: dict[str, Any] = {}
    if report.exists():
        try:
            data = json.loads(report.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
    if request.coverage and not outcome.timed_out:
        target = log.with_suffix(".coverage.json")
        convert = checkouts.run(
            [
                prepared.python,
                "-m",
                "coverage",
                "json",
                f"--data-file={log.with_suffix('.coverage')}",
                "-o",
                str(target),
                "--ignore-errors",
            ],
            prepared.tree.path,
            env,
            300,
            checkouts.log_path(f"{request.label}-coverage"),
        )
        if convert.ok and target.exists():
            coverage_json = str(target)
    outcomes = {str(k): str(v) for k, v in dict(data.get("outcomes", {})).items()}
    return SuiteResult(
        outcomes=outcomes,
        exit_code=outcome.returncode,
        timed_out=outcome.timed_out,
        log=str(log),
        is_pytest=True,
        collect_errors=tuple(data.get("collect_errors", ())),
        coverage_json=coverage_json,
        duration_s=outcome.duration_s,
        truncated=outcome.truncated,
    )
