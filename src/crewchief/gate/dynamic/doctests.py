"""The base's doctests on head's code: head's module with the base's docstrings put back.

A doctest is a test that lives in production code, so a change can edit the expected output in
the same docstring as the code it checks. For the base-oracle run, each docstring of head's
module that holds examples (`>>>`) and differs from the base's docstring of the same function,
class or module is replaced by the base's, byte for byte, and nothing else changes: pytest's
`--doctest-modules` then runs the base's examples against head's code. A docstring head deleted
is not put back (its examples show up as tests that disappeared).
"""

from __future__ import annotations

import ast

_Scoped = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _docstrings(tree: ast.Module) -> dict[str, tuple[ast.Constant, str]]:
    """Qualified name ('' for the module) to the docstring's string constant and its text."""
    found: dict[str, tuple[ast.Constant, str]] = {}

    def visit(node: _Scoped, name: str) -> None:
        body = node.body
        first = body[0] if body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            found[name] = (first.value, first.value.value)
        for child in body:
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, f"{name}.{child.name}" if name else child.name)

    visit(tree, "")
    return found


def _offsets(source: bytes) -> list[int]:
    """Byte offset of each line's start (ast's line numbers are 1-based, columns are bytes)."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _span(node: ast.Constant, starts: list[int]) -> tuple[int, int]:
    assert node.end_lineno is not None and node.end_col_offset is not None
    return starts[node.lineno - 1] + node.col_offset, starts[
        node.end_lineno - 1
    ] + node.end_col_offset


def _parse(source: bytes) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def with_base_doctests(base: bytes, head: bytes) -> bytes | None:
    """Head's source with the base's example-bearing docstrings; None when no docstring with
    examples changed (or either side does not parse)."""
    old_tree, new_tree = _parse(base), _parse(head)
    if old_tree is None or new_tree is None:
        return None
    old, new = _docstrings(old_tree), _docstrings(new_tree)
    old_starts, new_starts = _offsets(base), _offsets(head)
    swaps: list[tuple[int, int, bytes]] = []
    for name, (node, text) in new.items():
        if name not in old:
            continue
        before, was = old[name]
        if was == text or (">>>" not in was and ">>>" not in text):
            continue
        start, end = _span(before, old_starts)
        swaps.append((*_span(node, new_starts), base[start:end]))
    if not swaps:
        return None
    out = head
    for start, end, docstring in sorted(swaps, reverse=True):
        out = out[:start] + docstring + out[end:]
    return out
