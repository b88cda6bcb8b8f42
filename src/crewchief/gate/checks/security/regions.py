"""The part of a changed file bandit has to read for the gate to learn what the change introduced.

The gate keeps only the bandit findings a change introduced: head findings left once the base
findings with the same rule and line text are matched away, one for one. bandit judges a node by the
node itself and by the imports it visited before it. A function or class that no diff hunk touches
has the same text on both sides, so as long as the imports before it are the same, bandit finds the
same things in it on both sides and the match cancels them. Reading it costs most of bandit's time on
a big module (a one-method change to Django's `query.py` is a 2,700-line scan) and changes nothing.

So bandit reads a pruned tree: every statement that is not a definition, every definition a hunk
touches (inside a class, method by method), and, in place of each definition left out, the imports
it holds, so that bandit's import state is built in the same order. Two kinds of import change make
untouched code read differently, and are handled here:

- an import the change adds, removes or re-aliases binds a name (`import pickle as json` makes an
  old `json.loads(...)` a deserialisation call): every definition that mentions a name bound by a
  changed import, on either side, is kept;
- some bandit tests switch on when a module is merely imported (`app.run(debug=True)` once `flask`
  is): a changed import of one of those modules makes bandit read the whole file.
"""

from __future__ import annotations

import ast
import copy
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from crewchief.gate.analysis import pysource
from crewchief.gate.change import FileChange, Side

PRESENCE_PROBES = frozenset(
    {
        "django.db.models",
        "django.utils.safestring",
        "datasets",
        "flask",
        "huggingface_hub",
        "paramiko",
        "tarfile",
        "torch",
        "transformers",
        "yaml",
    }
)
"""Modules whose import alone turns a bandit test on (`is_module_imported_exact/like` in bandit's
plugins). tests/gate/test_security_regions.py reads the installed bandit's plugins and fails when
one probes a module missing here."""

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Import = ast.Import | ast.ImportFrom


@dataclass(frozen=True)
class Focus:
    """What bandit must read of one side of a changed file."""

    touched: frozenset[int]
    """Lines of this side a diff hunk covers (see `FileChange.touched_lines`)."""
    names: frozenset[str]
    """Names bound by an import the change touched, on either side."""


def prune_for(file: FileChange, *, new: bool) -> Callable[[ast.Module], ast.Module] | None:
    """How bandit may cut one side of a changed file, or None when it must read all of it: an
    added or deleted file, a text whose line numbers the diff and the parser count differently, or
    a changed import some bandit test looks for."""
    old, new_text = _python_text(file.old), _python_text(file.new)
    if old is None or new_text is None:
        return None
    try:
        trees = [pysource.parse(old), pysource.parse(new_text)]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    imports = [
        node
        for tree, touched in zip(trees, file.touched_lines, strict=True)
        for node in changed_imports(tree, touched)
    ]
    if probes_presence(imports):
        return None
    touched = file.touched_lines[1 if new else 0]
    focus = Focus(touched, bound_names(imports))
    side = file.new if new else file.old
    assert side is not None
    lines = side.lines
    return lambda tree: pruned(tree, lines, focus)


def _python_text(side: Side | None) -> str | None:
    """The side's text when bandit's tree of it lines up with the diff's line numbers."""
    if side is None or side.data is None or pysource.reads_differently(side.data):
        return None
    text = side.text
    return text if text is not None and numbered_alike(text) else None


def changed_imports(tree: ast.Module, touched: frozenset[int]) -> list[Import]:
    """Every import statement, at any depth, that a hunk touches. Only statements a hunk touches
    can hold one, so only they are opened."""
    found: list[Import] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if not _touches(node, touched):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                pending.extend(v for v in value if isinstance(v, ast.stmt))
                pending.extend(
                    s
                    for h in value
                    if isinstance(h, ast.ExceptHandler | ast.match_case)
                    for s in h.body
                )
    return found


def bound_names(imports: Iterable[Import]) -> frozenset[str]:
    names: set[str] = set()
    for node in imports:
        for alias in node.names:
            names.add((alias.asname or alias.name).partition(".")[0])
    return frozenset(names)


def probes_presence(imports: Iterable[Import]) -> bool:
    """Whether one of these imports records a module some bandit test looks for by name. bandit
    records `import a.b` as "a.b" and `from a import b` as "a.b"; "like" probes match a substring,
    so any overlap either way counts."""
    for recorded in _recorded(imports):
        if any(probe in recorded or recorded in probe for probe in PRESENCE_PROBES):
            return True
    return False


def _recorded(imports: Iterable[Import]) -> Iterator[str]:
    for node in imports:
        prefix = f"{node.module}." if isinstance(node, ast.ImportFrom) and node.module else ""
        for alias in node.names:
            yield prefix + alias.name


_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Characters `str.splitlines` breaks lines at and Python's tokenizer does not: in a text holding
one, the diff's line numbers are not the parser's."""


def numbered_alike(text: str) -> bool:
    """Whether the diff's line numbers of this text are the parser's, so hunks map onto nodes."""
    return _OTHER_BREAKS.search(text) is None


def pruned(tree: ast.Module, lines: Sequence[str], focus: Focus) -> ast.Module:
    """The tree bandit reads: definitions untouched by the diff and naming no changed import are
    replaced by the imports they hold. `lines` are the source lines the tree was parsed from. The
    original nodes are shared, not copied; only the module and the classes whose bodies are cut
    are new objects."""
    alternatives = "|".join(map(re.escape, sorted(focus.names)))
    names = re.compile(rf"\b(?:{alternatives})\b") if focus.names else None
    return ast.Module(body=_Pruner(lines, focus.touched, names).body(tree.body), type_ignores=[])


@dataclass(frozen=True)
class _Pruner:
    lines: Sequence[str]
    touched: frozenset[int]
    names: re.Pattern[str] | None

    def body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        kept: list[ast.stmt] = []
        for node in body:
            if not isinstance(node, _DEFS):
                kept.append(node)
            elif not (_touches(node, self.touched) or self._mentions(node)):
                kept.extend(self._imports_in(node))
            elif isinstance(node, ast.ClassDef):
                cut = copy.copy(node)
                cut.body = self.body(node.body) or [ast.copy_location(ast.Pass(), node)]
                kept.append(cut)
            else:
                kept.append(node)
        return kept

    def _text(self, node: ast.stmt) -> Iterator[str]:
        return itertools.islice(self.lines, _first_line(node) - 1, node.end_lineno or node.lineno)

    def _mentions(self, node: ast.stmt) -> bool:
        """Whether the definition's text holds a changed import's name as a word: comments and
        strings count too, which only makes bandit read more."""
        pattern = self.names
        return pattern is not None and any(pattern.search(line) for line in self._text(node))

    def _imports_in(self, node: ast.stmt) -> list[ast.stmt]:
        if not any("import" in line for line in self._text(node)):
            return []
        found = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _touches(node: ast.stmt, touched: frozenset[int]) -> bool:
    start, end = _first_line(node), node.end_lineno or node.lineno
    if end - start < len(touched):
        return any(line in touched for line in range(start, end + 1))
    return any(start <= line <= end for line in touched)
