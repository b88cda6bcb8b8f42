"""Test files turned into symbolic links.

A symlink's diff is one line of link text, so a reviewer sees a path where a test used to be while
pytest collects (or, for a conftest, imports) whatever file the link names: a copy of the test
without its failing assertion, a data file holding a hook. The summaries of the test-integrity check
conclude nothing from a symlink, so this is where replacing a regular test file with one is caught.
"""

from __future__ import annotations

from crewchief.gate.change import FileChange, match_any
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.findings import Finding, Severity, fingerprint


def _guarded(path: str, globs: list[str]) -> bool:
    return path.endswith(".py") and (
        match_any(path, globs) or path.rsplit("/", 1)[-1] == "conftest.py"
    )


def findings(files: tuple[FileChange, ...], globs: list[str]) -> list[Finding]:
    """Blocking where a regular test file became a link; medium for a new link (a test shared
    between folders has honest uses, but its content is not in the diff either)."""
    out: list[Finding] = []
    for f in files:
        new = f.new
        if new is None or not new.is_symlink or not _guarded(new.path, globs):
            continue
        old = f.old
        if old is not None and old.is_symlink:
            continue
        target = (new.data or b"").decode("utf-8", "replace")[:200]
        replaced = old is not None and not old.is_submodule
        rule = RULES["test-file-symlinked"]
        what = (
            "replaced a regular test file with a symbolic link"
            if replaced
            else "added a test file that is a symbolic link"
        )
        out.append(
            rule.finding(
                f"{new.path}: the change {what} to `{target}`; pytest runs the file it points at, "
                "which the diff does not show as test code",
                path=new.path,
                fingerprint=fingerprint(rule.id, new.path),
                snippet=target or None,
                severity=None if replaced else Severity.MEDIUM,
                blocking=None if replaced else False,
            )
        )
    return out
