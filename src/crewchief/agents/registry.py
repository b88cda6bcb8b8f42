"""Which adapter runs an agent named in the policy.

The built-in adapters are listed here, keyed by their policy `type`; third-party adapters register
under the `crewchief.agents` entry point group. The rules are those of `crewchief.plugins`, shared
with the gate's checks: a third-party adapter with a built-in's type name does not replace it.
"""

from __future__ import annotations

from collections.abc import Mapping

from crewchief.agents.base import Agent
from crewchief.errors import UserError
from crewchief.plugins import Registry
from crewchief.spec.policy import AgentPolicy, Policy

GROUP = "crewchief.agents"

BUILTINS: Mapping[str, str] = {
    "command": "crewchief.agents.command:CommandAgent",
    "claude-code": "crewchief.agents.claude_code:ClaudeCodeAgent",
    "codex": "crewchief.agents.codex:CodexAgent",
    "aider": "crewchief.agents.aider:AiderAgent",
    "gemini": "crewchief.agents.gemini:GeminiAgent",
    "opencode": "crewchief.agents.opencode:OpenCodeAgent",
    "mini-swe-agent": "crewchief.agents.mini_swe_agent:MiniSweAgent",
}

DEFAULT_AGENTS: Mapping[str, AgentPolicy] = {
    name.replace("-code", ""): AgentPolicy(type=name) for name in BUILTINS if name != "command"
}
"""Agents usable without an `[agents.NAME]` table: `claude`, `codex`, `aider`, `gemini`, ..."""


def _adopt(target: object) -> Agent:
    """An entry may name an adapter class (instantiated without arguments) or an instance."""
    agent = target() if isinstance(target, type) else target
    if not isinstance(agent, Agent):
        raise TypeError("it does not implement the Agent interface (type, command, usage, ...)")
    return agent


ADAPTERS: Registry[Agent] = Registry("agent type", GROUP, BUILTINS, _adopt)


def known_types() -> list[str]:
    return sorted(ADAPTERS.names())


def adapter(type_name: str) -> Agent:
    """The adapter for a policy `type`; a `UserError` when it is unknown or cannot load."""
    return ADAPTERS.load(type_name)


def resolve_agent(name: str, policy: Policy) -> tuple[Agent, AgentPolicy]:
    """The adapter and settings for the agent a task names (`agent: claude`)."""
    config = policy.agents.get(name) or DEFAULT_AGENTS.get(name)
    if config is None:
        configured = sorted({*policy.agents, *DEFAULT_AGENTS})
        raise UserError(
            f"unknown agent '{name}': add an [agents.{name}] table to the policy "
            f"or use one of: {', '.join(configured)}"
        )
    try:
        return adapter(config.type), config
    except UserError as exc:
        raise UserError(f"agent '{name}': {exc}") from exc
