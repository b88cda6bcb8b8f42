"""The spec package's only error; the CLI maps it to exit code 2 (input error)."""

from __future__ import annotations


class SpecError(ValueError):
    """A policy or task file is malformed; the message names the file, the key and the problem."""
