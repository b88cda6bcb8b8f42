"""Editing `crewchief.toml` as text, so the comments a person wrote (and the starter's) survive.

Only simple `key = value` lines of a top-level table are set; the result is parsed again before it is
written, so an edit can never leave a policy the gate would refuse.
"""

from __future__ import annotations

import json
import re

from crewchief.spec.policy import POLICY_FILE, TestsPolicy, parse_policy

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _table_span(lines: list[str], table: str) -> tuple[int, int] | None:
    """Lines [start, end) of `[table]`'s body (start is just after its header)."""
    start: int | None = None
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if header is None:
            continue
        if start is not None:
            return start, index
        if header.group(1) == table:
            start = index + 1
    return (start, len(lines)) if start is not None else None


def _line_pattern(key: str) -> re.Pattern[str]:
    """`key = value  # comment`, active or commented out; the value a string, a list or a bare word."""
    return re.compile(
        rf"^\s*(?P<hash>#\s*)?{re.escape(key)}\s*=\s*"
        r"(?P<value>\"(?:[^\"\\]|\\.)*\"|\[[^\]]*\]|[^#\s]*)(?P<comment>\s*#.*)?$"
    )


def set_key(text: str, table: str, key: str, value: str, *, commented: bool = False) -> str:
    """`text` with `key = value` in `[table]`: replacing the active line (or else a commented-out
    one), keeping its trailing comment; else a new line after the header; else a new table at the
    end. `value` is TOML already (`"pytest -q"`, `["a/**"]`). `commented` writes `# key = value`."""
    lines = text.splitlines()
    new = f"{'# ' if commented else ''}{key} = {value}"
    span = _table_span(lines, table)
    if span is None:
        return "\n".join([*lines, "", f"[{table}]", new]) + "\n"
    start, end = span
    pattern = _line_pattern(key)
    matches = [(i, m) for i in range(start, end) if (m := pattern.match(lines[i]))]
    active = [(i, m) for i, m in matches if not m.group("hash")]
    if not matches:
        lines.insert(start, new)
    else:
        index, match = (active or matches)[0]
        lines[index] = new + (match.group("comment") or "")
    return "\n".join(lines) + "\n"


def python_key_supported() -> bool:
    """Whether this crewchief's policy knows `[tests] python` (newer ones do)."""
    return "python" in TestsPolicy.model_fields


def with_tests_section(text: str, command: str, python: str | None) -> str:
    """`text` with the `[tests]` command and interpreter doctor found to work. Where the policy
    model does not know `python` yet, the line is written commented out, so the file stays valid."""
    text = set_key(text, "tests", "command", json.dumps(command))
    if python is not None:
        if python_key_supported():
            text = set_key(text, "tests", "python", json.dumps(python))
        else:
            text = set_key(text, "tests", "python", json.dumps(python), commented=True)
    parse_policy(text.encode("utf-8"), POLICY_FILE)
    return text
