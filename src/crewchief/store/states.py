"""The run state machine (DESIGN.md): every transition is checked here and recorded as an event."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    VALIDATING = "validating"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    MERGED = "merged"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    """Another run of the same task was merged on the same target first: this candidate leaves
    the review queue (or never enters it) without a reviewer deciding it."""

    @property
    def is_final(self) -> bool:
        return self in FINAL

    @property
    def is_active(self) -> bool:
        """A process may be working on a run in this state (what recovery looks for)."""
        return self in (RunState.PREPARING, RunState.RUNNING, RunState.VALIDATING)


FINAL = frozenset(
    {
        RunState.MERGED,
        RunState.REJECTED,
        RunState.FAILED,
        RunState.TIMED_OUT,
        RunState.CANCELLED,
        RunState.SUPERSEDED,
    }
)

SUPERSEDABLE = frozenset({RunState.QUEUED, RunState.AWAITING_REVIEW})
"""States a task's other runs may be in to be superseded when one of its runs is merged: waiting to
start, or waiting for a reviewer. A run in progress is superseded when it finishes validating."""

_ENDS = {RunState.FAILED, RunState.TIMED_OUT, RunState.CANCELLED}
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.QUEUED: frozenset(
        {RunState.PREPARING, RunState.CANCELLED, RunState.FAILED, RunState.SUPERSEDED}
    ),
    RunState.PREPARING: frozenset({RunState.RUNNING, RunState.QUEUED, *_ENDS}),
    RunState.RUNNING: frozenset({RunState.VALIDATING, RunState.QUEUED, *_ENDS}),
    RunState.VALIDATING: frozenset(
        {RunState.AWAITING_REVIEW, RunState.QUEUED, RunState.SUPERSEDED, *_ENDS}
    ),
    RunState.AWAITING_REVIEW: frozenset(
        {
            RunState.APPROVED,
            RunState.REJECTED,
            RunState.CANCELLED,
            RunState.VALIDATING,
            RunState.SUPERSEDED,
        }
    ),
    RunState.APPROVED: frozenset({RunState.MERGED, RunState.AWAITING_REVIEW, RunState.FAILED}),
    RunState.MERGED: frozenset(),
    RunState.REJECTED: frozenset(),
    RunState.FAILED: frozenset(),
    RunState.TIMED_OUT: frozenset(),
    RunState.CANCELLED: frozenset(),
    RunState.SUPERSEDED: frozenset(),
}


def can_transition(old: RunState, new: RunState) -> bool:
    return new in TRANSITIONS[old]
