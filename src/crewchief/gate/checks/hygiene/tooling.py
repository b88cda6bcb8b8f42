"""Removed tooling configuration: coverage, lint, type-check and test settings are how a project
holds its code to a standard, and deleting them quietly lowers the standard for every later change.
The finding lists what was removed so the reviewer sees the settings, not just a file name.

Settings are read from the tools' own files (`.coveragerc`, `mypy.ini`, `ruff.toml`, ...), from
`[tool.*]` tables of pyproject.toml, and from the tooling sections of setup.cfg and tox.ini
(`[flake8]`, `[coverage:run]`, `[mypy]`, `[tool:pytest]`; tox.ini's `[pytest]` too): a section of
tox.ini is read by flake8, coverage or pytest as surely as their own file is.

Configuration moves: `[tool.ruff]` into a new `ruff.toml`, `[tool:pytest]` into `pytest.ini`,
`.coveragerc` into `[tool.coverage]`. A removed setting is not reported when the change adds
configuration of the same tool elsewhere (a new file, or a section that file lacked at base); what
the moved settings say is the reviewer's to read, the project's standard has not been dropped."""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from crewchief.gate.change import Change, FileChange, Side
from crewchief.gate.checks.hygiene.rules import RULES
from crewchief.gate.findings import Finding, fingerprint

_FILE_TOOLS = {
    ".coveragerc": "coverage",
    "tox.ini": "tox",
    "mypy.ini": "mypy",
    ".mypy.ini": "mypy",
    "ruff.toml": "ruff",
    ".ruff.toml": "ruff",
    ".flake8": "flake8",
    "pytest.ini": "pytest",
    ".pylintrc": "pylint",
    "pylintrc": "pylint",
    "noxfile.py": "nox",
    ".isort.cfg": "isort",
    "pyrightconfig.json": "pyright",
}
"""A tool's own configuration file, and the tool it configures (tox.ini's sections say more)."""
_TOOL_FILES = frozenset(_FILE_TOOLS)
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
_SHARED_FILES = {"setup.cfg": _SETUP_CFG_SECTIONS, "tox.ini": (*_SETUP_CFG_SECTIONS, "pytest")}
"""Files several tools read, and the sections that are tooling configuration: tox.ini's own
`[tox]` and `[testenv]` sections say how to run the suite, and editing those is a change of
environments, not of a standard."""
_SHOWN = 12


def _flatten(table: Any, prefix: str) -> set[str]:
    if not isinstance(table, dict):
        return {prefix}
    keys: set[str] = set()
    for key, value in table.items():
        keys |= _flatten(value, f"{prefix}.{key}")
    return keys or {prefix}


def _toml(side: Side | None) -> dict[str, Any]:
    if side is None or side.text is None:
        return {}
    try:
        return tomllib.loads(side.text)
    except tomllib.TOMLDecodeError:
        return {}


def _pyproject_settings(side: Side | None) -> dict[str, str]:
    tool = _toml(side).get("tool", {})
    if not isinstance(tool, dict):
        return {}
    return {
        k: name for name in _PYPROJECT_TOOLS if name in tool for k in _flatten(tool[name], name)
    }


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


def _section_tool(setting: str) -> str:
    """The tool a `[section] key` of a shared file configures: `[coverage:run]` coverage,
    `[mypy-pkg.*]` mypy, `[tool:pytest]` pytest, `[testenv:py]` tox."""
    section = setting[1 : setting.index("]")].removeprefix("tool:")
    tool = re.split(r"[:\-]", section, maxsplit=1)[0]
    return "tox" if tool in ("testenv", "tox") else tool


def _settings(name: str, side: Side | None, every_section: bool = False) -> dict[str, str]:
    """The tooling settings of one top-level file, each with the tool it configures; with
    `every_section`, also the sections of a shared file that are not tooling (a deleted tox.ini
    lists its environments too)."""
    if name == "pyproject.toml":
        return _pyproject_settings(side)
    if name in _SHARED_FILES:
        sections = ("",) if every_section else _SHARED_FILES[name]
        return {k: _section_tool(k) for k in _ini_settings(side, sections)}
    tool = _FILE_TOOLS.get(name)
    if tool is None or name.endswith((".py", ".json")):
        return {}
    if name.endswith(".toml"):
        table = _toml(side)
        return dict.fromkeys(_flatten(table, tool) if table else (), tool)
    return dict.fromkeys(_ini_settings(side), tool)


def _tools(name: str, side: Side | None) -> set[str]:
    """The tools a file configures: those with settings in it, or the file's own tool."""
    if side is None:
        return set()
    found = set(_settings(name, side).values())
    return found or ({_FILE_TOOLS[name]} if name in _FILE_TOOLS else set())


def _top_level(path: str) -> bool:
    return path.count("/") <= 1


def added_tools(change: Change) -> dict[str, str]:
    """Tool to the file that configures it at head and did not at base: where settings moved."""
    added: dict[str, str] = {}
    for file in change.files:
        if file.new is None or not _top_level(file.path):
            continue
        name = file.path.rsplit("/", 1)[-1]
        old = file.old if file.old is not None and file.old.path == file.path else None
        for tool in sorted(_tools(name, file.new) - _tools(name, old)):
            added.setdefault(tool, file.path)
    return added


def _listing(settings: Mapping[str, str] | set[str]) -> str:
    shown = sorted(settings)[:_SHOWN]
    more = f" and {len(settings) - _SHOWN} more" if len(settings) > _SHOWN else ""
    return ", ".join(shown) + more


def _deleted_file_message(file: FileChange, moved: Mapping[str, str]) -> str | None:
    assert file.old is not None
    name = file.old.path.rsplit("/", 1)[-1]
    settings = _settings(name, file.old, every_section=True)
    tools = set(settings.values()) or {_FILE_TOOLS[name]}
    if tools <= moved.keys():
        return None
    message = f"deletes the tooling configuration file `{file.old.path}`"
    if settings:
        message += f" (settings removed: {_listing(settings)})"
    return message


def _removed_settings_message(file: FileChange, moved: Mapping[str, str]) -> str | None:
    assert file.old is not None
    name = file.old.path.rsplit("/", 1)[-1]
    after = _settings(name, file.new) if file.new is not None else {}
    before = _settings(name, file.old)
    kept = {k for k, tool in before.items() if k not in after and tool not in moved}
    if not kept:
        return None
    return f"removes tooling settings from `{file.path}`: {_listing(kept)}"


def tooling_findings(change: Change) -> list[Finding]:
    moved = added_tools(change)
    found: list[Finding] = []
    for file in change.files:
        if file.old is None or not _top_level(file.path):
            continue
        name = file.old.path.rsplit("/", 1)[-1]
        if file.new is None and name in _TOOL_FILES:
            message = _deleted_file_message(file, moved)
        else:
            message = _removed_settings_message(file, moved)
        if message is None:
            continue
        found.append(
            RULES["tooling-config-deleted"].finding(
                message, path=file.path, fingerprint=fingerprint("tooling", file.path, message)
            )
        )
    return found
