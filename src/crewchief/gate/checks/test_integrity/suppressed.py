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


def _base_pool(files: tuple[FileChange, ...]) -> Counter[tuple[str, str]]:
    """Suppressions of every base version in the change, by kind and line text: one that moves
    with its line to another file (a helper moved, a module split) is not new."""
    pool: Counter[tuple[str, str]] = Counter()
    for f in files:
        pool.update((kind, text) for _, kind, text in _found(f.old))
    return pool


def findings(files: tuple[FileChange, ...]) -> list[Finding]:
    pool = _base_pool(files)
    out: list[Finding] = []
    for f in files:
        if f.new is None:
            continue
        added = []
        for line, kind, text in _found(f.new):
            if pool[(kind, text)] > 0:
                pool[(kind, text)] -= 1
            else:
                added.append((line, kind, text))
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
