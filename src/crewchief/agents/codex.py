"""Codex CLI (`@openai/codex`): `codex exec --json`, the prompt on stdin.

stdout is JSON lines (`thread.started`, `item.*`, `turn.completed` with token usage) and is the
transcript; the last message also goes to `codex-last-message.txt` in the run folder. Codex does not
print the model or a cost: the model comes from the policy, or from the session file Codex writes
under its home (`sessions/.../rollout-*-<thread id>.jsonl`, whose `turn_context` names it). Codex's
own sandbox is bypassed because crewchief runs every agent in its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import (
    as_int,
    as_str,
    binary,
    json_event,
    looks_transient,
    merged_env,
)

LAST_MESSAGE_FILE = "codex-last-message.txt"
_THREAD_ID = re.compile(r"\A[0-9A-Za-z-]{8,64}\Z")
_MAX_ROLLOUT_LINES = 2000


def codex_homes(invocation: Invocation) -> list[Path]:
    """Where this run's Codex keeps its sessions: the policy's CODEX_HOME, else the run's HOME."""
    homes = []
    if invocation.config.env.get("CODEX_HOME"):
        homes.append(Path(invocation.config.env["CODEX_HOME"]))
    homes.append(invocation.run_dir / "home" / ".codex")
    return homes


def model_from_rollout(homes: list[Path], thread_id: str) -> str | None:
    if not _THREAD_ID.match(thread_id):
        return None
    for home in homes:
        for path in sorted(home.glob(f"sessions/*/*/*/rollout-*{thread_id}.jsonl")):
            with open(path, "rb") as fh:
                for count, line in enumerate(fh):
                    if count >= _MAX_ROLLOUT_LINES:
                        break
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict) and entry.get("type") == "turn_context":
                        payload = entry.get("payload")
                        if isinstance(payload, dict) and as_str(payload.get("model")):
                            return str(payload["model"])
    return None


class CodexUsage:
    """Codex's token counts, summed over its `turn.completed` events one line at a time."""

    def __init__(self, invocation: Invocation) -> None:
        self._invocation = invocation
        self._input = self._output = self._turns = 0
        self._thread_id: str | None = None
        self._model: str | None = None
        self._looked_up: str | None = None
        """The thread whose session file was read for the model (read once, not at every check)."""

    def feed(self, line: bytes) -> None:
        event = json_event(line)
        if event is None:
            return
        kind = event.get("type")
        if kind == "thread.started":
            self._thread_id = as_str(event.get("thread_id"))
        elif kind == "turn.completed" and isinstance(event.get("usage"), dict):
            usage = event["usage"]
            self._turns += 1
            self._input += as_int(usage.get("input_tokens"))  # includes cached input
            self._output += as_int(usage.get("output_tokens"))

    def usage(self) -> Usage:
        model = self._invocation.config.model
        if model is None and self._thread_id:
            if self._model is None and self._looked_up != self._thread_id:
                self._looked_up = self._thread_id
                self._model = model_from_rollout(codex_homes(self._invocation), self._thread_id)
            model = self._model
        if not self._turns:
            return Usage(model=model)
        return Usage(model=model, input_tokens=self._input, output_tokens=self._output)


class CodexAgent:
    type: ClassVar[str] = "codex"

    def command(self, invocation: Invocation) -> AgentCommand:
        argv = [
            binary(invocation, "codex"),
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--cd",
            str(invocation.worktree),
            "--output-last-message",
            str(invocation.run_dir / LAST_MESSAGE_FILE),
        ]
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        argv += [*invocation.config.args, "-"]
        writable = (
            [Path(invocation.config.env["CODEX_HOME"])]
            if "CODEX_HOME" in invocation.config.env
            else []
        )
        return AgentCommand(
            argv=tuple(argv),
            env=merged_env(invocation, {}),
            stdin=invocation.prompt.encode("utf-8"),
            extra_writable=tuple(writable),
        )

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        reader = self.usage_reader(invocation)
        for line in output.splitlines():
            reader.feed(line)
        return reader.usage()

    def usage_reader(self, invocation: Invocation) -> CodexUsage:
        return CodexUsage(invocation)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
