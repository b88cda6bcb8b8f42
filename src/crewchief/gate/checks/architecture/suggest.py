"""Read a package's design off its import graph: layers, imports between parts, contracts that hold.

`crewchief architecture suggest` and `show` use this to write down a design that so far lives in
people's heads. The parts are the root package's direct children; the layers are the levels of
their dependency order (what a part reaches, directly or through other modules, is below it),
parts that reach each other share a layer (`a : b`) and parts on one level that never meet are
independent (`a | b`). Every contract proposed is checked by import-linter on the same graph
before it is printed, so what is suggested holds today.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import grimp

from crewchief import git
from crewchief.errors import UserError
from crewchief.gate.cache import NullCache
from crewchief.gate.checks.architecture import contracts as contract_lib
from crewchief.gate.checks.architecture import graph as graph_lib
from crewchief.gate.checks.architecture import packages
from crewchief.gate.trees import GitBaseTree

MAX_FORBIDDEN = 6
"""Proposals of each kind beyond this many bury the useful ones."""


@dataclass(frozen=True)
class Design:
    root: str
    side: graph_lib.Side
    graph: grimp.ImportGraph
    edges: tuple[graph_lib.Edge, ...]
    layers: tuple[tuple[tuple[str, ...], ...], ...]
    """Top layer first; each layer a tuple of groups; a group of several parts reach each other."""
    counts: Mapping[tuple[str, str], int]
    """Import statements from one part to another."""


def load_tree(repo: Path, rev: str, roots: Sequence[str], cache: NullCache) -> dict[str, Design]:
    """The design of each root package at `rev`; an unknown package is a one-line error."""
    tree = GitBaseTree(repo, git.resolve_commit(repo, rev))
    files = tree.files()
    found = packages.top_level_packages(files)
    names = list(roots) or found
    dirs = packages.package_dirs(files, names)
    missing = [n for n in names if n not in dirs]
    if missing or not names:
        known = ", ".join(found) or "none"
        what = f"no package '{missing[0]}'" if missing else "no Python package"
        raise UserError(f"{what} at the repository root or under src/ (found: {known})")
    paths = packages.modules(files, dirs)
    side = graph_lib.Side(dirs, paths, {m: files[p] for m, p in paths.items()})

    def read(wanted: list[str]) -> dict[str, bytes]:
        blobs = tree.read(files[p] for p in wanted)
        return {p: blobs[files[p]] for p in wanted if files[p] in blobs}

    edges = graph_lib.side_edges(side, read, cache.memo)
    graph = graph_lib.build(side, edges)
    return {name: design(name, side, graph, edges) for name in names}


def part_of(module: str, root: str) -> str | None:
    """The root's direct child that holds `module` (None for the root itself or other packages)."""
    parts = module.split(".")
    if parts[0] != root or len(parts) < 2:
        return None
    return f"{root}.{parts[1]}"


def design(
    root: str, side: graph_lib.Side, graph: grimp.ImportGraph, edges: list[graph_lib.Edge]
) -> Design:
    children = sorted(graph.find_children(root))
    counts: Counter[tuple[str, str]] = Counter()
    for importer, imported, _, _ in edges:
        a, b = part_of(importer, root), part_of(imported, root)
        if a and b and a != b:
            counts[a, b] += 1
    reach = _closure(root, children, edges)
    return Design(root, side, graph, tuple(edges), _layers(children, reach), dict(counts))


def _closure(root: str, children: list[str], edges: list[graph_lib.Edge]) -> set[tuple[str, str]]:
    """Which part reaches which, through the parts and the root package's own module.

    Reachability between packages is taken on the graph of parts, not as `chain_exists` between
    each pair: "some module of a reaches some module of b" is not transitive, and an order built on
    it can loop. The graph of parts over-approximates the modules' chains, so a layer order read
    off it is one the modules keep too."""
    direct: dict[str, set[str]] = {c: set() for c in [*children, root]}
    for importer, imported, _, _ in edges:
        a = part_of(importer, root) or (root if importer == root else None)
        b = part_of(imported, root) or (root if imported == root else None)
        if a and b and a != b and a in direct and b in direct:
            direct[a].add(b)
    reach: set[tuple[str, str]] = set()
    for start, first in direct.items():
        seen: set[str] = set()
        todo = list(first)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(direct[node])
        reach.update((start, node) for node in seen if node != start)
    return reach


