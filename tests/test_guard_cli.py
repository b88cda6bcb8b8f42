"""`crewchief guard install|uninstall|status` through the real CLI, on real git repositories, with
the installed hook run as Claude Code runs it: the command from the settings file, the event on
stdin."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from crewchief import proc
from tests.helpers.cli import Result, run_cli
from tests.helpers.repo import Repo

TASK = """---
id: fix-add
title: add returns the sum
scope: [calc.py, tests/test_calc.py]
acceptance:
  - tests/test_calc.py::test_add
budget: {minutes: 10}
---
`add(2, 3)` must return `5`; today it returns `-1`.
"""

FILES = {
    "crewchief.toml": '[scope]\ndeny = ["secrets/**"]\n',
    "calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": "def test_add():\n    pass\n",
    ".crewchief/tasks/fix-add.md": TASK,
}

# Someone's own settings: other keys, their own hooks, their own layout (4 spaces, no final newline).
EXISTING = """{
    "permissions": {"allow": ["Bash(make test)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo hi"}]}],
        "PostToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "fmt"}]}]
    },
    "model": "opus"
}"""

LOCAL = Path(".claude/settings.local.json")
PROJECT = Path(".claude/settings.json")


@pytest.fixture
def repo(make_repo: Any) -> Repo:
    made: Repo = make_repo(FILES)
    return made


def guard(capsys: pytest.CaptureFixture[str], repo: Repo, *args: str) -> Result:
    return run_cli(capsys, "guard", *args, "--repo", str(repo.path))


def _ours(settings: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in settings["hooks"]["PreToolUse"]
        if "crewchief.agents.hooks" in e["hooks"][0]["command"]
    ]


def _settings(repo: Repo, which: Path = LOCAL) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo.path / which).read_text())
    return data


def _edit(repo: Repo, relpath: str, which: Path = LOCAL) -> str | None:
    """Run the installed hook as Claude Code would for a Write of `relpath`; the denial reason, or
    None when the edit may go ahead."""
    (entry,) = _ours(_settings(repo, which))
    assert entry["matcher"] == "Write|Edit|MultiEdit|NotebookEdit"
    event = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": str(repo.path / relpath), "content": "x"},
        "cwd": str(repo.path),
    }
    argv = shlex.split(entry["hooks"][0]["command"])
    outcome = proc.run_argv(argv, stdin=json.dumps(event).encode(), timeout=60)
    assert outcome.returncode == 0, outcome.stderr
    if not outcome.stdout.strip():
        return None
    decision = json.loads(outcome.stdout)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    return str(decision["permissionDecisionReason"])


def test_install_into_no_file_and_uninstall_leaves_nothing(capsys, repo: Repo) -> None:
    exclude = repo.path / ".git/info/exclude"
    before = exclude.read_bytes()
    result = guard(capsys, repo, "install")
    assert result.code == 0, result.err
    assert "installed in .claude/settings.local.json" in result.out
    settings = _settings(repo)
    assert list(settings) == ["hooks"] and list(settings["hooks"]) == ["PreToolUse"]
    (entry,) = settings["hooks"]["PreToolUse"]
    argv = shlex.split(entry["hooks"][0]["command"])
    assert entry["hooks"][0]["type"] == "command"
    assert argv[:4] == [sys.executable, "-I", "-m", "crewchief.agents.hooks"]
    rules = Path(argv[4])
    assert rules.is_file() and rules.is_relative_to(repo.path / ".git")
    assert json.loads(rules.read_text())["worktree"] == str(repo.path)
    # personal guardrails stay personal: `git add -A` would not pick the file up
    assert repo.git("status", "--porcelain") == ""

    # the policy alone: its deny and the protected paths are refused, the rest allowed
    assert _edit(repo, "docs/notes.md") is None
    assert "[scope] deny" in (_edit(repo, "secrets/key.txt") or "")
    assert "protected path" in (_edit(repo, "crewchief.toml") or "")
    assert "protected path" in (_edit(repo, ".claude/settings.local.json") or "")

    result = guard(capsys, repo, "uninstall")
    assert result.code == 0, result.err
    assert "removed from .claude/settings.local.json" in result.out
    assert not (repo.path / ".claude").exists()
    assert not rules.exists() and not rules.parent.exists()
    assert exclude.read_bytes() == before


def test_install_keeps_existing_settings_and_uninstall_restores_the_bytes(
    capsys, repo: Repo
) -> None:
    repo.write({str(LOCAL): EXISTING})
    assert guard(capsys, repo, "install").code == 0
    settings = _settings(repo)
    before = json.loads(EXISTING)
    assert list(settings) == list(before)  # same keys, same order
    assert settings["permissions"] == before["permissions"]
    assert settings["model"] == "opus"
    assert settings["hooks"]["PostToolUse"] == before["hooks"]["PostToolUse"]
    pre = settings["hooks"]["PreToolUse"]
    assert pre[0] == before["hooks"]["PreToolUse"][0] and len(pre) == 2
    assert len(_ours(settings)) == 1

    assert guard(capsys, repo, "uninstall").code == 0
    assert (repo.path / LOCAL).read_text() == EXISTING


def test_uninstall_keeps_what_the_user_changed_since(capsys, repo: Repo) -> None:
    repo.write({str(LOCAL): EXISTING})
    assert guard(capsys, repo, "install").code == 0
    settings = _settings(repo)
    settings["model"] = "sonnet"
    (repo.path / LOCAL).write_text(json.dumps(settings))

    assert guard(capsys, repo, "uninstall").code == 0
    after = _settings(repo)
    assert after == {**json.loads(EXISTING), "model": "sonnet"}
    assert list(after) == list(json.loads(EXISTING))


def test_install_twice_is_one_entry_with_fresh_rules(capsys, repo: Repo) -> None:
    repo.write({str(LOCAL): EXISTING})
    assert guard(capsys, repo, "install").code == 0
    assert _edit(repo, "docs/notes.md") is None
    result = guard(capsys, repo, "install", "--task", "fix-add")
    assert result.code == 0, result.err
    assert "refreshed" in result.out
    assert len(_ours(_settings(repo))) == 1
    assert "outside task 'fix-add' scope" in (_edit(repo, "docs/notes.md") or "")

    assert guard(capsys, repo, "uninstall").code == 0
    assert (repo.path / LOCAL).read_text() == EXISTING


def test_task_narrows_the_scope(capsys, repo: Repo) -> None:
    result = guard(capsys, repo, "install", "--task", "fix-add")
    assert result.code == 0, result.err
    assert "calc.py, tests/test_calc.py" in result.out
    assert _edit(repo, "calc.py") is None
    assert _edit(repo, "tests/test_calc.py") is None
    assert "outside task 'fix-add' scope" in (_edit(repo, "docs/notes.md") or "")
    assert "protected path" in (_edit(repo, "crewchief.toml") or "")
    assert "protected path" in (_edit(repo, ".crewchief/tasks/fix-add.md") or "")
    status = guard(capsys, repo, "status")
    assert "installed in .claude/settings.local.json" in status.out
    assert "task: fix-add" in status.out


def test_project_settings_and_moving_between_files(capsys, repo: Repo) -> None:
    repo.write({str(LOCAL): EXISTING})
    result = guard(capsys, repo, "install", "--settings", "project")
    assert result.code == 0, result.err
    assert "installed in .claude/settings.json" in result.out
    assert "do not commit it" in result.out
    assert (repo.path / LOCAL).read_text() == EXISTING
    assert "[scope] deny" in (_edit(repo, "secrets/a", PROJECT) or "")
    assert "?? .claude/settings.json" in repo.git("status", "--porcelain", "-uall")

    result = guard(capsys, repo, "install")  # now the personal file: the shared one is undone
    assert result.code == 0, result.err
    assert "removed from .claude/settings.json" in result.out
    assert not (repo.path / PROJECT).exists()
    assert len(_ours(_settings(repo))) == 1
    assert repo.git("status", "--porcelain") == ""

    assert guard(capsys, repo, "uninstall").code == 0
    assert (repo.path / LOCAL).read_text() == EXISTING


def test_uninstall_when_nothing_is_installed(capsys, repo: Repo) -> None:
    repo.write({str(LOCAL): EXISTING})
    result = guard(capsys, repo, "uninstall")
    assert result.code == 0, result.err
    assert "not installed" in result.out
    assert (repo.path / LOCAL).read_text() == EXISTING
    assert "not installed" in guard(capsys, repo, "status").out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"hooks": {"PreToolUse": [}', "is not valid JSON (line 1 column 27"),
        ("[1, 2]", "is not a JSON object"),
        ('{"hooks": {"PreToolUse": {}}}', "'hooks.PreToolUse' a list"),
    ],
)
def test_malformed_settings_are_left_untouched(capsys, repo: Repo, text: str, says: str) -> None:
    repo.write({str(LOCAL): text})
    result = guard(capsys, repo, "install")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert says in result.err and "settings.local.json" in result.err
    assert (repo.path / LOCAL).read_text() == text
    assert not (repo.path / ".git/crewchief/guard").exists()


def test_uninstall_refuses_settings_broken_since(capsys, repo: Repo) -> None:
    assert guard(capsys, repo, "install").code == 0
    broken = (repo.path / LOCAL).read_text()[:-5]
    (repo.path / LOCAL).write_text(broken)
    result = guard(capsys, repo, "uninstall")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "not valid JSON" in result.err
    assert (repo.path / LOCAL).read_text() == broken
    assert "installed in" in guard(capsys, repo, "status").out  # nothing forgotten


def test_unknown_task_and_not_a_repository(capsys, repo: Repo, tmp_path: Path) -> None:
    result = guard(capsys, repo, "install", "--task", "nope")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "no task 'nope'" in result.err
    assert not (repo.path / ".claude").exists()

    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli(capsys, "guard", "install", "--repo", str(plain))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "not inside a git repository" in result.err
    assert not (plain / ".claude").exists()


def test_moving_to_the_shared_file_undoes_the_personal_one(capsys, repo: Repo) -> None:
    exclude = repo.path / ".git/info/exclude"
    before = exclude.read_bytes()
    assert guard(capsys, repo, "install").code == 0
    assert exclude.read_bytes() != before
    assert guard(capsys, repo, "install", "--settings", "project").code == 0
    assert not (repo.path / LOCAL).exists()
    assert exclude.read_bytes() == before  # the shared file is meant to be seen by git
    assert len(_ours(_settings(repo, PROJECT))) == 1

    assert guard(capsys, repo, "uninstall").code == 0
    assert not (repo.path / ".claude").exists()
    assert repo.git("status", "--porcelain") == ""


def test_each_checkout_has_its_own_install(capsys, repo: Repo, tmp_path: Path) -> None:
    linked = Repo(tmp_path / "linked")
    repo.git("worktree", "add", "-q", "-b", "side", str(linked.path))
    assert guard(capsys, repo, "install").code == 0
    assert guard(capsys, linked, "install", "--task", "fix-add").code == 0
    assert _edit(repo, "docs/notes.md") is None
    assert "outside task 'fix-add' scope" in (_edit(linked, "docs/notes.md") or "")
    assert "outside the run's worktree" in (
        _edit(linked, os.path.relpath(repo.path / "calc.py", linked.path)) or ""
    )

    assert guard(capsys, linked, "uninstall").code == 0
    assert not (linked.path / ".claude").exists()
    assert _edit(repo, "docs/notes.md") is None  # the main checkout's install is untouched
    assert "installed in" in guard(capsys, repo, "status").out
