"""`crewchief gc`: give back the disk that finished runs and old gates hold.

`<git dir>/crewchief` grows with every run and gate: worktrees left by a crash or kept for
debugging, run branches nobody will look at again, gate evidence (logs, coverage data, benchmark
samples) and prepared test environments (a virtualenv each). gc removes, in that order:

- **worktrees** of runs that are finished (or unknown to the store) and that no process holds;
- **branches** (`crewchief/...`) of runs merged, rejected or superseded more than `older_than_days` ago; their
  objects go when git's own gc runs, so no bytes are counted for them;
- **evidence** folders (standalone gates', and finished runs') and **envs** (test environments not
  in use) older than `older_than_days`, then, oldest first, until evidence and envs together fit in
  `max_size_bytes`.

A run that is queued, preparing, running, validating, awaiting review or approved keeps its
worktree, branch and evidence whatever its age: someone is working on it or will decide on it. Run
folders (prompt, transcript) stay: they are small and the review shows them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crewchief import git, statepaths
from crewchief.runs.commit import SAFE_FLAGS
from crewchief.runs.execute import remove_run_tree
from crewchief.runs.recovery import owner_alive
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow
from crewchief.workspace.worktree import Worktree

KINDS = ("worktrees", "branches", "evidence", "envs")
KEEP = frozenset(
    {
        RunState.QUEUED,
        RunState.PREPARING,
        RunState.RUNNING,
        RunState.VALIDATING,
        RunState.AWAITING_REVIEW,
        RunState.APPROVED,
    }
)
"""Runs someone works on or will decide on: gc never touches their worktree, branch or evidence."""
BRANCH_ENDS = frozenset({RunState.MERGED, RunState.REJECTED, RunState.SUPERSEDED})
RUN_BRANCHES = "refs/heads/crewchief/"
DAY_S = 86400.0


@dataclass(frozen=True)
class GcOptions:
    older_than_days: float = 14.0
    max_size_bytes: int | None = None
    """Evidence and envs together may keep at most this much; None: no size limit."""
    dry_run: bool = False
    now: float | None = None
    """The time ages are measured from (seconds since the epoch); None is now."""


@dataclass(frozen=True)
class Item:
    """One thing gc removes (or, in a dry run, would)."""

    kind: str
    target: str
    """A path, or a branch name."""
    size: int
    """Bytes on disk it held (0 for a branch)."""
    reason: str
    age_s: float = 0.0
    lock: Path | None = None
    """The lock gc must hold while it removes the item (an environment's)."""


@dataclass(frozen=True)
class GcResult:
    removed: tuple[Item, ...]
    kept: tuple[Item, ...]
    """What gc looked at and left, with the reason (so a user sees where the space is)."""
    dry_run: bool
    options: GcOptions

    def totals(self, items: Sequence[Item] | None = None) -> dict[str, tuple[int, int]]:
        """Count and bytes per kind, every kind present."""
        chosen = self.removed if items is None else items
        return {
            kind: (
                sum(1 for i in chosen if i.kind == kind),
                sum(i.size for i in chosen if i.kind == kind),
            )
            for kind in KINDS
        }

    def to_json(self) -> dict[str, Any]:
        def per_kind(items: Sequence[Item]) -> dict[str, dict[str, int]]:
            return {k: {"count": c, "bytes": b} for k, (c, b) in self.totals(items).items()}

        return {
            "dry_run": self.dry_run,
            "older_than_days": self.options.older_than_days,
            "max_size_bytes": self.options.max_size_bytes,
            "freed": per_kind(self.removed),
            "freed_bytes": sum(i.size for i in self.removed),
            "kept": per_kind(self.kept),
            "removed": [_item_json(i) for i in self.removed],
        }


def _item_json(item: Item) -> dict[str, Any]:
    return {"kind": item.kind, "target": item.target, "bytes": item.size, "reason": item.reason}


def collect(store: Store, repo: Path, options: GcOptions | None = None) -> GcResult:
    """Decide what to remove and, unless it is a dry run, remove it."""
    options = options or GcOptions()
    repo = git.toplevel(repo)
    now = time.time() if options.now is None else options.now
    cutoff_s = options.older_than_days * DAY_S
    runs = {run.id: run for run in store.runs()}
    removed: list[Item] = []
    kept: list[Item] = []
    for found in (
        _worktrees(repo, runs),
        _branches(repo, runs, now, cutoff_s),
        _by_age_and_size(repo, runs, now, cutoff_s, options.max_size_bytes),
    ):
        for item, remove in found:
            (removed if remove else kept).append(item)
    if not options.dry_run:
        removed = [item for item in removed if _remove(repo, item)]
    return GcResult(tuple(removed), tuple(kept), options.dry_run, options)


# --- what to remove -------------------------------------------------------------------------------


def _protected(runs: Mapping[int, RunRow], run_id: int | None) -> RunRow | None:
    run = runs.get(run_id) if run_id is not None else None
    return run if run is not None and RunState(run.state) in KEEP else None


def _worktrees(repo: Path, runs: Mapping[int, RunRow]) -> Iterator[tuple[Item, bool]]:
    parent = statepaths.run_trees_dir(repo)
    for child in sorted(parent.iterdir()) if parent.is_dir() else []:
        run_id = statepaths.run_id_of_tree(child.name)
        size = _size(child)
        active = _protected(runs, run_id)
        if active is not None:
            yield Item("worktrees", str(child), size, f"run {active.id} is {active.state}"), False
        elif run_id is not None and owner_alive(repo, run_id):
            yield Item("worktrees", str(child), size, f"run {run_id} is being worked on"), False
        else:
            run = runs.get(run_id) if run_id is not None else None
            why = f"run {run.id} is {run.state}" if run is not None else "no run in the store"
            yield Item("worktrees", str(child), size, why), True


def _branches(
    repo: Path, runs: Mapping[int, RunRow], now: float, cutoff_s: float
) -> Iterator[tuple[Item, bool]]:
    existing = _run_branches(repo)
    wanted = {run.branch for run in runs.values() if _protected(runs, run.id) and run.branch}
    for run in sorted(runs.values(), key=lambda r: r.id):
        if not run.branch or run.branch not in existing:
            continue
        existing.discard(run.branch)  # a branch is looked at once, for its first run
        state = RunState(run.state)
        age = now - _timestamp(run.ended_at or run.created_at)
        item = Item("branches", run.branch, 0, f"run {run.id} is {state.value}", age)
        if state not in BRANCH_ENDS:
            yield item, False
        elif run.branch in wanted:
            yield replace(item, reason=f"{item.reason}; a run under way uses it"), False
        else:
            yield item, age > cutoff_s


def _run_branches(repo: Path) -> set[str]:
    out = git.run(repo, "for-each-ref", "--format=%(refname)", RUN_BRANCHES).text()
    return {line.removeprefix("refs/heads/") for line in out.splitlines() if line}


def _timestamp(value: dt.datetime | None) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _by_age_and_size(
    repo: Path,
    runs: Mapping[int, RunRow],
    now: float,
    cutoff_s: float,
    max_size: int | None,
) -> list[tuple[Item, bool]]:
    """Evidence and envs: old ones go, then the oldest of the rest until the total fits."""
    found = [*_evidence(repo, runs, now), *_envs(repo, now)]
    verdicts = [(item, free and item.age_s > cutoff_s) for item, free in found]
    if max_size is None:
        return verdicts
    total = sum(item.size for item, remove in verdicts if not remove)
    order = sorted(range(len(verdicts)), key=lambda i: -verdicts[i][0].age_s)
    for index in order:
        if total <= max_size:
            break
        item, remove = verdicts[index]
        if remove or not found[index][1]:
            continue
        verdicts[index] = (replace(item, reason=f"over --max-size ({item.reason})"), True)
        total -= item.size
    return verdicts


def _evidence(repo: Path, runs: Mapping[int, RunRow], now: float) -> Iterator[tuple[Item, bool]]:
    """Standalone gates' evidence folders, and runs' (free unless the run is protected)."""
    gates = statepaths.evidence_dir(repo)
    for child in sorted(gates.iterdir()) if gates.is_dir() else []:
        size, newest = _usage(child)
        yield Item("evidence", str(child), size, "gate evidence", now - newest), True
    for run_id in sorted(runs):
        folder = statepaths.run_evidence_dir(repo, run_id)
        if not folder.is_dir() or folder.is_symlink():
            continue
        size, newest = _usage(folder)
        active = _protected(runs, run_id)
        why = f"run {run_id} is {runs[run_id].state}"
        yield Item("evidence", str(folder), size, why, now - newest), active is None


def _envs(repo: Path, now: float) -> Iterator[tuple[Item, bool]]:
    """Prepared test environments; one a gate holds the lock of is in use."""
    folder = statepaths.envs_dir(repo)
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not child.is_dir() or child.is_symlink():
            continue
        lock = folder / f"{child.name}.lock"
        size, newest = _usage(child)
        with contextlib.suppress(OSError):
            newest = max(newest, lock.stat().st_mtime)  # opened (and so touched) on every use
        item = Item("envs", str(child), size, "test environment", now - newest, lock)
        if _locked(lock):
            yield replace(item, reason="test environment in use"), False
        else:
            yield item, True


def _usage(path: Path) -> tuple[int, float]:
    """Bytes of the files under `path` (links not followed) and the newest modification time."""
    total, newest = 0, 0.0
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(folder, name))
                total += st.st_size if name in files else 0
                newest = max(newest, st.st_mtime)
    with contextlib.suppress(OSError):
        newest = max(newest, path.lstat().st_mtime)
    return total, newest


def _size(path: Path) -> int:
    return _usage(path)[0]


def _locked(lock: Path) -> bool:
    try:
        fh = open(lock, "rb")  # noqa: SIM115 - closed by the with below
    except OSError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


# --- removing -------------------------------------------------------------------------------------


def _remove(repo: Path, item: Item) -> bool:
    """Remove one item; False when it could not be (it is then not counted as freed)."""
    path = Path(item.target)
    if item.kind == "worktrees":
        remove_run_tree(Worktree(repo, path, ""))
        return not path.exists()
    if item.kind == "branches":
        # `branch -D` (not `update-ref -d`) refuses a branch checked out anywhere.
        return git.run(repo, *SAFE_FLAGS, "branch", "-D", "-q", item.target, check=False).ok
    if item.lock is not None:
        return _remove_locked(path, item.lock)
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def _remove_locked(path: Path, lock: Path) -> bool:
    """Remove an environment while holding its lock, so no gate starts using it half-deleted."""
    try:
        fh = open(lock, "ab")  # noqa: SIM115 - closed by the with below
    except OSError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a gate took it since gc looked
        shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock.unlink()
        fcntl.flock(fh, fcntl.LOCK_UN)
    return not path.exists()
