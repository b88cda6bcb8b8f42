"""A run still working when another run of its task is merged never enters the review queue: it
ends as `superseded` when it reaches validation, with the real runner.

The merge is recorded through the store as `approve` records it (approved, then merged with
`merge_run`) without moving `main`: this machine may have no sandbox, and without one the runner's
containment rightly fails a run during which the user's checkout and refs changed."""

from __future__ import annotations

import threading
import time

from crewchief.store import RunState

HELD_AGENT = """
import os, pathlib, time
hold = pathlib.Path(os.environ["HOLD"])
deadline = time.monotonic() + 120
while hold.exists() and time.monotonic() < deadline:  # released by the test, not by a clock
    time.sleep(0.05)
pathlib.Path("src/app.py").write_text('def add(a, b):\\n    return a + b  # held\\n')
"""


def test_a_run_in_progress_when_its_task_merges_is_superseded(make_project, tmp_path) -> None:
    hold = tmp_path / "hold"
    project = make_project(HELD_AGENT, agent_env={"HOLD": str(hold)})
    first = project.queue(base_ref="main")
    assert project.execute(first, sandbox="off") == RunState.AWAITING_REVIEW
    hold.write_text("wait")
    second = project.queue(base_ref="main")
    outcome: list[RunState] = []
    worker = threading.Thread(target=lambda: outcome.append(project.execute(second, sandbox="off")))
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while project.store.run(second).state != RunState.RUNNING.value:
            assert time.monotonic() < deadline, "the second run never started"
            time.sleep(0.05)
        project.store.transition(first, RunState.APPROVED, "approved by rita")
        # the second run is not waiting but working: the runner, not the merge, supersedes it
        assert project.store.merge_run(first, "landed on main") == []
    finally:
        hold.unlink()
        worker.join(180)
    assert outcome == [RunState.SUPERSEDED], project.store.run(second).reason
    run = project.store.run(second)
    assert run.reason == f"superseded: run {first} of this task was merged on main"
    assert project.store.latest_report(second) is None  # not gated: its task is decided
    assert [e.to_state for e in project.store.events(second)][-2:] == ["validating", "superseded"]
    assert project.store.runs([RunState.AWAITING_REVIEW]) == []
    assert project.store.superseded_by(first) == [second]
