"""The `dependencies` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.dependencies.check import CHECK

__all__ = ["CHECK"]
