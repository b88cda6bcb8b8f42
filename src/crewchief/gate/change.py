"""The change under review, read once and shared by every check.

A `Change` holds, for each file the change touches, both versions (mode, blob id, bytes) and the lines
it adds and removes. It is frozen and has no link to a repository, so a static check is a pure function
of (change, policy, task) that tests can call with a `Change` built from a dict of files.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from crewchief.spec.globs import match_any, match_glob

if TYPE_CHECKING:
    from crewchief.gate.trees import BaseTree

BINARY_SNIFF = 8000
MODE_FILE = "100644"
MODE_EXEC = "100755"
MODE_LINK = "120000"
MODE_SUBMODULE = "160000"


class Status(StrEnum):
    ADDED = "A"
    MODIFIED = "M"
    DELETED = "D"
    RENAMED = "R"
    COPIED = "C"
    TYPE_CHANGED = "T"


def blob_id(data: bytes) -> str:
    """git's object id for a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass(frozen=True)
class Side:
    """One version of one file."""

    path: str
    mode: str
    blob: str
    size: int
    data: bytes | None
    """None when the file is larger than the gate reads, or is a submodule."""

    @property
    def is_symlink(self) -> bool:
        return self.mode == MODE_LINK

    @property
    def is_submodule(self) -> bool:
        return self.mode == MODE_SUBMODULE

    @property
    def is_executable(self) -> bool:
        return self.mode == MODE_EXEC

    @cached_property
    def is_binary(self) -> bool:
        return self.data is not None and b"\0" in self.data[:BINARY_SNIFF]

    @cached_property
    def text(self) -> str | None:
        """The decoded text, or None for binary, unread or undecodable content."""
        if self.data is None or self.is_binary or self.is_submodule:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if self.path.endswith(".py"):
            for line in self.data.splitlines()[:2]:
                match = _CODING.match(line)
                if match:
                    try:
                        return self.data.decode(match.group(1).decode("ascii"))
                    except (LookupError, UnicodeDecodeError):
                        return None
        return None

    @property
    def undecodable(self) -> bool:
        return (
            self.data is not None
            and not self.is_binary
            and not self.is_submodule
            and self.text is None
        )

    @cached_property
    def lines(self) -> tuple[str, ...]:
        return tuple(self.text.splitlines()) if self.text is not None else ()


class _Diff(NamedTuple):
    added: tuple[tuple[int, str], ...]
    removed: tuple[tuple[int, str], ...]
    old_touched: frozenset[int]
    new_touched: frozenset[int]


@dataclass(frozen=True)
class FileChange:
    status: Status
    old: Side | None
    new: Side | None
    similarity: int | None = None

    @property
    def path(self) -> str:
        side = self.new or self.old
        assert side is not None
        return side.path

    @property
    def old_path(self) -> str | None:
        return self.old.path if self.old else None

    @cached_property
    def _diff(self) -> _Diff:
        old = self.old.lines if self.old else ()
        new = self.new.lines if self.new else ()
        if not old:
            return _Diff(
                tuple(enumerate(new, 1)), (), frozenset(), frozenset(range(1, len(new) + 1))
            )
        if not new:
            return _Diff(
                (), tuple(enumerate(old, 1)), frozenset(range(1, len(old) + 1)), frozenset()
            )
        added: list[tuple[int, str]] = []
        removed: list[tuple[int, str]] = []
        old_touched: set[int] = set()
        new_touched: set[int] = set()
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            removed.extend((i + 1, old[i]) for i in range(i1, i2))
            added.extend((j + 1, new[j]) for j in range(j1, j2))
            # A side that lost or gained nothing here still changed between two of its lines.
            old_touched.update(range(i1 + 1, i2 + 1) if i2 > i1 else (i1, i1 + 1))
            new_touched.update(range(j1 + 1, j2 + 1) if j2 > j1 else (j1, j1 + 1))
        return _Diff(tuple(added), tuple(removed), frozenset(old_touched), frozenset(new_touched))

    @property
    def added_lines(self) -> tuple[tuple[int, str], ...]:
        """(line number in the new file, text) of every added line."""
        return self._diff.added

    @property
    def removed_lines(self) -> tuple[tuple[int, str], ...]:
        """(line number in the old file, text) of every removed line."""
        return self._diff.removed

    @property
    def touched_lines(self) -> tuple[frozenset[int], frozenset[int]]:
        """(old, new): the lines of each side a diff hunk covers. Where a hunk only adds, the old
        side's two lines around the insertion point count as touched, and the same for the new side
        where it only removes: a definition that lost a line has changed even though none of its
        remaining lines did."""
        return self._diff.old_touched, self._diff.new_touched

    @cached_property
    def added_line_numbers(self) -> frozenset[int]:
        return frozenset(n for n, _ in self.added_lines)

    def cache_key(self) -> str:
        return (
            f"{self.old.blob if self.old else '-'}:{self.new.blob if self.new else '-'}:{self.path}"
        )


