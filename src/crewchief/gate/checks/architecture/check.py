"""The `architecture` check: import contracts a change must not break.

The contracts (import-linter's `forbidden`, `layers`, `independence`, `acyclic_siblings`) are
checked by import-linter on grimp graphs of the base and the head tree. Only what the change
introduces is reported: a chain that breaks a contract at head counts when one of its links is an
import the base does not have, so an old violation stays quiet and a new way to break the same
contract does not.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

import grimp

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.checks.architecture import contracts as contract_lib
from crewchief.gate.checks.architecture import graph as graph_lib
from crewchief.gate.checks.architecture import packages
from crewchief.gate.checks.architecture.contracts import Contracts, Violation
from crewchief.gate.checks.architecture.rules import NAME, RULE_BY_TYPE, RULES
from crewchief.gate.findings import Finding, RuleTable, fingerprint
from crewchief.gate.trees import SideFiles, base_files, head_files, read_side


@dataclass(frozen=True)
class Graphs:
    base: grimp.ImportGraph
    head: grimp.ImportGraph
    head_side: graph_lib.Side
    new_edges: frozenset[tuple[str, str]]


def contracts_at_base(ctx: CheckContext, base: SideFiles) -> Contracts | None:
    """The contracts in force, read from the base so a change cannot rewrite them."""
    files = read_side(ctx.change, base, contract_lib.CONFIG_FILES)
    return contract_lib.in_force(ctx.policy, files)


def side_of(files: SideFiles, roots: Iterable[str]) -> graph_lib.Side:
    dirs = packages.package_dirs(files.blobs, list(roots))
    paths = packages.modules(files.blobs, dirs)
    return graph_lib.Side(dirs, paths, {m: files.blobs[p] for m, p in paths.items()})


def touches_packages(change: Change, base: graph_lib.Side, head: graph_lib.Side) -> bool:
    """Whether any Python file the change adds, edits or removes is a module of the graph."""
    for file in change.files:
        for side, graph_side in ((file.old, base), (file.new, head)):
            if side is not None and packages.module_of(side.path, graph_side.dirs) is not None:
                return True
    return False


def graphs(
    ctx: CheckContext,
    base: SideFiles,
    head: SideFiles,
    roots: Iterable[str],
    sides: tuple[graph_lib.Side, graph_lib.Side] | None = None,
) -> Graphs:
    """Both sides' graphs; the head's reuses the base's scan for the modules it did not change."""
    roots = list(roots)
    base_side, head_side = sides or (side_of(base, roots), side_of(head, roots))

    def reader(files: SideFiles) -> Callable[[list[str]], Mapping[str, bytes]]:
        return lambda paths: read_side(ctx.change, files, paths)

    base_edges = graph_lib.side_edges(base_side, reader(base), ctx.memo)
    head_edges = graph_lib.side_edges(
        head_side, reader(head), ctx.memo, reuse=(base_side, base_edges)
    )
    new = {(a, b) for a, b, _, _ in head_edges} - {(a, b) for a, b, _, _ in base_edges}
    return Graphs(
        graph_lib.build(base_side, base_edges),
        graph_lib.build(head_side, head_edges),
        head_side,
        frozenset(new),
    )


def _named_packages(specs: Iterable[contract_lib.ContractSpec]) -> set[str]:
    """The top-level package of every dotted name in the contracts' options (layers, sources,
    forbidden modules, ignored imports): what a new import must reach for a contract to see it."""
    found: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.update(m.group(1) for m in _NAME.finditer(value))
        elif isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, Iterable):
            for item in value:
                collect(item)

    for spec in specs:
        collect(spec.options)
    return found


_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_*]+)*")


def may_break(
    ctx: CheckContext,
    found: Contracts,
    files: tuple[SideFiles, SideFiles],
    sides: tuple[graph_lib.Side, graph_lib.Side],
) -> bool:
    """Whether the change adds an import that a contract could see, judged from the changed
    modules alone, so a change that adds none skips scanning the whole tree twice.

    Every finding needs a new import (a chain link the base lacks, or an extra cycle). When both
    sides have the same modules, an unchanged module's imports resolve the same way on both, so
    the new imports are those of the changed modules. A new import of a package no contract
    names, outside the graph's own packages, ends a chain no contract follows. A change that adds,
    removes or renames a module (which can change how unchanged imports resolve) takes the full
    path."""
    base_side, head_side = sides
    if base_side.paths != head_side.paths or base_side.dirs != head_side.dirs:
        return True
    changed = [m for m in head_side.paths if base_side.blobs[m] != head_side.blobs[m]]
    wanted = [head_side.paths[m] for m in changed]
    edges = []
    for side_files, graph_side in zip(files, sides, strict=True):
        data = read_side(ctx.change, side_files, wanted)
        sources = {m: data[graph_side.paths[m]] for m in changed if graph_side.paths[m] in data}
        edges.append({(a, b) for a, b, _, _ in graph_lib.scan(graph_side, sources)})
    new = edges[1] - edges[0]
    seen = _named_packages(found.specs) | set(head_side.dirs)
    return any(imported.split(".")[0] in seen for _, imported in new)


