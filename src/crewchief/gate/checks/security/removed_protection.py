"""Protections a change takes out of a function that still exists: the diff-level view.

Each function is compared with its own base version (matched by qualified name), so a finding says
what this function no longer does, with the removed line:

- `removed-protection`: fewer `raise X` of some exception type, a removed `abort(...)`, or a removed
  call or decorator named like a check (`check_*`, `require_*`, `verify_*`, `validate_*`,
  `authorize*`, `has_perm*`, `is_authenticated`, `login_required`, `permission_required`).
  Rewording a message keeps the exception type, so it is not a removal.
- `broadened-except`: a handler that now catches everything (`except:`, `Exception`,
  `BaseException`) where the function caught only specific exceptions, and does not re-raise.
- `weakened-comparison`: `hmac.compare_digest` replaced (timing), or a containment check
  (`os.path.commonpath`, `is_relative_to`, `realpath`/`resolve`, a `startswith` with a separator)
  removed from a function that still opens or joins paths.

A function the change adds has no base to compare with; a new `except: pass` wrapped around a check
call in it is still `broadened-except`.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterator

from crewchief.gate.analysis.taint import dotted
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import Func, Scope, functions

_CHECK_NAME = re.compile(
    r"^(_*)(check(?!_output|_call|_returncode)|require|verify|validate|authori[sz]e|has_perm|"
    r"is_authenticated|"
    r"is_authorized|is_admin|is_owner|can_|permission_required|login_required|user_passes_test|"
    r"abort|deny|forbid|csrf_protect)",
    re.IGNORECASE,
)
_SECURITY_CHECK = re.compile(
    r"^_*(verify|authori[sz]e|has_perm|is_authenticated|is_authorized|validate|require_|"
    r"check_(perm|auth|password|signature|token|access|owner|csrf|login|admin))",
    re.IGNORECASE,
)
"""The stricter names a new catch-all must wrap to be reported: `check_errors` or `check_output`
inside a `try` is ordinary code, `verify_signature` is a check someone wanted to fail loudly."""
_AUTH_WORDS = re.compile(r"auth|perm|login|admin|owner|can_|csrf|forbid|deny", re.IGNORECASE)
_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception"})
_CONTAINMENT = frozenset(
    {"os.path.commonpath", "os.path.commonprefix", "os.path.realpath", "os.path.abspath"}
)
_CONTAINMENT_METHODS = frozenset({"is_relative_to", "relative_to", "resolve"})
_CONSTANT_TIME = frozenset({"hmac.compare_digest", "secrets.compare_digest"})


def _own(func: Func) -> Iterator[ast.AST]:
    yield from Scope.of(func.name, func).nodes


def _protections(func: Func, resolver: Resolver) -> dict[str, list[tuple[str, int]]]:
    """The function's protections grouped by kind (`raise PermissionError`, `call check_owner`,
    `decorator login_required`), each as (the line's code, its line number)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = (dotted(target) or "").rsplit(".", 1)[-1]
        if _CHECK_NAME.match(name):
            found.setdefault(f"decorator {name}", []).append((f"@{ast.unparse(deco)}", deco.lineno))
    for node in _own(func):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            key = f"raise {dotted(exc) or '?'}"
            found.setdefault(key, []).append((ast.unparse(node), node.lineno))
        elif isinstance(node, ast.Call):
            name = (resolver.qualname(node.func) or dotted(node.func) or "").rsplit(".", 1)[-1]
            if _CHECK_NAME.match(name):
                key = f"call {ast.unparse(node.func)}"
                found.setdefault(key, []).append((ast.unparse(node), node.lineno))
    return found


def _cwe(key: str) -> str:
    return "CWE-862" if _AUTH_WORDS.search(key) else "CWE-693"


def _removed(
    name: str, old: Func, new: Func, resolver: Resolver, old_res: Resolver
) -> Iterator[Hit]:
    """One hit per protection of a kind the head has fewer of: a reworded message keeps the kind
    and count, so it is not a removal; the one shown is a base line the head no longer has."""
    before, after = _protections(old, old_res), _protections(new, resolver)
    for key, items in before.items():
        kept = after.get(key, [])
        if len(kept) >= len(items) or key == "raise NotImplementedError":
            continue
        texts = {code for code, _ in kept}
        gone = [item for item in items if item[0] not in texts] or items
        for code, line in gone[: len(items) - len(kept)]:
            yield Hit(
                "removed-protection",
                new.lineno,
                name,
                f"`{name}` no longer does `{code[:100]}` (base line {line}): a check the "
                "function made is gone while the function stays",
                cwe=_cwe(key),
            )


def _handler_types(handler: ast.ExceptHandler) -> list[str]:
    if handler.type is None:
        return ["<bare>"]
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [dotted(t) or "?" for t in types]


def _is_broad(handler: ast.ExceptHandler) -> bool:
    return any(t == "<bare>" or t in _BROAD for t in _handler_types(handler))


def _reraises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(n, ast.Raise) for s in handler.body for n in ast.walk(s))


