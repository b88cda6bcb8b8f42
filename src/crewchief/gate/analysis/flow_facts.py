"""Facts about code that hold without running it, for the taint analysis and the rules that share
its view: the sink kinds, dotted names, module constants and the conditions they decide, branches
that never run, and what a condition checks about a value (an allowlist, a URL's host, a path's
containment, a format), with the sink kinds the check protects.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

QualName = Callable[[ast.expr], "str | None"]
"""How a caller resolves a call target to its dotted, import-qualified name."""

COMMAND = "command"
CODE = "code"
SQL = "sql"
PATH = "path"
DESERIALIZATION = "deserialization"
XML = "xml"
XSS = "xss"
REDIRECT = "redirect"
LDAP = "ldap"
XPATH = "xpath"
SESSION = "session"
ALL_KINDS = frozenset(
    {COMMAND, CODE, SQL, PATH, DESERIALIZATION, XML, XSS, REDIRECT, LDAP, XPATH, SESSION}
)


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def module_constants(tree: ast.Module, nodes: list[ast.AST] | None = None) -> dict[str, object]:
    """Module-level names bound once, to a literal, and never rebound anywhere in the module
    (`DEBUG = False`, `ALLOWED = {"a", "b"}`, `TARGETS = {"home": "/"}`): their value is known
    wherever they are read, so a branch on them can be folded and a lookup in them is a constant.
    `nodes`, every node of the tree, saves a walk when the caller has them."""
    stores: dict[str, int] = {}
    for node in ast.walk(tree) if nodes is None else nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.arg):
            stores[node.arg] = stores.get(node.arg, 0) + 1
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 2
    found: dict[str, object] = {}
    for stmt in tree.body:
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if value is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        name = targets[0].id
        if stores.get(name) != 1:
            continue
        try:
            found[name] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return found


_UNKNOWN = object()


def constant_value(node: ast.expr, constants: dict[str, object]) -> object:
    """The value of a constant expression (literals, known module constants, `not`, `and`,
    `or`, comparisons of constants); `_UNKNOWN` for anything that depends on run time."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id, _UNKNOWN)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = constant_value(node.operand, constants)
        return _UNKNOWN if inner is _UNKNOWN else not inner
    if isinstance(node, ast.BoolOp):
        values = [constant_value(v, constants) for v in node.values]
        is_and = isinstance(node.op, ast.And)
        for value in values:
            if value is _UNKNOWN:
                return _UNKNOWN
            if bool(value) != is_and:
                return value  # short-circuit: the first false of `and`, true of `or`
        return values[-1]
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left = constant_value(node.left, constants)
        right = constant_value(node.comparators[0], constants)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        op = node.ops[0]
        if isinstance(op, ast.Eq | ast.NotEq):
            return (left == right) == isinstance(op, ast.Eq)
        if isinstance(op, ast.Is | ast.IsNot):
            return (left is right) == isinstance(op, ast.Is)
    return _UNKNOWN


def constant_truth(node: ast.expr, constants: dict[str, object]) -> bool | None:
    """Whether a condition is always true or always false; None when it depends on run time."""
    value = constant_value(node, constants)
    return None if value is _UNKNOWN else bool(value)


def dead_lines(
    tree: ast.Module, constants: dict[str, object], nodes: list[ast.AST] | None = None
) -> frozenset[int]:
    """Lines of branches that never run: the body of `if DEBUG:` when the module sets
    `DEBUG = False` once and for all, the `else` of `if True:`."""
    dead: set[int] = set()
    for node in ast.walk(tree) if nodes is None else nodes:
        if not isinstance(node, ast.If | ast.IfExp):
            continue
        truth = constant_truth(node.test, constants)
        if truth is None:
            continue
        branch = node.orelse if truth else node.body
        for part in branch if isinstance(branch, list) else [branch]:
            end = getattr(part, "end_lineno", None) or part.lineno
            dead.update(range(part.lineno, end + 1))
    return frozenset(dead)


