"""New modules that mostly repeat an existing one: an agent copies `utils.py` to `utils_fixed.py`
and edits the copy, leaving two versions of the code to maintain and the original still in use.

The possible originals are the change's own files as they were at base (already in memory), then a
handful of untouched base modules likely to be the source: those in the new module's folder, and
those named like it without a copy's affix (`utils_new.py`, `utils2.py`, `old_utils.py` against
`utils.py`, wherever it lives). A ratio of 0.8 needs the shorter file to have at least two thirds of
the longer one's lines, so line counts discard most candidates before any diff, and at most a few
are diffed, so an added module costs one read of a few blobs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from crewchief.gate.change import Change, FileChange, Status

COPY_RATIO = 0.8
COPY_MIN_LINES = 20
_READ_AT_MOST = 24
"""Base modules read per new module: named like it first, then its folder's closest names."""
_DIFF_AT_MOST = 6
"""Of those, the ones closest in length are diffed."""
_AFFIX = re.compile(
    r"^(?:old|new|orig|original|backup|bak|copy_of|copy|fixed|tmp|temp)_"
    r"|_(?:old|new|orig|original|backup|bak|copy|fixed|fix|patched|updated|modified|refactored|"
    r"rewrite|tmp|temp|v?\d+)$"
    r"|(?<=[A-Za-z])\d+$"
)


def copied_from(file: FileChange, change: Change) -> str | None:
    """The file (another of the change's, as it was at base, or an untouched base module) that
    this new file mostly repeats."""
    if file.status is Status.COPIED and file.old is not None:
        return file.old.path
    new_lines = file.new.lines if file.new else ()
    if len(new_lines) < COPY_MIN_LINES:
        return None
    for other in change.files:
        if other is file or other.old is None:
            continue
        if _repeats(other.old.lines, new_lines):
            return other.old.path
    return _base_source(file.path, new_lines, change)


def _repeats(old: Sequence[str], new: Sequence[str]) -> bool:
    if len(old) < COPY_MIN_LINES or 3 * min(len(old), len(new)) < 2 * max(len(old), len(new)):
        return False
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return matcher.quick_ratio() >= COPY_RATIO and matcher.ratio() >= COPY_RATIO


def _base_source(path: str, new_lines: Sequence[str], change: Change) -> str | None:
    if change.tree is None:
        return None
    files = change.tree.files()
    compared = {f.old.path for f in change.files if f.old is not None}
    paths = [p for p in candidates(path, files) if p not in compared]
    data = change.tree.read(files[p] for p in paths)
    texts = [
        (p, data[files[p]].decode("utf-8", "replace").splitlines())
        for p in paths
        if files[p] in data
    ]
    near = sorted(texts, key=lambda item: abs(len(item[1]) - len(new_lines)))
    for other, lines in near[:_DIFF_AT_MOST]:
        if _repeats(lines, new_lines):
            return other
    return None


def candidates(path: str, files: Mapping[str, str]) -> list[str]:
    """Base modules likely to be this new module's original, most likely first: named like it
    without a copy's affix, then its folder's modules by how close their names are."""
    pure = PurePosixPath(path)
    core = _AFFIX.sub("", pure.stem)
    named: list[str] = []
    beside: list[str] = []
    for other in files:
        if other == path or not other.endswith(".py"):
            continue
        theirs = PurePosixPath(other)
        if core and core != pure.stem and theirs.stem == core:
            named.append(other)
        elif theirs.parent == pure.parent:
            beside.append(other)
    by_name = sorted(
        beside,
        key=lambda p: -difflib.SequenceMatcher(None, PurePosixPath(p).stem, pure.stem).ratio(),
    )
    return (sorted(named) + by_name)[:_READ_AT_MOST]
