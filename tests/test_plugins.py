"""Plugins: what a new built-in check and a third-party check touch, and the rules every plugin
kind shares.

The example plugins are real distributions as far as `importlib.metadata` is concerned: a module
and a `*.dist-info` folder with an `entry_points.txt`, put on the path of a real `crewchief gate`
process (or of this one, for the registry's own rules).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from crewchief import docsgen
from crewchief.agents.base import Agent
from crewchief.agents.registry import _adopt as adopt_agent
from crewchief.cli.common import ListFormat
from crewchief.cli.rules import rules_command
from crewchief.gate import registry as check_registry
from crewchief.gate import rulebook
from crewchief.gate.change import Change
from crewchief.gate.check import BUILTIN_CHECKS, KNOWN_CHECKS, Check, CheckContext, is_exclusive
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Severity
from crewchief.gate.reader import read_change
from crewchief.gate.registry import _adopt as adopt_check
from crewchief.gate.report.sarif import render_sarif
from crewchief.plugins import PluginError, Registry
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

SRC = Path(__file__).resolve().parents[1] / "src" / "crewchief"

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


# --- a new built-in check -------------------------------------------------------------------------

NO_PRINT_CHECK = '''
"""An example built-in check, as a contributor adds one: flags print() calls the change adds."""
from crewchief.gate.findings import Rule, RuleTable, Severity

RULES = RuleTable(
    "no-print",
    Rule("no-print", "print-call", Severity.LOW, "Adds a print() call.", "Log through logging."),
)


class NoPrintCheck:
    name = "no-print"
    version = "1"
    kind = "static"
    rules = RULES

    def run(self, ctx):
        found = []
        for f in ctx.change.files:
            text = (f.new.text if f.new else "") or ""
            for number, line in enumerate(text.splitlines(), 1):
                if "print(" in line:
                    found.append(RULES["print-call"].finding("a print() call", path=f.path, line=number))
        return found


CHECK = NoPrintCheck()
'''

FILES_A_NEW_CHECK_TOUCHES = {
    "src/crewchief/gate/checks/no_print.py": "the check and its rule table",
    "src/crewchief/gate/check.py": "one line in BUILTIN_CHECKS",
    "tests/checks/test_no_print.py": "its test",
    "src/crewchief/spec/policy.py": "only when it has settings: its table in the policy model",
    "README.md, docs/reference/rules.md": "regenerated from the rule table, never edited by hand",
}
"""What adding a built-in check takes; the test below adds one in exactly these places."""


def test_a_new_builtin_check_is_its_module_and_one_line_in_the_list(monkeypatch, capsys) -> None:
    # The check module (loaded as if it were a file under gate/checks/).
    module = types.ModuleType("crewchief.gate.checks.no_print")
    exec(compile(textwrap.dedent(NO_PRINT_CHECK), "no_print.py", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    # One line in BUILTIN_CHECKS; the registry is built from it as on import.
    monkeypatch.setitem(BUILTIN_CHECKS, "no-print", "crewchief.gate.checks.no_print:CHECK")
    fresh = Registry("check", check_registry.ENTRY_POINT_GROUP, BUILTIN_CHECKS, adopt_check)
    monkeypatch.setattr(check_registry, "CHECKS", fresh)

    # Nothing else: the gate, --only, crewchief rules, SARIF and the reference pages all know it.
    assert check_registry.all_names() == [*KNOWN_CHECKS, "no-print"]
    assert check_registry.parse_names("no-print", "--only") == ["no-print"]
    change = Change.from_files({"app.py": "x = 1\n"}, {"app.py": "x = 1\nprint(x)\n"})
    report = gate_change(change, Policy(), only=["no-print"])
    assert [(f.check, f.rule, f.path, f.line) for f in report.findings] == [
        ("no-print", "print-call", "app.py", 2)
    ]
    sarif = json.loads(render_sarif(report))
    [descriptor] = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert descriptor["shortDescription"]["text"] == "Adds a print() call."
    assert descriptor["help"]["text"] == "Log through logging."
    rules_command(ListFormat.json)
    listed = json.loads(capsys.readouterr().out)["rules"]
    assert [
        (r["id"], r["severity"], r["blocking"]) for r in listed if r["check"] == "no-print"
    ] == [("print-call", "low", False)]
    reference = rulebook.render_markdown(rulebook.all_rules(builtin_only=True))
    assert "#### `no-print`" in reference and "Adds a print() call." in reference
    assert "#### `no-print`" in docsgen.rules_page()  # so docs/reference/rules.md is regenerated

    # The list names real places: files that exist, or new files in folders that do.
    for path in (p.strip() for key in FILES_A_NEW_CHECK_TOUCHES for p in key.split(",")):
        assert (SRC.parents[1] / path).exists() or (SRC.parents[1] / path).parent.is_dir(), path


def _check_name_lists(path: Path, names: set[str]) -> list[int]:
    """Lines of literal lists, tuples, sets or dicts in `path` naming four built-in checks or more."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            strings = {
                i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
            }
            if len(strings & names) >= 4:
                found.append(node.lineno)
    return found


def test_builtin_check_names_are_listed_in_one_place() -> None:
    names = set(BUILTIN_CHECKS)
    lists = {
        str(path.relative_to(SRC.parents[1])): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := _check_name_lists(path, names))
    }
    assert list(lists) == ["src/crewchief/gate/check.py"], lists
    assert len(lists["src/crewchief/gate/check.py"]) == 1
