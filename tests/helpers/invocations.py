"""Invocations for unit tests that need no repository (argv and usage parsing are pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crewchief.agents.base import Invocation
from crewchief.spec.policy import AgentPolicy
from crewchief.spec.task import Task


def invocation(tmp_path: Path, *, task: Task | None = None, **config: Any) -> Invocation:
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    worktree = tmp_path / "wt"
    worktree.mkdir(exist_ok=True)
    prompt_file = run_dir / "prompt.md"
    prompt_file.write_text("Do the thing.\n")
    return Invocation(
        run_id=7,
        task=task or Task(id="t-1", title="T", objective="Do the thing.", scope=["src/**"]),
        prompt="Do the thing.\n",
        prompt_file=prompt_file,
        worktree=worktree,
        run_dir=run_dir,
        config=AgentPolicy(**config),
        name="mine",
    )
