"""Summaries of helpers in other modules of the repository, for the taint analysis of a file.

A route that passes `request.args["cmd"]` to `run(cmd)` from `app.utils` is a command injection
only if `run` hands its argument to a shell, and that is written in `app/utils.py`, which the
change may not touch. `ModuleHelpers` answers the analysis of one file (see `taint.Helpers`):
it finds the module a call names on the same side of the change (the head tree for the head
analysis, the base tree for the base one), reads it only when the call receives an untrusted
value, and summarises only the functions called. Summaries are cached by the helper's blob id,
so a helper unchanged at base is summarised once for every change that calls it.

A file's analysis depends on the helpers it used, so its cache key names their blob ids: the
first analysis records which `(module, function)` names it asked about (`asked`), and later runs
resolve those names again to find the key, without analysing the file to learn them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from crewchief.gate.analysis import taint

Memo = Callable[[Sequence[str], Callable[[], Any]], Any]
Reader = Callable[[list[str]], Mapping[str, bytes]]

_SOURCE_ROOTS = ("", "src/", "lib/")


class ModuleFiles:
    """The Python modules of one side of the change, found by dotted name and read once.

    One instance serves every file analysed on that side, so a helper module that several
    changed files import is read and parsed once per gate."""

    def __init__(self, blobs: Mapping[str, str], read: Reader, memo: Memo) -> None:
        self.blobs = blobs
        self._read = read
        self._memo = memo
        self._texts: dict[str, str | None] = {}

    def find(self, module: str, importer: str) -> str | None:
        """The path of `module` (absolute, or relative with its leading dots) as `importer`
        imports it, or None when no file of this side is that module."""
        for candidate in _candidates(module, importer):
            for path in (f"{candidate}.py", f"{candidate}/__init__.py"):
                if path in self.blobs:
                    return path
        return None

    def summaries(self, path: str, function: str) -> dict[str, Any] | None:
        """The JSON summary of `function` in the module at `path`, cached by its blob id."""
        blob = self.blobs[path]

        def compute() -> dict[str, Any]:
            text = self._text(path)
            return {} if text is None else taint.summarise_functions(text, [function])

        found: dict[str, Any] = self._memo(("taint-helper", blob, function), compute)
        summary: dict[str, Any] | None = found.get(function)
        return summary

    def _text(self, path: str) -> str | None:
        if path not in self._texts:
            data = self._read([path]).get(path)
            try:
                self._texts[path] = None if data is None else data.decode("utf-8")
            except UnicodeDecodeError:
                self._texts[path] = None
        return self._texts[path]


class ModuleHelpers:
    """`taint.Helpers` for one file: the summaries of the functions it imports from the
    repository, and the names it asked about (for its cache key)."""

    def __init__(self, files: ModuleFiles, importer: str) -> None:
        self.files = files
        self.importer = importer
        self.asked: list[tuple[str, str]] = []

    def summary(self, module: str, function: str) -> taint._Summary | None:
        if (module, function) not in self.asked:
            self.asked.append((module, function))
        path = self.files.find(module, self.importer)
        if path is None or path == self.importer:
            return None
        data = self.files.summaries(path, function)
        return None if data is None else taint.summary_from_json(data, path)

    def dependencies(self, asked: Iterable[Sequence[str]]) -> list[str]:
        """What the analysis that asked about these names read: each name with the blob id of
        the module it resolves to on this side now ("-" for none), for a cache key."""
        found = []
        for module, function in asked:
            path = self.files.find(module, self.importer)
            blob = self.files.blobs[path] if path is not None else "-"
            found.append(f"{module}:{function}={blob}")
        return found


def _candidates(module: str, importer: str) -> list[str]:
    """Where a module's file may be, as a path without its `.py`: relative to the importer's
    package for a relative import; at the repository root, under `src/` or `lib/`, or under a
    folder holding the importer (a project in a subfolder) for an absolute one."""
    name = module.lstrip(".")
    level = len(module) - len(name)
    rel = name.replace(".", "/")
    if level:
        base = posixpath.dirname(importer)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        return [posixpath.join(base, rel) if rel else base]
    roots = list(_SOURCE_ROOTS)
    folder = posixpath.dirname(importer)
    while folder:
        roots.append(f"{folder}/")
        folder = posixpath.dirname(folder)
    return [f"{root}{rel}" for root in dict.fromkeys(roots)]
