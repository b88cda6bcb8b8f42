"""Turning what an agent left in its worktree into one commit on the run branch, safely.

Everything here treats the worktree and the agent's git state as hostile. crewchief never runs git
through the worktree's `.git` file (the agent may have rewritten it, or its admin folder, to point
at a config of its own choosing): it names the repository's git directory, the work tree and a
private index explicitly, disables hooks and fsmonitor, and writes the commit with `commit-tree` and
`update-ref`, so no hook, no editor and no agent-chosen configuration runs outside the sandbox. The
agent's own commits (on its detached HEAD, in a private object folder) never reach the branch; their
messages go to the transcript (`crewchief.runs.contain`, which also guards the shared git
directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import git
from crewchief.errors import GitInputError
from crewchief.textsafe import safe_trailer_value

SAFE_FLAGS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "commit.gpgSign=false",
)
IDENTITY = {
    "GIT_AUTHOR_NAME": "crewchief",
    "GIT_AUTHOR_EMAIL": "crewchief@localhost",
    "GIT_COMMITTER_NAME": "crewchief",
    "GIT_COMMITTER_EMAIL": "crewchief@localhost",
}
MESSAGE_CAP = 64 * 1024


@dataclass(frozen=True)
class RunGit:
    """The git directories of one run, addressed explicitly."""

    common: Path
    """The repository's git directory."""
    worktree: Path
    index: Path
    """crewchief's own index for this run (never the one the agent could touch)."""
    excludes: Path | None = None
    """Paths per-run setup created that are not the agent's work (a venv, a copied .env)."""

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "GIT_DIR": str(self.common),
            "GIT_WORK_TREE": str(self.worktree),
            "GIT_INDEX_FILE": str(self.index),
            **IDENTITY,
        }
        if extra:
            env.update(extra)
        return env

    def run(
        self, *args: str, stdin: bytes | None = None, extra: Mapping[str, str] | None = None
    ) -> str:
        flags = list(SAFE_FLAGS)
        if self.excludes is not None:
            flags += ["-c", f"core.excludesFile={self.excludes}"]
        outcome = git.run(
            self.worktree if self.worktree.is_dir() else self.common,
            *flags,
            *args,
            stdin=stdin,
            env=self.env(extra),
            check=False,
        )
        if not outcome.ok:
            lines = outcome.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitInputError(
                f"git {args[0]} failed: {lines[0] if lines else outcome.returncode}"
            )
        return outcome.text().strip()


def tree_of_worktree(rg: RunGit, base: str) -> str:
    """The tree of everything in the worktree (tracked, new and deleted files, minus ignored).

    The index is crewchief's copy of the fresh checkout's; without one it is rebuilt from base.
    """
    if not rg.index.exists():
        rg.run("read-tree", base)
    rg.run("add", "--all", "--", ".")
    return rg.run("write-tree")


def message(
    *, run_id: int, task_id: str, title: str, agent: str, model: str | None, attempt: int
) -> str:
    subject = " ".join(f"{title}".split())[:200] or task_id
    return (
        f"{subject}\n\n"
        f"Work of agent '{agent}' on task '{task_id}' (attempt {attempt}), committed by crewchief.\n\n"
        f"Crewchief-Run: {run_id}\n"
        f"Crewchief-Task: {task_id}\n"
        f"Crewchief-Agent: {agent}\n"
        f"Crewchief-Model: {safe_trailer_value(model or 'unknown')}\n"
    )


def commit_tree(rg: RunGit, tree: str, base: str, text: str) -> str:
    return rg.run("commit-tree", "--no-gpg-sign", tree, "-p", base, stdin=text.encode())


def set_branch(rg: RunGit, branch: str, commit: str) -> None:
    rg.run("update-ref", "-m", "crewchief: run commit", f"refs/heads/{branch}", commit)
