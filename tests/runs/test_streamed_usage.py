"""The agent's usage read from its output as it flows (`supervise.StreamedUsage`): every line,
however the output is chunked, and never from the capped transcript for an adapter that reads
lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.agents.claude_code import ClaudeCodeAgent
from crewchief.agents.codex import CodexAgent
from crewchief.agents.opencode import OpenCodeAgent
from crewchief.runs.supervise import StreamedUsage
from tests.helpers.invocations import invocation


def _lines(*events: object) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


CLAUDE = _lines(
    {"type": "system", "subtype": "init", "model": "claude-x"},
    {
        "type": "assistant",
        "message": {"id": "m1", "usage": {"input_tokens": 5, "output_tokens": 2}},
    },
    {"type": "result", "total_cost_usd": 0.42, "usage": {"input_tokens": 70, "output_tokens": 30}},
)
CODEX = _lines(
    {"type": "thread.started", "thread_id": "01a20b4e-f738"},
    {"type": "turn.completed", "usage": {"input_tokens": 100, "output_tokens": 7}},
    {"type": "turn.completed", "usage": {"input_tokens": 50, "output_tokens": 3}},
)
OPENCODE = _lines(
    {"type": "step_finish", "part": {"cost": 0.01, "tokens": {"input": 10, "output": 1}}},
    {"type": "step_finish", "part": {"cost": 0.02, "tokens": {"input": 20, "output": 2}}},
)


@pytest.mark.parametrize(
    ("agent", "output"),
    [(ClaudeCodeAgent(), CLAUDE), (CodexAgent(), CODEX), (OpenCodeAgent(), OPENCODE)],
)
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_chunked_stream_reads_the_same_usage_as_the_whole(
    tmp_path: Path, agent: object, output: bytes, size: int
) -> None:
    inv = invocation(tmp_path, model="configured")
    spent = StreamedUsage(agent, inv)  # type: ignore[arg-type]
    for i in range(0, len(output), size):
        spent.feed(output[i : i + size])
    whole = agent.usage(output, inv)  # type: ignore[attr-defined]
    assert whole.input_tokens and whole.output_tokens
    assert spent.final(b"") == whole


def test_the_result_event_cut_across_chunks_and_missing_from_the_transcript_counts(
    tmp_path: Path,
) -> None:
    """What the transcript kept (head and tail) has no result event; the stream had it."""
    inv = invocation(tmp_path)
    spent = StreamedUsage(ClaudeCodeAgent(), inv)
    result = CLAUDE.splitlines(keepends=True)[-1]
    spent.feed(CLAUDE[: -len(result)] + result[:20])
    assert spent.so_far().cost_usd is None and spent.so_far().input_tokens == 5
    spent.feed(result[20:] + b"trailing noise\n")
    usage = spent.final(b"head only\n[crewchief: 9.0 MB of output dropped here]\ntail\n")
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("claude-x", 70, 30)
    assert usage.cost_usd == pytest.approx(0.42)


def test_a_last_line_without_newline_is_read_at_the_end(tmp_path: Path) -> None:
    spent = StreamedUsage(ClaudeCodeAgent(), invocation(tmp_path))
    spent.feed(CLAUDE.rstrip(b"\n"))
    assert spent.so_far().cost_usd is None
    assert spent.final(b"").cost_usd == pytest.approx(0.42)


class _Exploding:
    type: ClassVar[str] = "exploding"

    def command(self, invocation: Invocation) -> AgentCommand:
        return AgentCommand(argv=("true",))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        raise AssertionError("the streamed reader is used, not the whole output")

    def usage_reader(self, invocation: Invocation) -> _Exploding:
        return self

    def feed(self, line: bytes) -> None:
        if b"boom" in line:
            raise ValueError("hostile output")

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return False


def test_a_reader_that_raises_counts_as_no_usage(tmp_path: Path) -> None:
    spent = StreamedUsage(_Exploding(), invocation(tmp_path))
    spent.feed(b"fine\nboom\nmore\n")
    assert spent.final(b"") == Usage()


class _FileReader:
    """An adapter without a line reader: its usage comes from the text it is given."""

    type: ClassVar[str] = "file"

    def command(self, invocation: Invocation) -> AgentCommand:
        return AgentCommand(argv=("true",))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        costs = [float(line[5:]) for line in output.splitlines() if line.startswith(b"cost=")]
        return Usage(cost_usd=max(costs) if costs else None)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return False


def test_an_adapter_without_a_reader_sees_the_recent_output_then_the_transcript(
    tmp_path: Path,
) -> None:
    spent = StreamedUsage(_FileReader(), invocation(tmp_path), recent_cap=16)
    spent.feed(b"cost=1.0\n" + b"." * 100 + b"\ncost=2.5\n")
    assert spent.so_far().cost_usd == 2.5
    assert spent.final(b"cost=3.0\n").cost_usd == 3.0
