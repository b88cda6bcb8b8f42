"""Claude Code (`@anthropic-ai/claude-code`): `claude -p` with stream-json output.

The prompt goes on stdin; stdout is a JSON line per event and is the transcript. The `system/init`
event names the model; the final `result` event carries the run's usage and `total_cost_usd`. A
settings file passed with `--settings` installs the PreToolUse scope hook. Running as root,
`--dangerously-skip-permissions` is refused unless `IS_SANDBOX=1` says the machine is disposable.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import (
    as_float,
    as_int,
    as_str,
    binary,
    json_event,
    json_events,
    looks_transient,
    merged_env,
)
from crewchief.agents.hooks import ScopeRules, write_claude_settings
from crewchief.spec.policy import ScopePolicy

QUIET_ENV = {
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}
"""No telemetry, error reports or self-updates from an unattended run."""


def _policy_scope(invocation: Invocation) -> ScopePolicy | None:
    scope = getattr(invocation, "scope", None)  # set by runners that know the policy's [scope]
    return scope if isinstance(scope, ScopePolicy) else None


def _input_tokens(usage: dict[str, Any]) -> int:
    """Prompt tokens including cache reads and writes (Anthropic reports them apart)."""
    return (
        as_int(usage.get("input_tokens"))
        + as_int(usage.get("cache_creation_input_tokens"))
        + as_int(usage.get("cache_read_input_tokens"))
    )


class ClaudeUsage:
    """Claude Code's usage, read from its stream-json events one line at a time.

    The `result` event (at the end) carries the run's totals and cost; until it comes, or when the
    run is killed before it, each assistant message's usage (by message id: a message is printed
    once per content block) adds up to a floor.
    """

    def __init__(self, model: str | None) -> None:
        self._configured = model
        self._model: str | None = None
        self._result: dict[str, Any] | None = None
        self._per_message: dict[str, dict[str, Any]] = {}

    def feed(self, line: bytes) -> None:
        event = json_event(line)
        if event is None:
            return
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "init":
            self._model = as_str(event.get("model")) or self._model
        elif kind == "result":
            self._result = {"usage": event.get("usage"), "cost": event.get("total_cost_usd")}
        elif kind == "assistant" and isinstance(event.get("message"), dict):
            message = event["message"]
            self._model = self._model or as_str(message.get("model"))
            if isinstance(message.get("usage"), dict):
                self._per_message[str(message.get("id"))] = message["usage"]

    def usage(self) -> Usage:
        model = self._model or self._configured
        result = self._result
        if result is not None and isinstance(result["usage"], dict):
            usage = result["usage"]
            return Usage(
                model=model,
                input_tokens=_input_tokens(usage),
                output_tokens=as_int(usage.get("output_tokens")),
                cost_usd=as_float(result["cost"]),
            )
        per_message = self._per_message.values()
        if per_message:  # killed before the result event: the assistant messages are a floor
            return Usage(
                model=model,
                input_tokens=sum(_input_tokens(u) for u in per_message),
                output_tokens=sum(as_int(u.get("output_tokens")) for u in per_message),
            )
        return Usage(model=model)


class ClaudeCodeAgent:
    type: ClassVar[str] = "claude-code"

    def command(self, invocation: Invocation) -> AgentCommand:
        rules = ScopeRules.for_task(
            invocation.worktree,
            invocation.task,
            _policy_scope(invocation),
            scratch=(invocation.run_dir,),
        )
        settings = write_claude_settings(invocation.run_dir, rules)
        argv = [
            binary(invocation, "claude"),
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--dangerously-skip-permissions",
            "--settings",
            str(settings),
        ]
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        if invocation.task.budget.usd is not None:
            argv += ["--max-budget-usd", f"{invocation.task.budget.usd:g}"]
        argv += invocation.config.args
        env = dict(QUIET_ENV)
        if os.geteuid() == 0:
            env["IS_SANDBOX"] = "1"
        return AgentCommand(
            argv=tuple(argv),
            env=merged_env(invocation, env),
            stdin=invocation.prompt.encode("utf-8"),
        )

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        reader = self.usage_reader(invocation)
        for line in output.splitlines():
            reader.feed(line)
        return reader.usage()

    def usage_reader(self, invocation: Invocation) -> ClaudeUsage:
        return ClaudeUsage(invocation.config.model)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        for event in json_events(output[-262144:]):
            if event.get("type") == "result" and event.get("is_error"):
                status = event.get("api_error_status")
                if status in (429, 500, 502, 503, 504, 529):
                    return True
        return looks_transient(output, exit_code)
