"""`reject`: record why, and queue the next attempt whose prompt carries the feedback.

Feedback accumulates: attempt 3 sees what reviewers said about attempts 1 and 2, plus the gate's
blocking findings, because an agent that forgets earlier feedback repeats the same mistake. It
accumulates per task, not per agent: the decisions are the record, so feedback on one agent's
attempt reaches every later attempt of the task, whichever agent runs it (a best-of-N sibling's
retry, or a new `crewchief run TASK --agent other`).
"""

from __future__ import annotations

import json
from typing import Any

from crewchief.errors import UserError
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow

MAX_FINDINGS = 20


def feedback_history(store: Store, run: RunRow) -> list[dict[str, Any]]:
    """Every reviewer's feedback this run must address, oldest attempt first (what its prompt
    renders and its page shows): each rejection with feedback of an earlier attempt of the task,
    whichever agent ran it, plus anything the run was queued with that no decision records."""
    history: list[dict[str, Any]] = [
        {
            "attempt": earlier.attempt,
            "agent": earlier.agent,
            "run": earlier.id,
            "feedback": decision.feedback,
            "by": decision.who,
        }
        for decision, earlier in store.task_feedback(run.task_id, run.attempt)
        if decision.feedback and decision.feedback.strip()
    ]
    recorded = {(h["attempt"], h["feedback"]) for h in history}
    for item in carried_feedback(run):
        if (item.get("attempt"), item.get("feedback")) not in recorded:
            history.append(item)
    history.sort(key=_attempt_of)
    return history


def _attempt_of(entry: dict[str, Any]) -> int:
    attempt = entry.get("attempt")
    return attempt if isinstance(attempt, int) else 0


def carried_feedback(run: RunRow) -> list[dict[str, Any]]:
    """The feedback history stored on the run when it was queued by a rejection (the chain of
    retries it descends from, with each rejected attempt's blocking findings)."""
    if not run.feedback:
        return []
    try:
        data = json.loads(run.feedback)
    except ValueError:
        return [{"attempt": run.attempt - 1, "feedback": run.feedback, "findings": []}]
    return list(data) if isinstance(data, list) else []


def reject(store: Store, run_id: int, feedback: str, who: str, *, retry: bool = True) -> int | None:
    """Reject a run awaiting review; returns the id of the queued next attempt (or None)."""
    run = store.run(run_id)
    if run.state != RunState.AWAITING_REVIEW.value:
        raise UserError(f"run {run_id} is {run.state}; only runs awaiting review can be rejected")
    if not feedback.strip():
        raise UserError("--feedback is empty: say what the next attempt must do differently")
    report = store.latest_report(run_id) or {}
    blocking = [
        {k: f.get(k) for k in ("check", "rule", "path", "line", "message")}
        for f in report.get("findings", [])
        if f.get("blocking")
    ][:MAX_FINDINGS]
    history = [
        *carried_feedback(run),
        {
            "attempt": run.attempt,
            "run": run.id,
            "feedback": feedback,
            "findings": blocking,
            "by": who,
        },
    ]
    retry_fields = None
    if retry:
        retry_fields = {
            "task_id": run.task_id,
            "agent": run.agent,
            "attempt": store.next_attempt(run.task_id),
            "base_ref": run.base_ref,
            "feedback": json.dumps(history),
            "priority": run.priority,
            "group_key": run.group_key,
        }
    return store.reject_run(
        run_id, who, feedback, message=f"rejected by {who}: {feedback[:200]}", retry=retry_fields
    )
