"""The `command` agent (any program, argv from a template) and what every preset shares with it.

A command agent is the escape hatch: whatever program a team uses, crewchief fills the placeholders
of its argv and runs it in the worktree. The presets build on the same pieces: placeholder values,
the `CREWCHIEF_*` variables, reading JSON lines an agent printed, and spotting a failure that is
worth retrying.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.errors import UserError

PLACEHOLDERS = ("prompt_file", "worktree", "run_dir", "task_id", "run_id", "model")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
MAX_EVENT_LINE = 4 * 1024 * 1024
_TRANSIENT = re.compile(
    rb"rate[ _-]?limit|too many requests|\b429\b|\b529\b|\b503\b|overloaded|"
    rb"ECONNRESET|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|temporarily unavailable|"
    rb"stream disconnected|connection reset|timed out waiting",
    re.IGNORECASE,
)


def placeholder_values(invocation: Invocation) -> dict[str, str]:
    return {
        "prompt_file": str(invocation.prompt_file),
        "worktree": str(invocation.worktree),
        "run_dir": str(invocation.run_dir),
        "task_id": invocation.task.id,
        "run_id": str(invocation.run_id),
        "model": invocation.config.model or "",
    }


def fill(template: str, values: Mapping[str, str], *, agent: str) -> str:
    """Replace `{name}` placeholders; `{{` and `}}` stand for literal braces.

    Only the documented names are accepted, so a typo fails before the run instead of passing a
    literal `{promt_file}` to the agent. Values are inserted verbatim, never re-expanded.
    """

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        name = match.group(1)
        if name not in values:
            known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
            raise UserError(
                f"agent '{agent}': unknown placeholder {text} in command; use one of {known}"
            )
        return values[name]

    return _FIELD.sub(replace, template)


def crewchief_env(invocation: Invocation) -> dict[str, str]:
    """Variables every agent gets, so a wrapper script needs no argv parsing."""
    return {
        "CREWCHIEF_PROMPT_FILE": str(invocation.prompt_file),
        "CREWCHIEF_WORKTREE": str(invocation.worktree),
        "CREWCHIEF_RUN_DIR": str(invocation.run_dir),
        "CREWCHIEF_TASK_ID": invocation.task.id,
        "CREWCHIEF_RUN_ID": str(invocation.run_id),
    }


def merged_env(invocation: Invocation, adapter_env: Mapping[str, str]) -> dict[str, str]:
    """The adapter's defaults, then the policy's `env` table (the user knows best), then ours."""
    return {**adapter_env, **invocation.config.env, **crewchief_env(invocation)}


def binary(invocation: Invocation, default: str) -> str:
    return invocation.config.binary or default


def json_events(output: bytes) -> Iterator[dict[str, Any]]:
    """Each line of `output` that is a JSON object; other lines (logs, banners) are skipped."""
    for line in output.splitlines():
        event = json_event(line)
        if event is not None:
            yield event


def json_event(line: bytes) -> dict[str, Any] | None:
    """The JSON object on one line, or None for anything else (a log line, an overlong line)."""
    line = line.strip()
    if not line.startswith(b"{") or len(line) > MAX_EVENT_LINE:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


class LineSplitter:
    """Cuts a stream of chunks into lines, a line split across chunks joined again.

    Memory stays bounded whatever the agent prints: a line that grows past `max_line` bytes is
    dropped whole (no event is that long), and so is its rest when its newline comes.
    """

    def __init__(self, max_line: int = MAX_EVENT_LINE) -> None:
        self._max = max_line
        self._partial = bytearray()
        self._overlong = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines `chunk` completes, without their newlines."""
        lines: list[bytes] = []
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            piece = chunk[start:end]
            start = end + 1
            if self._overlong:
                self._overlong = False
            elif self._partial:
                self._partial.extend(piece)
                if len(self._partial) <= self._max:
                    lines.append(bytes(self._partial))
            elif len(piece) <= self._max:
                lines.append(piece)
            self._partial.clear()
        if not self._overlong:
            self._partial.extend(chunk[start:])
            if len(self._partial) > self._max:
                self._overlong = True
                self._partial.clear()
        return lines

    def end(self) -> list[bytes]:
        """The last line, when the output did not end with a newline."""
        last = [] if self._overlong or not self._partial else [bytes(self._partial)]
        self._partial.clear()
        self._overlong = False
        return last


def as_int(value: object) -> int:
    """A token count from untrusted JSON: ints (not bools) only, anything else counts as zero."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def looks_transient(output: bytes, exit_code: int | None) -> bool:
    """A failed run whose last output mentions rate limits, overload or a dropped connection."""
    if exit_code == 0:
        return False
    return bool(_TRANSIENT.search(output[-65536:]))


class CommandAgent:
    """Any program: `command = ["python", "my_agent.py", "{prompt_file}"]` in the policy."""

    type: ClassVar[str] = "command"

    def command(self, invocation: Invocation) -> AgentCommand:
        template = invocation.config.command
        if not template:
            raise UserError(
                f"agent '{invocation.name}': type \"command\" needs a `command` list in "
                f'[agents.{invocation.name}], for example ["my-agent", "{{prompt_file}}"]'
            )
        values = placeholder_values(invocation)
        argv = [fill(part, values, agent=invocation.name) for part in template]
        argv += [fill(part, values, agent=invocation.name) for part in invocation.config.args]
        return AgentCommand(argv=tuple(argv), env=merged_env(invocation, {}))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        """A command agent reports nothing we can rely on; the model is what the policy says."""
        return Usage(model=invocation.config.model)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
