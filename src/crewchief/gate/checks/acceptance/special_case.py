"""Added code that special-cases the acceptance test's own inputs.

An agent that cannot fix a function sometimes makes the test pass by recognising its input:
`if s == "ABCDEFG": return ...`, `if "quick brown fox" in text: return ...`,
`s.startswith("ABCDEFG")`, `case "ABCDEFG":`, or a lookup table keyed on the test's arguments.
Pass-to-pass and coverage cannot see this when the special case covers exactly what the suite runs,
so this looks at the code itself: in added non-test code,

- an equality (`==`, `!=`, `is`) or `match` case whose constant(s) all appear as literals in the
  acceptance tests;
- a membership test (`lit in x`), `startswith`/`endswith`/`find`/`re.search` whose needle is a test
  literal or most of one (`"Hello Worl" in s` when the test passes "Hello World!"), or whose
  constant container (`x in ("ABCDEFG", "XYZ")`) holds only test literals;
- a lookup table (`{...}[x]`, `{...}.get(x)`, `x in {...}`, or a dict bound to a name and then
  looked up with a computed key) whose keys are all test literals.

A dict literal that is never looked up (a payload, keyword arguments) does not count, and neither do
short literals ("", "-", single characters, small numbers, booleans, None): a literal must be
distinctive. It is a strong hint, not a proof (a fix may legitimately compare with a value the test
also uses), so it asks for review and never blocks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path

from crewchief.gate.change import FileChange

_TRIVIAL = frozenset({0, 1, 2, -1, None, ""})
_NEEDLE_METHODS = frozenset(
    {"startswith", "endswith", "find", "rfind", "index", "rindex", "removeprefix", "removesuffix"}
)
_REGEX_FUNCTIONS = frozenset({"search", "match", "fullmatch", "findall", "finditer"})
_LOOKUP_METHODS = frozenset({"get", "pop", "setdefault", "__getitem__"})
_FRAGMENT_MIN = 5
_LONG_FRAGMENT = 12

EQUAL = "compares against"
NEEDLE = "looks for"
TABLE = "looks up"


@dataclass(frozen=True)
class Suspect:
    path: str
    line: int
    value: str
    how: str = EQUAL
    """What the added code does with the literal: compares against, looks for, looks up."""


@dataclass(frozen=True)
class Literals:
    """The acceptance tests' constants: `atoms` (every constant, and each word of 3+ characters of
    a string constant) and `strings` (the string constants whole, for fragment matches)."""

    atoms: frozenset[object]
    strings: tuple[str, ...] = ()

    def equal(self, value: object) -> bool:
        """A distinctive constant (or tuple of constants) that the tests spell out."""
        if not _distinctive(value):
            return False
        if isinstance(value, str):
            return value in self.atoms
        return all(a in self.atoms or a in _TRIVIAL for a in _atoms(value))

    def fragment(self, value: object) -> bool:
        """A needle that is a test literal, or most of one, or a long piece of one."""
        if isinstance(value, tuple):
            return bool(value) and all(self.fragment(v) for v in value)
        if not isinstance(value, str):
            return self.equal(value)
        if self.equal(value):
            return True
        if len(value) < _FRAGMENT_MIN or not _wordy(value):
            return False
        return any(
            value in s and (len(value) >= _LONG_FRAGMENT or 3 * len(value) >= 2 * len(s))
            for s in self.strings
        )


def _wordy(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= 2


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
        return len(value) >= 3 and _wordy(value)
    if isinstance(value, tuple):
        return len(atoms) >= 2 and not all(a in _TRIVIAL for a in atoms)
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 100


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants in a tree (prose, not test data)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_literals(sources: Iterable[str]) -> Literals:
    """Every constant atom in the acceptance tests' source (docstrings aside)."""
    atoms: set[object] = set()
    strings: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        prose = _docstrings(tree)
        for node in ast.walk(tree):
            if id(node) in prose or not isinstance(node, ast.Constant):
                continue
            value = node.value
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                continue
            atoms.add(value)
            if isinstance(value, str):
                strings.add(value)
                atoms.update(part for part in value.split() if len(part) >= 3)
    return Literals(frozenset(atoms), tuple(sorted(strings)))


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


# What the added code does with a constant ----------------------------------------------------------

Candidate = tuple[ast.AST, str]
"""An expression that may be a constant and how it is used (EQUAL or NEEDLE), or a dict literal
looked up with a computed key (TABLE)."""


def _compare(node: ast.Compare, tables: dict[str, ast.Dict]) -> Iterator[Candidate]:
    operands = [node.left, *node.comparators]
    for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
        if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
            yield from ((left, EQUAL), (right, EQUAL))
        elif isinstance(op, ast.In | ast.NotIn):
            yield left, NEEDLE
            table = tables.get(_name(right)) if _constant(left) is None else None
            if isinstance(right, ast.Dict):
                yield right, TABLE
            elif table is not None:
                yield table, TABLE
            else:
                yield right, EQUAL


