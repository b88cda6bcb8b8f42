from __future__ import annotations

import sqlite3
import threading

import pytest

from crewchief.store import RunState, open_store
from crewchief.store.db import TransitionError, run_to_json


def test_run_lifecycle_is_recorded_as_events(tmp_path) -> None:
    store = open_store(tmp_path)
    store.upsert_task("fix-a", "Fix a", 2, {"id": "fix-a"})
    run_id = store.queue_run("fix-a", "mine", priority=2)
    for state in (
        RunState.PREPARING,
        RunState.RUNNING,
        RunState.VALIDATING,
        RunState.AWAITING_REVIEW,
    ):
        store.transition(run_id, state)
    run = store.run(run_id)
    assert run.state == "awaiting_review" and run.started_at and run.ended_at
    assert [e.to_state for e in store.events(run_id)] == [
        "queued",
        "preparing",
        "running",
        "validating",
        "awaiting_review",
    ]
    assert run_to_json(run)["attempt"] == 1
    assert store.queue_run("fix-a", "mine") != run_id
    assert store.run(run_id + 1).attempt == 2


def test_illegal_and_racing_transitions_are_refused(tmp_path) -> None:
    store = open_store(tmp_path)
    store.upsert_task("t", "T", 3, {})
    run_id = store.queue_run("t", "a")
    with pytest.raises(TransitionError, match="cannot go from queued to merged"):
        store.transition(run_id, RunState.MERGED)
    with pytest.raises(TransitionError, match="not running"):
        store.transition(run_id, RunState.FAILED, expect=[RunState.RUNNING])
    wins: list[int] = []

    def claim() -> None:
        try:
            store.transition(run_id, RunState.PREPARING, expect=[RunState.QUEUED])
            wins.append(1)
        except TransitionError:
            pass

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins == [1]
    assert [e.to_state for e in store.events(run_id)] == ["queued", "preparing"]


def test_reports_findings_and_decisions(tmp_path) -> None:
    store = open_store(tmp_path)
    store.upsert_task("t", "T", 3, {})
    run_id = store.queue_run("t", "a")
    report = {
        "verdict": "block",
        "risk": 70,
        "findings": [
            {
                "check": "scope",
                "rule": "protected-path",
                "severity": "critical",
                "path": "CODEOWNERS",
                "line": None,
                "message": "<script>",
                "blocking": True,
            }
        ],
    }
    store.save_report(run_id, report)
    assert store.latest_report(run_id) == report
    assert (store.run(run_id).verdict, store.run(run_id).risk) == ("block", 70)
    store.record_decision(run_id, "reject", "alice", feedback="stay in scope")
    assert store.decisions(run_id)[0].feedback == "stay in scope"


def test_schema_is_migrated_and_wal(tmp_path) -> None:
    open_store(tmp_path).close()
    db = sqlite3.connect(tmp_path / ".crewchief" / "state.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"
    assert "pr_url" in {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"tasks", "runs", "events", "reports", "findings", "decisions"} <= tables


def _to_review(store, run_id: int) -> None:
    for state in (
        RunState.PREPARING,
        RunState.RUNNING,
        RunState.VALIDATING,
        RunState.AWAITING_REVIEW,
    ):
        store.transition(run_id, state)


def test_merging_a_run_supersedes_the_tasks_other_candidates(tmp_path) -> None:
    store = open_store(tmp_path)
    for task in ("t", "u"):
        store.upsert_task(task, task.upper(), 3, {})
    merged = store.queue_run("t", "a", base_ref="main")
    in_review = store.queue_run("t", "b", base_ref="main", attempt=1)
    waiting = store.queue_run("t", "c", base_ref="main")
    running = store.queue_run("t", "d", base_ref="main")
    other_task = store.queue_run("u", "a", base_ref="main")
    other_target = store.queue_run("t", "a", base_ref="release")
    for run_id in (merged, in_review, other_task, other_target):
        _to_review(store, run_id)
    store.transition(running, RunState.PREPARING)
    store.transition(running, RunState.RUNNING)
    store.transition(merged, RunState.APPROVED)

    superseded = store.merge_run(merged, "landed on main as abc")

    assert superseded == [in_review, waiting]
    assert store.superseded_by(merged) == [in_review, waiting]
    for run_id, before in ((in_review, "awaiting_review"), (waiting, "queued")):
        run = store.run(run_id)
        assert run.state == "superseded" and run.ended_at is not None
        assert run.reason == f"superseded: run {merged} of this task was merged on main"
        last = store.events(run_id)[-1]
        assert (last.from_state, last.to_state, last.message) == (before, "superseded", run.reason)
        assert run_to_json(run)["state"] == "superseded"
    assert store.run(merged).state == "merged"
    assert [store.run(r).state for r in (running, other_task, other_target)] == [
        "running",
        "awaiting_review",
        "awaiting_review",
    ]
    # A run in progress at the merge learns of it when it finishes validating.
    assert store.merged_since(running) == merged
    assert store.merged_since(other_target) is None
    assert store.merged_since(store.queue_run("t", "a", base_ref="main")) is None  # queued after
    # superseded is an end: nothing moves it again, and a second merge of the same run is refused
    with pytest.raises(TransitionError):
        store.transition(in_review, RunState.AWAITING_REVIEW)
    with pytest.raises(TransitionError):
        store.merge_run(merged, "again")


def test_task_feedback_is_every_earlier_rejection_whichever_agent(tmp_path) -> None:
    store = open_store(tmp_path)
    store.upsert_task("t", "T", 3, {})
    first = store.queue_run("t", "a")
    sibling = store.queue_run("t", "b", attempt=1)
    later = store.queue_run("t", "a")
    for run_id in (first, sibling, later):
        _to_review(store, run_id)
    store.reject_run(first, "rita", "F1", message="rejected", retry=None)
    store.reject_run(sibling, "sam", "F2", message="rejected", retry=None)
    store.reject_run(later, "rita", "F3", message="rejected", retry=None)
    seen = [(d.feedback, r.agent, r.attempt) for d, r in store.task_feedback("t", 3)]
    assert seen == [("F1", "a", 1), ("F2", "b", 1), ("F3", "a", 2)]
    assert [d.feedback for d, _ in store.task_feedback("t", 2)] == ["F1", "F2"]
