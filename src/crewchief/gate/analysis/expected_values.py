"""Expected values in assertions, and the modules a test module imports.

When a change edits the production code and, in the same change, the literal a test expects from
it (`assert area(2) == 4` becomes `== 5`), the oracle moved with the code it judges: the test still
pins one exact value, so nothing looks weaker, yet the old behaviour is no longer checked. That is
often a legitimate change of behaviour, so it is something for a person to confirm, and it needs two
facts: which literals changed in an otherwise identical assertion, and whether the test imports
the code that changed.
"""

from __future__ import annotations

import ast
import io
import tokenize

_LITERALS = frozenset({tokenize.NUMBER, tokenize.STRING})
_IGNORED = frozenset(
    {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
)
_CONSTANT_NAMES = frozenset({"True", "False", "None"})


def imports(tree: ast.Module) -> list[str]:
    """Dotted names a module imports anywhere: `import a.b` gives a.b, `from a import b` gives a
    and a.b (b may be a submodule or a name in a). Relative imports are left out."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(found)


def _tokens(text: str) -> list[tuple[int, str]] | None:
    """Significant tokens, a unary sign folded into the number it signs (`-4` is one literal)."""
    out: list[tuple[int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _IGNORED or tok.type == tokenize.ENDMARKER:
                continue
            if tok.type == tokenize.NUMBER and _unary_sign(out):
                sign = out.pop()[1]
                out.append((tokenize.NUMBER, sign + tok.string))
            else:
                out.append((tok.type, tok.string))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


def _unary_sign(before: list[tuple[int, str]]) -> bool:
    """Whether the last token is a sign that applies to what follows (not a subtraction)."""
    if not before or before[-1] not in ((tokenize.OP, "-"), (tokenize.OP, "+")):
        return False
    if len(before) == 1:
        return True
    kind, text = before[-2]
    return kind == tokenize.OP and text not in (")", "]", "}")


def _is_literal(tok: tuple[int, str]) -> bool:
    return tok[0] in _LITERALS or (tok[0] == tokenize.NAME and tok[1] in _CONSTANT_NAMES)


def literal_edits(old: str, new: str) -> list[tuple[str, str]]:
    """(old literal, new literal) pairs when two assertions differ only in literals; [] when they
    are the same or differ in anything else (a different call, operator or name)."""
    if old == new:
        return []
    a, b = _tokens(old), _tokens(new)
    if a is None or b is None or len(a) != len(b):
        return []
    edits: list[tuple[str, str]] = []
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        if not (_is_literal(x) and _is_literal(y)):
            return []
        edits.append((x[1], y[1]))
    return edits


def module_names(path: str) -> set[str]:
    """The dotted names a repository file may be imported by: every suffix of its path as a
    module (`src/pkg/mod.py` is src.pkg.mod, pkg.mod and mod), packages by their folder."""
    stem = path[: -len(".py")] if path.endswith(".py") else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return {".".join(parts[i:]) for i in range(len(parts))}


def imports_any(imported: list[str], modules: set[str]) -> str | None:
    """The first changed module a test's imports reach (the module itself, a package holding it,
    or a name inside it), or None."""
    for name in imported:
        for module in modules:
            if name == module or name.startswith(module + ".") or module.startswith(name + "."):
                return module
    return None