_REDIRECT_CHECKS = re.compile(
    r"url_has_allowed_host_and_scheme|is_safe_url|safe_url|safe_redirect|is_same_origin"
)
_NAMED_CHECKS = re.compile(r"^(is_|_is_|check_)?(valid|allowed|permitted|allowlisted|safe)")
_FORMAT_CHECKS = frozenset(
    {"isdigit", "isalnum", "isalpha", "isnumeric", "isdecimal", "isidentifier", "isascii"}
)
_MATCH_CALLS = frozenset({"re.fullmatch", "re.match", "regex.fullmatch", "regex.match"})
URL_SPLITS = frozenset(
    {"urllib.parse.urlparse", "urllib.parse.urlsplit", "urlparse.urlparse", "urlparse"}
)
_CONTAINMENT = frozenset({"os.path.commonpath", "os.path.commonprefix"})


def _keys(nodes: list[ast.expr]) -> list[str]:
    """The names (or dotted names) among expressions, looking into list and tuple displays."""
    found: list[str] = []
    for node in nodes:
        if isinstance(node, ast.List | ast.Tuple):
            found.extend(_keys(list(node.elts)))
        elif (key := dotted(node)) is not None:
            found.append(key)
    return found


def _call_guards(node: ast.Call, qualname: QualName) -> dict[str, frozenset[str]]:
    """What one call in a condition checks: URL host checks make a value safe to redirect to,
    containment checks safe as a path, format and allowlist checks safe for every sink."""
    qual = qualname(node.func) or ""
    last = node.func.attr if isinstance(node.func, ast.Attribute) else qual.rsplit(".", 1)[-1]
    receiver = _keys([node.func.value]) if isinstance(node.func, ast.Attribute) else []
    args = _keys(list(node.args))
    if qual in URL_SPLITS or _REDIRECT_CHECKS.search(last):
        return dict.fromkeys(args, frozenset({REDIRECT}))
    if qual in _CONTAINMENT:
        return dict.fromkeys(args, frozenset({PATH}))
    if last in ("is_relative_to", "startswith"):
        return dict.fromkeys(receiver, frozenset({PATH, REDIRECT}))
    if last in _FORMAT_CHECKS:
        return dict.fromkeys(receiver, ALL_KINDS)
    if qual in _MATCH_CALLS:
        return dict.fromkeys(args[1:2] if len(node.args) > 1 else [], ALL_KINDS)
    if last == "fullmatch" or _NAMED_CHECKS.search(last):
        return dict.fromkeys(args, ALL_KINDS)
    return {}


def guards(test: ast.expr, qualname: QualName) -> dict[str, frozenset[str]]:
    """The names a condition checks, with the sink kinds the check makes them safe for."""
    found: dict[str, frozenset[str]] = {}
    for node in ast.walk(test):
        checked: dict[str, frozenset[str]] = {}
        if isinstance(node, ast.Call):
            checked = _call_guards(node, qualname)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            op, right = node.ops[0], node.comparators[0]
            membership = isinstance(op, ast.In | ast.NotIn)
            # `x in ALLOWED` or `x == "dark"`: an allowlist, or one known value
            if membership != isinstance(right, ast.Constant) and isinstance(
                op, ast.In | ast.NotIn | ast.Eq | ast.NotEq
            ):
                checked = dict.fromkeys(_keys([node.left]), ALL_KINDS)
        for key, kinds in checked.items():
            found[key] = found.get(key, frozenset()) | kinds
    return found


def is_negative(test: ast.expr) -> bool:
    """Whether a condition is true for the values that fail the check (`not ok`, `not in`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    if isinstance(test, ast.Compare):
        return any(isinstance(op, ast.NotIn | ast.NotEq | ast.IsNot) for op in test.ops)
    if isinstance(test, ast.BoolOp):
        return any(is_negative(v) for v in test.values)
    return False


def leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves: return, raise, break, continue, or `abort()`/`exit()`."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Break | ast.Continue):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        name = dotted(last.value.func) or ""
        return name.rsplit(".", 1)[-1] in ("abort", "exit", "_exit")
    return False


def rebinds(body: list[ast.stmt], checked: dict[str, frozenset[str]]) -> bool:
    return any(
        isinstance(stmt, ast.Assign) and any(dotted(t) in checked for t in stmt.targets)
        for stmt in body
    )
