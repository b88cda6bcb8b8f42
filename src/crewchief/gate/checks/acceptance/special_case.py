"""Added code that special-cases the acceptance test's own inputs.

An agent that cannot fix a function sometimes makes the test pass by recognising its input:
`if s == "ABCDEFG": return ...`, or a lookup table keyed on the test's arguments. Pass-to-pass and
coverage cannot see this when the special case covers exactly what the suite runs, so this looks at
the code itself: a comparison, membership test or dictionary key in added non-test code whose
constant(s) all appear as literals in the acceptance tests. It is a strong hint, not a proof (a fix
may legitimately compare with a value the test also uses), so it asks for review and never blocks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crewchief.gate.change import FileChange

_TRIVIAL = frozenset({0, 1, 2, -1, None, ""})


@dataclass(frozen=True)
class Suspect:
    path: str
    line: int
    value: str


def _constant(node: ast.AST) -> object | None:
    """A constant or a tuple/list/set of constants, as a hashable value; None otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    ):
        value = node.operand.value
        return -value if isinstance(value, int | float) else None
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_constant(e) for e in node.elts]
        if items and all(i is not None for i in items):
            return tuple(items)
    return None


def _atoms(value: object) -> list[object]:
    return [a for v in value for a in _atoms(v)] if isinstance(value, tuple) else [value]


def _distinctive(value: object) -> bool:
    atoms = _atoms(value)
    if isinstance(value, str):
        return len(value) >= 3
    if isinstance(value, tuple):
        return len(atoms) >= 2 and not all(a in _TRIVIAL for a in atoms)
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 100


def test_literals(sources: Iterable[str]) -> set[object]:
    """Every constant atom in the acceptance tests' source."""
    found: set[object] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
                found.add(node.value)
                if isinstance(node.value, str):
                    found.update(part for part in node.value.split() if len(part) >= 3)
    return found


def test_sources(root: Path, node_ids: Iterable[str]) -> list[str]:
    """The source of the test functions (or files) that the acceptance node ids name."""
    out: list[str] = []
    for node in node_ids:
        parts = node.split("::")
        path = root / parts[0]
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if len(parts) == 1:
            out.append(text)
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        wanted = parts[-1].split("[", 1)[0]
        for item in ast.walk(tree):
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == wanted:
                out.append(ast.get_source_segment(text, item) or "")
    return out


def suspects(files: Iterable[FileChange], literals: set[object]) -> list[Suspect]:
    found: list[Suspect] = []
    for file in files:
        if file.new is None or file.new.text is None or not file.added_lines:
            continue
        try:
            tree = ast.parse(file.new.text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        added = file.added_line_numbers
        for node in ast.walk(tree):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Compare) and node.lineno in added:
                if any(
                    isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn | ast.Is)
                    for op in node.ops
                ):
                    candidates = [node.left, *node.comparators]
            elif isinstance(node, ast.Dict) and node.lineno in added:
                candidates = [k for k in node.keys if k is not None]
            elif (
                isinstance(node, ast.match_case)
                and node.pattern
                and getattr(node.pattern, "lineno", 0) in added
            ):
                candidates = [node.pattern]
            for candidate in candidates:
                value = _constant(candidate)
                if value is None and isinstance(candidate, ast.MatchValue):
                    value = _constant(candidate.value)
                if value is None or not _distinctive(value):
                    continue
                atoms = _atoms(value)
                if isinstance(value, str) and value not in literals:
                    continue
                if not isinstance(value, str) and not all(
                    a in literals or a in _TRIVIAL for a in atoms
                ):
                    continue
                found.append(
                    Suspect(
                        file.path,
                        getattr(candidate, "lineno", node.lineno if hasattr(node, "lineno") else 0),
                        repr(value)[:80],
                    )
                )
    return found
