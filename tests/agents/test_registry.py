"""Finding the adapter for an agent named in the policy."""

from __future__ import annotations

import pytest

from crewchief.agents.base import Agent
from crewchief.agents.registry import BUILTINS, adapter, known_types, resolve_agent
from crewchief.errors import UserError
from crewchief.spec.policy import AgentPolicy, Policy


@pytest.mark.parametrize("type_name", sorted(BUILTINS))
def test_every_builtin_implements_the_interface(type_name: str) -> None:
    agent = adapter(type_name)
    assert isinstance(agent, Agent)
    assert agent.type == type_name


def test_policy_table_wins_over_defaults() -> None:
    policy = Policy(agents={"claude": AgentPolicy(type="command", command=["echo"])})
    agent, config = resolve_agent("claude", policy)
    assert agent.type == "command"
    assert config.command == ["echo"]


@pytest.mark.parametrize(
    ("name", "type_name"),
    [
        ("claude", "claude-code"),
        ("codex", "codex"),
        ("aider", "aider"),
        ("gemini", "gemini"),
        ("opencode", "opencode"),
        ("mini-swe-agent", "mini-swe-agent"),
    ],
)
def test_presets_work_without_a_policy_table(name: str, type_name: str) -> None:
    agent, config = resolve_agent(name, Policy())
    assert agent.type == type_name
    assert config.type == type_name


def test_unknown_agent_name_lists_the_known_ones() -> None:
    policy = Policy(agents={"mine": AgentPolicy(command=["x"])})
    with pytest.raises(UserError, match=r"unknown agent 'nope'.*\[agents\.nope\].*mine"):
        resolve_agent("nope", policy)


def test_unknown_type_is_a_user_error() -> None:
    policy = Policy(agents={"odd": AgentPolicy(type="cursor-agent")})
    with pytest.raises(UserError, match=r"agent 'odd': unknown agent type 'cursor-agent'"):
        resolve_agent("odd", policy)
    assert "claude-code" in known_types()
