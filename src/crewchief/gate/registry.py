"""Finds checks. Built-ins and third-party plugins come through the same door: the
`crewchief.checks` entry point group, each entry naming an object that satisfies `Check`."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from crewchief.errors import UserError
from crewchief.gate.check import KNOWN_CHECKS, Check

ENTRY_POINT_GROUP = "crewchief.checks"

# Used only when the package's metadata is missing (running from a source tree that was never
# installed); an installed crewchief always reads its built-ins from its own entry points.
_BUILTIN_FALLBACK = {
    "scope": "crewchief.gate.checks.scope:CHECK",
    "test-integrity": "crewchief.gate.checks.test_integrity.check:CHECK",
    "security": "crewchief.gate.checks.security.check:CHECK",
    "secrets": "crewchief.gate.checks.secrets.check:CHECK",
    "dependencies": "crewchief.gate.checks.dependencies.check:CHECK",
    "quality": "crewchief.gate.checks.quality:CHECK",
    "tests": "crewchief.gate.checks.tests:CHECK",
    "acceptance": "crewchief.gate.checks.acceptance.check:CHECK",
    "coverage": "crewchief.gate.checks.coverage:CHECK",
    "performance": "crewchief.gate.checks.performance.check:CHECK",
    "hygiene": "crewchief.gate.checks.hygiene:CHECK",
}


def _load(spec: str) -> Check:
    module, _, attr = spec.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if not isinstance(obj, Check):
        raise UserError(f"check plugin {spec} does not implement the Check interface")
    return obj


@cache
def _discover() -> tuple[dict[str, Check], dict[str, str]]:
    found: dict[str, str] = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if not found:
        found = dict(_BUILTIN_FALLBACK)
    checks: dict[str, Check] = {}
    broken: dict[str, str] = {}
    for name, spec in found.items():
        try:
            checks[name] = _load(spec)
        except Exception as exc:  # one broken plugin must not take the whole gate down
            broken[name] = f"cannot load {spec}: {type(exc).__name__}: {exc}"
    order = {name: i for i, name in enumerate(KNOWN_CHECKS)}
    ordered = dict(sorted(checks.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return ordered, broken


def available_checks() -> dict[str, Check]:
    """Every installed check by name, in the documented order, plugins after built-ins."""
    return _discover()[0]


def load_errors() -> dict[str, str]:
    """Checks that are registered but failed to load, with the reason; the gate reports them."""
    return _discover()[1]


def all_names() -> list[str]:
    names = list(KNOWN_CHECKS)
    names.extend(n for n in [*available_checks(), *load_errors()] if n not in names)
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
