"""`reject`: record why, and queue the next attempt whose prompt carries the feedback.

Feedback accumulates: attempt 3 sees what the reviewer said about attempts 1 and 2, plus the gate's
blocking findings on each, because an agent that forgets earlier feedback repeats the same mistake.
"""

from __future__ import annotations

import json
from typing import Any

from crewchief.errors import UserError
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow

MAX_FINDINGS = 20


def feedback_history(run: RunRow) -> list[dict[str, Any]]:
    """Earlier rejections carried by this run, oldest first (what its prompt renders)."""
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
        *feedback_history(run),
        {"attempt": run.attempt, "feedback": feedback, "findings": blocking, "by": who},
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
