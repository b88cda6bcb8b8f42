"""The agent adapter interface: how crewchief runs one coding agent non-interactively.

An adapter knows its program: how to pass the prompt, which flags make it run unattended, where its
transcript is, and how to read model, tokens and cost from its own machine-readable output. It never
judges the result (that is the gate's job) and never runs itself: the runner starts the command it
describes, in the run's worktree and sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from crewchief.spec.policy import AgentPolicy, ScopePolicy
from crewchief.spec.task import Task


@dataclass(frozen=True)
class Invocation:
    """Everything an adapter may use to describe one run of its agent."""

    run_id: int
    task: Task
    prompt: str
    prompt_file: Path
    """The rendered prompt, written to a file outside the worktree."""
    worktree: Path
    run_dir: Path
    """A private folder for this run (transcript, hooks config, scratch), outside the worktree."""
    config: AgentPolicy
    """The `[agents.NAME]` table from the policy (binary, args, model, env, pass_env)."""
    name: str
    """The agent's name in the policy (the key of `[agents.NAME]`)."""
    scope: ScopePolicy | None = None
    """The policy's [scope], for adapters that enforce it early (Claude Code's PreToolUse hook)."""


@dataclass(frozen=True)
class AgentCommand:
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables to set on top of the allowlisted environment."""
    stdin: bytes | None = None
    extra_writable: Sequence[Path] = ()
    """Paths besides the worktree and run_dir the agent must be able to write (its config home)."""


@dataclass(frozen=True)
class Usage:
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class UsageReader(Protocol):
    """Reads an agent's usage from its output one line at a time, as the output flows.

    An adapter whose usage is in its printed events offers one through `usage_reader(invocation)`
    (optional, beside `usage`): the runner feeds it every line of the run, so a transcript capped
    to its head and tail never hides the event that carries the cost. Lines come without their
    newline; a line longer than the event limit is left out.
    """

    def feed(self, line: bytes) -> None: ...

    def usage(self) -> Usage:
        """What the lines fed so far add up to (cheap: called while the agent runs)."""
        ...


@runtime_checkable
class Agent(Protocol):
    type: ClassVar[str]
    """The preset name used in policy (`type = "claude-code"`)."""

    def command(self, invocation: Invocation) -> AgentCommand:
        """The argv and environment that run the agent once, unattended, on the prompt."""
        ...

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        """Model, tokens and cost read from what the agent printed (or its own files)."""
        ...

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        """True when the failure is worth retrying with backoff (rate limit, network)."""
        ...