def _layers(
    children: list[str], reach: set[tuple[str, str]]
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Levels of the dependency order, top first; parts that reach each other form one group."""
    groups: list[tuple[str, ...]] = []
    for child in children:
        if not any(child in g for g in groups):
            groups.append(
                tuple(c for c in children if c == child or {(child, c), (c, child)} <= reach)
            )
    level: dict[tuple[str, ...], int] = {}

    def level_of(group: tuple[str, ...]) -> int:
        if group not in level:
            lower = [level_of(g) for g in groups if g != group and (group[0], g[0]) in reach]
            level[group] = 1 + max(lower, default=-1)
        return level[group]

    for group in groups:
        level_of(group)
    top = max(level.values(), default=-1)
    return tuple(tuple(g for g in groups if level[g] == n) for n in range(top, -1, -1))


def layer_expression(layer: Sequence[Sequence[str]]) -> str:
    """import-linter's text for one layer: `a | b` independent, `a : b` may import each other."""
    return " | ".join(" : ".join(group) for group in layer)


def layers_contract(d: Design) -> contract_lib.ContractSpec | None:
    if len(d.layers) < 2:
        return None
    layers = [layer_expression(layer) for layer in d.layers]
    return contract_lib.ContractSpec(f"{d.root} layers", "layers", {"layers": layers})


def _flat(d: Design) -> list[tuple[int, str]]:
    return [(n, part) for n, layer in enumerate(d.layers) for g in layer for part in g]


def _size(d: Design, part: str) -> int:
    return sum(1 for m in d.side.paths if m == part or m.startswith(part + "."))


def forbidden_contracts(d: Design) -> list[contract_lib.ContractSpec]:
    """Parts that do not reach a part two or more layers below yet, largest parts first (a
    boundary between two big subpackages is a design decision; one around a lone module is
    usually an accident; private modules such as `_version` and `__main__` are left out), and
    third-party packages only a few parts use."""
    proposals: list[tuple[int, str, str]] = []
    flat = _flat(d)
    public = [(n, part) for n, part in flat if not part.rsplit(".", 1)[-1].startswith("_")]
    for high, a in public:
        for low, b in public:
            if low > high + 1 and not d.graph.chain_exists(
                importer=a, imported=b, as_packages=True
            ):
                proposals.append((-_size(d, a) * _size(d, b), a, b))
    chosen = [
        contract_lib.ContractSpec(
            f"{a} does not import {b}",
            "forbidden",
            {"source_modules": [a], "forbidden_modules": [b]},
        )
        for _, a, b in sorted(proposals)[:MAX_FORBIDDEN]
    ]
    return chosen + _external_contracts(d, [part for _, part in flat])


def _external_contracts(d: Design, parts: list[str]) -> list[contract_lib.ContractSpec]:
    """Third-party packages one or two parts import: the others may reach them only through
    those parts (the adapter stays the one place that knows the library)."""
    users: dict[str, set[str]] = {}
    for importer, imported, _, _ in d.edges:
        part = part_of(importer, d.root)
        top = imported.split(".")[0]
        if (
            part
            and top not in d.side.dirs
            and top not in sys.stdlib_module_names
            and not top.startswith("_")
        ):
            users.setdefault(top, set()).add(part)
    found = []
    for external, using in sorted(users.items(), key=lambda kv: (len(kv[1]), kv[0])):
        others = [p for p in parts if p not in using]
        if len(using) <= 2 and len(others) >= 2:
            found.append(
                contract_lib.ContractSpec(
                    f"only {' and '.join(sorted(using))} import {external}",
                    "forbidden",
                    {
                        "source_modules": others,
                        "forbidden_modules": [external],
                        "allow_indirect_imports": "true",
                    },
                )
            )
    return found[:MAX_FORBIDDEN]


def holds(spec: contract_lib.ContractSpec, d: Design) -> bool:
    contract = contract_lib.build(spec, [d.root])
    return not contract_lib.check(contract, spec, d.graph)


def suggestions(d: Design) -> list[contract_lib.ContractSpec]:
    """Contracts that hold on the graph today, checked by import-linter."""
    found = [c for c in [layers_contract(d), *forbidden_contracts(d)] if c is not None]
    return [c for c in found if holds(c, d)]


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        if len(value) <= 1:
            return "[" + ", ".join(_toml_value(v) for v in value) + "]"
        return "[\n" + "".join(f"    {_toml_value(v)},\n" for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_toml(specs: Sequence[contract_lib.ContractSpec], roots: Sequence[str], where: str) -> str:
    """A crewchief.toml snippet the lead edits and commits."""
    lines = [
        f"# Import contracts that hold at {where}, proposed by `crewchief architecture suggest`.",
        "# Keep the ones that state the design, delete the accidents, commit to crewchief.toml:",
        "# the architecture check then holds every change to them.",
        "[architecture]",
        f"packages = {_toml_value(list(roots))}",
    ]
    for spec in specs:
        lines += ["", "[[architecture.contracts]]", f"name = {_toml_value(spec.name)}"]
        lines.append(f"type = {_toml_value(spec.type)}")
        lines += [f"{key} = {_toml_value(value)}" for key, value in spec.options.items()]
    return "\n".join(lines) + "\n"
