"""Turning what an agent left in its worktree into one commit on the run branch, safely.

Everything here treats the worktree and the agent's git state as hostile. crewchief never runs git
through the worktree's `.git` file (the agent may have rewritten it, or its admin folder, to point
at a config of its own choosing): it names the repository's git directory, the work tree and a
private index explicitly, disables hooks and fsmonitor, and writes the commit with `commit-tree` and
`update-ref`, so no hook, no editor and no agent-chosen configuration runs outside the sandbox. The
agent's own commits (on its detached HEAD, in a private object folder) never reach the branch; their
messages go to the transcript.

`GitDirSnapshot` snapshots what an agent must not change in the shared git directory (hooks, which every
worktree shares; the config; info/) and restores it afterwards, reporting what it found.
"""

from __future__ import annotations

import os
import shutil
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


def agent_commit_log(common: Path, objects: Path, head_file: Path, base: str) -> str:
    """The messages of the commits the agent made itself (base..its HEAD), for the transcript."""
    try:
        head = head_file.read_text("ascii", "replace").strip()
    except OSError:
        return ""
    if len(head) not in (40, 64) or not all(c in "0123456789abcdef" for c in head) or head == base:
        return ""
    env = {"GIT_DIR": str(common), "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}
    outcome = git.run(
        common,
        *SAFE_FLAGS,
        "log",
        "--no-color",
        "--format=commit %H%nAuthor: %an <%ae>%n%n%B",
        "-n",
        "50",
        head,
        f"^{base}",
        "--",
        env=env,
        check=False,
    )
    return outcome.stdout[:MESSAGE_CAP].decode("utf-8", "replace") if outcome.ok else ""


# --- guarding the shared git directory ------------------------------------------------------------

GUARDED = ("config", "hooks", "info")


def _snapshot(common: Path) -> dict[str, tuple[str, bytes]]:
    found: dict[str, tuple[str, bytes]] = {}
    for name in GUARDED:
        top = common / name
        paths = [top] if not top.is_dir() or top.is_symlink() else []
        if top.is_dir() and not top.is_symlink():
            for folder, dirs, files in os.walk(top):
                paths.extend(Path(folder) / d for d in dirs if (Path(folder) / d).is_symlink())
                paths.extend(Path(folder) / f for f in files)
        for path in paths:
            rel = path.relative_to(common).as_posix()
            try:
                if path.is_symlink():
                    found[rel] = ("link", os.readlink(path).encode("utf-8", "surrogateescape"))
                elif path.is_file():
                    mode = "exec" if os.access(path, os.X_OK) else "file"
                    found[rel] = (mode, path.read_bytes())
            except OSError:
                continue
    return found


@dataclass
class GitDirSnapshot:
    common: Path
    before: dict[str, tuple[str, bytes]]

    @classmethod
    def take(cls, common: Path) -> GitDirSnapshot:
        return cls(common, _snapshot(common))

    def restore(self) -> list[str]:
        """Put hooks, config and info/ back as they were; return what the agent had changed."""
        after = _snapshot(self.common)
        changed = sorted(
            {k for k in after if self.before.get(k) != after[k]}
            | (self.before.keys() - after.keys())
        )
        for rel in changed:
            path = self.common / rel
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            if rel in self.before:
                kind, data = self.before[rel]
                path.parent.mkdir(parents=True, exist_ok=True)
                if kind == "link":
                    os.symlink(data.decode("utf-8", "surrogateescape"), path)
                else:
                    path.write_bytes(data)
                    path.chmod(0o755 if kind == "exec" else 0o644)
        return changed
