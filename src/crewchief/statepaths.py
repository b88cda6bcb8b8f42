"""Every place crewchief keeps state on disk, named once.

Two homes, for two lifetimes. The store (`.crewchief/state.db`) sits in the checkout beside the
task files, excluded from git, so a team member finds runs where they find tasks. Everything bulky
or disposable sits in `<git common dir>/crewchief/`, outside every checkout, shared by all
worktrees of the repository and never reachable by an agent's `git add -A`:

- `runs/<id>/` a run's prompt, transcript, scratch and gate evidence;
- `run-trees/` the runs' worktrees (named `run<id>-<random>`);
- `worktrees/` the other worktrees: the gate's base and head checkouts, landing's replays (named
  `<label>-<random>`), with `worktrees.lock`, which serialises adding and removing worktrees;
- `evidence/` the folders standalone gates leave their logs and data in;
- `envs/` prepared test environments, keyed by the hash of the dependency files;
- `gate-cache.sqlite` static gate results by blob id.

One thing lives in the checkout's own git dir (`.git` for the main worktree, `.git/worktrees/<name>`
for a linked one) instead: `crewchief/guard/`, the rules and install record of `crewchief guard
install`, which belong to that checkout's `.claude/` settings and must not be shared by the others.

`crewchief gc` prunes what these grow into, so it and the writers must agree on the names: hence
this leaf module (it imports nothing of crewchief but `git`).
"""

from __future__ import annotations

import functools
from pathlib import Path

from crewchief import git

STATE_DB = Path(".crewchief") / "state.db"
"""The default store, relative to the checkout's top level."""
RUN_TREE_PREFIX = "run"


def state_db(repo_root: Path) -> Path:
    return repo_root / STATE_DB


@functools.lru_cache(maxsize=64)
def git_dir(repo: Path) -> Path:
    """The repository's git directory, shared by every worktree (what `state_dir` lives in); asked
    of git once per repository, since every worktree add, lock and sandboxed command needs it."""
    common = git.run(repo, "rev-parse", "--git-common-dir").text().strip()
    return (repo / common).resolve()


def state_dir(repo: Path) -> Path:
    """`<git common dir>/crewchief` (created on first use): state that belongs to the repository
    but not to its history."""
    path = git_dir(repo) / "crewchief"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir(repo: Path) -> Path:
    return state_dir(repo) / "runs"


def run_dir(repo: Path, run_id: int) -> Path:
    return runs_dir(repo) / str(run_id)


def run_trees_dir(repo: Path) -> Path:
    return state_dir(repo) / "run-trees"


def run_tree_prefix(run_id: int) -> str:
    """Run worktrees are `run<id>-<random>`: the id tells gc and recovery whose tree it is."""
    return f"{RUN_TREE_PREFIX}{run_id}-"


def worktrees_dir(repo: Path) -> Path:
    """Worktrees that are not a run's: the gate's checkouts, landing's replays."""
    return state_dir(repo) / "worktrees"


def worktrees_lock(repo: Path) -> Path:
    return state_dir(repo) / "worktrees.lock"


def run_id_of_tree(name: str) -> int | None:
    """The run id in a run worktree's folder name, None for anything else."""
    if not name.startswith(RUN_TREE_PREFIX):
        return None
    number = name[len(RUN_TREE_PREFIX) :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def run_evidence_dir(repo: Path, run_id: int) -> Path:
    return run_dir(repo, run_id) / "evidence"


def evidence_dir(repo: Path) -> Path:
    """Where standalone gates leave evidence, one folder per gate."""
    return state_dir(repo) / "evidence"


def envs_dir(repo: Path) -> Path:
    return state_dir(repo) / "envs"


def gate_cache(repo: Path) -> Path:
    return state_dir(repo) / "gate-cache.sqlite"


def guard_dir(checkout: Path) -> Path:
    """`<the checkout's own git dir>/crewchief/guard`: where `crewchief guard install` keeps the
    rules its hook reads and the record of what it added. Inside a git dir, git does not track it
    and the hook itself refuses edits there, so an agent cannot loosen its own rules casually; per
    checkout, because each checkout has its own `.claude/` settings. Not created here."""
    own = git.run(checkout, "rev-parse", "--absolute-git-dir").text().strip()
    return Path(own) / "crewchief" / "guard"
