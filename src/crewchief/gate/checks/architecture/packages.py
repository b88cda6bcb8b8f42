"""Where a tree's Python packages live and which modules they hold, read from file paths only.

Both tree-wide checks (`architecture`, `api`) and `crewchief architecture` need the same answer, and
neither may import the code to find it: a top-level package is a directory with an `__init__.py`,
at the root of the repository or under `src/`, and its modules are the `.py` files below it (the
modules Python would import).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping, Sequence

SOURCE_ROOTS = ("", "src/")
"""Where top-level packages are looked for, in order of preference."""

_NOT_LIBRARY = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "scripts"}
)
"""Top-level directories that hold a repository's own tooling rather than its library."""


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def top_level_packages(paths: Iterable[str]) -> list[str]:
    """The importable top-level packages at the root or under src/, tooling directories left out."""
    found: list[str] = []
    for path in sorted(paths):
        for root in SOURCE_ROOTS:
            rest = path[len(root) :] if path.startswith(root) else None
            if rest is None or rest.count("/") != 1 or not rest.endswith("/__init__.py"):
                continue
            name = rest.split("/", 1)[0]
            if _is_identifier(name) and name not in _NOT_LIBRARY and name not in found:
                found.append(name)
    return found


def package_dirs(paths: Iterable[str], names: Sequence[str]) -> dict[str, str]:
    """Each named package's directory (`pkg` or `src/pkg`); names not found are left out."""
    present = set(paths)
    dirs: dict[str, str] = {}
    for name in names:
        for root in SOURCE_ROOTS:
            if f"{root}{name}/__init__.py" in present:
                dirs[name] = f"{root}{name}"
                break
    return dirs


def modules(paths: Iterable[str], dirs: Mapping[str, str]) -> dict[str, str]:
    """Dotted module name to file path, for every module of the packages in `dirs`; a directory
    without `__init__.py` inside a package is a namespace package, as Python and grimp take it."""
    found: dict[str, str] = {}
    for name, directory in dirs.items():
        prefix = directory + "/"
        for path in paths:
            if not path.startswith(prefix) or not path.endswith(".py"):
                continue
            parts = path[len(prefix) : -3].split("/")
            if not all(_is_identifier(p) for p in parts if p != "__init__"):
                continue
            dotted = [name, *parts[:-1]] if parts[-1] == "__init__" else [name, *parts]
            found[".".join(dotted)] = path
    return found


def namespaces(found: Iterable[str]) -> set[str]:
    """Ancestors of the modules that are not modules themselves: namespace packages."""
    known = set(found)
    missing: set[str] = set()
    for module in known:
        parts = module.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in known:
                missing.add(parent)
    return missing


def module_of(path: str, dirs: Mapping[str, str]) -> str | None:
    """The dotted module a file path is, in one of the packages of `dirs`, or None."""
    for name, directory in dirs.items():
        prefix = directory + "/"
        if path.startswith(prefix) and path.endswith(".py"):
            parts = path[len(prefix) : -3].split("/")
            dotted = [name, *parts[:-1]] if parts[-1] == "__init__" else [name, *parts]
            return ".".join(dotted)
    return None
