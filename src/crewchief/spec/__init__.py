"""User-written specifications: the repo's policy and its tasks. The leaf of the package."""

from __future__ import annotations

from crewchief.spec.errors import SpecError
from crewchief.spec.policy import Policy, load_policy
from crewchief.spec.task import Task, parse_task

__all__ = ["Policy", "SpecError", "Task", "load_policy", "parse_task"]
