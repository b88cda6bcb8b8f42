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
    json_event,
    looks_transient,
    merged_env,
)


class OpenCodeUsage:
    """OpenCode's tokens and cost, summed over its `step_finish` events one line at a time."""

    def __init__(self, model: str | None) -> None:
        self._model = model
        self._sent = self._received = self._steps = 0
        self._cost = 0.0

    def feed(self, line: bytes) -> None:
        event = json_event(line)
        part = event.get("part") if event is not None else None
        if event is None or event.get("type") != "step_finish" or not isinstance(part, dict):
            return
        tokens = part.get("tokens")
        if not isinstance(tokens, dict):
            return
        self._steps += 1
        cache = tokens.get("cache")
        if not isinstance(cache, dict):
            cache = {}
        self._sent += (
            as_int(tokens.get("input")) + as_int(cache.get("read")) + as_int(cache.get("write"))
        )
        self._received += as_int(tokens.get("output")) + as_int(tokens.get("reasoning"))
        self._cost += as_float(part.get("cost")) or 0.0

    def usage(self) -> Usage:
        if not self._steps:
            return Usage(model=self._model)
        return Usage(
            model=self._model,
            input_tokens=self._sent,
            output_tokens=self._received,
            cost_usd=self._cost,
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
        reader = self.usage_reader(invocation)
        for line in output.splitlines():
            reader.feed(line)
        return reader.usage()

    def usage_reader(self, invocation: Invocation) -> OpenCodeUsage:
        return OpenCodeUsage(invocation.config.model)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
