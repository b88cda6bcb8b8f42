"""MD5 and SHA-1 where their weakness matters (CWE-328): passwords, signatures, checksums.

bandit's B324 and B303 say "weak hash" at CWE-327 for every use and cannot tell a cache key from a
password. Python itself has the answer: `usedforsecurity=False` (3.9+) declares that a digest is
not a security control, so a call that says so is quiet, and every other MD5/SHA-1 (through
`hashlib.md5`, `hashlib.new("md5")`, or as the digest of an HMAC) asks for review. A call in a
branch that never runs (`if LEGACY_MD5:` with `LEGACY_MD5 = False`) is quiet too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from crewchief.gate.analysis.flow_facts import dead_lines, module_constants
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import scopes

_WEAK = frozenset({"md5", "sha1", "md4", "md2"})
_CONSTRUCTORS = frozenset(f"hashlib.{name}" for name in _WEAK)
_HMAC = frozenset({"hmac.new", "hmac.HMAC", "hmac.digest"})


def _algorithm(call: ast.Call, qual: str, constants: dict[str, object]) -> str | None:
    """The weak algorithm a call uses, if any."""
    if qual in _CONSTRUCTORS:
        return qual.removeprefix("hashlib.")
    if qual == "hashlib.new" and call.args:
        name = call.args[0]
        value: object = name.value if isinstance(name, ast.Constant) else None
        if isinstance(name, ast.Name):
            value = constants.get(name.id)
        if isinstance(value, str) and value.lower().replace("-", "") in _WEAK:
            return value.lower()
    return None


def _hmac_digest(call: ast.Call, resolver: Resolver) -> str | None:
    """`hmac.new(key, msg, hashlib.md5)` or `digestmod="md5"`: the weak digest it signs with."""
    digest = next((kw.value for kw in call.keywords if kw.arg in ("digestmod", "digest")), None)
    if digest is None and len(call.args) > 2:
        digest = call.args[2]
    if digest is None:
        return None
    if isinstance(digest, ast.Constant) and isinstance(digest.value, str):
        return digest.value.lower() if digest.value.lower() in _WEAK else None
    qual = resolver.qualname(digest) or ""
    return qual.removeprefix("hashlib.") if qual in _CONSTRUCTORS else None


def _not_for_security(call: ast.Call) -> bool:
    return any(
        kw.arg == "usedforsecurity"
        and isinstance(kw.value, ast.Constant)
        and kw.value.value is False
        for kw in call.keywords
    )


def hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    constants = module_constants(tree)
    dead = dead_lines(tree, constants)
    for scope in scopes(tree):
        for node in scope.nodes:
            if not isinstance(node, ast.Call) or node.lineno in dead:
                continue
            qual = resolver.qualname(node.func) or ""
            if qual in _HMAC:
                weak = _hmac_digest(node, resolver)
                use = "signs with"
            else:
                weak = _algorithm(node, qual, constants)
                use = "hashes with"
            if weak is None or _not_for_security(node):
                continue
            yield Hit(
                "weak-hash",
                node.lineno,
                scope.name,
                f"{use} {weak.upper()}, which is broken for passwords, signatures and integrity; "
                "say `usedforsecurity=False` if it is only a cache key or an identifier",
            )
