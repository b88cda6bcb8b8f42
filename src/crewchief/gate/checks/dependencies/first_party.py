"""The import names a repository provides itself, read from how it is packaged.

A tests-only change that imports the project's own package must never read as an undeclared
third-party import, even when the project shares its name with a famous package (a fork of
`requests`, or `requests` itself). The static gate sees only the changed files and the manifests,
not the whole tree, so the repository's own packages are taken from the packaging configuration:
the distribution name (as an import name), setuptools `packages` / `py-modules` / `package-dir`,
poetry `packages`, hatch wheel `packages`, flit's module name, and `setup.py` keywords.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Iterable, Iterator
from typing import Any

SETUP_MODULE_KEYS = frozenset({"name", "packages", "py_modules"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def import_names(values: Iterable[object]) -> Iterator[str]:
    """Top-level import names of package or module specs (`pkg.sub`, `src/pkg`, `my-dist`)."""
    for value in values:
        if not isinstance(value, str):
            continue
        head = value.strip().replace("\\", "/").rstrip("/").split("/")[-1].split(".")[0]
        name = re.sub(r"[-.]+", "_", head).lower()
        if _IDENT.match(name):
            yield name


def pyproject_modules(doc: dict[str, Any]) -> list[str]:
    tool = _table(doc.get("tool"))
    found: list[object] = [_table(doc.get("project")).get("name")]
    setuptools = _table(tool.get("setuptools"))
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        found.extend(packages)
    found.extend(setuptools.get("py-modules") or [])
    poetry = _table(tool.get("poetry"))
    found.append(poetry.get("name"))
    found.extend(_table(p).get("include") for p in poetry.get("packages") or [])
    wheel = _table(
        _table(_table(_table(tool.get("hatch")).get("build")).get("targets")).get("wheel")
    )
    found.extend(wheel.get("packages") or [])
    found.append(_table(_table(tool.get("flit")).get("module")).get("name"))
    return sorted(set(import_names(found)))


def setup_cfg_modules(parser: configparser.ConfigParser) -> list[str]:
    found: list[object] = [parser.get("metadata", "name", fallback=None)]
    for key in ("packages", "py_modules"):
        value = parser.get("options", key, fallback="") if parser.has_section("options") else ""
        if not value.strip().startswith("find"):
            found.extend(value.replace(",", "\n").splitlines())
    return sorted(set(import_names(found)))


def setup_py_modules(node: ast.expr, names: dict[str, ast.expr]) -> list[str]:
    """String constants of `name=`, `packages=[...]`, `py_modules=[...]`, through one name binding."""
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    if isinstance(node, ast.Constant):
        return list(import_names([node.value]))
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return list(import_names(e.value for e in node.elts if isinstance(e, ast.Constant)))
    return []
