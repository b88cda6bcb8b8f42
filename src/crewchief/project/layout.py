"""Where a repository's Python code and tests live, found from its file list.

`crewchief init` writes the policy's scope from this, so the first good change in a project is not
blocked as out of scope: a flat `mypkg/` package, `src/<pkg>/`, a single-module project and the
`tests/`, `test/` or `testing/` folders are all named as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

TEST_DIRS: tuple[str, ...] = ("tests", "test", "testing")
"""Top-level test folders, in the order pytest users name them most."""

_NOT_CODE_DIRS = frozenset(
    {"docs", "doc", "build", "dist", "site-packages", "node_modules", "venv", "env", "__pycache__"}
)
"""Top-level folders that hold no importable project code even when they contain .py files."""

_TOOL_MODULES = frozenset(
    {"setup.py", "noxfile.py", "fabfile.py", "tasks.py", "conftest.py", "versioneer.py"}
)
"""Top-level modules that drive the project rather than being part of it."""


@dataclass(frozen=True)
class Layout:
    """The code and tests of a repository, as repository-relative POSIX paths."""

    packages: tuple[str, ...]
    """Package folders: `mypkg` (flat layout) or `src/mypkg` (src layout)."""
    modules: tuple[str, ...]
    """Single-module code: `mymod.py` or `src/mymod.py`."""
    test_dirs: tuple[str, ...]
    """Top-level test folders (`tests`, `test`, `testing`)."""
    test_files: tuple[str, ...]
    """Top-level test modules and conftest.py, outside any test folder."""

    @property
    def src_layout(self) -> bool:
        return any(p.startswith("src/") for p in (*self.packages, *self.modules))

    @property
    def empty(self) -> bool:
        return not (self.packages or self.modules or self.test_dirs or self.test_files)

    def scope_allow(self) -> list[str]:
        """The `[scope] allow` globs: each package folder, module and test folder, by name."""
        return [
            *(f"{p}/**" for p in self.packages),
            *self.modules,
            *(f"{d}/**" for d in self.test_dirs),
            *self.test_files,
        ]


def _is_test_module(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


def _package_root(parts: tuple[str, ...]) -> str | None:
    """The package folder a `.py` file at `parts` belongs to: `pkg` or `src/pkg`."""
    if parts[0] == "src":
        return f"src/{parts[1]}" if len(parts) > 2 else None
    if parts[0] in TEST_DIRS or parts[0] in _NOT_CODE_DIRS:
        return None
    return parts[0] if len(parts) > 1 else None


def detect_layout(paths: Iterable[str]) -> Layout:
    """Read the layout from repository-relative paths (tracked and not-ignored files).

    A folder is a package when it holds an `__init__.py` at its top (a namespace package under
    `src/` counts when it holds any module): folders of scripts or examples without one are not."""
    packages: set[str] = set()
    namespace: set[str] = set()
    modules: set[str] = set()
    test_dirs: set[str] = set()
    test_files: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        if not parts or _hidden(parts):
            continue
        if parts[0] in TEST_DIRS and len(parts) > 1:
            test_dirs.add(parts[0])
            continue
        if not path.endswith(".py"):
            continue
        name = parts[-1]
        if len(parts) == 1 or (parts[0] == "src" and len(parts) == 2):
            if _is_test_module(name):
                test_files.add(path)
            elif name not in _TOOL_MODULES:
                modules.add(path)
            continue
        root = _package_root(parts)
        if root is None:
            continue
        if len(parts) == len(PurePosixPath(root).parts) + 1 and name == "__init__.py":
            packages.add(root)
        elif root.startswith("src/"):
            namespace.add(root)
    return Layout(
        packages=tuple(sorted(packages | namespace)),
        modules=tuple(sorted(modules)),
        test_dirs=tuple(d for d in TEST_DIRS if d in test_dirs),
        test_files=tuple(sorted(test_files)),
    )
