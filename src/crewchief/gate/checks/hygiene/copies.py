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

from crewchief.gate.change import Change, FileChange, Status
from crewchief.gate.trees import BaseTree

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


def copies_of(news: Sequence[FileChange], change: Change) -> dict[str, str]:
    """New module to the file it mostly repeats (another of the change's, as it was at base, or an
    untouched base module), for those of `news` that repeat one; the base modules of all of them
    are read in one git process."""
    found: dict[str, str] = {}
    pending: list[tuple[str, tuple[str, ...]]] = []
    for file in news:
        source = _in_change_source(file, change)
        if source is not None:
            found[file.path] = source
        elif file.new is not None and len(file.new.lines) >= COPY_MIN_LINES:
            pending.append((file.path, file.new.lines))
    if pending and change.tree is not None:
        compared = {f.old.path for f in change.files if f.old is not None}
        found.update(_base_sources(pending, change.tree, compared))
    return found


def _in_change_source(file: FileChange, change: Change) -> str | None:
    if file.status is Status.COPIED and file.old is not None:
        return file.old.path
    new_lines = file.new.lines if file.new else ()
    if len(new_lines) < COPY_MIN_LINES:
        return None
    for other in change.files:
        if other is not file and other.old is not None and _repeats(other.old.lines, new_lines):
            return other.old.path
    return None


def _repeats(old: Sequence[str], new: Sequence[str]) -> bool:
    if len(old) < COPY_MIN_LINES or 3 * min(len(old), len(new)) < 2 * max(len(old), len(new)):
        return False  # a ratio of 0.8 is out of reach: the shorter has under 2/3 of the lines
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return matcher.quick_ratio() >= COPY_RATIO and matcher.ratio() >= COPY_RATIO


def _base_sources(
    pending: list[tuple[str, tuple[str, ...]]], tree: BaseTree, compared: set[str]
) -> dict[str, str]:
    """The untouched base modules the pending new modules repeat (`compared`: the change's own
    files, already compared)."""
    files = tree.files()
    wanted = {
        path: [p for p in candidates(path, files) if p not in compared] for path, _ in pending
    }
    data = tree.read({files[p] for paths in wanted.values() for p in paths})
    found: dict[str, str] = {}
    for path, new_lines in pending:
        texts = [
            (p, data[files[p]].decode("utf-8", "replace").splitlines())
            for p in wanted[path]
            if files[p] in data
        ]
        near = sorted(texts, key=lambda item: abs(len(item[1]) - len(new_lines)))
        source = next((p for p, lines in near[:_DIFF_AT_MOST] if _repeats(lines, new_lines)), None)
        if source is not None:
            found[path] = source
    return found


def candidates(path: str, files: Mapping[str, str]) -> list[str]:
    """Base modules likely to be this new module's original, most likely first: named like it
    without a copy's affix, then its folder's modules by how close their names are."""
    folder, _, name = path.rpartition("/")
    stem = name.removesuffix(".py")
    core = _AFFIX.sub("", stem)
    named: list[str] = []
    beside: list[tuple[float, str]] = []
    for other in files:  # string work only: a tree can hold tens of thousands of paths
        if not other.endswith(".py") or other == path:
            continue
        their_folder, _, their_name = other.rpartition("/")
        their_stem = their_name[: -len(".py")]
        if core and core != stem and their_stem == core:
            named.append(other)
        elif their_folder == folder:
            similarity = difflib.SequenceMatcher(None, their_stem, stem).ratio()
            beside.append((-similarity, other))
    return (sorted(named) + [other for _, other in sorted(beside)])[:_READ_AT_MOST]
