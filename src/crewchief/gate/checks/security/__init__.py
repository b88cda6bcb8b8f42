"""The `security` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.security.check import CHECK

__all__ = ["CHECK"]
