"""A cookie set without the Secure attribute (CWE-614): it also travels over plain HTTP.

Flask, Django, Starlette and FastAPI all default to `secure=False` in `set_cookie`, so the
attribute must be given, and true. The value is read as written (`secure=True`), through a module
constant (`secure=SECURE_COOKIES`, `secure=not DEBUG`), or through a constant options dict spread
into the call (`**COOKIE_OPTS`); a value only known at run time (`secure=request.is_secure`) is
the author's decision and stays quiet.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from crewchief.gate.analysis.flow_facts import constant_truth, dead_lines, module_constants
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import scopes

_SETTERS = frozenset({"set_cookie", "set_signed_cookie"})


def _secure(call: ast.Call, constants: dict[str, object]) -> bool | None:
    """True when the call sets Secure, False when it does not, None when that depends on run
    time."""
    for kw in call.keywords:
        if kw.arg == "secure":
            return constant_truth(kw.value, constants)
        if kw.arg is None:
            spread = constants.get(kw.value.id) if isinstance(kw.value, ast.Name) else None
            if not isinstance(spread, dict):
                return None  # options from elsewhere: cannot tell
            if "secure" in spread:
                return bool(spread["secure"])
    return False


def hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    del resolver  # the method name is the whole test: every framework calls it set_cookie
    constants = module_constants(tree)
    dead = dead_lines(tree, constants)
    for scope in scopes(tree):
        for node in scope.nodes:
            if not isinstance(node, ast.Call) or node.lineno in dead:
                continue
            func = node.func
            if not isinstance(func, ast.Attribute) or func.attr not in _SETTERS:
                continue
            if _secure(node, constants) is False:
                yield Hit(
                    "insecure-cookie",
                    node.lineno,
                    scope.name,
                    f"{func.attr}() without secure=True: the cookie is also sent over plain "
                    "HTTP, where anyone on the path can read it",
                )
