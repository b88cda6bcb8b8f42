"""Gemini CLI (`@google/gemini-cli`): headless with `--output-format json`.

The prompt goes on stdin (Gemini appends the `--prompt` text to it, so that is a one-line nudge to
act on it). The JSON document printed at the end holds `stats.models.<name>.tokens` (`prompt`
including cached, `candidates`, `thoughts`); Gemini reports no cost. `--approval-mode yolo` lets
it edit and run commands without asking.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import as_int, binary, looks_transient, merged_env

_MAX_DOCUMENT = 8 * 1024 * 1024
NUDGE = "Carry out the task described above."


def final_document(output: bytes) -> dict[str, Any] | None:
    """The JSON object Gemini prints last (pretty-printed over many lines), after any log lines."""
    text = output[-_MAX_DOCUMENT:].decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    starts = [0] if text.startswith("{") else []
    starts += [match.start() + 1 for match in re.finditer(r"\n\{", text)]
    found: dict[str, Any] | None = None
    for start in starts:
        try:
            doc, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(doc, dict) and {"stats", "response", "error"} & doc.keys():
            found = doc
    return found


class GeminiAgent:
    type: ClassVar[str] = "gemini"

    def command(self, invocation: Invocation) -> AgentCommand:
        argv = [binary(invocation, "gemini"), "--output-format", "json", "--approval-mode", "yolo"]
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        argv += [*invocation.config.args, "--prompt", NUDGE]
        return AgentCommand(
            argv=tuple(argv),
            env=merged_env(invocation, {}),
            stdin=invocation.prompt.encode("utf-8"),
        )

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        doc = final_document(output)
        stats = doc.get("stats") if doc else None
        models = stats.get("models") if isinstance(stats, dict) else None
        if not isinstance(models, dict) or not models:
            return Usage(model=invocation.config.model)
        sent = received = 0
        busiest: tuple[int, str] | None = None
        for name, entry in models.items():
            tokens = entry.get("tokens") if isinstance(entry, dict) else None
            if not isinstance(tokens, dict):
                continue
            prompt = as_int(tokens.get("prompt"))
            sent += prompt
            received += as_int(tokens.get("candidates")) + as_int(tokens.get("thoughts"))
            if busiest is None or prompt > busiest[0]:
                busiest = (prompt, str(name))
        model = invocation.config.model or (busiest[1] if busiest else None)
        return Usage(model=model, input_tokens=sent, output_tokens=received)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code) or b"RESOURCE_EXHAUSTED" in output[-65536:]
