"""A night's runs in a real store, one or more in every state the morning brief sorts, with fixed
times (so sums and windows are exact) and hostile agent-written text where the brief shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from crewchief.store import RunState, Store, open_store
from tests.helpers.repo import Repo

ANSI = "\x1b[31mred\x1b[0m\x1b]0;owned\x07"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
LINK = "[click](https://e.x/a) ![px](https://e.x/p.png) | col @here"
HOSTILE_TITLE = f"{ANSI} {SCRIPT} {LINK}"
HOSTILE_REASON = f"agent crashed {ANSI} {SCRIPT} {IMG} {LINK}\nsecond line must not show"
HOSTILE_AGENT = '"><svg onload=alert(3)>'

_PATHS: dict[RunState, tuple[RunState, ...]] = {
    RunState.QUEUED: (),
    RunState.RUNNING: (RunState.PREPARING, RunState.RUNNING),
    RunState.AWAITING_REVIEW: (
        RunState.PREPARING,
        RunState.RUNNING,
        RunState.VALIDATING,
        RunState.AWAITING_REVIEW,
    ),
    RunState.FAILED: (RunState.PREPARING, RunState.FAILED),
    RunState.TIMED_OUT: (RunState.PREPARING, RunState.RUNNING, RunState.TIMED_OUT),
    RunState.CANCELLED: (RunState.CANCELLED,),
}


def make_run(
    store: Store,
    task: str,
    state: RunState,
    *,
    agent: str = "mine",
    start: dt.datetime,
    minutes: float | None,
    **fields: Any,
) -> int:
    """A run of `task` moved through the state machine to `state`, then given times (queued and
    started at `start`, ended `minutes` later unless None) and `fields` (verdict, risk, cost)."""
    if store.task(task) is None:
        store.upsert_task(task, f"title of {task}", 3, {})
    run_id = store.queue_run(task, agent)
    for step in _PATHS[state]:
        store.transition(run_id, step, f"to {step.value}")
    ended = start + dt.timedelta(minutes=minutes) if minutes is not None else None
    times = {"created_at": start, "started_at": start if state != RunState.QUEUED else None}
    store.update_run(run_id, **times, ended_at=ended, **fields)
    return run_id


@dataclass(frozen=True)
class Night:
    now: dt.datetime
    since: dt.datetime
    ids: dict[str, int]


def overnight(repo: Repo) -> Night:
    """Runs since 6 hours ago, and two from three days ago (outside a default window)."""
    store = open_store(repo.path)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    t = now - dt.timedelta(hours=6)
    old = now - dt.timedelta(days=3)
    store.upsert_task("hostile", HOSTILE_TITLE, 1, {})
    aw = RunState.AWAITING_REVIEW
    money: dict[str, Any] = {"cost_usd": 0.5, "tokens_in": 1000, "tokens_out": 200}
    ids = {
        "pass_high": make_run(store, "a", aw, start=t, minutes=10, verdict="pass", risk=20),
        "pass_low": make_run(store, "b", aw, start=t, minutes=20, verdict="pass", risk=3, **money),
        "review": make_run(store, "c", aw, start=t, minutes=30, verdict="review", risk=40),
        "block": make_run(store, "d", aw, start=t, minutes=5, verdict="block", risk=80),
        "ungated": make_run(store, "e", aw, start=t, minutes=5),
        "failed": make_run(
            store,
            "hostile",
            RunState.FAILED,
            agent=HOSTILE_AGENT,
            start=t,
            minutes=15,
            reason=HOSTILE_REASON,
            **money,
        ),
        "timed_out": make_run(
            store,
            "hostile",
            RunState.TIMED_OUT,
            start=t + dt.timedelta(hours=1),
            minutes=30,
            reason="the agent ran past its time budget of 30 min and was stopped",
        ),
        "cancelled": make_run(store, "f", RunState.CANCELLED, start=t, minutes=0),
        "running": make_run(
            store, "g", RunState.RUNNING, start=now - dt.timedelta(minutes=45), minutes=None
        ),
        "queued": make_run(store, "h", RunState.QUEUED, start=now, minutes=None),
        "old_pass": make_run(store, "i", aw, start=old, minutes=10, verdict="pass", risk=1),
        "old_failed": make_run(store, "j", RunState.FAILED, start=old, minutes=10, reason="old"),
    }
    store.close()
    return Night(now=now, since=now - dt.timedelta(hours=7), ids=ids)
