"""The `acceptance` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.acceptance.check import CHECK

__all__ = ["CHECK"]
