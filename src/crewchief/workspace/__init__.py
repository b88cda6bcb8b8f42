"""Isolated checkouts where commands run: git worktrees outside the user's checkout, prepared
environments cached by the hash of the dependency files, and command runs that leave evidence."""

from __future__ import annotations

from crewchief.workspace.checkouts import Checkouts
from crewchief.workspace.worktree import Worktree, add_worktree

__all__ = ["Checkouts", "Worktree", "add_worktree"]