@dataclass(frozen=True)
class Change:
    base: str
    head: str
    files: tuple[FileChange, ...]
    context: Mapping[str, bytes] = field(default_factory=dict)
    """Base versions of the repo's manifests and tool configs (pyproject.toml, requirements, pytest and
    coverage config), changed or not: what checks need to know about the repo as it was."""
    tree: BaseTree | None = field(default=None, compare=False, repr=False)
    """The whole base tree, read lazily (see `crewchief.gate.trees`): for the checks that judge a
    change by the modules around it. None when the change was built without one."""

    @property
    def lines_added(self) -> int:
        return sum(len(f.added_lines) for f in self.files)

    @property
    def lines_removed(self) -> int:
        return sum(len(f.removed_lines) for f in self.files)

    @classmethod
    def from_files(
        cls,
        base: Mapping[str, bytes | str],
        head: Mapping[str, bytes | str],
        *,
        modes: Mapping[str, str] | None = None,
        context: Mapping[str, bytes | str] | None = None,
    ) -> Change:
        """Build a change from two dicts of files (path to content), as a test would.

        Files present on both sides with the same content are unchanged and left out.
        `modes` overrides the new mode of a path (for example "100755" or "120000").
        """
        modes = modes or {}

        def side(path: str, content: bytes | str, mode: str = MODE_FILE) -> Side:
            data = content.encode() if isinstance(content, str) else content
            return Side(path, mode, blob_id(data), len(data), data)

        files: list[FileChange] = []
        for path in sorted(set(base) | set(head)):
            old = side(path, base[path]) if path in base else None
            new = side(path, head[path], modes.get(path, MODE_FILE)) if path in head else None
            if old and new:
                if old.blob == new.blob and old.mode == new.mode:
                    continue
                files.append(FileChange(Status.MODIFIED, old, new))
            elif new:
                files.append(FileChange(Status.ADDED, None, new))
            elif old:
                files.append(FileChange(Status.DELETED, old, None))
        ctx = {k: (v.encode() if isinstance(v, str) else v) for k, v in (context or {}).items()}
        for path, content in base.items():
            if is_context_file(path):
                ctx.setdefault(path, content.encode() if isinstance(content, str) else content)
        from crewchief.gate.trees import DictBaseTree

        whole = {k: (v.encode() if isinstance(v, str) else v) for k, v in base.items()}
        return cls("base", "head", tuple(files), ctx, DictBaseTree(whole))


_CONTEXT_NAMES = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "package.json",
        "pytest.ini",
        "tox.ini",
        ".coveragerc",
        "ruff.toml",
        ".ruff.toml",
        "Pipfile",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "package-lock.json",
        "environment.yml",
    }
)
_REQUIREMENTS = re.compile(
    r"(^|/)([^/]*(requirements|constraints)[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)"
    r"|(dev|test|tests|base|prod|production|docs|lint|ci|local)\.in|pip\.conf|pip\.ini|uv\.toml)$",
    re.IGNORECASE,
)
_CI_ENTRY = re.compile(
    r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.yml|Makefile|GNUmakefile|justfile)$"
)
"""What protected CI runs at the root: the scope check protects the Makefile recipes it invokes."""


def is_context_file(path: str) -> bool:
    """Manifests, tool configs and CI entry points at depth two or less, outside vendored trees."""
    if path.count("/") > 2 or "node_modules/" in path:
        return False
    name = path.rsplit("/", 1)[-1]
    return name in _CONTEXT_NAMES or bool(_REQUIREMENTS.search(path) or _CI_ENTRY.match(path))


__all__ = ["Change", "FileChange", "Side", "Status", "blob_id", "match_any", "match_glob"]
