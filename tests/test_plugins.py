"""Plugins: what a third-party check touches, and the rules every plugin kind shares.

The example plugins are real distributions as far as `importlib.metadata` is concerned: a module
and a `*.dist-info` folder with an `entry_points.txt`, put on the path of a real `crewchief gate`
process (or of this one, for the registry's own rules).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from crewchief.agents.base import Agent
from crewchief.agents.registry import _adopt as adopt_agent
from crewchief.gate.check import BUILTIN_CHECKS, KNOWN_CHECKS, Check, CheckContext, is_exclusive
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Severity
from crewchief.gate.reader import read_change
from crewchief.gate.registry import _adopt as adopt_check
from crewchief.plugins import PluginError, Registry
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

TODO_CHECK = '''
"""An example third-party check: flags added lines that say TODO. It declares neither
`exclusive` nor `rules`, as a check written before they existed."""
from crewchief.gate.findings import Finding, Severity


class TodoCheck:
    name = "todo"
    version = "1"
    kind = "static"

    def run(self, ctx):
        found = []
        for f in ctx.change.files:
            text = (f.new.text if f.new else "") or ""
            for number, line in enumerate(text.splitlines(), 1):
                if "TODO" in line:
                    found.append(Finding("todo", "todo-left", Severity.LOW, "a TODO", f.path, number))
        return found


CHECK = TodoCheck()
'''


def install_plugin(site: Path, dist: str, module: str, source: str, entries: str) -> Path:
    """A module and the metadata of a distribution that registers it, under `site`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entries))
    return site


def gate_process(repo: Repo, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    argv = [sys.executable, "-m", "crewchief", "gate", "--repo", str(repo.path), "--base", "main"]
    argv += ["--head", "agent", "--static", "--no-cache", "--format", "json", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def todo_repo(make_repo) -> Repo:
    repo: Repo = make_repo({"src/app.py": "def f():\n    return 1\n"})
    repo.branch("agent", "main")
    repo.commit({"src/app.py": "def f():\n    return 2  # TODO: why 2\n"}, "agent change")
    return repo


def test_a_third_party_check_runs_in_the_gate_and_in_only(todo_repo: Repo, tmp_path) -> None:
    site = install_plugin(
        tmp_path / "site",
        "crewchief-todo",
        "crewchief_todo",
        TODO_CHECK,
        "[crewchief.checks]\ntodo = crewchief_todo:CHECK\n",
    )
    whole = gate_process(todo_repo, site)
    assert whole.returncode == 0, whole.stderr
    report = json.loads(whole.stdout)
    names = [c["name"] for c in report["checks"]]
    assert names[: len(KNOWN_CHECKS)] == list(KNOWN_CHECKS)
    assert names[-1] == "todo"
    assert [(f["check"], f["rule"], f["path"], f["line"]) for f in report["findings"]] == [
        ("todo", "todo-left", "src/app.py", 2)
    ]
    only = gate_process(todo_repo, site, "--only", "todo")
    assert [c["name"] for c in json.loads(only.stdout)["checks"]] == ["todo"]
    unknown = gate_process(todo_repo, tmp_path / "empty", "--only", "todo")
    assert unknown.returncode == 2
    assert "unknown check 'todo'" in unknown.stderr


def test_a_plugin_cannot_replace_a_builtin_and_a_broken_one_does_not_stop_the_gate(
    todo_repo: Repo, tmp_path
) -> None:
    entries = "[crewchief.checks]\nscope = crewchief_evil:CHECK\nbroken = crewchief_evil:MISSING\n"
    site = install_plugin(
        tmp_path / "site", "crewchief-evil", "crewchief_evil", TODO_CHECK, entries
    )
    result = gate_process(todo_repo, site)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["scope"]["status"] == "passed"  # the built-in, not the plugin's TODO check
    assert not any(f["check"] == "todo" for f in report["findings"])
    assert checks["broken"]["status"] == "error"
    assert "AttributeError" in checks["broken"]["detail"]
    shadow = checks["scope@crewchief-evil"]
    assert shadow["status"] == "error"
    assert "reuses the built-in name 'scope'" in shadow["detail"]
    assert report["verdict"] == "review"  # a human sees that the installation is not as expected


def test_the_same_rules_hold_for_every_plugin_kind(tmp_path, monkeypatch) -> None:
    entries = (
        "[crewchief.agents]\ncodex = crewchief_agents:Mine\nnot-an-agent = crewchief_agents:Mine\n"
    )
    site = install_plugin(
        tmp_path / "site",
        "crewchief-agents",
        "crewchief_agents",
        "class Mine:\n    pass\n",
        entries,
    )
    monkeypatch.syspath_prepend(str(site))
    registry = Registry(
        "agent type",
        "crewchief.agents",
        {"codex": "crewchief.agents.codex:CodexAgent"},
        adopt_agent,
    )
    assert registry.names() == ["codex", "not-an-agent"]
    loaded, errors = registry.load_all()
    assert list(loaded) == ["codex"]
    assert isinstance(loaded["codex"], Agent)
    assert type(loaded["codex"]).__module__ == "crewchief.agents.codex"
    assert "does not implement the Agent interface" in errors["not-an-agent"]
    assert "reuses the built-in name 'codex'" in errors["codex@crewchief-agents"]
    with pytest.raises(PluginError, match=r"unknown agent type 'nope'.*codex, not-an-agent"):
        registry.load("nope")


def test_builtin_checks_are_listed_once_and_all_load() -> None:
    registry = Registry("check", "crewchief.checks", BUILTIN_CHECKS, adopt_check)
    loaded, errors = registry.load_all()
    assert errors == {}
    assert tuple(loaded) == KNOWN_CHECKS
    assert all(check.name == name for name, check in loaded.items())
    assert [name for name, check in loaded.items() if is_exclusive(check)] == ["performance"]


class _Recorder:
    """A check that notes when it starts and ends, to show the engine's order."""

    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"

    def __init__(self, name: str, log: list[str], exclusive: bool = False) -> None:
        self.name = name
        self.log = log
        if exclusive:
            self.exclusive = True

    def run(self, ctx: CheckContext) -> Sequence[Finding]:
        self.log.append(f"start {self.name}")
        self.log.append(f"end {self.name}")
        return [Finding(self.name, "seen", Severity.INFO, "ran")]


def test_an_exclusive_check_runs_alone_after_the_others(todo_repo: Repo) -> None:
    log: list[str] = []
    checks: dict[str, Any] = {
        "timed": _Recorder("timed", log, exclusive=True),
        "a": _Recorder("a", log),
        "b": _Recorder("b", log),
    }
    assert all(isinstance(c, Check) for c in checks.values())
    change = read_change(todo_repo.path, "main", "agent")
    report = gate_change(change, Policy(), only=["timed", "a", "b"], checks=checks)
    assert [c.name for c in report.checks] == ["timed", "a", "b"]
    assert log[-2:] == ["start timed", "end timed"]
    assert sorted(log[:-2]) == ["end a", "end b", "start a", "start b"]
