"""git worktrees for runs and checks, always outside the user's checkout.

A worktree is created detached at a commit (or from a tree, for a work-tree gate), so no branch is
moved; `overlay` replaces files after checkout (the acceptance check resets test files to the base
this way). Removal is forced and followed by a prune, so a crashed process leaves nothing behind
that recovery (`crewchief.runs.recovery`) cannot clean.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import git, statepaths


@contextlib.contextmanager
def _admin_lock(repo: Path) -> Iterator[None]:
    """Serialises `git worktree add/remove/prune` on one repository, across threads and processes:
    git reads every worktree's metadata while adding one and can trip over a half-written entry."""
    with open(statepaths.worktrees_lock(repo), "wb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Worktree:
    repo: Path
    path: Path
    commit: str

    def write_overlay(self, overlay: Mapping[str, bytes | None]) -> None:
        for rel, data in overlay.items():
            target = self.path / rel
            if not target.resolve().is_relative_to(self.path.resolve()):
                raise ValueError(f"overlay path escapes the worktree: {rel}")
            if data is None:
                if target.is_symlink() or target.is_file():
                    target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_bytes(data)

    def remove(self) -> None:
        with _admin_lock(self.repo):
            git.run(
                self.repo, "worktree", "remove", "--force", "--force", str(self.path), check=False
            )
            if self.path.exists():
                shutil.rmtree(self.path, ignore_errors=True)
            git.run(self.repo, "worktree", "prune", check=False)


def add_worktree(
    repo: Path, rev: str, *, root: Path | None = None, prefix: str = "wt-"
) -> Worktree:
    """A detached worktree at `rev` (a commit, or a tree id, which gets a throwaway commit)."""
    kind = git.run(repo, "cat-file", "-t", rev).text().strip()
    commit = rev
    if kind == "tree":
        commit = (
            git.run(
                repo,
                "commit-tree",
                rev,
                "-m",
                "crewchief: work tree snapshot",
                env={
                    "GIT_AUTHOR_NAME": "crewchief",
                    "GIT_AUTHOR_EMAIL": "crewchief@localhost",
                    "GIT_COMMITTER_NAME": "crewchief",
                    "GIT_COMMITTER_EMAIL": "crewchief@localhost",
                },
            )
            .text()
            .strip()
        )
    parent = root or statepaths.worktrees_dir(repo)
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.rmdir(path)
    with _admin_lock(repo):
        # No hooks: a post-checkout hook planted by one run's agent must not run here.
        git.run(
            repo,
            "-c",
            "core.hooksPath=/dev/null",
            "worktree",
            "add",
            "--detach",
            "--force",
            "-q",
            str(path),
            commit,
        )
    return Worktree(repo, path, commit)
