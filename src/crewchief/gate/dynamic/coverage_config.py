"""coverage.py's settings from the base, for the head's measured run.

A change can raise its own diff coverage without a test: add `exclude_also = ["def "]` or an
`omit` glob for the file it changed, and every added line stops counting. So when the change
touches a file coverage reads its settings from, the head's run reads the base's settings
instead: they are written outside the worktree and named by `COVERAGE_RCFILE`, which coverage.py
reads before any file in the project (and so does pytest-cov, which uses coverage.py). A change
that touches none of these files runs with the project's own settings, which are the base's.
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from crewchief.gate.check import CheckContext
from crewchief.gate.reader import read_files_at

COVERAGE_FILES = (".coveragerc", ".coveragerc.toml", "setup.cfg", "tox.ini", "pyproject.toml")
"""Where coverage.py looks, in its own order (the first that configures coverage wins)."""


def _configures(name: str, data: bytes) -> bool:
    if name in (".coveragerc", ".coveragerc.toml"):
        return True
    text = data.decode("utf-8", "replace")
    if name == "pyproject.toml":
        try:
            tool = tomllib.loads(text).get("tool", {})
        except tomllib.TOMLDecodeError:
            return False
        return isinstance(tool, dict) and isinstance(tool.get("coverage"), dict)
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return False
    return any(section.startswith("coverage:") for section in parser.sections())


def coverage_source(files: dict[str, bytes | None]) -> tuple[str, bytes] | None:
    """The file (by name) coverage.py takes its settings from at the project root, and its bytes."""
    for name in COVERAGE_FILES:
        data = files.get(name)
        if data is not None and _configures(name, data):
            return name, data
    return None


def base_coverage_env(ctx: CheckContext) -> dict[str, str]:
    """`COVERAGE_RCFILE` pointing at the base's coverage settings when the change touched a file
    they may come from; empty otherwise."""
    touched = {
        side.path
        for f in ctx.change.files
        for side in (f.old, f.new)
        if side is not None and side.path in COVERAGE_FILES
    }
    ws = ctx.session
    if not touched or ws is None:
        return {}
    repo = ws.checkouts.repo
    before = coverage_source(read_files_at(repo, ws.base, list(COVERAGE_FILES)))
    after = coverage_source(read_files_at(repo, ws.head, list(COVERAGE_FILES)))
    if before == after:
        return {}
    # An ini file read as coverage's own takes both [run] and [coverage:run] sections.
    suffix = ".toml" if before and before[0].endswith(".toml") else ".ini"
    target = Path(ws.evidence_dir) / f"base-coverage-settings{suffix}"
    target.write_bytes(before[1] if before else b"")
    return {"COVERAGE_RCFILE": str(target)}
