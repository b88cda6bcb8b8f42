"""Shared machinery of the dynamic checks (tests, acceptance, coverage): running a test suite in a
worktree and reading its per-test outcomes."""