def _handlers(func: Func) -> list[tuple[ast.Try | ast.TryStar, ast.ExceptHandler]]:
    return [
        (node, h)
        for node in _own(func)
        if isinstance(node, ast.Try | ast.TryStar)
        for h in node.handlers
    ]


def _broadened(name: str, old: Func | None, new: Func, resolver: Resolver) -> Iterator[Hit]:
    old_broad = 0 if old is None else sum(_is_broad(h) for _, h in _handlers(old))
    old_specific = old is not None and any(not _is_broad(h) for _, h in _handlers(old))
    swallowing = [(t, h) for t, h in _handlers(new) if _is_broad(h) and not _reraises(h)]
    if len(swallowing) <= old_broad:
        return
    for try_node, handler in swallowing[old_broad:]:
        guards = old is None and _guards_a_check(try_node, resolver)
        if not (old_specific or guards):
            continue
        caught = ", ".join(_handler_types(handler))
        why = (
            "where the function caught only specific exceptions at base"
            if old_specific
            else "around a check call, so a failed check passes silently"
        )
        yield Hit(
            "broadened-except",
            handler.lineno,
            name,
            f"`{name}` now catches everything ({caught}) without re-raising, {why}",
        )


def _guards_a_check(node: ast.Try | ast.TryStar, resolver: Resolver) -> bool:
    for stmt in node.body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Call):
                name = (resolver.qualname(sub.func) or dotted(sub.func) or "").rsplit(".", 1)[-1]
                if _SECURITY_CHECK.match(name):
                    return True
    return False


def _calls(func: Func, resolver: Resolver) -> Counter[str]:
    names: Counter[str] = Counter()
    for node in _own(func):
        if isinstance(node, ast.Call):
            qual = resolver.qualname(node.func) or ""
            if isinstance(node.func, ast.Attribute) and node.func.attr in _CONTAINMENT_METHODS:
                qual = f".{node.func.attr}"
            if isinstance(node.func, ast.Attribute) and node.func.attr == "startswith":
                arg = ast.unparse(node.args[0]) if node.args else ""
                if "sep" in arg or "/" in arg:
                    qual = ".startswith(<dir + sep>)"
            names[qual] += 1
    return names


def _weakened(
    name: str, old: Func, new: Func, resolver: Resolver, old_res: Resolver
) -> Iterator[Hit]:
    before, after = _calls(old, old_res), _calls(new, resolver)
    lost = [q for q in before if before[q] > after.get(q, 0)]
    for qual in lost:
        if qual in _CONSTANT_TIME:
            yield Hit(
                "weakened-comparison",
                new.lineno,
                name,
                f"`{name}` no longer compares with {qual}: an ordinary comparison of secrets "
                "leaks them through timing",
                cwe="CWE-208",
            )
        elif qual in _CONTAINMENT or qual in (".is_relative_to", ".startswith(<dir + sep>)"):
            yield Hit(
                "weakened-comparison",
                new.lineno,
                name,
                f"`{name}` no longer calls {qual.lstrip('.')}: the check that kept a path inside "
                "its folder is gone or weaker",
                cwe="CWE-22",
            )


def _is_stub(func: Func) -> bool:
    """Only a docstring, `pass`, `...` or `raise NotImplementedError`."""
    for stmt in func.body:
        if isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        ):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if dotted(exc) == "NotImplementedError":
                continue
        return False
    return True


def span(func: Func) -> range:
    """The function's lines, decorators included."""
    start = min([func.lineno, *(d.lineno for d in func.decorator_list)])
    return range(start, (func.end_lineno or func.lineno) + 1)


def hits(
    old_tree: ast.Module | None,
    new_tree: ast.Module,
    resolver: Resolver,
    old_res: Resolver,
    changed: Callable[[Func, Func | None], bool],
) -> Iterator[Hit]:
    """Only functions the change touched (`changed(head, base)`) are compared: the rest are
    identical on both sides, and comparing them would cost a walk of the whole file."""
    old_funcs = functions(old_tree)
    for name, new in functions(new_tree).items():
        old = old_funcs.get(name)
        if not changed(new, old):
            continue
        yield from _broadened(name, old, new, resolver)
        if old is None or _is_stub(new):
            continue  # a function gutted to a stub is the hygiene check's `gutted-function`
        yield from _removed(name, old, new, resolver, old_res)
        yield from _weakened(name, old, new, resolver, old_res)
