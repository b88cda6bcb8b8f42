"""`random` used where an attacker must not guess the value: tokens, codes, passwords, nonces.

bandit's B311 flags every `random` call at low severity, which is right for a shuffled playlist and
wrong for a password-reset code. This rule looks at what the value is for, from the name it is
stored in, returned as, or the function that makes it, and blocks when that name says secret:
`random`'s Mersenne Twister is predictable from a few hundred outputs. `random.SystemRandom()` and
`secrets` are the right tools and stay quiet, as does `random` for colours, samples and jitter.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import scopes

_RANDOM = frozenset(
    {"random.random", "random.randint", "random.randrange", "random.choice", "random.choices",
     "random.sample", "random.getrandbits", "random.shuffle", "random.uniform", "random.randbytes",
     "numpy.random.randint", "numpy.random.choice", "numpy.random.bytes"}
)  # fmt: skip
_SECRET = re.compile(
    r"(token|password|passwd|passphrase|secret|nonce|otp|salt|csrf|api_?key|secret_?key|"
    r"session_?id|sessionid|auth_?code|verification|reset_?code|invite_?code|pin_?code|"
    r"one_?time|activation|magic_?link|signing_?key|private_?key|access_?key)",
    re.IGNORECASE,
)
_CODE = re.compile(r"(^|_)code(s)?($|_)", re.IGNORECASE)
_CODE_CONTEXT = re.compile(r"reset|verif|confirm|auth|login|otp|invite|activat|mfa|2fa|sms|email")


def _is_secret(names: list[str], context: str) -> str | None:
    """The first name that says the value is a secret; a bare `code` only with a login-ish
    context (the function's name), so `exit_code` in a test helper stays quiet."""
    for name in names:
        if _SECRET.search(name):
            return name
        if _CODE.search(name) and _CODE_CONTEXT.search(f"{name} {context}".lower()):
            return name
    return None


def _name_of(target: ast.expr) -> list[str]:
    """`token`, `user.api_key` -> `api_key`, `session["csrf"]` -> `csrf`, tuples item by item."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, ast.Subscript):
        key = target.slice
        return [key.value] if isinstance(key, ast.Constant) and isinstance(key.value, str) else []
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _name_of(elt)]
    return []


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [n for t in node.targets for n in _name_of(t)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign):
        return _name_of(node.target)
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    return []


def hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    for scope in scopes(tree):
        function = scope.name.rsplit(".", 1)[-1]
        for stmt in scope.nodes:
            names = _targets(stmt)
            returned = isinstance(stmt, ast.Return)
            if not names and not returned:
                continue
            value = getattr(stmt, "value", None)
            if not isinstance(value, ast.expr):
                continue
            for call in (n for n in ast.walk(value) if isinstance(n, ast.Call)):
                qual = resolver.qualname(call.func) or ""
                if qual not in _RANDOM:
                    continue
                secret = _is_secret(names or [function], function)
                if secret is None:
                    continue
                yield Hit(
                    "weak-token-random",
                    call.lineno,
                    scope.name,
                    f"makes `{secret}` with {qual}(), which is predictable: use the secrets "
                    "module (secrets.token_urlsafe, secrets.choice)",
                )
                break
