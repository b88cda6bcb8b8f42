"""Helpers several checks share: which files are Python, and how to point a finding at a line."""

from __future__ import annotations

import posixpath
import threading

from crewchief.gate.change import FileChange, Side

WARNINGS_LOCK = threading.RLock()
"""Held by any check that changes the process-wide warning filters (`warnings.catch_warnings`) or
imports a library that does: checks run in threads, and one thread restoring the filters while
another imports would drop a filter that import set (and under `-W error` abort it)."""


def is_python(side: Side | None) -> bool:
    return side is not None and side.path.endswith((".py", ".pyi")) and side.text is not None


def python_changes(files: tuple[FileChange, ...]) -> list[FileChange]:
    """Changed Python files whose head version can be read as text (deletions excluded)."""
    return [f for f in files if is_python(f.new) and not (f.new and f.new.is_symlink)]


def line_text(side: Side | None, line: int | None) -> str:
    if side is None or line is None or line < 1 or line > len(side.lines):
        return ""
    return side.lines[line - 1]


def relative_package(importer: str, level: int) -> str:
    """The folder a relative import with `level` leading dots starts from in the file at
    `importer` (`from . import x` in `pkg/sub/m.py`: `pkg/sub`; `from ..`: `pkg`), the one
    resolution the taint analysis and the base oracle share."""
    folder = posixpath.dirname(importer)
    for _ in range(level - 1):
        folder = posixpath.dirname(folder)
    return folder