def _name(node: ast.AST) -> str:
    return ast.unparse(node) if isinstance(node, ast.Name | ast.Attribute) else ""


def _call(node: ast.Call, tables: dict[str, ast.Dict]) -> Iterator[Candidate]:
    func = node.func
    if not isinstance(func, ast.Attribute) or not node.args:
        return
    first = node.args[0]
    if func.attr in _NEEDLE_METHODS or (
        func.attr in _REGEX_FUNCTIONS and _name(func.value) in ("re", "regex")
    ):
        yield first, NEEDLE
    elif func.attr in _LOOKUP_METHODS and _constant(first) is None:
        table = func.value if isinstance(func.value, ast.Dict) else tables.get(_name(func.value))
        if table is not None:
            yield table, TABLE


def _subscript(node: ast.Subscript, tables: dict[str, ast.Dict]) -> Iterator[Candidate]:
    if not isinstance(node.ctx, ast.Load) or _constant(node.slice) is not None:
        return
    table = node.value if isinstance(node.value, ast.Dict) else tables.get(_name(node.value))
    if table is not None:
        yield table, TABLE


def _patterns(pattern: ast.pattern) -> Iterator[Candidate]:
    if isinstance(pattern, ast.MatchValue):
        yield pattern.value, EQUAL
    elif isinstance(pattern, ast.MatchOr):
        for alternative in pattern.patterns:
            yield from _patterns(alternative)
    elif isinstance(pattern, ast.MatchSequence) and all(
        isinstance(p, ast.MatchValue) for p in pattern.patterns
    ):
        values = [p.value for p in pattern.patterns if isinstance(p, ast.MatchValue)]
        yield ast.copy_location(ast.Tuple(elts=values, ctx=ast.Load()), pattern), EQUAL


def _added_tables(tree: ast.AST, added: Set[int]) -> dict[str, ast.Dict]:
    """Dict literals on added lines bound to a name (`TABLE = {...}`, `self._answers = {...}`)."""
    tables: dict[str, ast.Dict] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(value, ast.Dict) and value.lineno in added and _name(target):
            tables[_name(target)] = value
    return tables


def _candidates(node: ast.AST, tables: dict[str, ast.Dict]) -> Iterator[Candidate]:
    if isinstance(node, ast.Compare):
        yield from _compare(node, tables)
    elif isinstance(node, ast.Call):
        yield from _call(node, tables)
    elif isinstance(node, ast.Subscript):
        yield from _subscript(node, tables)
    elif isinstance(node, ast.match_case):
        yield from _patterns(node.pattern)


def _matches(value: object, how: str, literals: Literals) -> bool:
    if how == NEEDLE:
        return literals.fragment(value)
    return literals.equal(value)


def _table_suspect(
    path: str, table: ast.Dict, literals: Literals, added: Set[int]
) -> Suspect | None:
    """One suspect per lookup table whose keys are all test literals (one distinctive at least)."""
    if table.lineno not in added:
        return None
    keys = [_constant(k) for k in table.keys if k is not None]
    if not keys or any(k is None for k in keys):
        return None
    if not all(literals.equal(k) or k in _TRIVIAL for k in keys):
        return None
    shown = [repr(k) for k in keys if literals.equal(k)]
    if not shown:
        return None
    value = ", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "")
    return Suspect(path, table.lineno, value[:80], TABLE)


def _file_suspects(file: FileChange, tree: ast.AST, literals: Literals) -> list[Suspect]:
    added = file.added_line_numbers
    tables = _added_tables(tree, added)
    found: dict[tuple[int, str], Suspect] = {}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", getattr(getattr(node, "pattern", None), "lineno", 0))
        if line not in added:
            continue
        for candidate, how in _candidates(node, tables):
            if isinstance(candidate, ast.Dict):
                suspect = _table_suspect(file.path, candidate, literals, added)
                if suspect is not None:
                    found.setdefault((suspect.line, suspect.value), suspect)
                continue
            value = _constant(candidate)
            if value is None or not _matches(value, how, literals):
                continue
            at = getattr(candidate, "lineno", line)
            found.setdefault((at, repr(value)), Suspect(file.path, at, repr(value)[:80], how))
    return sorted(found.values(), key=lambda s: (s.line, s.value))


def parse_added(files: Iterable[FileChange]) -> Iterator[tuple[FileChange, ast.Module]]:
    """Each changed Python file that gained lines, parsed at head (unparsable ones skipped)."""
    for file in files:
        if file.new is None or file.new.text is None or not file.added_lines:
            continue
        try:
            tree = ast.parse(file.new.text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        yield file, tree


def suspects(files: Iterable[FileChange], literals: Literals) -> list[Suspect]:
    found: list[Suspect] = []
    for file, tree in parse_added(files):
        found.extend(_file_suspects(file, tree, literals))
    return found
