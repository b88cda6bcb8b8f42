"""Whether a test command is pytest itself, and its arguments: one reading shared by the gate (which
appends node ids and its reporter to such a command) and `doctor` (which runs it once), so the two
never disagree about what counts as pytest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

_PROGRAMS = ("pytest", "py.test")


def pytest_args(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `pytest` / `python -m pytest`, or None when `argv` runs another program
    (a wrapper such as `make test` or `tox`, which the reporter's results recognise instead)."""
    if not argv:
        return None
    if Path(argv[0]).name in _PROGRAMS:
        return list(argv[1:])
    if (
        len(argv) >= 3
        and Path(argv[0]).name.startswith("python")
        and list(argv[1:3]) == ["-m", "pytest"]
    ):
        return list(argv[3:])
    return None


def is_pytest(argv: Sequence[str]) -> bool:
    """The command is pytest itself, so node ids can be appended to it."""
    return pytest_args(argv) is not None
