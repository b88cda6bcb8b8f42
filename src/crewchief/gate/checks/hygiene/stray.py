"""New files that look like by-products of an agent's session rather than part of the fix.

A file is judged by its name first (outputs, logs, data, reproduction scripts, backups, notes,
build output) and a new module by whether it mostly repeats an existing one (`copies`), then by
whether anything refers to it: a data file a new test reads, or a script the README now documents,
is referenced and stays quiet. The change is searched first; the base repository (`mentions`) only
for the files still about to be reported, so a clean change never searches it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from crewchief.gate.change import Change, FileChange, Status
from crewchief.gate.checks.hygiene.copies import copies_of
from crewchief.gate.checks.hygiene.mentions import repository_mentions
from crewchief.gate.checks.hygiene.rules import RULES
from crewchief.gate.findings import Finding, fingerprint
from crewchief.spec.globs import match_any

_BUILD = re.compile(
    r"(^|/)(build|dist|\.pytest_cache|\.mypy_cache|\.ruff_cache|\.tox|\.nox|htmlcov|"
    r"[^/]+\.egg-info)/|(^|/)\.coverage$"
)
"""Bytecode (`*.pyc`, `__pycache__/`) is the scope check's `unreviewed-code`: Python may run it
instead of the reviewed source, whether added or changed, so it is reported there, once."""
_BACKUP = re.compile(
    r"(\.(bak|orig|rej|backup|old|swp|swo)$|~$|(^|/)#[^/]*#$|[_.-](backup|bak|old|orig)\.py$|"
    r"(^|/)[^/]*( - [Cc]opy| [Cc]opy)( \d+| \(\d+\))?\.py$|(^|/)copy_of_[^/]*$)"
)
"""A file manager's copy (`utils copy.py`, `utils copy 2.py`, `utils - Copy (2).py`) is a copy
whatever else exists; `utils_copy.py` is only when `utils.py` does (`_AFFIXED_COPY`): a module
named `deep_copy.py` or `shallow_copy.py` is a real module about copying."""
_AFFIXED_COPY = re.compile(r"^(?P<stem>[^/]+?)[_-]copy\d*\.py$")
_NAMED_AWAY = re.compile(f"{_BUILD.pattern}|{_BACKUP.pattern}")
"""Files reported by their name alone, so their content is never compared."""
_STRAY_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a database file", re.compile(r"\.(sqlite3?|db)$")),
    ("pickled data", re.compile(r"\.(pkl|pickle|npy|npz)$")),
    ("an image or plot", re.compile(r"\.(png|jpe?g|gif|bmp|eps|tiff?)$")),
    ("command output", re.compile(r"(^|/)[^/]*output[^/]*\.txt$|\.(log|out)$")),
    (
        "a reproduction script",
        re.compile(r"(^|/)(test_)?(repro|reproduce|debug|scratch|tmp|temp|try)[^/]*\.py$"),
    ),
    (
        "the agent's notes",
        re.compile(
            r"(^|/)[^/]*(instructions|notes|summary|analysis|explanation|solution|plan|"
            r"changes_made|fix_description)[^/]*\.(txt|md)$",
            re.IGNORECASE,
        ),
    ),
)
_ROOT_SCRIPT_OK = frozenset({"setup.py", "conftest.py", "noxfile.py", "manage.py", "fabfile.py"})


_TEST_FOLDER = re.compile(r"(^|/)(tests?|testing)/")


def _kind(path: str) -> str | None:
    for kind, pattern in _STRAY_KINDS:
        if pattern.search(path):
            if kind == "a reproduction script" and _TEST_FOLDER.search(path):
                return None  # a test folder's own helpers and regression tests
            return kind
    if "/" not in path and path.endswith(".py") and path not in _ROOT_SCRIPT_OK:
        return "a top-level script"
    return None


def _referenced(path: str, texts: Iterable[tuple[str, str]]) -> str | None:
    """The first changed file whose new text names this file (by its path or its file name)."""
    name = PurePosixPath(path).name
    stem = PurePosixPath(path).stem
    needles = {path, name} | ({stem} if len(stem) >= 6 and path.endswith(".py") else set())
    for other, text in texts:
        if other != path and any(n in text for n in needles):
            return other
    return None


def stray_findings(change: Change, allowed: list[str]) -> list[Finding]:
    texts = [(f.path, f.new.text) for f in change.files if f.new and f.new.text]
    news = [
        file
        for file in change.files
        if file.status in (Status.ADDED, Status.COPIED)
        and file.new is not None
        and not match_any(file.path, allowed)
    ]
    named_copies = _named_copies(news, change)
    modules = [
        f
        for f in news
        if f.path.endswith(".py") and not _NAMED_AWAY.search(f.path) and f.path not in named_copies
    ]
    copies = copies_of(modules, change)
    found: list[Finding] = []
    unreferenced: dict[str, tuple[FileChange, str]] = {}
    for file in news:
        path = file.path
        finding = _judge(file, copies.get(path), named_copies.get(path))
        if finding is not None:
            found.append(finding)
            continue
        kind = _kind(path)
        if kind is not None and _referenced(path, texts) is None:
            unreferenced[path] = (file, kind)
    named = (
        repository_mentions(change.tree, unreferenced, lambda p: bool(_BUILD.search(p)))
        if change.tree is not None
        else {}
    )
    where = "the change or the repository" if change.tree is not None else "the change"
    for path, (file, kind) in unreferenced.items():
        if path not in named:
            found.append(_stray(file, kind, where))
    order = {file.path: index for index, file in enumerate(change.files)}
    return sorted(found, key=lambda finding: order.get(finding.path or "", 0))


def _named_copies(news: list[FileChange], change: Change) -> dict[str, str]:
    """New module to its original, for those named `<stem>_copy.py` (or `-copy`, `_copy2`) beside
    an existing `<stem>.py`; the base tree's listing is asked only when such a name is added."""
    affixed: dict[str, str] = {}
    for file in news:
        folder, _, name = file.path.rpartition("/")
        match = _AFFIXED_COPY.match(name)
        if match:
            affixed[file.path] = f"{folder}/{match['stem']}.py" if folder else f"{match['stem']}.py"
    if not affixed:
        return {}
    present = {side.path for f in change.files for side in (f.old, f.new) if side is not None}
    listed = change.tree.files() if change.tree is not None else {}
    return {path: base for path, base in affixed.items() if base in present or base in listed}


