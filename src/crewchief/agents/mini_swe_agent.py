"""mini-swe-agent (`mini-swe-agent` on PyPI): `mini` in yolo mode, exiting when done.

The task text is passed with `--task`; the trajectory (the transcript) is written to the run folder
with `--output`. Its `info.model_stats.instance_cost` is the cost, `info.config.model.model_name`
the model, and the litellm responses kept in each message's `extra` hold the token usage.
`MSWEA_CONFIGURED` skips the first-run setup questions.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.command import as_float, as_int, as_str, binary, looks_transient, merged_env

TRAJECTORY_FILE = "mini-trajectory.json"
_MAX_TRAJECTORY = 64 * 1024 * 1024


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class MiniSweAgent:
    type: ClassVar[str] = "mini-swe-agent"

    def command(self, invocation: Invocation) -> AgentCommand:
        argv = [
            binary(invocation, "mini"),
            "--task",
            invocation.prompt,
            "--yolo",
            "--exit-immediately",
            "--output",
            str(invocation.run_dir / TRAJECTORY_FILE),
        ]
        if invocation.config.model:
            argv += ["--model", invocation.config.model]
        if invocation.task.budget.usd is not None:
            argv += ["--cost-limit", f"{invocation.task.budget.usd:g}"]
        argv += invocation.config.args
        env = {"MSWEA_CONFIGURED": "true", "MSWEA_VISUAL_MODE_DEFAULT": "false"}
        return AgentCommand(argv=tuple(argv), env=merged_env(invocation, env))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        path = invocation.run_dir / TRAJECTORY_FILE
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read(_MAX_TRAJECTORY))
        except (OSError, ValueError):
            return Usage(model=invocation.config.model)
        model = invocation.config.model or as_str(
            _dig(data, "info", "config", "model", "model_name")
        )
        cost = as_float(_dig(data, "info", "model_stats", "instance_cost"))
        sent = received = 0
        counted = False
        messages = data.get("messages") if isinstance(data, dict) else None
        for message in messages if isinstance(messages, list) else ():
            usage = _dig(message, "extra", "response", "usage")
            if isinstance(usage, dict):
                counted = True
                sent += as_int(usage.get("prompt_tokens"))
                received += as_int(usage.get("completion_tokens"))
        return Usage(
            model=model,
            input_tokens=sent if counted else None,
            output_tokens=received if counted else None,
            cost_usd=cost,
        )

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return looks_transient(output, exit_code)
