"""The real Claude Code and Codex CLI programs, driven against the scripted model server.

Each test runs the installed program as a subprocess in a real git worktree; the server's scripted
tool calls edit files, and the test checks that the edits landed, that the prompt reached the
model, and that the adapter reads back exactly the usage the server reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crewchief.agents.claude_code import ClaudeCodeAgent
from crewchief.agents.codex import CodexAgent
from crewchief.spec.policy import AgentPolicy
from crewchief.spec.task import Task
from tests.agents.conftest import InvocationFactory, agent_binary, run_agent
from tests.helpers.modelserver import Reply, ToolCall
from tests.helpers.repo import git

pytestmark = pytest.mark.slow

CLAUDE_MODEL = "claude-sonnet-4-5"
SONNET_PRICE = (3.0, 15.0)  # USD per million input and output tokens, as Claude Code prices it


def _tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        block
        for message in body["messages"]
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def _status(worktree: Path) -> list[str]:
    out = git(worktree, "status", "--porcelain", "--untracked-files=all")
    return [line.strip() for line in out.splitlines()]


def _claude_config(url: str) -> AgentPolicy:
    return AgentPolicy(
        type="claude-code",
        binary=agent_binary("claude"),
        model=CLAUDE_MODEL,
        env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-key"},
    )


def test_claude_code_edits_worktree_and_reports_usage(
    make_invocation: InvocationFactory, model_server: Any
) -> None:
    task = Task(
        id="greet",
        title="Add a greeting",
        objective="Add greet() to src/greet.py and bump VALUE in src/app.py.",
        scope=["src/**"],
    )
    server = model_server([])
    invocation = make_invocation(config=_claude_config(server.url), task=task)
    app, greet = invocation.worktree / "src/app.py", invocation.worktree / "src/greet.py"
    server.script[:] = [
        Reply(tool_calls=(ToolCall("Read", {"file_path": str(app)}),), input_tokens=1500),
        Reply(
            tool_calls=(
                ToolCall(
                    "Edit",
                    {"file_path": str(app), "old_string": "VALUE = 1", "new_string": "VALUE = 2"},
                ),
            ),
            input_tokens=1700,
            output_tokens=60,
        ),
        Reply(
            tool_calls=(
                ToolCall("Write", {"file_path": str(greet), "content": "def greet():\n    ...\n"}),
            ),
            input_tokens=1900,
            output_tokens=80,
        ),
        Reply(text="Added greet() and bumped VALUE.", input_tokens=2100, output_tokens=20),
    ]
    agent = ClaudeCodeAgent()

    outcome = run_agent(agent, invocation)

    assert outcome.returncode == 0, outcome.stderr.decode(errors="replace")[-2000:]
    assert app.read_text() == "VALUE = 2\n"
    assert greet.read_text() == "def greet():\n    ...\n"
    assert _status(invocation.worktree) == ["M src/app.py", "?? src/greet.py"]
    scripted = server.scripted_calls()
    assert len(scripted) == 4
    first_user = json.dumps(scripted[0].body["messages"][0])
    assert "Add greet() to src/greet.py" in first_user
    assert all(not _is_error(r) for call in scripted for r in _tool_results(call.body))
    sent, received = server.total_tokens()
    usage = agent.usage(outcome.stdout, invocation)
    assert usage.model == CLAUDE_MODEL
    assert (usage.input_tokens, usage.output_tokens) == (sent, received)
    assert usage.cost_usd == pytest.approx(
        (sent * SONNET_PRICE[0] + received * SONNET_PRICE[1]) / 1e6
    )
    assert server.unknown() == []


def _is_error(result: dict[str, Any]) -> bool:
    return bool(result.get("is_error"))


def test_claude_code_scope_hook_denies_out_of_scope_edits(
    make_invocation: InvocationFactory, model_server: Any, tmp_path: Path
) -> None:
    task = Task(id="scoped", title="Scoped change", objective="Edit only src.", scope=["src/**"])
    server = model_server([])
    invocation = make_invocation(config=_claude_config(server.url), task=task)
    wt = invocation.worktree
    outside_repo = tmp_path / "elsewhere.txt"
    denied = {
        "docs/notes.md": wt / "docs/notes.md",  # outside the task's scope
        ".github/workflows/ci.yml": wt / ".github/workflows/ci.yml",  # protected path
        "outside the worktree": outside_repo,
    }
    server.script[:] = [
        *(
            Reply(tool_calls=(ToolCall("Write", {"file_path": str(p), "content": "x\n"}),))
            for p in denied.values()
        ),
        Reply(
            tool_calls=(ToolCall("Write", {"file_path": str(wt / "src/ok.py"), "content": "OK\n"}),)
        ),
        Reply(text="Done."),
    ]
    agent = ClaudeCodeAgent()

    outcome = run_agent(agent, invocation)

    assert outcome.returncode == 0, outcome.stderr.decode(errors="replace")[-2000:]
    for label, path in denied.items():
        assert not path.exists(), f"the hook let an edit through: {label}"
    assert (wt / "src/ok.py").read_text() == "OK\n"
    results = _tool_results(server.scripted_calls()[-1].body)
    assert len(results) == 4
    for result in results[:3]:
        assert _is_error(result)
        assert "crewchief: editing" in json.dumps(result)
    assert not _is_error(results[3])
    assert "outside task 'scoped' scope" in json.dumps(results[0])
    assert "protected path" in json.dumps(results[1])
    assert "outside the run's worktree" in json.dumps(results[2])
    assert _status(wt) == ["?? src/ok.py"]


def _codex_home(tmp_path: Path, url: str) -> Path:
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(
        'model = "gpt-5.5"\n'
        'model_provider = "scripted"\n'
        "[model_providers.scripted]\n"
        'name = "scripted"\n'
        f'base_url = "{url}/v1"\n'
        'wire_api = "responses"\n'
    )
    return home


def test_codex_edits_worktree_and_reports_usage(
    make_invocation: InvocationFactory, model_server: Any, tmp_path: Path
) -> None:
    patch = (
        "*** Begin Patch\n"
        "*** Add File: src/greet.py\n"
        "+def greet():\n"
        "+    return 'hi'\n"
        "*** Update File: src/app.py\n"
        "@@\n"
        "-VALUE = 1\n"
        "+VALUE = 2\n"
        "*** End Patch\n"
    )
    server = model_server(
        [
            Reply(tool_calls=(ToolCall("apply_patch", freeform=patch),), input_tokens=2400),
            Reply(
                tool_calls=(
                    ToolCall("exec_command", {"cmd": "printf 'made by codex\\n' > NOTES"}),
                ),
                input_tokens=2600,
                output_tokens=70,
            ),
            Reply(text="Patched app.py and added greet.py.", input_tokens=2800, output_tokens=15),
        ]
    )
    config = AgentPolicy(
        type="codex",
        binary=agent_binary("codex"),
        env={"CODEX_HOME": str(_codex_home(tmp_path, server.url))},
    )
    task = Task(id="codex-task", title="Greeting", objective="Add greet() and bump VALUE.")
    invocation = make_invocation(config=config, task=task)
    agent = CodexAgent()

    outcome = run_agent(agent, invocation)

    assert outcome.returncode == 0, outcome.stderr.decode(errors="replace")[-2000:]
    wt = invocation.worktree
    assert (wt / "src/app.py").read_text() == "VALUE = 2\n"
    assert (wt / "src/greet.py").read_text() == "def greet():\n    return 'hi'\n"
    assert (wt / "NOTES").read_text() == "made by codex\n"
    scripted = server.scripted_calls()
    assert len(scripted) == 3
    assert "Add greet() and bump VALUE." in json.dumps(scripted[0].body["input"])
    sent, received = server.total_tokens()
    usage = agent.usage(outcome.stdout, invocation)
    assert (usage.input_tokens, usage.output_tokens) == (sent, received)
    assert usage.model == "gpt-5.5"  # read from Codex's own session file
    assert usage.cost_usd is None
    last = (invocation.run_dir / "codex-last-message.txt").read_text()
    assert last.strip() == "Patched app.py and added greet.py."
