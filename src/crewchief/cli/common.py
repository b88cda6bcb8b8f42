"""Things several subcommands share: the repo root, the work tree's policy, JSON output."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from crewchief import git
from crewchief.spec.policy import POLICY_FILE, PYPROJECT, Policy, load_policy


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def repo_root(repo: Path) -> Path:
    return git.toplevel(repo)


def worktree_policy(root: Path) -> Policy:
    """The policy as it is in the work tree (for commands that plan work, not judge it)."""
    files: dict[str, bytes | None] = {}
    for name in (POLICY_FILE, PYPROJECT):
        path = root / name
        files[name] = path.read_bytes() if path.is_file() else None
    return load_policy(files)[0]


def tracked_files(root: Path) -> list[str]:
    out = git.run(root, "ls-files", "-z").stdout
    return [git.decode_path(p) for p in out.split(b"\0") if p]


def print_json(schema: str, payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"schema": schema, **payload}, indent=2, ensure_ascii=True) + "\n")