def _message(violation: Violation, link: contract_lib.Link, more: int) -> str:
    spec = violation.contract
    text = f"contract '{spec.name}' ({spec.type}): {link[0]} imports {link[1]}"
    if len(violation.chain) > 1:
        text += f", completing the chain {' -> '.join(violation.modules)}"
    if more:
        text += f" (and {more} more chain{'s' if more > 1 else ''} through this import)"
    return text


def _finding(
    ctx: CheckContext, violation: Violation, link: contract_lib.Link, g: Graphs, more: int = 0
) -> Finding:
    spec = violation.contract
    rule = RULES[RULE_BY_TYPE[spec.type]]
    blocking = rule.blocking and ctx.policy.architecture.violation == "block"
    return rule.finding(
        _message(violation, link, more),
        path=g.head_side.paths.get(link[0]),
        line=link[2],
        blocking=blocking,
        fingerprint=fingerprint(spec.name, *violation.modules),
    )


def _cycle_findings(
    ctx: CheckContext, spec: contract_lib.ContractSpec, roots: tuple[str, ...], g: Graphs
) -> list[Finding]:
    """New imports that close a cycle between siblings, when the head needs more cycle breakers
    than the base (import-linter may nominate an old import as the one to break)."""
    contract = contract_lib.build(spec, roots)
    before = contract_lib.check(contract, spec, g.base)
    after = contract_lib.check(contract, spec, g.head)
    if len(after) <= len(before):
        return []
    found = []
    for importer, imported in sorted(g.new_edges):
        if imported not in g.head_side.paths:
            continue
        back = g.head.find_shortest_chain(importer=imported, imported=importer)
        if back is None:
            continue
        details = g.head.get_import_details(importer=importer, imported=imported)
        line = min((d["line_number"] for d in details), default=None)
        link = (importer, imported, line)
        found.append(_finding(ctx, Violation(spec, (link, *_links_of(back))), link, g))
    return found


def _links_of(chain: tuple[str, ...]) -> tuple[contract_lib.Link, ...]:
    return tuple((a, b, None) for a, b in itertools.pairwise(chain))


def contract_findings(
    ctx: CheckContext, found: Contracts, roots: tuple[str, ...], g: Graphs
) -> list[Finding]:
    result: list[Finding] = []
    for spec in found.specs:
        if spec.type == "acyclic_siblings":
            result.extend(_cycle_findings(ctx, spec, roots, g))
            continue
        contract = contract_lib.build(spec, roots)
        known = {v.modules for v in contract_lib.check(contract, spec, g.base)}
        by_import: dict[tuple[str, str], list[tuple[Violation, contract_lib.Link]]] = {}
        for violation in contract_lib.check(contract, spec, g.head):
            fresh = [link for link in violation.chain if (link[0], link[1]) in g.new_edges]
            if fresh and violation.modules not in known:
                by_import.setdefault(fresh[0][:2], []).append((violation, fresh[0]))
        for chains in by_import.values():
            # one finding per new import: the shortest chain it completes, and how many more
            violation, link = min(chains, key=lambda c: (len(c[0].chain), c[0].modules))
            result.append(_finding(ctx, violation, link, g, len(chains) - 1))
    return result


class ArchitectureCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "2"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        base, head = base_files(ctx.change), head_files(ctx.change)
        if base is None or head is None:
            raise CheckSkipped("the change was read without its base tree")
        found = contracts_at_base(ctx, base)
        if found is None or not found.specs:
            raise CheckSkipped(
                "no import contracts: add [[architecture.contracts]] to crewchief.toml "
                "(`crewchief architecture suggest` proposes some)"
            )
        roots = found.roots or tuple(packages.top_level_packages(base.blobs))
        if not packages.package_dirs(base.blobs, list(roots)):
            raise CheckSkipped(
                f"none of the contracts' packages is in the tree: {', '.join(roots)}"
            )
        sides = side_of(base, roots), side_of(head, roots)
        if not touches_packages(ctx.change, *sides):
            ctx.details.append(
                f"{len(found.specs)} contract(s) from {found.source}; no module changed"
            )
            return []
        ctx.details.append(f"{len(found.specs)} contract(s) from {found.source}")
        if not may_break(ctx, found, (base, head), sides):
            ctx.details.append("the change adds no import a contract can see")
            return []
        g = graphs(ctx, base, head, roots, sides)
        return contract_findings(ctx, found, roots, g)


CHECK = ArchitectureCheck()
