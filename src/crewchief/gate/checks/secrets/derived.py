"""Secrets no single physical line shows: values built by the code, and values JSON hides.

The line scanner reads what is written on one line. An agent (or a person hiding a key from a
scanner) writes `"ghp_" + "Xk2..."`, splits a token over two lines with implicit concatenation,
passes `auth=("deploy", "p4ssw0rd!")` where no name says "password", or commits a notebook whose
cells are JSON strings with escaped quotes (`api_key = \\"sk-...\\"`). Here the Python AST folds
string constants (concatenation, implicit concatenation, f-strings without fields, `"".join` of
constants, module-level names bound to those) and notebook cells are unescaped; each result becomes
a synthetic line `name = "value"` that the ordinary scanner grades, reported at the real line.
Values written whole on one line are left to the line scanner, so nothing is reported twice.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from crewchief.gate.analysis.pysource import parse as parse_python

_AUTH_CALLS = frozenset({"HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth", "BasicAuth", "Auth"})
_MAYBE = re.compile(
    r"[\"']\s*\+|\+\s*[rbuf]?[\"']|auth\w*\s*=|Auth\(|[\"']\.join\(|^\s*[rbuf]?(?:\"(?!\"\")|'(?!''))"
)
"""Added lines worth parsing a file for: concatenation, credential tuples, implicit concatenation."""
_MAX_DEPTH = 12
_Place = Callable[[int], int]
"""Maps a line of the parsed source to the line of the file a finding points at."""


@dataclass(frozen=True)
class Derived:
    line: int
    text: str
    """A synthetic `name = "value"` line (or a quoted value alone) for the line scanner."""


def derived_lines(path: str, text: str, added: frozenset[int]) -> list[Derived]:
    """Synthetic lines for values built across tokens or lines that touch the added lines."""
    if path.endswith(".ipynb"):
        return _notebook(text, added)
    if not path.endswith(".py"):
        return []
    lines = text.splitlines()
    if any(_MAYBE.search(lines[n - 1]) for n in added if 0 < n <= len(lines)):
        return list(_python(text, added, lambda n: n))
    return []


# --- Python ------------------------------------------------------------------------------------


def fold(node: ast.expr, names: dict[str, ast.expr], depth: int = 0) -> str | None:
    """The string a constant expression evaluates to, or None when it depends on run time."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left, names, depth + 1), fold(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [fold(v, names, depth + 1) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if isinstance(node, ast.Name) and node.id in names:
        return fold(names[node.id], names, depth + 1)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List | ast.Tuple)
    ):
        sep = fold(node.func.value, names, depth + 1)
        parts = [fold(e, names, depth + 1) for e in node.args[0].elts]
        if sep is None or any(p is None for p in parts):
            return None
        return sep.join(p or "" for p in parts)
    return None


def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _bindings(tree: ast.Module) -> dict[str, ast.expr]:
    names: dict[str, ast.expr] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            names[node.targets[0].id] = node.value
    return names


def _credential_pair(node: ast.expr, names: dict[str, ast.expr]) -> str | None:
    """The password of `("user", "pw")`: two constant strings, the second one the secret."""
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) == 2:
        user, password = (fold(e, names) for e in node.elts)
        if user is not None and password is not None:
            return password
    return None


def _candidates(tree: ast.Module, names: dict[str, ast.expr]) -> Iterator[tuple[ast.AST, str, str]]:
    """(node, name, value): assignments, keywords, dict entries and credential pairs."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _target_name(target)
                value = fold(node.value, names)
                if name is not None and value is not None:
                    yield node.value, name, value
        elif isinstance(node, ast.Dict):
            for key, item in zip(node.keys, node.values, strict=True):
                value = fold(item, names)
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and value is not None
                ):
                    yield item, key.value, value
        elif isinstance(node, ast.Call):
            yield from _call_candidates(node, names)


def _call_candidates(
    node: ast.Call, names: dict[str, ast.expr]
) -> Iterator[tuple[ast.AST, str, str]]:
    for kw in node.keywords:
        if kw.arg is None:
            continue
        pair = _credential_pair(kw.value, names) if "auth" in kw.arg.lower() else None
        if pair is not None:
            yield kw.value, "password", pair
        elif (value := fold(kw.value, names)) is not None:
            yield kw.value, kw.arg, value
    func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if func in _AUTH_CALLS and len(node.args) >= 2:
        password = fold(node.args[1], names)
        if password is not None and fold(node.args[0], names) is not None:
            yield node.args[1], "password", password


def _python(text: str, added: frozenset[int], place: _Place) -> Iterator[Derived]:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    names = _bindings(tree)
    lines = text.splitlines()
    seen: set[str] = set()
    for node, name, value in _candidates(tree, names):
        first = getattr(node, "lineno", 0)
        last = getattr(node, "end_lineno", first) or first
        if not added.intersection(place(n) for n in range(first, last + 1)):
            continue
        whole = 0 < first <= len(lines) and value in lines[first - 1] and first == last
        pair = name == "password" and isinstance(node, ast.Tuple | ast.List | ast.Constant)
        # a bare name's value is reported where it is bound, once
        if (whole and not pair) or isinstance(node, ast.Name) or not value or value in seen:
            continue
        seen.add(value)
        quoted = json.dumps(value)[1:-1].replace('"', "'")
        yield Derived(place(first), f'{name} = "{quoted}"')


# --- notebooks ---------------------------------------------------------------------------------


def _notebook(text: str, added: frozenset[int]) -> list[Derived]:
    """Code cells unescaped: each source line scanned as written, and the cell's Python folded."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return []
    raw = text.splitlines()
    cursor = 0
    out: list[Derived] = []
    for cell in cells:
        source = cell.get("source") if isinstance(cell, dict) else None
        pieces = source if isinstance(source, list) else [source] if isinstance(source, str) else []
        places: list[int] = []
        for piece in (p for p in pieces if isinstance(p, str)):
            cursor = _find(raw, json.dumps(piece)[1:-1], cursor)
            places.extend(
                [cursor + 1] * max(1, piece.count("\n") + (0 if piece.endswith("\n") else 1))
            )
        body = "".join(p for p in pieces if isinstance(p, str))
        for number, line in enumerate(body.splitlines(), 1):
            where = places[number - 1] if number <= len(places) else 0
            if where in added and ("\\" in raw[where - 1] if 0 < where <= len(raw) else False):
                out.append(Derived(where, line))
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and places:
            out.extend(_python(body, added, _placer(places)))
    return out


def _placer(places: list[int]) -> _Place:
    def place(number: int) -> int:
        return places[min(max(number, 1), len(places)) - 1]

    return place


def _find(lines: list[str], needle: str, start: int) -> int:
    """The index of the next raw JSON line holding the escaped source piece."""
    probe = needle[:200]
    for index in range(start, len(lines)):
        if probe in lines[index]:
            return index
    return start
