"""Finds checks: the built-ins of `BUILTIN_CHECKS`, then third-party plugins from the
`crewchief.checks` entry point group, each naming an object that satisfies `Check`. The rules a
plugin must follow (no replacing a built-in, a broken one is reported, not fatal) are those of
`crewchief.plugins`, shared with the agent adapters."""

from __future__ import annotations

from crewchief.errors import UserError
from crewchief.gate.check import BUILTIN_CHECKS, Check
from crewchief.plugins import Registry

ENTRY_POINT_GROUP = "crewchief.checks"


def _adopt(obj: object) -> Check:
    if not isinstance(obj, Check):
        raise TypeError("it does not implement the Check interface (name, version, kind, run)")
    return obj


CHECKS: Registry[Check] = Registry("check", ENTRY_POINT_GROUP, BUILTIN_CHECKS, _adopt)


def available_checks() -> dict[str, Check]:
    """Every check that loads, by name, in the documented order, plugins after built-ins."""
    return CHECKS.load_all()[0]


def load_errors() -> dict[str, str]:
    """Checks that are registered but cannot be used, with the reason; the gate reports them."""
    return CHECKS.load_all()[1]


def all_names() -> list[str]:
    """Every check name the gate knows, those that failed to load included."""
    names = CHECKS.names()
    names.extend(n for n in load_errors() if n not in names)
    return names


def parse_names(value: str | None, option: str) -> list[str]:
    """Split `--only a,b`; an unknown name is an input error that lists the known ones."""
    if not value:
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    known = all_names()
    for name in names:
        if name not in known:
            raise UserError(f"{option}: unknown check '{name}'; known checks: {', '.join(known)}")
    return names
