"""Which adapter runs an agent named in the policy.

Adapters register under the `crewchief.agents` entry point group, keyed by their policy `type`;
the built-ins register through the same door and are also listed here, so a checkout that was never
installed (no entry point metadata) still finds them. A third-party adapter with a built-in's type
name does not replace the built-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from crewchief.agents.base import Agent
from crewchief.errors import UserError
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


def _load(spec: str) -> Agent:
    module, _, attr = spec.partition(":")
    target = getattr(import_module(module), attr)
    agent = target() if isinstance(target, type) else target
    if not isinstance(agent, Agent):
        raise UserError(f"agent adapter {spec} does not implement the Agent interface")
    return agent


@cache
def _plugin_specs() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=GROUP) if ep.name not in BUILTINS}


def known_types() -> list[str]:
    return sorted({*BUILTINS, *_plugin_specs()})


def adapter(type_name: str) -> Agent:
    """The adapter for a policy `type`."""
    spec = BUILTINS.get(type_name) or _plugin_specs().get(type_name)
    if spec is None:
        raise UserError(f"unknown agent type '{type_name}'; use one of: {', '.join(known_types())}")
    return _load(spec)


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
