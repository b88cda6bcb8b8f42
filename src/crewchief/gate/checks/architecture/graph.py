"""The import graph of one side of a change, built by grimp from blobs, cached by blob ids.

grimp's scanner reads sources through a file-system object; it is given its in-memory one, filled
with the blobs, so nothing is checked out, written to disk or imported (writing Django's 900
modules to a temporary folder and removing them cost more than the scan itself). Its package
finder is not used either: it asks `importlib`, which answers from `sys.modules` for any name
crewchief itself imported (a repository's `yaml` or `crewchief`), so the packages are described to
grimp from the tree's paths. The head graph reuses the base's imports and rescans only the modules
the change touches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grimp
from grimp._rustgrimp import FakeBasicFileSystem, scan_for_imports  # type: ignore[import-not-found]
from grimp.application.ports.modulefinder import FoundPackage, ModuleFile
from grimp.domain.valueobjects import Module
from grimp.exceptions import SourceSyntaxError

from crewchief.gate.checks.architecture.packages import namespaces

SCAN_VERSION = "4"
"""Bump when what a scan records changes, so cached imports are not reused."""

ROOT = "/crewchief-tree"
"""Where the in-memory file system puts the tree (any absolute path grimp can split)."""

Edge = tuple[str, str, int, str]
"""One import statement: importer, imported, line number, the line's text."""

Memo = Callable[[list[str], Callable[[], Any]], Any]


@dataclass(frozen=True)
class Side:
    """One side's packages: module name to file path, and module name to blob id."""

    dirs: Mapping[str, str]
    paths: Mapping[str, str]
    blobs: Mapping[str, str]

    def digest(self) -> str:
        """Identity of the scanned input: module names, their files' blobs and the packages."""
        h = hashlib.sha256(SCAN_VERSION.encode())
        for name in sorted(self.dirs):
            h.update(f"{name}={self.dirs[name]}\0".encode())
        for module in sorted(self.blobs):
            h.update(f"{module}:{self.blobs[module]}\0".encode())
        return h.hexdigest()[:32]


def _found_packages(side: Side) -> set[FoundPackage]:
    found = set()
    spaces = namespaces(side.paths)
    for name, directory in side.dirs.items():

        def inside(module: str, name: str = name) -> bool:
            return module == name or module.startswith(name + ".")

        members = frozenset(
            ModuleFile(module=Module(m), mtime=0.0) for m in side.paths if inside(m)
        )
        found.add(
            FoundPackage(
                name=name,
                directory=f"{ROOT}/{directory}",
                module_files=members,
                namespace_packages=frozenset(m for m in spaces if inside(m)),
            )
        )
    return found


def scan(side: Side, sources: Mapping[str, bytes]) -> list[Edge]:
    """The imports of the modules in `sources` (module name to bytes), external ones included.

    A module grimp cannot parse is left out: its syntax error is the quality check's to report."""
    pending = dict(sources)
    while True:
        try:
            return _scan_once(side, pending)
        except SourceSyntaxError as exc:
            bad = [m for m in pending if exc.filename.endswith("/" + side.paths[m])]
            if not bad:
                raise
            for module in bad:
                del pending[module]


def _scan_once(side: Side, sources: Mapping[str, bytes]) -> list[Edge]:
    if not sources:
        return []
    # The in-memory file system tidies what it holds as `inspect.cleandoc` tidies a docstring:
    # the first line apart, the rest dedented. A comment line in front keeps every source line as
    # it is (a module always has a line at column 0), and the line numbers are shifted back below.
    files = FakeBasicFileSystem(
        content_map={
            f"{ROOT}/{side.paths[m]}": "#\n" + data.decode("utf-8", "replace")
            for m, data in sources.items()
        }
    )
    wanted = tuple(ModuleFile(module=Module(m), mtime=0.0) for m in sources)
    found = scan_for_imports(
        module_files=wanted,
        found_packages=_found_packages(side),
        include_external_packages=True,
        exclude_type_checking_imports=False,
        file_system=files,
    )
    edges = [
        (d.importer.name, d.imported.name, d.line_number - 1, d.line_contents)
        for imports in found.values()
        for d in imports
    ]
    return sorted(edges)


def _resolved_anew(side: Side, base: Side, base_edges: list[Edge], changed: set[str]) -> list[str]:
    """Unchanged modules whose imports may resolve differently now: `from pkg import name` names
    an attribute of `pkg` at base and the module `pkg.name` once the change adds `pkg/name.py`, so
    importers of an added module's package are scanned again, not taken from the base."""
    parents = {m.rpartition(".")[0] for m in side.paths if m not in base.paths}
    parents.discard("")
    again = {a for a, b, _, _ in base_edges if b in parents and a in side.paths}
    return sorted(again - changed)


def side_edges(
    side: Side,
    read: Callable[[list[str]], Mapping[str, bytes]],
    memo: Memo,
    reuse: tuple[Side, list[Edge]] | None = None,
) -> list[Edge]:
    """Every import of `side`, cached by its digest. With `reuse` (the base and its imports), only
    the modules whose blob differs from the base are read and scanned again."""

    def compute() -> list[Edge]:
        if reuse is None:
            changed = list(side.paths)
            kept: list[Edge] = []
        else:
            base, base_edges = reuse
            changed = [m for m in side.paths if base.blobs.get(m) != side.blobs[m]]
            changed += _resolved_anew(side, base, base_edges, set(changed))
            gone = set(changed) | (set(base.paths) - set(side.paths))
            kept = [e for e in base_edges if e[0] not in gone]
        data = read([side.paths[m] for m in changed])
        sources = {m: data[side.paths[m]] for m in changed if side.paths[m] in data}
        return sorted([*kept, *scan(side, sources)])

    stored = memo(["architecture-imports", side.digest()], compute)
    return [(str(a), str(b), int(n), str(t)) for a, b, n, t in stored]


def build(side: Side, edges: list[Edge]) -> grimp.ImportGraph:
    """An import graph of the side's modules; modules outside them are external (squashed)."""
    graph = grimp.ImportGraph()
    for module in [*side.paths, *sorted(namespaces(side.paths))]:
        graph.add_module(module)
    external: set[str] = set()
    internal = set(side.paths) | namespaces(side.paths)
    for importer, imported, line, text in edges:
        if imported not in internal and imported.split(".")[0] in side.dirs:
            continue  # a module the tree does not have: nothing to depend on
        if imported not in internal and imported not in external:
            graph.add_module(imported, is_squashed=True)
            external.add(imported)
        graph.add_import(importer=importer, imported=imported, line_number=line, line_contents=text)
    return graph
