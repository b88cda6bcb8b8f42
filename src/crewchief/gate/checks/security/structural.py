"""The security check's structural rules on one changed Python file: what a call really is, what
runs at import, what waits for a date, what protection went away.

Each side is parsed once and one `Resolver` serves every rule. Rules about one version of the file
run on head and, for a modified file, on base, and only what the head introduces is reported (by
rule and a fingerprint of the scope and line, never the line number). Rules about the difference
(`removed_protection`) compare the two trees directly. Test files are judged too, except for the
rules about what a test legitimately does: it makes random test tokens and rewrites its helpers'
error handling, which the test-integrity check judges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from crewchief.gate.analysis.pyfiles import line_text
from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.security import (
    hidden_calls,
    import_effects,
    lookalike_strings,
    removed_protection,
    time_bombs,
    unicode_safety,
    weak_random,
)
from crewchief.gate.checks.security.hidden_calls import Hit
from crewchief.gate.checks.security.resolve import Resolver, parse
from crewchief.gate.checks.security.rules import RULES
from crewchief.gate.findings import Finding, Severity, fingerprint

_TEST_QUIET = frozenset({"weak-token-random", "removed-protection", "broadened-except"})


def side_hits(side: Side, tree: ast.Module, resolver: Resolver) -> list[Hit]:
    """Hits of the rules that judge one version of a file on its own."""
    return [
        *hidden_calls.hits(tree, resolver),
        *import_effects.import_time_hits(side.path, tree, resolver),
        *import_effects.fetch_exec_hits(tree, resolver),
        *time_bombs.hits(tree, resolver),
        *weak_random.hits(tree, resolver),
        *lookalike_strings.hits(tree, resolver),
    ]


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
    tree = parse(side.text)
    if tree is None:
        return []
    return [to_finding(side, h) for h in side_hits(side, tree, Resolver.of(tree))]


def diff_findings(file: FileChange) -> list[Finding]:
    """What the change took out of functions that exist on both sides (and catch-alls around
    checks in functions it adds)."""
    if file.new is None:
        return []
    old = parse(file.old.text) if file.old is not None else None
    new = parse(file.new.text)
    if new is None:
        return []
    resolver = Resolver.of(new)
    old_res = Resolver.of(old) if old is not None else resolver
    side = file.new
    return [to_finding(side, h) for h in removed_protection.hits(old, new, resolver, old_res)]


def quiet_in_tests(findings: Iterable[Finding], in_tests: bool) -> list[Finding]:
    return [f for f in findings if not (in_tests and f.rule in _TEST_QUIET)]
