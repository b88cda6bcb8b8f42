"""Aider (`aider-chat`): one message from a file, then exit.

Aider prints no machine-readable summary on stdout, but with `--analytics-log` it appends a JSON line
per event to a file of our choosing, and each `message_send` event carries the model, prompt and
completion tokens and the cost. That file lives in the run folder; the human summary lines
("Tokens: 1.2k sent, 300 received. Cost: $0.01 message, $0.02 session.") are the fallback. Aider's
own git commits are turned off: crewchief commits what changed.
"""

from __future__ import annotations

import re
from typing import ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import (
    as_float,
    as_int,
    as_str,
    binary,
    json_events,
    looks_transient,
    merged_env,
)

ANALYTICS_FILE = "aider-analytics.jsonl"
CHAT_HISTORY_FILE = "aider-chat-history.md"
_MAX_LOG = 32 * 1024 * 1024
_TOKENS = re.compile(
    rb"Tokens: ([\d.]+)([kKmM]?) sent,.*?([\d.]+)([kKmM]?) received\."
    rb"(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)
_MODEL = re.compile(rb"^(?:Main model|Model): (\S+)", re.MULTILINE)
_SCALE = {b"": 1, b"k": 1_000, b"K": 1_000, b"m": 1_000_000, b"M": 1_000_000}


def _count(number: bytes, suffix: bytes) -> int:
    return round(float(number) * _SCALE[suffix])


class AiderAgent:
    type: ClassVar[str] = "aider"

    def command(self, invocation: Invocation) -> AgentCommand:
        run_dir = invocation.run_dir
        argv = [
            binary(invocation, "aider"),
            "--message-file",
            str(invocation.prompt_file),
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
            "--no-gitignore",
            "--no-check-update",
            "--no-show-release-notes",
            "--no-pretty",
            "--no-fancy-input",
            "--no-analytics",
            "--analytics-log",
            str(run_dir / ANALYTICS_FILE),
            "--chat-history-file",
            str(run_dir / CHAT_HISTORY_FILE),
            "--input-history-file",
            str(run_dir / "aider-input-history"),
        ]
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        argv += invocation.config.args
        return AgentCommand(argv=tuple(argv), env=merged_env(invocation, {}))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        log = invocation.run_dir / ANALYTICS_FILE
        if log.is_file():
            with open(log, "rb") as fh:
                usage = self._from_analytics(fh.read(_MAX_LOG), invocation.config.model)
            if usage is not None:
                return usage
        return self._from_stdout(output, invocation.config.model)

    @staticmethod
    def _from_analytics(data: bytes, model: str | None) -> Usage | None:
        sent = received = 0
        cost = 0.0
        seen = False
        for event in json_events(data):
            props = event.get("properties")
            if event.get("event") != "message_send" or not isinstance(props, dict):
                continue
            seen = True
            sent += as_int(props.get("prompt_tokens"))
            received += as_int(props.get("completion_tokens"))
            cost += as_float(props.get("cost")) or 0.0
            model = model or as_str(props.get("main_model"))
        if not seen:
            return None
        return Usage(model=model, input_tokens=sent, output_tokens=received, cost_usd=cost)

    @staticmethod
    def _from_stdout(output: bytes, model: str | None) -> Usage:
        sent = received = 0
        session: float | None = None
        found = False
        for match in _TOKENS.finditer(output):
            found = True
            sent += _count(match.group(1), match.group(2))
            received += _count(match.group(3), match.group(4))
            if match.group(6):
                session = float(match.group(6))
        if model is None and (named := _MODEL.search(output)):
            model = named.group(1).decode("utf-8", "replace")
        if not found:
            return Usage(model=model)
        return Usage(model=model, input_tokens=sent, output_tokens=received, cost_usd=session)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
