"""What an agent did outside its worktree, found and put right after it ran.

The sandbox keeps an agent away from the user's checkout, the repository's refs and its shared git
files; without a sandbox (or should it leak) this is the second line. `Watch.take` records, just
before the agent starts, what it must not change: the shared git directory's hooks, config and
info/ (`GitDirSnapshot`), and, when no sandbox hides them, the user's checkout and the refs.
`Watch.check` compares afterwards, restores the git files, and reads the agent's own record: the
`git` calls the shim logged (a push attempt) and the commits it made on its detached HEAD (which
never reach a branch; their messages go to the transcript).

What it finds splits in two. `problems` end the run as failed (after its work is committed, so a
reviewer can see it): tampered git files, a changed checkout. `events` are only put on record: refs
moved while a sandbox-less agent ran may be the user's own commits, and a refused push did no harm.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import git
from crewchief.runs.commit import MESSAGE_CAP, SAFE_FLAGS

GUARDED = ("config", "hooks", "info")
"""What an agent must never change in the shared git directory: hooks run for every worktree."""
COMMAND_LOG_CAP = 65536
RUN_BRANCHES = "refs/heads/crewchief/"


@dataclass(frozen=True)
class Containment:
    """What `Watch.check` found."""

    problems: tuple[str, ...] = ()
    """Reasons to fail the run."""
    events: tuple[str, ...] = ()
    """Facts for the run's history that are not failures."""
    notes: tuple[str, ...] = ()
    """Facts for the gate report's notes (a reviewer should know)."""
    agent_commits: str = ""
    """The messages of the commits the agent made itself, for the transcript."""


@dataclass(frozen=True)
class GitDirSnapshot:
    """The guarded files of the shared git directory, to restore after an agent ran."""

    common: Path
    before: Mapping[str, tuple[str, bytes]]

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
            self._put_back(rel)
        return changed

    def _put_back(self, rel: str) -> None:
        path = self.common / rel
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        if rel not in self.before:
            return
        kind, data = self.before[rel]
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "link":
            os.symlink(data.decode("utf-8", "surrogateescape"), path)
        else:
            path.write_bytes(data)
            path.chmod(0o755 if kind == "exec" else 0o644)


def _guarded_paths(common: Path) -> list[Path]:
    """Every file and symlink under the guarded names (a symlinked folder counts as one link)."""
    paths: list[Path] = []
    for name in GUARDED:
        top = common / name
        if not top.is_dir() or top.is_symlink():
            paths.append(top)
            continue
        for folder, dirs, files in os.walk(top):
            paths.extend(Path(folder) / d for d in dirs if (Path(folder) / d).is_symlink())
            paths.extend(Path(folder) / f for f in files)
    return paths


def _snapshot(common: Path) -> dict[str, tuple[str, bytes]]:
    found: dict[str, tuple[str, bytes]] = {}
    for path in _guarded_paths(common):
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


def refs(repo: Path) -> dict[str, str]:
    """Every ref but the run branches (which other runs move), to notice an agent moving one."""
    out = git.run(repo, "for-each-ref", "--format=%(refname) %(objectname)").text()
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {name: oid for name, oid in pairs if not name.startswith(RUN_BRANCHES)}


def git_commands(log: Path, verb: str) -> list[str]:
    """The logged `git` calls of the agent whose first or second word is `verb` (one flag may
    precede it, as in `git --no-pager push`); the log is the agent's to write, so it is read capped."""
    try:
        text = log.read_bytes()[:COMMAND_LOG_CAP].decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if verb in line.split()[1:3]]


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


def worktree_intact(worktree: Path) -> bool:
    """False when the agent deleted its worktree or put something else in its place."""
    return not worktree.is_symlink() and (worktree / ".git").is_file()


@dataclass(frozen=True)
class Watch:
    """What an agent must leave alone, recorded just before it starts."""

    repo: Path
    git_dir: GitDirSnapshot
    checkout_tree: str | None = None
    """The user's checkout as a tree; None when a sandbox hides the checkout."""
    refs: Mapping[str, str] | None = None
    """The refs; None when a sandbox keeps them read-only."""

    @classmethod
    def take(cls, repo: Path, common: Path, *, sandboxed: bool) -> Watch:
        if sandboxed:
            return cls(repo, GitDirSnapshot.take(common))
        return cls(repo, GitDirSnapshot.take(common), git.head_tree_of_worktree(repo), refs(repo))

    def check(self, *, git_log: Path, objects: Path, agent_head: Path, base: str) -> Containment:
        """Compare with now, restore the shared git files, and read the agent's own record."""
        problems: list[str] = []
        events: list[str] = []
        notes: list[str] = []
        tampered = self.git_dir.restore()
        if tampered:
            problems.append(
                "the agent changed the repository's shared git files (restored): "
                + ", ".join(tampered)
            )
        checkout = self.checkout_tree
        if checkout is not None and git.head_tree_of_worktree(self.repo) != checkout:
            problems.append("the user's checkout changed while the agent ran (no sandbox here)")
        moved = self._moved_refs()
        if moved:
            # The user may commit during a night run too, so this is on record, not a failure.
            events.append(
                "refs changed while the agent ran (no sandbox here): " + ", ".join(moved[:20])
            )
        pushes = git_commands(git_log, "push")
        if pushes:
            events.append(f"the agent ran {pushes[0][:200]!r}: pushing is blocked for agents")
            notes.append(f"agent tried: {pushes[0][:200]}")
        own = agent_commit_log(self.git_dir.common, objects, agent_head, base)
        if own:
            events.append("the agent committed by itself; its commits were replaced by crewchief's")
        return Containment(tuple(problems), tuple(events), tuple(notes), own)

    def _moved_refs(self) -> list[str]:
        if self.refs is None:
            return []
        before, after = self.refs, refs(self.repo)
        return sorted(r for r in {*before, *after} if before.get(r) != after.get(r))
