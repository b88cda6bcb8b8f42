"""Running the agent under its budgets: time, output, cost and tokens, and cancellation.

The agent's output streams into the run's transcript as it comes. Its pid (and the token that finds
its processes after a crash) is on record before it can do anything. While it runs, its own JSON
output is read now and then for what it spent, and the store for a cancellation; either stops it.
The agent's parsers read hostile output, so one that fails counts as no usage, never as a crash.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import proc
from crewchief.agents.base import Agent, Invocation, Usage
from crewchief.spec.task import Task
from crewchief.store import RunState, Store

OWNER_FILE = "owner.json"
TICK_S = 2.0
"""How often the store is asked whether the run was cancelled."""


@dataclass(frozen=True)
class Limits:
    minutes: float
    output_cap: int
    kill_grace_s: float
    usage_interval_s: float
    """How often the cost budget is checked against the agent's output so far."""


@dataclass(frozen=True)
class Launched:
    """The process to start, as `crewchief.workspace.agent_env.launch` and the adapter made it."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    stdin: bytes | None
    token: str
    """In the agent's environment, so recovery finds every process it started."""


class _Monitor:
    """The callbacks `proc.stream` calls while the agent runs, rate-limited."""

    def __init__(
        self,
        store: Store,
        run_id: int,
        agent: Agent,
        invocation: Invocation,
        *,
        interval_s: float,
        token: str,
    ) -> None:
        self.store, self.run_id, self.run_dir = store, run_id, invocation.run_dir
        self.agent, self.invocation = agent, invocation
        self.interval_s, self.token = interval_s, token
        self._last_usage = 0.0
        self._last_tick = time.monotonic()

    def on_start(self, pid: int) -> None:
        owner = {"pid": pid, "owner": os.getpid(), "token": self.token}
        (self.run_dir / OWNER_FILE).write_text(json.dumps(owner))
        self.store.update_run(self.run_id, pid=pid)

    def on_output(self, output: bytes) -> str | None:
        budget = self.invocation.task.budget
        if budget.usd is None and budget.tokens is None:
            return None
        now = time.monotonic()
        if now - self._last_usage < self.interval_s:
            return None
        self._last_usage = now
        return over_budget(usage_of(self.agent, output, self.invocation), self.invocation.task)

    def on_tick(self) -> str | None:
        now = time.monotonic()
        if now - self._last_tick < TICK_S:
            return None
        self._last_tick = now
        if self.store.run(self.run_id).state == RunState.CANCELLED.value:
            return "the run was cancelled"
        return None


def supervise(
    store: Store,
    run_id: int,
    *,
    agent: Agent,
    invocation: Invocation,
    launched: Launched,
    limits: Limits,
    transcript: Path,
) -> proc.StreamOutcome:
    """Run the agent to its end, or to the first budget it passes; the outcome says which."""
    monitor = _Monitor(
        store, run_id, agent, invocation, interval_s=limits.usage_interval_s, token=launched.token
    )
    with open(transcript, "ab") as sink:
        outcome = proc.stream(
            proc.Request(
                launched.argv,
                cwd=invocation.worktree,
                env=launched.env,
                timeout=limits.minutes * 60,
                stdin=launched.stdin,
                output_cap=limits.output_cap,
            ),
            sink,
            on_start=monitor.on_start,
            on_output=monitor.on_output,
            on_tick=monitor.on_tick,
            grace=limits.kill_grace_s,
        )
        sink.write(_footer(outcome).encode())
    if not outcome.stopped and not outcome.timed_out:
        over = over_budget(usage_of(agent, outcome.output, invocation), invocation.task)
        if over:
            return proc.StreamOutcome(
                outcome.returncode, outcome.output, outcome.duration_s, stopped=over
            )
    return outcome


def _footer(outcome: proc.StreamOutcome) -> str:
    return (
        f"\n# exit: {outcome.returncode}  duration: {outcome.duration_s:.2f}s"
        f"{'  TIMED OUT' if outcome.timed_out else ''}"
        f"{f'  STOPPED: {outcome.stopped}' if outcome.stopped else ''}\n"
    )


def usage_of(agent: Agent, output: bytes, invocation: Invocation) -> Usage:
    """The agent's own account of its usage; a parser that chokes on hostile output counts as none."""
    try:
        return agent.usage(output, invocation)
    except Exception:
        return Usage()


def over_budget(usage: Usage, task: Task) -> str | None:
    budget = task.budget
    if budget.usd is not None and usage.cost_usd is not None and usage.cost_usd > budget.usd:
        return f"cost budget passed: ${usage.cost_usd:.2f} > ${budget.usd:.2f}"
    tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    if budget.tokens is not None and tokens > budget.tokens:
        return f"token budget passed: {tokens} > {budget.tokens}"
    return None


def transient(agent: Agent, outcome: proc.StreamOutcome) -> bool:
    """Whether the agent's failure is worth retrying later (a rate limit, the network)."""
    try:
        return bool(agent.transient(outcome.output, outcome.returncode))
    except Exception:
        return False
