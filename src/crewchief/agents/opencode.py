"""OpenCode (`opencode-ai`): `opencode run --format json`, the prompt on stdin.

stdout is JSON lines; each `step_finish` event's `part` carries `tokens` (input, output, reasoning,
cache read/write) and `cost` in USD, which are summed over the run. OpenCode's events do not name
the model, so it comes from the policy (`provider/model`).
"""

from __future__ import annotations

from typing import ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import (
    as_float,
    as_int,
    binary,
    json_events,
    looks_transient,
    merged_env,
)


class OpenCodeAgent:
    type: ClassVar[str] = "opencode"

    def command(self, invocation: Invocation) -> AgentCommand:
        argv = [binary(invocation, "opencode"), "run", "--format", "json"]
        argv.append("--dangerously-skip-permissions")
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        argv += invocation.config.args
        return AgentCommand(
            argv=tuple(argv),
            env=merged_env(invocation, {"OPENCODE_DISABLE_AUTOUPDATE": "1"}),
            stdin=invocation.prompt.encode("utf-8"),
        )

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        sent = received = 0
        cost = 0.0
        steps = 0
        for event in json_events(output):
            part = event.get("part")
            if event.get("type") != "step_finish" or not isinstance(part, dict):
                continue
            tokens = part.get("tokens")
            if not isinstance(tokens, dict):
                continue
            steps += 1
            cache = tokens.get("cache")
            if not isinstance(cache, dict):
                cache = {}
            sent += (
                as_int(tokens.get("input")) + as_int(cache.get("read")) + as_int(cache.get("write"))
            )
            received += as_int(tokens.get("output")) + as_int(tokens.get("reasoning"))
            cost += as_float(part.get("cost")) or 0.0
        if not steps:
            return Usage(model=invocation.config.model)
        return Usage(
            model=invocation.config.model, input_tokens=sent, output_tokens=received, cost_usd=cost
        )

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
