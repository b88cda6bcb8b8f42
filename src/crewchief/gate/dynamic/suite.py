"""Run a test command in a prepared worktree and read per-test outcomes.

crewchief's small reporter plugin (pytest's own hooks, written to JSON) goes in through the
environment, not the command line: `PYTEST_ADDOPTS=-p crewchief_pytest_reporter` with its folder on
PYTHONPATH. So any command that ends up running pytest in the project's environment (`pytest`,
`env X=1 python -m pytest`, `uv run pytest`, `make test`) reports each test's outcome by node id, and
measures coverage with the project's coverage.py when asked. A command that never starts pytest is
judged by its exit code alone, as one pseudo-test named after the command.

The reporter runs in the test process, so its results file is forgeable; two more channels are
read beside it and cross-checked (see `evidence`): a pipe the test command inherits and the gate
reads while pytest runs (the reporter streams each outcome to it; nothing written can be taken
back; see `channels`) and pytest's own JUnit XML.
The reporter's copy sits in the evidence folder's read-only part, which the sandbox binds
read-only, so the code under test cannot rewrite the plugin that the re-run of failing tests loads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from crewchief import proc
from crewchief.errors import UserError
from crewchief.gate.dynamic import channels, evidence
from crewchief.gate.dynamic.evidence import inconsistency
from crewchief.workspace import sandbox
from crewchief.workspace.checkouts import Checkouts, PreparedTree, split_command
from crewchief.workspace.pytest_command import is_pytest

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
    """pytest ran (our reporter wrote its results) or the command is plainly a pytest command."""
    collect_errors: tuple[str, ...] = ()
    coverage_json: str | None = None
    duration_s: float = 0.0
    truncated: bool = False
    coverage_state: str = "not-asked"
    """measured | not-installed | measured-by-the-command | failed: ... | not-asked | no-pytest."""
    python: str = ""
    """The interpreter the command ran with and how it was found, for findings and notes."""
    start_error: str = ""
    """Why the command could not be started at all (a program not on PATH), else empty."""
    inconsistent: str = ""
    """Why the reporter's outcomes disagree with pytest's exit status or summary line (the
    evidence may be forged; see `evidence`), else empty. Such a run never counts as passing."""

    @property
    def crashed(self) -> bool:
        """The suite could not run: a timeout, a program that could not start, pytest's
        interrupted/internal/usage exits (2-4), or a pytest that exited without our reporter's
        results (it never got to run tests)."""
        if self.timed_out or self.start_error:
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
            "coverage_state": self.coverage_state,
            "python": self.python,
            "start_error": self.start_error,
            "inconsistent": self.inconsistent,
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
            coverage_state=data.get("coverage_state", "not-asked"),
            python=data.get("python", ""),
            start_error=data.get("start_error", ""),
            inconsistent=data.get("inconsistent", ""),
        )


def _plugin_dir(checkouts: Checkouts) -> Path:
    folder = checkouts.evidence_dir / sandbox.READ_ONLY_DIR / "plugin"
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
    """Appended to a pytest command (node ids to select); a wrapper command runs whole."""
    coverage: bool = False
    timeout: float = 1800
    label: str = "tests"
    env: dict[str, str] = field(default_factory=dict)


def _joined(value: str, existing: str | None, sep: str) -> str:
    return value + (sep + existing if existing else "")


def suite_env(
    checkouts: Checkouts, prepared: PreparedTree, request: SuiteRequest, log: Path
) -> dict[str, str]:
    """The command's environment: the prepared one, the request's variables, and the reporter
    (and coverage) switched on through variables pytest reads wherever it is started from."""
    env = dict(prepared.env)
    env.update(request.env)
    env["CREWCHIEF_PYTEST_REPORT"] = str(log.with_suffix(".json"))
    env["CREWCHIEF_PYTEST_JUNITXML"] = str(log.with_suffix(".junit.xml"))
    if request.coverage:
        env["CREWCHIEF_COVERAGE_DATA"] = str(log.with_suffix(".coverage"))
    env["PYTHONPATH"] = _joined(str(_plugin_dir(checkouts)), env.get("PYTHONPATH"), ":")
    addopts = f"-p {PLUGIN} -p no:cacheprovider"
    env["PYTEST_ADDOPTS"] = _joined(addopts, env.get("PYTEST_ADDOPTS"), " ")
    return env


def _read_report(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_suite(checkouts: Checkouts, prepared: PreparedTree, request: SuiteRequest) -> SuiteResult:
    argv = split_command(request.command)
    pytest_argv = is_pytest(argv)
    if pytest_argv:
        argv = [*argv, *request.extra_args]
    log = checkouts.log_path(request.label)
    report = log.with_suffix(".json")
    report.unlink(missing_ok=True)
    env = suite_env(checkouts, prepared, request, log)
    log.with_suffix(".junit.xml").unlink(missing_ok=True)
    stream_path = log.with_suffix(".stream")
    try:
        with channels.collected(stream_path) as received:
            env.update(received.environment(stream_path))
            outcome = checkouts.run(
                argv, prepared.tree.path, env, request.timeout, log, pass_fds=(received.pipe_fd,)
            )
    except UserError as exc:  # the program is not there: the suite never started
        log.write_text(f"$ {request.command}\n# {exc}\n", encoding="utf-8")
        return SuiteResult(
            {}, None, False, str(log), pytest_argv, python=prepared.describe(), start_error=str(exc)
        )
    stream, routes = received.stream()
    data = _read_report(report)
    if data is None and not pytest_argv and not (stream and stream.started):
        state = "passed" if outcome.ok else "failed"
        return SuiteResult(
            {f"command: {request.command}": state},
            outcome.returncode,
            outcome.timed_out,
            str(log),
            False,
            duration_s=outcome.duration_s,
            truncated=outcome.truncated,
            python=prepared.describe(),
            coverage_state="no-pytest",
        )
    data = data or {}
    coverage_json = log.with_suffix(".coverage.json")
    # pytest's own exit status when the reporter saw it: a wrapper (`make` exits 2 for any failure)
    # must not read as pytest's "interrupted".
    exit_code = (
        outcome.returncode if outcome.timed_out else data.get("exitstatus", outcome.returncode)
    )
    outcomes = {str(k): str(v) for k, v in dict(data.get("outcomes", {})).items()}
    collect_errors = tuple(str(e) for e in data.get("collect_errors", ()))
    return SuiteResult(
        outcomes=outcomes,
        exit_code=exit_code,
        timed_out=outcome.timed_out,
        log=str(log),
        is_pytest=True,
        collect_errors=collect_errors,
        coverage_json=str(coverage_json) if coverage_json.exists() else None,
        duration_s=outcome.duration_s,
        truncated=outcome.truncated,
        coverage_state=str(data.get("coverage", "not-asked" if data else "no-pytest")),
        python=prepared.describe(),
        inconsistent=_inconsistency(
            outcome, pytest_argv, data, outcomes, collect_errors, log, stream
        )
        or routes * (not outcome.timed_out),
    )


def _inconsistency(
    outcome: proc.Outcome,
    pytest_argv: bool,
    data: dict[str, Any],
    outcomes: dict[str, str],
    collect_errors: tuple[str, ...],
    log: Path,
    stream: evidence.Stream | None,
) -> str:
    """Cross-check the reporter's file against its stream, pytest's exit status, summary line and
    JUnit XML. The process's return code is pytest's own when the command is pytest itself (the
    reporter's copy of it is as forgeable as its outcomes); a wrapper's return code is its own, so
    the reporter's is used."""
    if outcome.timed_out or not (data or (stream and stream.started)):
        return ""
    pytest_exit = outcome.returncode if pytest_argv else None
    found = ""
    if stream is not None:
        found = evidence.stream_disagreement(stream, outcomes, pytest_exit, bool(data))
    if found or not data:
        return found
    reported = data.get("exitstatus")
    statuses = {pytest_exit, reported}
    status = 1 if 1 in statuses else outcome.returncode if pytest_argv else reported
    text = ""
    # A capped log keeps its beginning: pytest's summary is cut off, and a summary-like line a test
    # printed may be the last one left, so only the exit status is checked then.
    if not outcome.truncated:
        try:
            text = log.read_text("utf-8", "replace")
        except OSError:
            text = ""
    found = inconsistency(
        outcomes, collect_errors, status if isinstance(status, int) else None, text
    )
    if found or stream is None or not stream.junitxml or not stream.ends:
        return found
    if not set(stream.ends) <= {0, 1, 5}:  # interrupted or broken: no JUnit XML to expect
        return ""
    junit = evidence.parse_junit(Path(stream.junitxml))
    return evidence.junit_disagreement(junit, outcomes, len(collect_errors), text)
