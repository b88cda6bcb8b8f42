"""The `command` agent and the helpers every preset shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewchief.agents.command import CommandAgent, fill, json_events, looks_transient
from crewchief.errors import UserError
from tests.helpers.invocations import invocation


def test_command_fills_every_placeholder(tmp_path: Path) -> None:
    inv = invocation(
        tmp_path,
        command=["run", "{prompt_file}", "--in={worktree}", "{run_dir}/log", "{task_id}#{run_id}"],
        args=["--model", "{model}", "{{literal}}"],
        model="m-1",
        env={"TOKEN_NAME": "x"},
    )
    cmd = CommandAgent().command(inv)
    assert cmd.argv == (
        "run",
        str(inv.prompt_file),
        f"--in={inv.worktree}",
        f"{inv.run_dir}/log",
        "t-1#7",
        "--model",
        "m-1",
        "{literal}",
    )
    assert cmd.env["CREWCHIEF_PROMPT_FILE"] == str(inv.prompt_file)
    assert cmd.env["CREWCHIEF_TASK_ID"] == "t-1"
    assert cmd.env["CREWCHIEF_RUN_ID"] == "7"
    assert cmd.env["TOKEN_NAME"] == "x"
    assert cmd.stdin is None


def test_values_are_not_expanded_twice() -> None:
    assert fill("{task_id}", {"task_id": "{run_id}", "run_id": "9"}, agent="a") == "{run_id}"


def test_unknown_placeholder_is_a_user_error(tmp_path: Path) -> None:
    inv = invocation(tmp_path, command=["run", "{promt_file}"])
    with pytest.raises(UserError, match=r"unknown placeholder \{promt_file\}"):
        CommandAgent().command(inv)


def test_command_agent_needs_a_command(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs a `command` list"):
        CommandAgent().command(invocation(tmp_path))


def test_command_agent_usage_is_what_policy_says(tmp_path: Path) -> None:
    usage = CommandAgent().usage(b"whatever", invocation(tmp_path, command=["x"], model="m"))
    assert usage.model == "m"
    assert usage.input_tokens is None


def test_json_events_skips_noise_and_non_objects() -> None:
    out = b'banner\n{"a": 1}\n[1, 2]\n{"broken": \n  {"b": 2}  \n\xff\xfe\n'
    assert list(json_events(out)) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("output", "code", "expected"),
    [
        (b"Error: 429 Too Many Requests", 1, True),
        (b'{"type":"error","error":{"type":"overloaded_error"}}', 1, True),
        (b"connect ECONNREFUSED 127.0.0.1:443", 1, True),
        (b"SyntaxError: invalid syntax", 1, False),
        (b"rate limit mentioned but it worked", 0, False),
    ],
)
def test_transient_failures(output: bytes, code: int, expected: bool) -> None:
    assert looks_transient(output, code) is expected
