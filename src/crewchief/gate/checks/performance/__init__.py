"""The `performance` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.performance.check import CHECK

__all__ = ["CHECK"]
