"""Cyclomatic complexity (radon) of the functions a change touches, not of the whole module.

A function's complexity can only grow where the change adds lines, so the head is measured on the
definitions whose lines (decorators included) meet an added line, and the base on the definitions
with the same qualified names: what the growth and new-function rules compare. On a large module
with a small change this visits a few functions instead of thousands of nodes; radon's visitor was
the largest part of the quality check on a cold gate.

Pruning keeps radon's view of what it is given: a kept class is a shallow copy holding only its
kept members (nested classes pruned the same way), and a kept function is the original node with
its closures. A statement other than a definition at module level (an `if` holding functions, for
instance) is kept whole when its lines meet the change, and its functions are measured by name on
the base too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection
from typing import Any

from crewchief.gate.analysis.pysource import parse

Complexities = dict[str, tuple[int, int]]
"""Qualified function name to (complexity, line)."""

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _span(node: ast.stmt) -> range:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    return range(start, (node.end_lineno or node.lineno) + 1)


def _inner_defs(node: ast.stmt) -> set[str]:
    return {n.name for n in ast.walk(node) if isinstance(n, _DEFS)}


def _prune(
    body: list[ast.stmt], prefix: str, keep: Callable[[ast.stmt, str], bool], kept: set[str]
) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.ClassDef):
            inner = _prune(node.body, f"{prefix}{node.name}.", keep, kept)
            if inner:
                copy = ast.ClassDef(
                    name=node.name,
                    bases=node.bases,
                    keywords=node.keywords,
                    body=inner,
                    decorator_list=node.decorator_list,
                )
                if hasattr(node, "type_params"):  # Python 3.12+
                    copy.type_params = node.type_params  # type: ignore[attr-defined]
                out.append(ast.copy_location(copy, node))
        elif isinstance(node, _DEFS):
            if keep(node, prefix + node.name):
                kept.add(prefix + node.name)
                out.append(node)
        elif not prefix and keep(node, ""):
            kept.update(_inner_defs(node))
            out.append(node)
    return out


def touched(text: str, lines: Collection[int]) -> tuple[Complexities, set[str]]:
    """The complexities of the definitions that meet `lines`, and their names (for `named`)."""
    kept: set[str] = set()

    def meets(node: ast.stmt, _name: str) -> bool:
        span = _span(node)
        return any(line in span for line in lines)

    return _measure(text, meets, kept), kept


def named(text: str, names: Collection[str]) -> Complexities:
    """The complexities of the definitions called `names` (as `touched` returned them)."""

    def called(node: ast.stmt, name: str) -> bool:
        if name:
            return name in names
        return bool(_inner_defs(node) & set(names))

    return _measure(text, called, set())


def _measure(text: str, keep: Callable[[ast.stmt, str], bool], kept: set[str]) -> Complexities:
    from radon.complexity import cc_visit_ast

    try:
        tree = parse(text)  # the tree the other checks share: pruning copies, never mutates it
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    pruned = ast.Module(body=_prune(tree.body, "", keep, kept), type_ignores=[])
    if not pruned.body:
        return {}
    try:
        blocks = cc_visit_ast(pruned)
    except RecursionError:
        return {}
    result: Complexities = {}

    def visit(block: Any, prefix: str) -> None:
        name = f"{prefix}{block.name}"
        if getattr(block, "letter", "") in ("F", "M"):
            result[name] = (int(block.complexity), int(block.lineno))
        for inner in getattr(block, "closures", []) or []:
            visit(inner, f"{name}.")
        for method in getattr(block, "methods", []) or []:
            visit(method, f"{name}.")
        for inner_class in getattr(block, "inner_classes", []) or []:
            visit(inner_class, f"{name}.")

    for block in blocks:
        if getattr(block, "letter", "") == "M":
            continue  # methods are reached through their class
        visit(block, "")
    return result
