"""The PreToolUse scope hook: which edits it refuses, and the real hook process."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from crewchief import proc
from crewchief.agents.hooks import RULES_FILE, ScopeRules, decide, write_claude_settings
from crewchief.spec.policy import ScopePolicy
from crewchief.spec.task import Task


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    path = tmp_path / "wt"
    (path / "src").mkdir(parents=True)
    return path


def _rules(worktree: Path, *, scope: ScopePolicy | None = None, task_scope: list[str] | None = None,
           scratch: tuple[Path, ...] = ()) -> ScopeRules:  # fmt: skip
    task = Task(id="t-1", title="T", scope=task_scope if task_scope is not None else ["src/**"])
    return ScopeRules.for_task(worktree, task, scope, scratch=scratch)


def _write(path: str, cwd: str | None = None) -> dict[str, object]:
    event: dict[str, object] = {"tool_name": "Write", "tool_input": {"file_path": path}}
    if cwd:
        event["cwd"] = cwd
    return event


def test_in_scope_edit_is_allowed(worktree: Path) -> None:
    rules = _rules(worktree)
    assert decide(_write(str(worktree / "src/a.py")), rules) is None
    assert decide(_write("src/b.py", cwd=str(worktree)), rules) is None


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("docs/a.md", "outside task 't-1' scope"),
        ("crewchief.toml", "protected path"),
        (".github/workflows/ci.yml", "protected path"),
        (".git/hooks/pre-commit", "git's own files"),
        ("src/../../escape.py", "outside the run's worktree"),
        ("/etc/passwd", "outside the run's worktree"),
    ],
)
def test_out_of_scope_edits_are_denied(worktree: Path, path: str, reason: str) -> None:
    target = path if path.startswith("/") else str(worktree / path)
    denial = decide(_write(target), _rules(worktree))
    assert denial is not None
    assert reason in denial


def test_policy_allow_deny_and_unprotect(worktree: Path) -> None:
    scope = ScopePolicy(allow=["src/**", ".github/**"], deny=["src/generated/**"],
                        unprotect=[".github/**"])  # fmt: skip
    rules = _rules(worktree, scope=scope, task_scope=[])
    assert "[scope] deny" in (decide(_write(str(worktree / "src/generated/x.py")), rules) or "")
    assert "[scope] allow" in (decide(_write(str(worktree / "lib/x.py")), rules) or "")
    assert decide(_write(str(worktree / ".github/workflows/ci.yml")), rules) is None


def test_symlink_out_of_scope_is_followed(worktree: Path, tmp_path: Path) -> None:
    (worktree / "docs").mkdir()
    os.symlink(worktree / "docs", worktree / "src" / "link")
    os.symlink(tmp_path, worktree / "src" / "away")
    rules = _rules(worktree)
    assert "scope" in (decide(_write(str(worktree / "src/link/a.md")), rules) or "")
    assert "outside the run's worktree" in (
        decide(_write(str(worktree / "src/away/x")), rules) or ""
    )


def test_scratch_folder_is_writable(worktree: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    rules = _rules(worktree, scratch=(run_dir,))
    assert decide(_write(str(run_dir / "notes.txt")), rules) is None


def test_other_tools_and_inputs(worktree: Path) -> None:
    rules = _rules(worktree)
    assert decide({"tool_name": "Bash", "tool_input": {"command": "rm -rf /"}}, rules) is None
    assert decide({"tool_name": "Read", "tool_input": {"file_path": "/etc/passwd"}}, rules) is None
    notebook = {"tool_name": "NotebookEdit", "tool_input": {"notebook_path": "docs/n.ipynb"}}
    assert decide({**notebook, "cwd": str(worktree)}, rules) is not None
    assert "names no file" in (decide({"tool_name": "Edit", "tool_input": "x"}, rules) or "")


def _run_hook(settings: Path, event: bytes) -> proc.Outcome:
    command = json.loads(settings.read_text())["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    argv = command.split(" ")  # shlex.join of paths without spaces
    return proc.run_argv(argv, stdin=event, timeout=30)


def test_hook_process_denies_with_json_and_fails_closed(worktree: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    settings = write_claude_settings(run_dir, _rules(worktree), python=sys.executable)
    assert (run_dir / RULES_FILE).is_file()

    denied = _run_hook(settings, json.dumps(_write(str(worktree / "docs/x.md"))).encode())
    assert denied.returncode == 0, denied.stderr
    output = json.loads(denied.stdout)["hookSpecificOutput"]
    assert output["hookEventName"] == "PreToolUse"
    assert output["permissionDecision"] == "deny"
    assert "outside task 't-1' scope" in output["permissionDecisionReason"]

    allowed = _run_hook(settings, json.dumps(_write(str(worktree / "src/x.py"))).encode())
    assert (allowed.returncode, allowed.stdout) == (0, b"")

    broken = _run_hook(settings, b"\xff not json")
    assert broken.returncode == 2
    assert b"edit denied" in broken.stderr
