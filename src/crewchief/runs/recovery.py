"""Picking up after a crash: end orphan agents, remove their worktrees, re-queue their runs.

`crewchief run` may die at any moment (kill -9, a reboot). Its runs stay in an active state in the
store, their agents may still be running (outside a sandbox nothing ties them to their parent), and
their worktrees stay on disk. `recover` finds every active run whose owner is gone — the owner holds
a lock on the run's folder while it works, which the kernel releases when the process dies, so a
reused pid cannot fool it — and puts it right: the agent's processes are ended (found by the token in
their environment, so even one that left its process group is found), the worktree is removed, and
the run is re-queued with an event saying why, or failed after too many interruptions. Nothing is
deleted from the store: events and reports of the interrupted attempt stay.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from crewchief import git, proc, statepaths
from crewchief.runs.execute import OWNER_LOCK, scrub_run_dir
from crewchief.runs.supervise import OWNER_FILE
from crewchief.store import RunState, Store
from crewchief.store.db import TransitionError
from crewchief.workspace.worktree import Worktree

INTERRUPTED = "interrupted: re-queued after crash"
MAX_INTERRUPTIONS = 3


@dataclass(frozen=True)
class Recovered:
    run_id: int
    action: str
    """"requeued" or "failed"."""
    killed: tuple[int, ...]
    """Pids of orphan agent processes that were ended."""


def owner_alive(repo: Path, run_id: int) -> bool:
    """True while some process holds the run's owner lock (an `execute_run` is working on it)."""
    return _lock_held(statepaths.run_dir(repo, run_id) / OWNER_LOCK)


def _lock_held(lock: Path) -> bool:
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


def agent_processes(token: str) -> list[int]:
    """Pids whose environment carries the run's token (its agent and everything the agent started)."""
    needle = f"CREWCHIEF_RUN_TOKEN={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry))
    return found


def end_orphans(repo: Path, run_id: int, pid: int | None, grace: float = 1.0) -> tuple[int, ...]:
    """End the agent of a run whose owner is gone: its group and every process with its token."""
    token = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads((statepaths.run_dir(repo, run_id) / OWNER_FILE).read_text())
        token, pid = str(data["token"]), int(data["pid"]) if pid is None else pid
    pids = agent_processes(token) if token else []
    if not pids:
        return ()
    leader = pid if pid in pids else pids[0]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc.signal_tree(leader, pids, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)
        if not any(_alive(p) for p in pids):
            break
    return tuple(pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] != b"Z"


def _interruptions(store: Store, run_id: int) -> int:
    return sum(1 for e in store.events(run_id) if (e.message or "").startswith(INTERRUPTED))


def recover(
    store: Store, repo: Path, *, max_interruptions: int = MAX_INTERRUPTIONS
) -> list[Recovered]:
    """Put right every active run whose owner is gone; call before taking new work."""
    repo = git.toplevel(repo)
    done: list[Recovered] = []
    for run in store.runs([RunState.PREPARING, RunState.RUNNING, RunState.VALIDATING]):
        if owner_alive(repo, run.id):
            continue
        killed = end_orphans(repo, run.id, run.pid)
        if run.worktree:
            _remove_tree(repo, Path(run.worktree))
        scrub_run_dir(statepaths.run_dir(repo, run.id))
        state = RunState(run.state)
        count = _interruptions(store, run.id) + 1
        try:
            if count > max_interruptions:
                reason = f"interrupted {count} times (crewchief stopped while it ran); not retried"
                store.transition(
                    run.id, RunState.FAILED, reason, expect=[state], reason=reason, pid=None
                )
                done.append(Recovered(run.id, "failed", killed))
            else:
                message = f"{INTERRUPTED} (was {state.value}, owner pid {run.owner_pid})"
                store.transition(
                    run.id,
                    RunState.QUEUED,
                    message,
                    expect=[state],
                    pid=None,
                    owner_pid=None,
                    worktree=None,
                    head_commit=None,
                )
                done.append(Recovered(run.id, "requeued", killed))
        except TransitionError:
            continue  # another process recovered or moved it first
    prune_worktrees(store, repo)
    return done


def _remove_tree(repo: Path, path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    Worktree(repo, path, "").remove()


def prune_worktrees(store: Store, repo: Path) -> list[Path]:
    """Remove run worktrees whose run no live process is working on (left by a crash).

    Run worktrees are named `run<ID>-<random>`; the run's owner lock says whether it is in use, so
    this is safe while other `crewchief run` processes work on the same repository.
    """
    parent = statepaths.run_trees_dir(repo)
    if not parent.exists():
        return []
    removed = []
    for child in sorted(parent.iterdir()):
        number = statepaths.run_id_of_tree(child.name)
        if number is not None and owner_alive(repo, number):
            continue
        _remove_tree(repo, child)
        removed.append(child)
    if removed:
        git.run(repo, "worktree", "prune", check=False)
    return removed
