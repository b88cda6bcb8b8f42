"""A scope guard that runs inside the agent: Claude Code's PreToolUse hook.

The gate judges the final diff, but an agent that spends twenty minutes editing a protected file
wastes the run. Where an agent supports hooks, crewchief installs one that refuses file edits outside
the task's scope as they are attempted, and tells the model why, so it can change course. It uses
the same globs as the gate's scope check (built-in protected paths, policy allow and deny, task
scope). It is an early warning, not the judge: shell commands are not inspected, and the gate still
re-checks everything that was committed.

Run as `python -I -m crewchief.agents.hooks RULES.json` with the hook event on stdin. `-I` keeps the
worktree (the current directory, which the agent controls) off `sys.path`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crewchief.spec.globs import match_any

if TYPE_CHECKING:  # the hook process stays light: no pydantic, it runs before every edit
    from crewchief.spec.policy import ScopePolicy
    from crewchief.spec.task import Task

EDIT_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")
"""Claude Code tools that write a file named in their input."""
RULES_FILE = "crewchief-scope.json"
SETTINGS_FILE = "claude-settings.json"
_MAX_EVENT = 16 * 1024 * 1024
_ALWAYS_DENIED = (".git", ".git/**")


@dataclass(frozen=True)
class ScopeRules:
    worktree: str
    task_id: str
    protected: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    task_scope: tuple[str, ...] = ()
    scratch: tuple[str, ...] = ()
    """Folders outside the worktree the agent may write freely (its run folder)."""

    @classmethod
    def for_task(
        cls,
        worktree: Path,
        task: Task | None,
        scope: ScopePolicy | None = None,
        scratch: Sequence[Path] = (),
    ) -> ScopeRules:
        """The rules for an agent working in `worktree`: built-in protected paths less the policy's
        unprotect, the policy's allow and deny, and the task's scope (none without a task, as for
        `crewchief guard install` with no `--task`: the policy alone limits the session)."""
        from crewchief.spec.policy import PROTECTED_PATHS

        unprotect = scope.unprotect if scope else []
        return cls(
            worktree=str(worktree),
            task_id=task.id if task else "",
            protected=tuple(g for g in PROTECTED_PATHS if g not in unprotect),
            deny=tuple(scope.deny) if scope else (),
            allow=tuple(scope.allow) if scope else (),
            task_scope=tuple(task.scope) if task else (),
            scratch=tuple(str(p) for p in scratch),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopeRules:
        return cls(
            worktree=str(data["worktree"]),
            task_id=str(data["task_id"]),
            **{
                key: tuple(str(g) for g in data.get(key, ()))
                for key in ("protected", "deny", "allow", "task_scope", "scratch")
            },
        )

    def check_path(self, relpath: str) -> str | None:
        """Why a repository-relative path may not be edited, or None when it may."""
        if match_any(relpath, _ALWAYS_DENIED):
            return "git's own files are not part of the change"
        if match_any(relpath, self.protected):
            return "it is a protected path (policy, CI or agent instructions)"
        if match_any(relpath, self.deny):
            return "the policy denies it ([scope] deny)"
        if self.allow and not match_any(relpath, self.allow):
            return "it is outside the policy's allowed scope ([scope] allow)"
        if self.task_scope and not match_any(relpath, self.task_scope):
            return f"it is outside task '{self.task_id}' scope ({', '.join(self.task_scope)})"
        return None

    def check(self, path: str, cwd: str | None = None) -> str | None:
        """Why the agent may not write `path` (absolute, or relative to `cwd`), or None."""
        base = cwd if cwd and os.path.isabs(cwd) else self.worktree
        target = os.path.normpath(os.path.join(base, path))
        root = os.path.realpath(self.worktree)
        real = os.path.realpath(target)
        if not _inside(real, root):
            if any(_inside(real, os.path.realpath(s)) for s in self.scratch):
                return None
            return "it is outside the run's worktree"
        reasons = [self.check_path(Path(os.path.relpath(real, root)).as_posix())]
        lexical_root = os.path.normpath(self.worktree)
        if _inside(target, lexical_root) and target != lexical_root:
            reasons.append(self.check_path(Path(os.path.relpath(target, lexical_root)).as_posix()))
        return next((r for r in reasons if r), None)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def edited_path(tool_input: object) -> str | None:
    if not isinstance(tool_input, dict):
        return None
    for key in ("file_path", "notebook_path", "path"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def decide(event: dict[str, Any], rules: ScopeRules) -> str | None:
    """The denial reason for one PreToolUse event, or None to let the tool run."""
    if event.get("tool_name") not in EDIT_TOOLS:
        return None
    path = edited_path(event.get("tool_input"))
    if path is None:
        return "crewchief: the edit names no file, so its scope cannot be checked"
    cwd = event.get("cwd")
    reason = rules.check(path, cwd if isinstance(cwd, str) else None)
    if reason is None:
        return None
    return (
        f"crewchief: editing {path!r} is not allowed because {reason}. "
        "Change only files inside the task's scope; the final change is checked again."
    )


def write_claude_settings(run_dir: Path, rules: ScopeRules, python: str | None = None) -> Path:
    """Write the rules and a Claude Code settings file whose PreToolUse hook enforces them."""
    run_dir.mkdir(parents=True, exist_ok=True)
    rules_path = run_dir / RULES_FILE
    rules_path.write_text(json.dumps(asdict(rules), indent=2))
    hook = shlex.join(
        [python or sys.executable, "-I", "-m", "crewchief.agents.hooks", str(rules_path)]
    )
    settings = {
        "hooks": {
            "PreToolUse": [
                {"matcher": "|".join(EDIT_TOOLS), "hooks": [{"type": "command", "command": hook}]}
            ]
        }
    }
    path = run_dir / SETTINGS_FILE
    path.write_text(json.dumps(settings, indent=2))
    return path


def _deny(reason: str) -> str:
    return json.dumps(
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason,
            }
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Hook entry point. Fails closed: if the event or rules cannot be read, the edit is denied."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rules = ScopeRules.from_json(json.loads(Path(args[0]).read_text()))
        event = json.loads(sys.stdin.buffer.read(_MAX_EVENT))
        if not isinstance(event, dict):
            raise ValueError("the hook event is not a JSON object")
        reason = decide(event, rules)
    except Exception as exc:  # any failure must block, never let the edit through silently
        sys.stderr.write(f"crewchief scope hook failed, edit denied: {exc}\n")
        return 2
    if reason is not None:
        sys.stdout.write(_deny(reason) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
