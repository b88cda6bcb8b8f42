"""Removed tooling configuration: coverage, lint, type-check and test settings are how a project
holds its code to a standard, and deleting them quietly lowers the standard for every later change.
The finding lists what was removed so the reviewer sees the settings, not just a file name."""

from __future__ import annotations

import configparser
import tomllib
from typing import Any

from crewchief.gate.change import Change, FileChange, Side
from crewchief.gate.checks.hygiene.rules import RULES
from crewchief.gate.findings import Finding, fingerprint

_TOOL_FILES = frozenset(
    {
        ".coveragerc",
        "tox.ini",
        "mypy.ini",
        ".mypy.ini",
        "ruff.toml",
        ".ruff.toml",
        ".flake8",
        "pytest.ini",
        ".pylintrc",
        "pylintrc",
        "noxfile.py",
        ".isort.cfg",
        "pyrightconfig.json",
    }
)
_PYPROJECT_TOOLS = (
    "coverage",
    "mypy",
    "ruff",
    "pytest",
    "pylint",
    "isort",
    "pyright",
    "black",
    "flake8",
    "bandit",
)
_SETUP_CFG_SECTIONS = (
    "coverage:",
    "flake8",
    "mypy",
    "tool:pytest",
    "pycodestyle",
    "isort",
    "pylint",
)
_SHOWN = 12


def _flatten(table: Any, prefix: str) -> set[str]:
    if not isinstance(table, dict):
        return {prefix}
    keys: set[str] = set()
    for key, value in table.items():
        keys |= _flatten(value, f"{prefix}.{key}")
    return keys or {prefix}


def _pyproject_settings(side: Side | None) -> set[str]:
    if side is None or side.text is None:
        return set()
    try:
        tool = tomllib.loads(side.text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return set()
    if not isinstance(tool, dict):
        return set()
    return {k for name in _PYPROJECT_TOOLS if name in tool for k in _flatten(tool[name], name)}


def _ini_settings(side: Side | None, sections: tuple[str, ...] = ("",)) -> set[str]:
    """`[section] key` for every key of the sections whose names start with one of `sections`."""
    if side is None or side.text is None:
        return set()
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(side.text)
    except configparser.Error:
        return set()
    return {
        f"[{section}] {key}".rstrip()
        for section in parser.sections()
        if section.startswith(sections)
        for key in (list(parser[section]) or [""])
    }


def _removed_settings(file: FileChange) -> set[str]:
    name = file.path.rsplit("/", 1)[-1]
    if name == "pyproject.toml":
        return _pyproject_settings(file.old) - _pyproject_settings(file.new)
    if name == "setup.cfg":
        return _ini_settings(file.old, _SETUP_CFG_SECTIONS) - _ini_settings(
            file.new, _SETUP_CFG_SECTIONS
        )
    return set()


def _listing(settings: set[str]) -> str:
    shown = sorted(settings)[:_SHOWN]
    more = f" and {len(settings) - _SHOWN} more" if len(settings) > _SHOWN else ""
    return ", ".join(shown) + more


def tooling_findings(change: Change) -> list[Finding]:
    found: list[Finding] = []
    for file in change.files:
        if file.old is None or file.path.count("/") > 1:
            continue
        name = file.old.path.rsplit("/", 1)[-1]
        if file.new is None and name in _TOOL_FILES:
            message = f"deletes the tooling configuration file `{file.old.path}`"
            settings = (
                set() if name.endswith((".py", ".json", ".toml")) else _ini_settings(file.old)
            )
            if settings:
                message += f" (settings removed: {_listing(settings)})"
        else:
            removed = _removed_settings(file)
            if not removed:
                continue
            message = f"removes tooling settings from `{file.path}`: {_listing(removed)}"
        found.append(
            RULES["tooling-config-deleted"].finding(
                message, path=file.path, fingerprint=fingerprint("tooling", file.path, message)
            )
        )
    return found
