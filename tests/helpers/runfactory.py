"""Runs as the runner leaves them (a branch with one commit, a real gate report), in real
repositories: what the review and web tests decide on."""

from __future__ import annotations

from typing import Any

from crewchief.gate.engine import GateRequest, run_gate
from crewchief.store import RunState, open_store
from tests.helpers.repo import Repo


def fake_run(
    repo: Repo,
    files: dict[Any, Any],
    *,
    task: str = "greet",
    agent: str = "mine",
    priority: int = 3,
    group: str | None = None,
    attempt: int | None = None,
    message: str | None = None,
    transcript: str | None = None,
    until: RunState = RunState.AWAITING_REVIEW,
) -> int:
    """A run with a branch holding one commit, a real gate report, in state `until`."""
    store = open_store(repo.path)
    store.upsert_task(task, "Greet politely", priority, {})
    run_id = store.queue_run(
        task, agent, base_ref="main", priority=priority, group_key=group, attempt=attempt
    )
    base = repo.git("rev-parse", "main")
    branch = f"crewchief/{task}/{run_id}"
    repo.branch(branch, "main")
    repo.commit(files, message or f"{agent}: work on {task}")
    head = repo.git("rev-parse", "HEAD")
    repo.checkout("main")
    store.transition(run_id, RunState.PREPARING)
    store.transition(
        run_id, RunState.RUNNING, branch=branch, base_commit=base, transcript=transcript
    )
    if until == RunState.RUNNING:
        return run_id
    store.transition(
        run_id,
        RunState.VALIDATING,
        head_commit=head,
        model="scripted-1",
        tokens_in=1200,
        tokens_out=340,
        cost_usd=0.05,
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, task=task, static=True)
    ).to_json()
    store.save_report(run_id, report)
    store.transition(run_id, RunState.AWAITING_REVIEW)
    return run_id
