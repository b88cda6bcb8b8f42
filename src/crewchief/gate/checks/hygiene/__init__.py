"""The `hygiene` check; `check.py` holds the check, its rules and analyses sit beside it."""

from crewchief.gate.checks.hygiene.check import CHECK

__all__ = ["CHECK"]
