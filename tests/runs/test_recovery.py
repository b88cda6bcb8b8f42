"""`kill -9` of the process running a batch, then recovery: orphans ended, runs re-queued with an
event, worktrees removed, nothing in the store lost; then the re-queued runs finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crewchief import statepaths
from crewchief.runs import recovery
from crewchief.store import RunState
from tests.runs.conftest import Project
from tests.runs.test_runner import sandbox_option, worktrees

ROOT = Path(__file__).resolve().parents[2]

# Runs 1 and 2 are slow on the first attempt (no interrupted transcript yet), quick on the retry. It also starts a
# helper that leaves its process group, as agents' tool servers do, to prove recovery finds it.
SLOW_AGENT = """
import os, pathlib, subprocess, sys, time
run_dir = pathlib.Path(os.environ["CREWCHIEF_RUN_DIR"])
pathlib.Path("src/app.py").write_text("def add(a, b):\\n    return a + b + 0\\n")
first_two = os.environ["CREWCHIEF_RUN_ID"] in ("1", "2")
if first_two and not (run_dir / "transcript.interrupted-1.log").exists():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    print("agent started", flush=True)
    time.sleep(300)
print("agent finished", flush=True)
"""


def _live(project: Project, run_id: int) -> list[int]:
    marker = f"CREWCHIEF_RUN_DIR={statepaths.run_dir(project.path, run_id)}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0") and stat[stat.rfind(b")") + 2 :][:1] != b"Z":
            found.append(int(entry))
    return found


def _wait(condition, timeout: float = 60.0, message=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting {message()}")
        time.sleep(0.05)


def test_kill_9_mid_batch_then_recover_and_finish(make_project, mode, tmp_path) -> None:
    project = make_project(SLOW_AGENT)
    run_ids = [project.queue() for _ in range(3)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The real `crewchief run`, working the queued runs two at a time.
    crewchief_run = [
        sys.executable,
        "-m",
        "crewchief",
        "run",
        "--parallel",
        "2",
        "--static-gate",
        "--sandbox",
        sandbox_option(mode),
        "--repo",
        str(project.path),
    ]
    log = tmp_path / "driver.log"
    with open(log, "wb") as sink:
        driver = subprocess.Popen(
            crewchief_run,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    started = run_ids[:2]

    def agents_running() -> bool:
        for run_id in started:
            transcript = statepaths.run_dir(project.path, run_id) / "transcript.log"
            if not transcript.exists() or "agent started" not in transcript.read_text():
                return False
        return True

    try:
        _wait(agents_running, message=log.read_text)
        assert all(len(_live(project, r)) >= 2 for r in started)  # agent + its helper
        events_before = {r: [(e.id, e.to_state) for e in project.store.events(r)] for r in run_ids}
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
    assert [project.store.run(r).state for r in run_ids] == ["running", "running", "queued"]
    assert len(worktrees(project)) == 3  # the crash left two run worktrees behind

    # `crewchief run` again: it recovers first (orphans ended, runs re-queued, worktrees removed),
    # then finishes every run.
    again = subprocess.run(
        crewchief_run,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        "recovered run 1: requeued" in again.stdout and "recovered run 2: requeued" in again.stdout
    )
    _wait(lambda: not any(_live(project, r) for r in run_ids), timeout=10)
    assert worktrees(project) == [str(project.path)]
    assert list(statepaths.run_trees_dir(project.path).iterdir()) == []
    for run_id in run_ids:
        run = project.store.run(run_id)
        assert run.state == "awaiting_review", (run_id, run.reason)
        events = [(e.id, e.to_state) for e in project.store.events(run_id)]
        assert events[: len(events_before[run_id])] == events_before[run_id]  # nothing lost
        assert project.store.latest_report(run_id) is not None
    for run_id in started:
        messages = [
            (e.from_state, e.to_state, e.message or "") for e in project.store.events(run_id)
        ]
        assert any(
            f == "running" and t == "queued" and m.startswith("interrupted: re-queued after crash")
            for f, t, m in messages
        )
        run_dir = statepaths.run_dir(project.path, run_id)
        assert "agent started" in (run_dir / "transcript.interrupted-1.log").read_text()
        assert "agent finished" in (run_dir / "transcript.log").read_text()
    # Nothing is left to recover.
    assert recovery.recover(project.store, project.path) == []


def test_runs_interrupted_too_often_are_failed_with_a_reason(make_project) -> None:
    project = make_project(SLOW_AGENT)
    run_id = project.queue()
    for _ in range(recovery.MAX_INTERRUPTIONS):
        project.store.transition(run_id, RunState.PREPARING, "preparing")
        assert recovery.recover(project.store, project.path)[0].action == "requeued"
    project.store.transition(run_id, RunState.PREPARING, "preparing")
    assert recovery.recover(project.store, project.path)[0].action == "failed"
    run = project.store.run(run_id)
    assert run.state == "failed"
    assert run.reason and "interrupted 4 times" in run.reason


def test_live_runs_and_their_worktrees_are_left_alone(make_project) -> None:
    """Recovery in a second process while the first still works must not touch its runs."""
    import threading

    project = make_project(SLOW_AGENT)
    run_id = project.queue()
    result: list[RunState] = []
    worker = threading.Thread(target=lambda: result.append(project.execute(run_id)))
    worker.start()
    transcript = statepaths.run_dir(project.path, run_id) / "transcript.log"
    _wait(lambda: transcript.exists() and "agent started" in transcript.read_text())
    assert recovery.recover(project.store, project.path) == []
    assert recovery.prune_worktrees(project.store, project.path) == []
    assert len(worktrees(project)) == 2
    project.store.transition(run_id, RunState.CANCELLED, "stop")
    worker.join(30)
    assert result == [RunState.CANCELLED]
    assert worktrees(project) == [str(project.path)]
