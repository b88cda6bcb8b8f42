"""Tell a broken test configuration from a broken change.

When the suite cannot start at base and cannot start at head for the same reason (pytest or a
module missing from the interpreter, a program not on PATH, pytest refusing its arguments, nothing
collected), the change is not what broke it: the verdict is `review` with one finding that says how
to fix the configuration, never `block`. A failure at head alone is still the change's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crewchief.gate.dynamic.suite import SuiteResult

_MISSING_MODULE = re.compile(r"No module named '?([A-Za-z_][\w.]*)'?")
_ERROR_LINE = re.compile(r"^(?:ERROR|E  ):? +(.+)$", re.MULTILINE)
NO_TESTS = "pytest collected no tests"
_TAIL = 256 * 1024


@dataclass(frozen=True)
class StartFailure:
    """Why a suite never ran a test, in words a person can act on."""

    cause: str
    """One line: "module 'requests' is not installed", "'tox' was not found on PATH"."""
    fix: str
    """One line: what to change in the environment or the policy."""
    module: str = ""
    """The module that could not be imported, when that is the cause (the acceptance check asks
    whether it is the project's own module, which the change may be expected to add, or a missing
    dependency)."""

    def message(self, python: str, what: str = "the tests") -> str:
        return (
            f"{what} could not run at base nor at head, the same way: {self.cause} "
            f"(interpreter: {python or 'unknown'}). The configuration is broken, not the change: "
            f"{self.fix}"
        )


def _log_text(log: str) -> str:
    """The log's tail, with the worktree's path (it differs between base and head) folded."""
    try:
        with open(Path(log), "rb") as fh:
            header = fh.read(4096).decode("utf-8", "replace")
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    cwd = re.search(r"^# cwd: (.+)$", header, re.MULTILINE)
    return text.replace(cwd.group(1), "<worktree>") if cwd else text


def _ran_nothing(result: SuiteResult) -> bool:
    if result.start_error:
        return True
    if result.is_pytest:
        return result.crashed or (result.exit_code == 5 and not result.outcomes)
    return bool(result.exit_code)


def start_failure(result: SuiteResult) -> StartFailure | None:
    """Why `result` never got to run a test, or None when it ran (or was killed at its timeout,
    which says nothing about the configuration)."""
    if result.timed_out or not _ran_nothing(result):
        return None
    if result.start_error:
        return StartFailure(
            result.start_error, "install it in the project's environment or fix [tests] command"
        )
    text = _log_text(result.log)
    missing = _MISSING_MODULE.search(text)
    if missing:
        module = missing.group(1)
        return StartFailure(
            f"module '{module}' is not installed in the test environment",
            f"install '{module}' there, point [tests] python at the environment that has it, "
            "or add [tests] setup commands that install it",
            module=module,
        )
    if result.is_pytest and result.exit_code == 5:
        return StartFailure(
            NO_TESTS, "check the [tests] command's paths and pytest's testpaths / python_files"
        )
    error = _ERROR_LINE.search(text)
    detail = error.group(1).strip()[:200] if error else f"exit code {result.exit_code}"
    return StartFailure(
        f"the command stopped before running any test ({detail})",
        f"run the [tests] command by hand in a fresh checkout and fix what it reports; see "
        f"{result.log}",
    )


def same_start_failure(base: SuiteResult, head: SuiteResult) -> StartFailure | None:
    """The failure when base and head both failed to start for the same reason, else None."""
    at_base = start_failure(base)
    at_head = start_failure(head)
    if at_base is None or at_head is None or at_base.cause != at_head.cause:
        return None
    return at_head
