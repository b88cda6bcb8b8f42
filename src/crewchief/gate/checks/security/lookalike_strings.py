"""Look-alike letters inside strings that decide something: hosts, URLs, allowlists, compared values.

`ALLOWED_HOSTS = {"g\\u0456thub.com"}` (a Cyrillic i) reads as GitHub and matches an attacker's
domain. The identifier rule cannot see it (it is a string), and a Trojan Source scan sees no hidden
character. A string counts when one word in it mixes Latin letters with letters from the
confusables table: in a host or URL (blocking: registries forbid mixed-script labels, so no real
host is spelt that way), or in a value compared with `==`/`in` or listed in a collection literal
(review). Text written wholly in another script (`"пример.рф"`, a Greek message) mixes nothing and
stays quiet.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from crewchief.gate.checks.security.confusables import lookalikes, mixes_scripts, skeleton
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import scopes
from crewchief.gate.checks.security.unicode_safety import code_point

_HOST = re.compile(
    r"^([a-z][a-z0-9+.-]*://)?([^/@\s]+@)?[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?([/?#]\S*)?$", re.I
)
_WORD = re.compile(r"[^\W\d_]+")
_MAX_LEN = 2048


def _strings(tree: ast.Module) -> Iterator[tuple[ast.Constant, bool]]:
    """Each non-ASCII string constant, and whether it is compared or listed."""
    nodes = [n for scope in scopes(tree) for n in scope.nodes]
    decided: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                decided.update(id(n) for n in ast.walk(side) if isinstance(n, ast.Constant))
        elif isinstance(node, ast.List | ast.Set | ast.Tuple):
            decided.update(id(e) for e in node.elts if isinstance(e, ast.Constant))
        elif isinstance(node, ast.Dict):
            decided.update(id(k) for k in node.keys if isinstance(k, ast.Constant))
    for node in nodes:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and not node.value.isascii()
            and len(node.value) <= _MAX_LEN
        ):
            yield node, id(node) in decided


def hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    del resolver  # the same signature as the other rules; constants are literal here
    for node, decided in _strings(tree):
        text = str(node.value)
        mixed = [w for w in _WORD.findall(text) if mixes_scripts(w)]
        if not mixed:
            continue
        host = bool(_HOST.match(skeleton(text.strip())))
        if not (host or decided):
            continue
        chars = ", ".join(code_point(c) for c in lookalikes("".join(mixed)))
        kind = "host or URL" if host else "compared value"
        yield Hit(
            "confusable-string",
            node.lineno,
            "<string>",
            f"the {kind} '{skeleton(text)[:60]}' is spelt with look-alike {chars}: it reads as "
            "that text but matches something else",
            blocking=host,
            severity=None if host else "medium",
        )
