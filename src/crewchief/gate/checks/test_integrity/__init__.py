"""The `test-integrity` check; `check.py` holds the check, its helpers sit beside it."""

from crewchief.gate.checks.test_integrity.check import CHECK

__all__ = ["CHECK"]
