"""Whether an edit can touch a module's interface at all, read off the ASTs the gate already has.

griffe models every module the change touches, twice; on a change that only edits function bodies
(most agent changes) that is wasted work, and it is the api check's whole cost on a cold gate. An
edit can only break the interface through: a removed line that was part of a signature, a class or
function header, or a module- or class-level statement; an added line inside the header of a
function or class that existed before (a parameter inserted into a multi-line signature); or an
added module- or class-level statement that rebinds a name the scope already had. Anything else
(new functions, new imports of new names, bodies) leaves griffe's answer empty, so it is skipped.
When a side does not parse, the answer is yes: griffe decides.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from crewchief.gate.analysis import pysource

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ODD_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
"""Characters `str.splitlines` ends a line at and Python's tokenizer does not."""


@dataclass
class Shape:
    """Lines of one module that make its interface, and the names its scopes bind."""

    lines: set[int] = field(default_factory=set)
    """Headers of functions and classes (decorators to the line before the body) and every
    module- or class-level statement that is not a definition."""
    headers: list[tuple[int, range]] = field(default_factory=list)
    """(definition line, its header's lines) of every function and class."""
    statements: list[tuple[range, set[str]]] = field(default_factory=list)
    """(lines, names bound) of every module- or class-level statement that is not a definition."""
    names: set[str] = field(default_factory=set)
    """Every name bound at module or class level."""


def _bound(node: ast.stmt) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            yield sub.id
        elif isinstance(sub, ast.alias):
            yield (sub.asname or sub.name).split(".")[0]
        elif isinstance(sub, _DEFS):
            yield sub.name


def _walk(body: Iterable[ast.stmt], shape: Shape) -> None:
    for node in body:
        if isinstance(node, _DEFS):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            end = max(node.body[0].lineno - 1, node.lineno)
            header = range(start, end + 1)
            shape.lines.update(header)
            shape.headers.append((node.lineno, header))
            shape.names.add(node.name)
            if isinstance(node, ast.ClassDef):
                _walk(node.body, shape)
            continue
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        names = set(_bound(node))
        shape.lines.update(lines)
        shape.statements.append((lines, names))
        shape.names.update(names)


def shape(text: str) -> Shape | None:
    """The interface lines of a module's source, or None when it does not parse."""
    try:
        tree = pysource.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    found = Shape()
    _walk(tree.body, found)
    return found


def may_break(old_text: str, new_text: str, removed: set[int], added: set[int]) -> bool:
    """Whether the edit (removed lines of the old text, added lines of the new) can change the
    module's interface; see the module docstring for the rule."""
    if _ODD_BREAKS.search(old_text) or _ODD_BREAKS.search(new_text):
        return True  # the diff's line numbers (str.splitlines) and the AST's would disagree
    old, new = shape(old_text), shape(new_text)
    if old is None or new is None:
        return True
    if removed & old.lines:
        return True
    for def_line, header in new.headers:
        if def_line not in added and added.intersection(header):
            return True
    return any(added.intersection(lines) and names & old.names for lines, names in new.statements)
