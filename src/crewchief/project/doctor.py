"""`crewchief doctor`: find the interpreter and the command that run a project's tests, run the
suite once, and say which `[tests]` section works, or exactly what is missing when nothing does.

A configuration that does not run is never the change's fault, so the gate can only judge changes
once this works: the one-line problem names what to install or what to change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief.project.environment import Candidate, Probe, candidates, env_for, probe
from crewchief.project.layout import Layout
from crewchief.project.suite import NO_TESTS, USAGE_ERROR, SuiteRun, run_suite
from crewchief.project.testcmd import DEFAULT_COMMAND, TestCommand


@dataclass(frozen=True)
class Diagnosis:
    probes: tuple[Probe, ...]
    """Every interpreter asked, in the discovery order, up to the first with pytest."""
    runs: tuple[SuiteRun, ...]
    """Every command tried, in order, up to the first that worked."""
    problem: str | None
    """One actionable line when nothing works; None when the last run works."""
    first: Candidate | None = None
    """The interpreter the discovery order finds first (the gate's, unless `python` is pinned)."""
    notes: tuple[str, ...] = ()

    @property
    def python(self) -> Probe | None:
        return next((p for p in self.probes if p.usable), None)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def python_value(self) -> str | None:
        """What `[tests] python` should say: the repository's own venv (portable), or the working
        interpreter when the discovery order would not find it first."""
        chosen = self.python
        if chosen is None:
            return None
        if chosen.candidate.policy_value is not None:
            return chosen.candidate.policy_value
        if self.first is not None and chosen.candidate != self.first:
            return chosen.candidate.python
        return None

    def proposal(self) -> str:
        """The `[tests]` TOML that worked."""
        lines = ["[tests]", f"command = {json.dumps(self.runs[-1].command)}"]
        python = self.python_value()
        if python is not None:
            lines.append(f"python = {json.dumps(python)}")
        return "\n".join(lines) + "\n"


def _no_interpreter(found: list[Candidate], probes: list[Probe]) -> str:
    if not found:
        return (
            "no Python found: no VIRTUAL_ENV, no .venv/ or venv/ in the repository, no python or "
            "python3 on PATH; create one (python3 -m venv .venv) or set [tests] python"
        )
    first = probes[0]
    where = f"{first.candidate.python} ({first.candidate.source})"
    if first.problem:
        return f"cannot run {where}: {first.problem}"
    return (
        f"no pytest in {where}, Python {first.version}: install it there "
        f"({first.candidate.python} -m pip install pytest, or the project's test extras)"
    )


def find_python(root: Path, environ: Mapping[str, str]) -> tuple[list[Candidate], list[Probe]]:
    """Probe the candidates in order until one has pytest."""
    found = candidates(root, environ)
    probes: list[Probe] = []
    for candidate in found:
        probes.append(probe(candidate, root, environ))
        if probes[-1].usable:
            break
    return found, probes


def explain(run: SuiteRun, python: Probe, layout: Layout) -> str:
    """The one line that says why `run` does not work and what to do about it."""
    where = f"{python.candidate.python} ({python.candidate.source})"
    if run.timed_out:
        return (
            f"'{run.command}' did not finish in {run.duration_s:.0f}s: raise [tests] timeout_s "
            "or narrow the command"
        )
    missing = run.missing_modules
    if missing:
        own = {Path(p).name for p in layout.packages} | {Path(m).stem for m in layout.modules}
        top = missing[0].split(".")[0]
        fix = (
            f"install the project there ({python.candidate.python} -m pip install -e .)"
            if top in own
            else "install the package that provides it there (the project's test dependencies)"
        )
        names = ", ".join(f"'{m}'" for m in missing)
        return f"the tests cannot import {names} with {where}: {fix}"
    if run.is_pytest and (run.exit_code == NO_TESTS or (run.reported and run.collected == 0)):
        folders = ", ".join(layout.test_dirs) or "the test folder"
        return f"'{run.command}' collected no tests in {where}: name {folders} in the command"
    if not run.is_pytest:
        return f"'{run.command}' exited {run.exit_code}: {_last_line(run.output)}"
    return (
        f"'{run.command}' could not run the tests (exit {run.exit_code}): {_last_line(run.output)}"
    )


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("E ", "ERROR", "error:"))]
    return (errors or lines or ["no output"])[-1][:300]


def commands_to_try(configured: str | None, detected: TestCommand) -> list[str]:
    """The policy's command first, then the project's own, then plain pytest: a later one is
    tried only when an earlier one is refused as a usage error (a plugin option not installed)."""
    ordered = [c for c in (configured, detected.command, DEFAULT_COMMAND) if c]
    return list(dict.fromkeys(ordered))


Reporter = Callable[[str], None]


def diagnose(
    root: Path,
    layout: Layout,
    commands: list[str],
    environ: Mapping[str, str],
    timeout: float,
    report: Reporter = lambda _line: None,
) -> Diagnosis:
    """Find the interpreter, then run the commands in order until one works or fails for a
    reason another command would not fix."""
    found, probes = find_python(root, environ)
    for p in probes:
        shown = p.problem or f"Python {p.version}, pytest {p.pytest or 'missing'}"
        report(f"python: {p.candidate.python} ({p.candidate.source}): {shown}")
    chosen = next((p for p in probes if p.usable), None)
    first = found[0] if found else None
    if chosen is None:
        return Diagnosis(tuple(probes), (), _no_interpreter(found, probes), first)
    env = env_for(chosen.candidate.python, environ)
    runs: list[SuiteRun] = []
    for command in commands:
        report(f"running: {command}")
        run = run_suite(root, chosen.candidate.python, command, env, timeout)
        runs.append(run)
        report(f"  {run.summary()}")
        if run.works:
            return Diagnosis(tuple(probes), tuple(runs), None, first, _notes(run, probes))
        if run.exit_code != USAGE_ERROR:
            break
    return Diagnosis(tuple(probes), tuple(runs), explain(runs[-1], chosen, layout), first)


def _notes(run: SuiteRun, probes: list[Probe]) -> tuple[str, ...]:
    notes: list[str] = []
    if len(probes) > 1:
        skipped = probes[0].candidate
        notes.append(
            f"{skipped.python} ({skipped.source}) comes first but cannot run pytest: without "
            f"[tests] python the gate would use it; install pytest there or pin the one that works"
        )
    broken = sum(n for state, n in run.counts.items() if state in ("failed", "error"))
    if broken:
        notes.append(
            f"{broken} test(s) fail before any change: the gate compares per test, so they will "
            "not block a change, but a reviewer sees less; fix or deselect them"
        )
    return tuple(notes)
