"""The two kinds of failure a user meets, and the exit codes the CLI promises for them.

Expected problems (bad config, unknown ref, missing tool) are `UserError`: one line a person can act
on, exit 2. Anything else is a bug: the CLI logs its traceback to a file and exits 3.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of every crewchief command."""

    OK = 0
    BLOCKED = 1
    USAGE = 2
    INTERNAL = 3


class CrewchiefError(Exception):
    """Base of every error crewchief raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UserError(CrewchiefError):
    """A problem with the user's input or environment; the message says what to do."""

    exit_code = ExitCode.USAGE


class GitInputError(UserError):
    """git refused: not a repository, unknown ref, shallow history."""


class GitInternalError(CrewchiefError):
    """A git command crewchief expected to succeed did not (a corrupt repository, a full disk, a
    bug): an internal error, logged with its traceback. Problems a user can fix (unknown refs,
    not a repository, shallow history) are `GitInputError` instead, raised where they are recognised."""

    exit_code = ExitCode.INTERNAL


class ProcessError(CrewchiefError):
    """A subprocess that had to succeed did not; carries what is needed to see why."""

    def __init__(self, argv: tuple[str, ...], returncode: int | None, output: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.output = output
        shown = " ".join(argv)
        tail = output.strip().splitlines()[-5:]
        super().__init__(f"command failed (exit {returncode}): {shown}\n" + "\n".join(tail))