def _judge(file: FileChange, source: str | None, original: str | None) -> Finding | None:
    """A build artifact or a backup (by its name, by being named a copy of `original`, or by
    repeating `source`), whatever refers to it."""
    path = file.path
    if _BUILD.search(path):
        return RULES["build-artifact"].finding(
            f"adds generated build or cache output `{path}`; it is not source and would run "
            "instead of (or beside) what was reviewed",
            path=path,
            fingerprint=fingerprint("build-artifact", path),
        )
    if _BACKUP.search(path):
        return RULES["backup-copy"].finding(
            f"adds `{path}`, which is named like a backup or copy",
            path=path,
            fingerprint=fingerprint("backup-copy", path),
        )
    if original is not None:
        return RULES["backup-copy"].finding(
            f"adds `{path}`, which is named like a copy of `{original}`",
            path=path,
            fingerprint=fingerprint("backup-copy", path),
        )
    if source is not None:
        return RULES["backup-copy"].finding(
            f"adds `{path}`, whose content mostly repeats `{source}`",
            path=path,
            fingerprint=fingerprint("backup-copy", path, source),
        )
    return None


def _stray(file: FileChange, kind: str, where: str) -> Finding:
    path = file.path
    size = "an empty file, " if file.new is not None and file.new.size == 0 else ""
    return RULES["stray-file"].finding(
        f"adds `{path}`: {size}{kind}, and nothing in {where} refers to it",
        path=path,
        fingerprint=fingerprint("stray-file", path),
    )
