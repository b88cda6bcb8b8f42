"""Each preset's argv, environment and usage parsing, on output shaped like the real program's.

Claude Code and Codex samples follow what the pinned versions print (the slow tests run them for
real); Aider, Gemini CLI, OpenCode and mini-swe-agent samples follow their documented formats.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crewchief.agents.aider import ANALYTICS_FILE, AiderAgent
from crewchief.agents.claude_code import ClaudeCodeAgent
from crewchief.agents.codex import CodexAgent
from crewchief.agents.gemini import GeminiAgent
from crewchief.agents.hooks import SETTINGS_FILE
from crewchief.agents.mini_swe_agent import TRAJECTORY_FILE, MiniSweAgent
from crewchief.agents.opencode import OpenCodeAgent
from crewchief.spec.task import Budget, Task
from tests.helpers.invocations import invocation


def _lines(*events: object) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


# Claude Code ------------------------------------------------------------------------------


def test_claude_argv_env_and_settings(tmp_path: Path) -> None:
    task = Task(id="t-1", title="T", scope=["src/**"], budget=Budget(usd=1.5))
    inv = invocation(
        tmp_path, task=task, binary="/opt/claude", model="claude-sonnet-4-5", args=["--bare"]
    )
    cmd = ClaudeCodeAgent().command(inv)
    settings = inv.run_dir / SETTINGS_FILE
    assert cmd.argv == (
        "/opt/claude", "-p", "--output-format", "stream-json", "--verbose",
        "--dangerously-skip-permissions", "--settings", str(settings),
        "--model", "claude-sonnet-4-5", "--max-budget-usd", "1.5", "--bare",
    )  # fmt: skip
    assert cmd.stdin == inv.prompt.encode()
    assert cmd.env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert cmd.env["DISABLE_TELEMETRY"] == "1"
    assert ("IS_SANDBOX" in cmd.env) is (os.geteuid() == 0)
    hook = json.loads(settings.read_text())["hooks"]["PreToolUse"][0]
    assert hook["matcher"] == "Write|Edit|MultiEdit|NotebookEdit"
    assert "-I -m crewchief.agents.hooks" in hook["hooks"][0]["command"]


def test_claude_policy_env_overrides_defaults(tmp_path: Path) -> None:
    inv = invocation(tmp_path, env={"DISABLE_TELEMETRY": "0", "ANTHROPIC_BASE_URL": "http://x"})
    env = ClaudeCodeAgent().command(inv).env
    assert env["DISABLE_TELEMETRY"] == "0"
    assert env["ANTHROPIC_BASE_URL"] == "http://x"


CLAUDE_STREAM = _lines(
    {"type": "system", "subtype": "init", "model": "claude-sonnet-4-5", "tools": ["Write"]},
    {
        "type": "assistant",
        "message": {
            "id": "msg_1", "model": "claude-sonnet-4-5", "content": [],
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 900, "output_tokens": 1},
        },
    },
    {"type": "user", "message": {"role": "user", "content": []}},
    {
        "type": "result", "subtype": "success", "is_error": False, "total_cost_usd": 0.0123,
        "usage": {
            "input_tokens": 40, "cache_creation_input_tokens": 1000,
            "cache_read_input_tokens": 2000, "output_tokens": 250,
        },
        "modelUsage": {"claude-sonnet-4-5": {"inputTokens": 40}, "claude-haiku-4-5": {}},
    },
)  # fmt: skip


def test_claude_usage_from_result_event(tmp_path: Path) -> None:
    usage = ClaudeCodeAgent().usage(b"warning: noise\n" + CLAUDE_STREAM, invocation(tmp_path))
    assert usage.model == "claude-sonnet-4-5"
    assert usage.input_tokens == 3040
    assert usage.output_tokens == 250
    assert usage.cost_usd == pytest.approx(0.0123)


def test_claude_usage_without_result_counts_each_message_once(tmp_path: Path) -> None:
    partial = _lines(
        *(
            {
                "type": "assistant",
                "message": {
                    "id": mid,
                    "model": "m",
                    "usage": {"input_tokens": 100, "output_tokens": n},
                },
            }
            for mid, n in (("a", 1), ("a", 1), ("b", 5))
        )
    )
    usage = ClaudeCodeAgent().usage(partial, invocation(tmp_path))
    assert (usage.model, usage.input_tokens, usage.output_tokens, usage.cost_usd) == (
        "m",
        200,
        6,
        None,
    )


def test_claude_usage_ignores_hostile_values(tmp_path: Path) -> None:
    hostile = _lines(
        {"type": "result", "usage": {"input_tokens": "9e99", "output_tokens": True},
         "total_cost_usd": -5},
    )  # fmt: skip
    usage = ClaudeCodeAgent().usage(hostile, invocation(tmp_path, model="fallback"))
    assert (usage.model, usage.input_tokens, usage.output_tokens, usage.cost_usd) == (
        "fallback", 0, 0, None,
    )  # fmt: skip


def test_claude_transient_on_overload(tmp_path: Path) -> None:
    out = _lines({"type": "result", "is_error": True, "api_error_status": 529})
    assert ClaudeCodeAgent().transient(out, 1)
    assert not ClaudeCodeAgent().transient(_lines({"type": "result", "is_error": True}), 1)


# Codex ------------------------------------------------------------------------------------


def test_codex_argv(tmp_path: Path) -> None:
    inv = invocation(tmp_path, model="gpt-5.5", args=["-c", "x=1"], env={"CODEX_HOME": "/ch"})
    cmd = CodexAgent().command(inv)
    assert cmd.argv == (
        "codex", "exec", "--json", "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox", "--cd", str(inv.worktree),
        "--output-last-message", str(inv.run_dir / "codex-last-message.txt"),
        "--model", "gpt-5.5", "-c", "x=1", "-",
    )  # fmt: skip
    assert cmd.stdin == inv.prompt.encode()
    assert cmd.env["CODEX_HOME"] == "/ch"
    assert [str(p) for p in cmd.extra_writable] == ["/ch"]


CODEX_STREAM = _lines(
    {"type": "thread.started", "thread_id": "01a20b4e-f738-7e02-beab-f9f7988de943"},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": "hi"}},
    {"type": "turn.completed",
     "usage": {"input_tokens": 2500, "cached_input_tokens": 1000, "output_tokens": 50}},
    {"type": "turn.completed", "usage": {"input_tokens": 100, "output_tokens": 5}},
)  # fmt: skip


def test_codex_usage_sums_turns_and_reads_model_from_session_file(tmp_path: Path) -> None:
    home = tmp_path / "codex-home"
    day = home / "sessions" / "2026" / "11" / "24"
    day.mkdir(parents=True)
    (day / "rollout-2026-11-24T02-07-34-01a20b4e-f738-7e02-beab-f9f7988de943.jsonl").write_text(
        '{"type":"session_meta","payload":{}}\nnot json\n'
        '{"type":"turn_context","payload":{"model":"gpt-5.5"}}\n'
    )
    inv = invocation(tmp_path, env={"CODEX_HOME": str(home)})
    usage = CodexAgent().usage(CODEX_STREAM, inv)
    assert (usage.model, usage.input_tokens, usage.output_tokens, usage.cost_usd) == (
        "gpt-5.5", 2600, 55, None,
    )  # fmt: skip


def test_codex_usage_without_turns_or_session(tmp_path: Path) -> None:
    out = _lines({"type": "thread.started", "thread_id": "../../etc/*"})
    usage = CodexAgent().usage(out, invocation(tmp_path))
    assert (usage.model, usage.input_tokens) == (None, None)


# Aider ------------------------------------------------------------------------------------


def test_aider_argv_keeps_commits_and_history_out_of_the_worktree(tmp_path: Path) -> None:
    inv = invocation(tmp_path, model="sonnet")
    argv = AiderAgent().command(inv).argv
    assert argv[:3] == ("aider", "--message-file", str(inv.prompt_file))
    for flag in ("--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore",
                 "--no-analytics"):  # fmt: skip
        assert flag in argv
    assert argv[argv.index("--analytics-log") + 1] == str(inv.run_dir / ANALYTICS_FILE)
    assert argv[argv.index("--chat-history-file") + 1].startswith(str(inv.run_dir))
    assert argv[-2:] == ("--model", "sonnet")


def test_aider_usage_from_analytics_log(tmp_path: Path) -> None:
    inv = invocation(tmp_path)
    (inv.run_dir / ANALYTICS_FILE).write_bytes(
        _lines(
            {"event": "launched", "properties": {}},
            {
                "event": "message_send",
                "properties": {
                    "main_model": "anthropic/claude-sonnet-4-5",
                    "prompt_tokens": 1200,
                    "completion_tokens": 300,
                    "total_tokens": 1500,
                    "cost": 0.0081,
                },
            },
            {
                "event": "message_send",
                "properties": {
                    "main_model": "anthropic/claude-sonnet-4-5",
                    "prompt_tokens": 800,
                    "completion_tokens": 100,
                    "cost": 0.0039,
                },
            },
        )
    )
    usage = AiderAgent().usage(b"", inv)
    assert usage.model == "anthropic/claude-sonnet-4-5"
    assert (usage.input_tokens, usage.output_tokens) == (2000, 400)
    assert usage.cost_usd == pytest.approx(0.012)


def test_aider_usage_falls_back_to_summary_lines(tmp_path: Path) -> None:
    out = (
        b"Aider v0.86.1\nMain model: anthropic/claude-sonnet-4-5 with diff edit format\n"
        b"Tokens: 2.3k sent, 150 received. Cost: $0.0092 message, $0.0092 session.\n"
        b"Applied edit to src/app.py\n"
        b"Tokens: 1.1k sent, 1.2k received. Cost: $0.02 message, $0.03 session.\n"
    )
    usage = AiderAgent().usage(out, invocation(tmp_path))
    assert usage.model == "anthropic/claude-sonnet-4-5"
    assert (usage.input_tokens, usage.output_tokens) == (3400, 1350)
    assert usage.cost_usd == pytest.approx(0.03)


# Gemini CLI -------------------------------------------------------------------------------


def test_gemini_argv_sends_prompt_on_stdin(tmp_path: Path) -> None:
    inv = invocation(tmp_path, model="gemini-2.5-pro")
    cmd = GeminiAgent().command(inv)
    assert cmd.argv[:5] == ("gemini", "--output-format", "json", "--approval-mode", "yolo")
    assert cmd.argv[5:7] == ("--model", "gemini-2.5-pro")
    assert cmd.argv[-2] == "--prompt"
    assert cmd.stdin == inv.prompt.encode()


def test_gemini_usage_from_final_document(tmp_path: Path) -> None:
    doc = {
        "response": "Done {not json",
        "stats": {
            "models": {
                "gemini-2.5-pro": {"api": {"totalRequests": 2},
                                   "tokens": {"prompt": 24939, "candidates": 20, "total": 25113,
                                              "cached": 21263, "thoughts": 154, "tool": 0}},
                "gemini-2.5-flash": {"tokens": {"prompt": 500, "candidates": 10}},
            },
            "tools": {"totalCalls": 1},
        },
    }  # fmt: skip
    out = b'Loaded cached credentials.\n{"level": "info"}\n' + json.dumps(doc, indent=2).encode()
    usage = GeminiAgent().usage(out, invocation(tmp_path))
    assert usage.model == "gemini-2.5-pro"
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (25439, 184, None)


def test_gemini_usage_on_garbage(tmp_path: Path) -> None:
    assert GeminiAgent().usage(b"{oops\n{also bad", invocation(tmp_path)).input_tokens is None


# OpenCode ---------------------------------------------------------------------------------


def test_opencode_argv(tmp_path: Path) -> None:
    inv = invocation(tmp_path, model="anthropic/claude-sonnet-4-5")
    cmd = OpenCodeAgent().command(inv)
    assert cmd.argv == (
        "opencode", "run", "--format", "json", "--dangerously-skip-permissions",
        "--model", "anthropic/claude-sonnet-4-5",
    )  # fmt: skip
    assert cmd.stdin == inv.prompt.encode()


def test_opencode_usage_sums_step_finish(tmp_path: Path) -> None:
    out = _lines(
        {"type": "step_start", "part": {"type": "step-start"}},
        {"type": "text", "part": {"type": "text", "text": "hello"}},
        {"type": "step_finish", "part": {"type": "step-finish", "cost": 0.01,
         "tokens": {"input": 100, "output": 20, "reasoning": 5, "cache": {"read": 50, "write": 0}}}},
        {"type": "step_finish", "part": {"type": "step-finish", "cost": 0.02,
         "tokens": {"total": 17512, "input": 17509, "output": 3}}},
    )  # fmt: skip
    usage = OpenCodeAgent().usage(out, invocation(tmp_path, model="anthropic/x"))
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("anthropic/x", 17659, 28)
    assert usage.cost_usd == pytest.approx(0.03)


# mini-swe-agent ---------------------------------------------------------------------------


def test_mini_argv_and_env(tmp_path: Path) -> None:
    task = Task(id="t-1", title="T", budget=Budget(usd=3))
    inv = invocation(tmp_path, task=task, model="anthropic/claude-sonnet-4-5")
    cmd = MiniSweAgent().command(inv)
    assert cmd.argv == (
        "mini", "--task", inv.prompt, "--yolo", "--exit-immediately",
        "--output", str(inv.run_dir / TRAJECTORY_FILE),
        "--model", "anthropic/claude-sonnet-4-5", "--cost-limit", "3",
    )  # fmt: skip
    assert cmd.env["MSWEA_CONFIGURED"] == "true"


def test_mini_usage_from_trajectory(tmp_path: Path) -> None:
    inv = invocation(tmp_path)
    trajectory = {
        "info": {
            "exit_status": "Submitted",
            "model_stats": {"instance_cost": 0.42, "api_calls": 2},
            "config": {"model": {"model_name": "anthropic/claude-sonnet-4-5"}},
        },
        "messages": [
            {"role": "system", "content": "..."},
            {"role": "assistant", "content": "a",
             "extra": {"response": {"usage": {"prompt_tokens": 1000, "completion_tokens": 80}}}},
            {"role": "assistant", "content": "b",
             "extra": {"response": {"usage": {"prompt_tokens": 1500, "completion_tokens": 20}}}},
        ],
        "trajectory_format": "mini-swe-agent-1",
    }  # fmt: skip
    (inv.run_dir / TRAJECTORY_FILE).write_text(json.dumps(trajectory))
    usage = MiniSweAgent().usage(b"", inv)
    assert (usage.model, usage.input_tokens, usage.output_tokens) == (
        "anthropic/claude-sonnet-4-5", 2500, 100,
    )  # fmt: skip
    assert usage.cost_usd == pytest.approx(0.42)


def test_mini_usage_without_trajectory(tmp_path: Path) -> None:
    usage = MiniSweAgent().usage(b"", invocation(tmp_path, model="m"))
    assert (usage.model, usage.cost_usd) == ("m", None)
