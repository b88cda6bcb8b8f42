"""Added suppression comments: `# pragma: no cover`, `# noqa`, `# type: ignore`, `# nosec` ...

Each has honest uses, so none blocks; but each makes a tool stop reporting, so a reviewer should see
every file where a change added some. One finding per file and kind of rule (coverage pragmas apart,
since they hide lines from the coverage check), with the count and the first line, keeps a change
that adds twenty `# type: ignore` from burying the rest of the report.
"""

from __future__ import annotations

from collections import Counter

from crewchief.gate.analysis import pysource
from crewchief.gate.analysis import suppressions as sup
from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.findings import Finding, fingerprint

_PYTHON = (".py", ".pyi")


def _found(side: Side | None) -> list[tuple[int, str, str]]:
    if side is None or not side.path.endswith(_PYTHON):
        return []
    text = pysource.python_text(side)
    return sup.find(text) if text is not None else []


def _added(f: FileChange) -> list[tuple[int, str, str]]:
    """Head suppressions not in the base version (matched by kind and line text, so moving or
    reindenting a line keeps its suppression old)."""
    old = Counter((kind, text) for _, kind, text in _found(f.old)) if f.old else Counter()
    fresh = []
    for line, kind, text in _found(f.new):
        if old[(kind, text)] > 0:
            old[(kind, text)] -= 1
        else:
            fresh.append((line, kind, text))
    return fresh


def findings(files: tuple[FileChange, ...]) -> list[Finding]:
    out: list[Finding] = []
    for f in files:
        if f.new is None:
            continue
        added = _added(f)
        for rule_id, items in (
            ("pragma-no-cover-added", [a for a in added if a[1] == sup.COVERAGE]),
            ("suppression-added", [a for a in added if a[1] != sup.COVERAGE]),
        ):
            if items:
                out.append(_finding(rule_id, f.new.path, items))
    return out


def _finding(rule_id: str, path: str, items: list[tuple[int, str, str]]) -> Finding:
    line, _, text = items[0]
    kinds = Counter(kind for _, kind, _ in items)
    listed = ", ".join(f"`# {k}`" + (f" x{n}" if n > 1 else "") for k, n in kinds.items())
    what = (
        "excluded from coverage; fine for code that cannot run in tests, not for code nobody tested"
        if rule_id == "pragma-no-cover-added"
        else "a checker stops reporting them; fine with a reason, not to make a check pass"
    )
    return RULES[rule_id].finding(
        f"{len(items)} suppression comment(s) added in {path} ({listed}), first at line {line}: "
        f"those lines are {what}",
        path=path,
        line=line,
        fingerprint=fingerprint(rule_id, path),
        snippet=text or None,
    )
