"""Where an installer is told to fetch packages from, outside the requirement strings themselves.

pip, uv, poetry, pdm and hatch all read index and source settings from tables a dependency review
never looks at: `[[tool.uv.index]]` (with `default = true` it replaces PyPI), `[tool.uv.sources]`
pointing a package at a git fork, `[[tool.poetry.source]]`, `[[tool.pdm.source]]`, `PIP_INDEX_URL` in
a hatch environment, and the installers' own config files (`pip.conf`, `uv.toml`). One of these
lines substitutes any package with whatever the other location serves, so each is reported as a
package source. Values come back as (line, text); the text is what the finding shows and what base
and head are matched on, so it is built from the setting, never from its position.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from typing import Any

_INDEX_KEYS = ("index-url", "extra-index-url", "find-links", "trusted-host")
_ENV_INDEX = re.compile(r"^(PIP|UV)_(INDEX_URL|EXTRA_INDEX_URL|FIND_LINKS|DEFAULT_INDEX|INDEX)$")
_SAFE_SOURCE_KEYS = frozenset({"workspace", "index"})
"""`{ workspace = true }` is the repository itself; `{ index = "x" }` names an index whose own
definition is reported where it is declared."""


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tables(value: object) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def line_of(text: str, *needles: str) -> int:
    """The first line holding every needle (1 when none does): TOML parsers keep no positions."""
    for number, line in enumerate(text.splitlines(), 1):
        if all(n in line for n in needles):
            return number
    return 1


def _index_settings(table: dict[str, Any], prefix: str) -> Iterator[str]:
    """`index-url`, `extra-index-url`, `find-links` in a uv, pip or uv.toml table."""
    for key in _INDEX_KEYS:
        for value in table.get(key, []) if isinstance(table.get(key), list) else [table.get(key)]:
            if isinstance(value, str) and value.strip():
                yield f"{prefix}{key} = {value.strip()}"


def _indexes(items: object, prefix: str) -> Iterator[str]:
    """`[[tool.uv.index]]`, `[[tool.poetry.source]]`, `[[tool.pdm.source]]` entries."""
    for entry in _tables(items):
        url = entry.get("url")
        if not isinstance(url, str):
            continue
        flags = [
            flag
            for flag in ("default", "explicit", "priority", "verify_ssl")
            if flag in entry and entry[flag] not in (False,)
        ]
        shown = ", ".join(f"{k} = {entry[k]}" for k in flags)
        yield f"{prefix} {entry.get('name', '?')} url = {url}" + (f" ({shown})" if shown else "")


def _uv_sources(table: object, prefix: str) -> Iterator[str]:
    """`[tool.uv.sources] pkg = { git = ... }`: that package no longer comes from the registry."""
    for package, value in _table(table).items():
        for entry in _tables(value):
            if set(entry) & {"git", "url", "path"}:
                where = entry.get("git") or entry.get("url") or entry.get("path")
                yield f"{prefix} {package} = {where}"
            elif not set(entry) & _SAFE_SOURCE_KEYS:
                yield f"{prefix} {package} = {entry}"


def _hatch_env_vars(hatch: dict[str, Any]) -> Iterator[str]:
    for name, env in _table(hatch.get("envs")).items():
        for key, value in _table(_table(env).get("env-vars")).items():
            if _ENV_INDEX.match(str(key)) and isinstance(value, str):
                yield f"tool.hatch.envs.{name}.env-vars {key} = {value}"


def pyproject_sources(doc: dict[str, Any]) -> Iterator[str]:
    """Index and source settings of every installer configured in pyproject.toml."""
    tool = _table(doc.get("tool"))
    uv = _table(tool.get("uv"))
    yield from _index_settings(uv, "tool.uv ")
    yield from _index_settings(_table(uv.get("pip")), "tool.uv.pip ")
    yield from _indexes(uv.get("index"), "[[tool.uv.index]]")
    yield from _uv_sources(uv.get("sources"), "tool.uv.sources")
    yield from _indexes(_table(tool.get("poetry")).get("source"), "[[tool.poetry.source]]")
    pdm = _table(tool.get("pdm"))
    yield from _indexes(pdm.get("source"), "[[tool.pdm.source]]")
    yield from _hatch_env_vars(_table(tool.get("hatch")))


def uv_toml_sources(doc: dict[str, Any]) -> Iterator[str]:
    """`uv.toml` holds the same settings as `[tool.uv]`, at the top level."""
    yield from _index_settings(doc, "")
    yield from _index_settings(_table(doc.get("pip")), "pip ")
    yield from _indexes(doc.get("index"), "[[index]]")
    yield from _uv_sources(doc.get("sources"), "sources")


def pip_conf_sources(text: str) -> list[str] | str:
    """`pip.conf` / `pip.ini`: index settings in any section; a string is a parse error."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return f"invalid pip configuration: {exc.message}"
    found = []
    for section in parser.sections():
        for key in _INDEX_KEYS:
            value = parser.get(section, key, fallback="").strip()
            if value:
                found.append(f"[{section}] {key} = {' '.join(value.split())}")
    return found


def located(text: str, settings: Iterator[str] | list[str]) -> list[tuple[int, str]]:
    """Each setting with the line of its value (or key) in the file."""
    out = []
    for setting in settings:
        key, _, value = setting.partition(" = ")
        needle = value.split(" (", 1)[0].strip()[:60]
        number = line_of(text, needle) if needle else 1
        if number == 1 and key:
            number = line_of(text, key.split()[-1].split(".")[-1].strip("[]"))
        out.append((number, setting))
    return out
