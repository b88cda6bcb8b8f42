"""The `command` agent and the helpers every preset shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewchief.agents.command import (
    CommandAgent,
    LineSplitter,
    fill,
    json_event,
    json_events,
    looks_transient,
)
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


def test_line_splitter_joins_a_line_cut_across_chunks() -> None:
    lines = LineSplitter()
    assert lines.feed(b'{"a"') == []
    assert lines.feed(b': 1}\n{"b": 2') == [b'{"a": 1}']
    assert lines.feed(b"}\r\n\n") == [b'{"b": 2}\r', b""]
    assert lines.feed(b"tail without newline") == []
    assert lines.end() == [b"tail without newline"]
    assert lines.end() == []
    assert [json_event(line) for line in (b'{"b": 2}\r', b"noise", b"[1]")] == [
        {"b": 2},
        None,
        None,
    ]


def test_line_splitter_fed_one_byte_at_a_time_matches_splitlines() -> None:
    data = b"one\ntwo\n\nthree \xff\xfe\nfour"
    lines = LineSplitter()
    got = [line for i in range(len(data)) for line in lines.feed(data[i : i + 1])] + lines.end()
    assert got == data.split(b"\n")


def test_line_splitter_drops_an_overlong_line_whole_and_keeps_the_next() -> None:
    lines = LineSplitter(max_line=10)
    assert lines.feed(b"short\n" + b"x" * 8) == [b"short"]
    assert lines.feed(b"y" * 8) == []  # past the limit: dropped, memory stays bounded
    assert lines.feed(b"zz\nafter\n") == [b"after"]
    assert lines.feed(b"w" * 11 + b"\nok\n") == [b"ok"]
    assert lines.feed(b"q" * 30) == [] and lines.end() == []
