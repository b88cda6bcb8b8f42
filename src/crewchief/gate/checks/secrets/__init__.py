"""The `secrets` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.secrets.check import CHECK

__all__ = ["CHECK"]
