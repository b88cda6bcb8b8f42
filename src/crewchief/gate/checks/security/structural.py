"""The security check's structural rules on one changed Python file: what a call really is, what
runs at import, what waits for a date, what protection went away.

Each side is parsed once and one `Resolver` serves every rule. Rules about one version of the file
run on head and, for a modified file, on base, and only what the head introduces is reported (by
rule and a fingerprint of the scope and line, never the line number). Rules about the difference
(`removed_protection`) compare the two trees directly. Test files are judged too, except for the
rules about what a test legitimately does: it makes random test tokens, hashes fixtures with MD5,
sets cookies on a test client, and rewrites its helpers' error handling, which the test-integrity
check judges.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from crewchief.gate.analysis.pyfiles import line_text
from crewchief.gate.analysis.pysource import python_text
from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.security import (
    hidden_calls,
    import_effects,
    insecure_cookie,
    lookalike_strings,
    removed_protection,
    time_bombs,
    unicode_safety,
    weak_hash,
    weak_random,
)
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver, parse, resolver_for
from crewchief.gate.checks.security.rules import RULES
from crewchief.gate.checks.security.scopes import Func
from crewchief.gate.findings import Finding, Severity, fingerprint

_TEST_QUIET = frozenset(
    {"weak-token-random", "removed-protection", "broadened-except", "weak-hash", "insecure-cookie"}
)


_NETWORK_WORDS = re.compile(
    r"urlopen|urlretrieve|requests|httpx|aiohttp|urllib3|curl|wget|environ|http\.client|socket|"
    r"ftplib|smtplib|telnetlib"
)
_TIME_WORDS = re.compile(r"today|now|time\(|utcnow|timestamp")


def side_hits(side: Side, tree: ast.Module, resolver: Resolver) -> list[Hit]:
    """Hits of the rules that judge one version of a file on its own. A rule whose words do not
    occur in the file cannot fire, so it is skipped without walking the tree."""
    text = side.text or ""
    found = [
        *hidden_calls.hits(tree, resolver),
        *import_effects.import_time_hits(side.path, tree, resolver),
    ]
    if _NETWORK_WORDS.search(text):
        found.extend(import_effects.fetch_exec_hits(tree, resolver))
    if _TIME_WORDS.search(text):
        found.extend(time_bombs.hits(tree, resolver))
    if "random" in text:
        found.extend(weak_random.hits(tree, resolver))
    if "md5" in text or "sha1" in text or "md4" in text:
        found.extend(weak_hash.hits(tree, resolver))
    if "set_cookie" in text or "set_signed_cookie" in text:
        found.extend(insecure_cookie.hits(tree, resolver))
    if not text.isascii():
        found.extend(lookalike_strings.hits(tree, resolver))
    return found


def to_finding(side: Side, hit: Hit) -> Finding:
    rule = RULES[hit.rule]
    code = line_text(side, hit.line)
    return rule.finding(
        unicode_safety.escape(hit.message, 400, only_hidden=True),
        path=side.path,
        line=hit.line,
        fingerprint=fingerprint(rule.id, hit.scope, hit.message, code),
        snippet=unicode_safety.escape(code.strip(), only_hidden=True),
        severity=Severity(hit.severity) if hit.severity else None,
        blocking=hit.blocking,
        cwe=hit.cwe,
    )


def side_findings(side: Side) -> list[Finding]:
    """The one-version rules' findings on a side; [] when it does not parse."""
    tree = parse(python_text(side))  # Python's reading: a BOM or a coding cookie is no hiding place
    if tree is None:
        return []
    return [to_finding(side, h) for h in side_hits(side, tree, resolver_for(tree))]


def diff_findings(file: FileChange) -> list[Finding]:
    """What the change took out of functions that exist on both sides (and catch-alls around
    checks in functions it adds)."""
    if file.new is None:
        return []
    old = parse(python_text(file.old))
    new = parse(python_text(file.new))
    if new is None:
        return []
    added = file.added_line_numbers
    removed = {n for n, _ in file.removed_lines}

    def changed(head: Func, base: Func | None) -> bool:
        if any(n in added for n in removed_protection.span(head)):
            return True
        return base is not None and any(n in removed for n in removed_protection.span(base))

    resolver = resolver_for(new)
    # The head's imports stand for the base's too: a change rarely renames an import, and
    # resolving the base alone would cost another walk of its tree.
    old_res = resolver
    found = removed_protection.hits(old, new, resolver, old_res, changed)
    return [to_finding(file.new, h) for h in found]


def quiet_in_tests(findings: Iterable[Finding], in_tests: bool) -> list[Finding]:
    return [f for f in findings if not (in_tests and f.rule in _TEST_QUIET)]
