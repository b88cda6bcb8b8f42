"""Expected values edited in the same change as the code they check (review, never block).

Changing `assert area(2) == 4` to `== 5` while changing `area` is how a behaviour change looks, and
also how a broken change gets its test to agree with it. Only a person who knows what the code
should do can tell the two apart, so the finding names the test and the old and new literals and
asks for review. An edited literal with no change to the code the test imports is a test fix and
stays quiet, as does any assertion that changed in more than its literals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from crewchief.gate.analysis import expected_values as ev
from crewchief.gate.change import FileChange
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.findings import Finding, fingerprint


class TestLike(Protocol):
    """What this module reads of a matched test (check.py's `_Test`)."""

    @property
    def q(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def module(self) -> Any: ...


def changed_code(files: Iterable[FileChange], guarded: Any) -> set[str]:
    """Module names of production Python files whose code the change edited (not added: a new
    module has no old behaviour for a test to have pinned)."""
    names: set[str] = set()
    for f in files:
        if f.old is None or f.new is None or not f.new.path.endswith(".py"):
            continue
        if guarded(f.new.path) or f.old.blob == f.new.blob:
            continue
        names |= ev.module_names(f.new.path)
    return names


def _edits(before: list[str], after: list[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each lost exact assertion paired with a gained one that differs only in its literals."""
    lost = list((Counter(before) - Counter(after)).elements())
    gained = list((Counter(after) - Counter(before)).elements())
    out = []
    for old in lost:
        for new in gained:
            edits = ev.literal_edits(old, new)
            if edits:
                out.append((old, new, edits))
                gained.remove(new)
                break
    return out


def _table_edits(
    before: list[str], after: list[str]
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """A parametrize table whose rows stayed the same but some literals changed (adding or
    removing rows is ordinary test work and changes the table's shape)."""
    if len(before) != len(after):
        return []
    out = []
    for old, new in zip(before, after, strict=True):
        edits = ev.literal_edits(old, new)
        if edits:
            out.append(("", "", edits))
    return out


def findings(
    pairs: Iterable[tuple[TestLike, TestLike]],
    code: set[str],
    superseded: Callable[[str], bool] = lambda node_id: False,
) -> list[Finding]:
    """Edited expectations of tests that import changed code; a test the task declares it
    supersedes (its objective changes what the test pins) is expected to change and stays quiet."""
    if not code:
        return []
    out: list[Finding] = []
    for b, h in pairs:
        if superseded(f"{h.module.path}::{h.q.replace('.', '::')}"):
            continue
        edited = _edits(
            [str(e) for e in b.data.get("exact", [])], [str(e) for e in h.data.get("exact", [])]
        ) or _table_edits(b.data.get("params", []), h.data.get("params", []))
        if not edited:
            continue
        module = ev.imports_any(list(h.module.get("imports")), code)
        if module is None:
            continue
        old, new, literals = edited[0]
        values = "; ".join(f"{o} -> {n}" for o, n in literals)[:200]
        where = f"was `{old}`, now `{new}`" if old else "in its parametrize table"
        rule = RULES["expected-value-edited"]
        out.append(
            rule.finding(
                f"test {h.q} now expects different values ({values}) in the same change that "
                f"edits {module}, which it imports: confirm the new expectation from the task, "
                f"not from the code ({where})",
                path=h.module.path,
                line=int(h.data["line"]),
                fingerprint=fingerprint(rule.id, h.q, values),
                snippet=(new or values)[:200],
            )
        )
    return out
