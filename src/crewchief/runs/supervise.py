"""Running the agent under its budgets: time, cost and tokens, and cancellation.

The agent's output streams into the run's transcript as it comes, capped to its head and tail
(`crewchief.transcript`): output volume alone never stops an agent. Its pid (and the token that
finds its processes after a crash) is on record before it can do anything. Every line it prints
goes to its adapter's usage reader as it flows, so what it spent is known even when the event that
says so falls in the dropped middle of the transcript; the budget is checked against it now and
then, and the store for a cancellation; either stops it. The agent's parsers read hostile output,
so one that fails counts as no usage, never as a crash.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import proc
from crewchief.agents.base import Agent, Invocation, Usage, UsageReader
from crewchief.agents.command import LineSplitter
from crewchief.spec.task import Task
from crewchief.store import RunState, Store

OWNER_FILE = "owner.json"
TICK_S = 2.0
"""How often the store is asked whether the run was cancelled."""


@dataclass(frozen=True)
class Limits:
    minutes: float
    output_cap: int
    """The transcript keeps this many bytes of the agent's output: its head and its tail."""
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
        self.spent = StreamedUsage(agent, invocation)
        self._last_usage = 0.0
        self._last_tick = time.monotonic()

    def on_start(self, pid: int) -> None:
        owner = {"pid": pid, "owner": os.getpid(), "token": self.token}
        (self.run_dir / OWNER_FILE).write_text(json.dumps(owner))
        self.store.update_run(self.run_id, pid=pid)

    def on_output(self, chunk: bytes) -> str | None:
        self.spent.feed(chunk)
        budget = self.invocation.task.budget
        if budget.usd is None and budget.tokens is None:
            return None
        now = time.monotonic()
        if now - self._last_usage < self.interval_s:
            return None
        self._last_usage = now
        return over_budget(self.spent.so_far(), self.invocation.task)

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
) -> Supervised:
    """Run the agent to its end, or to the first budget it passes; the outcome says which, and
    the usage is the agent's account of the whole run, read as its output flowed."""
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
    usage = monitor.spent.final(outcome.output)
    if not outcome.stopped and not outcome.timed_out:
        over = over_budget(usage, invocation.task)
        if over:
            outcome = dataclasses.replace(outcome, stopped=over)
    return Supervised(outcome, usage)


@dataclass(frozen=True)
class Supervised:
    outcome: proc.StreamOutcome
    usage: Usage


class StreamedUsage:
    """The agent's usage read from its output as it flows, every line of it.

    An adapter with a `usage_reader` gets each line once, however long the run. One without (its
    usage is in a file it writes, or in a document printed at the end) is asked with the last
    `recent_cap` bytes while the agent runs, and with the transcript's head and tail at the end.
    A reader that raises on hostile output is dropped: the run counts as having no usage.
    """

    def __init__(self, agent: Agent, invocation: Invocation, recent_cap: int = 8 << 20) -> None:
        self._agent, self._invocation = agent, invocation
        make = getattr(agent, "usage_reader", None)
        self._reader: UsageReader | None = make(invocation) if callable(make) else None
        self._streamed = self._reader is not None
        self._lines = LineSplitter()
        self._recent = bytearray()
        self._recent_cap = recent_cap

    def feed(self, chunk: bytes) -> None:
        if not self._streamed:
            self._recent.extend(chunk)
            del self._recent[: max(0, len(self._recent) - self._recent_cap)]
        else:
            self._feed_lines(self._lines.feed(chunk))

    def _feed_lines(self, lines: list[bytes]) -> None:
        reader = self._reader
        if reader is None:
            return
        try:
            for line in lines:
                reader.feed(line)
        except Exception:
            self._reader = None

    def so_far(self) -> Usage:
        """The usage up to now (while the agent runs, for the budget)."""
        return self._current(bytes(self._recent))

    def final(self, output: bytes) -> Usage:
        """The run's usage once the output has ended; `output` is what the transcript kept."""
        self._feed_lines(self._lines.end())
        return self._current(output)

    def _current(self, output: bytes) -> Usage:
        if not self._streamed:
            return usage_of(self._agent, output, self._invocation)
        try:
            return self._reader.usage() if self._reader is not None else Usage()
        except Exception:
            return Usage()


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
