"""Notification tests reuse the run tests' projects (a real repository, store and command agent)."""

from tests.runs.conftest import make_project

__all__ = ["make_project"]
