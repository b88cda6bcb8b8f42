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

import ast
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from crewchief.gate.analysis import taint
from crewchief.gate.analysis.pyfiles import relative_package
from crewchief.gate.analysis.pysource import decode
from crewchief.gate.analysis.pysource import parse as parse_python

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
        self.analyses: dict[tuple[str, str], dict[str, Any]] = {}
        """The taint analyses of this side's files made in this gate, by (blob, path): a file
        the check looks at twice (its flows, then the helpers its change exposed) is analysed
        once even when the gate runs without a cache."""

    def find(self, module: str, importer: str) -> str | None:
        """The path of `module` (absolute, or relative with its leading dots) as `importer`
        imports it, or None when no file of this side is that module."""
        for candidate in _candidates(module, importer):
            for path in (f"{candidate}.py", f"{candidate}/__init__.py"):
                if path in self.blobs:
                    return path
        return None

    def summaries(self, path: str, function: str) -> dict[str, Any] | None:
        """The JSON summary of `function` in the module at `path`, cached by its blob id;
        None when the module defines no such function."""
        return self.summaries_of(path, [function]).get(function)

    def summaries_of(self, path: str, functions: Collection[str]) -> dict[str, Any]:
        """The JSON summaries of these functions of the module at `path` (those it defines),
        made with one analysis of the module and cached by its blob id."""
        if path not in self.blobs or not functions:
            return {}
        names = sorted(functions)

        def compute() -> dict[str, Any]:
            text = self._text(path)
            return {} if text is None else taint.summarise_functions(text, names)

        found: dict[str, Any] = self._memo(("taint-helper", self.blobs[path], *names), compute)
        return found

    def exposures(self, path: str, functions: Collection[str]) -> dict[str, set[tuple[str, str]]]:
        """For each of these functions the module at `path` defines, the (parameter, sink kind)
        pairs through which it passes its arguments to a sink."""
        return {
            name: {(sink[0], sink[1]) for sink in summary["sinks"]}
            for name, summary in self.summaries_of(path, functions).items()
        }

    def texts(self, paths: Iterable[str]) -> dict[str, str]:
        """The decodable text of these files, read from git in one go."""
        wanted = [p for p in paths if p not in self._texts]
        for path, data in self._read(wanted).items() if wanted else ():
            # As Python reads it: a helper that starts with a UTF-8 BOM or declares its codec
            # (PEP 263) is still code that runs, and a strict UTF-8 reading would hide it.
            self._texts[path] = decode(data)
        return {p: text for p in paths if (text := self._texts.get(p)) is not None}

    def _text(self, path: str) -> str | None:
        return self.texts([path]).get(path)


def touched_functions(text: str, lines: Collection[int]) -> list[str]:
    """The module's top-level functions with parameters whose text (decorators included)
    holds one of these lines: the functions a change may have made pass their arguments
    somewhere new."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _has_parameters(node):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            if any(first <= line <= last for line in lines):
                found.append(node.name)
    return found


def _has_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(a is not None and a.arg not in ("self", "cls") for a in every)


def callers(
    files: ModuleFiles, helper: str, names: Collection[str], skip: Collection[str]
) -> dict[str, str]:
    """The Python files (path to text) of this side, besides `skip`, that may call one of these
    functions of the module at `helper`: under the helper's top-level folder, naming a function
    and importing the module (by its last name, or relatively). Read only when a change made an
    existing helper dangerous, which is rare; most files are ruled out by their text."""
    top = helper.split("/", 1)[0] + "/" if "/" in helper else ""
    stem = posixpath.basename(helper).removesuffix(".py")
    if stem == "__init__":
        stem = posixpath.basename(posixpath.dirname(helper))
    paths = [
        path
        for path in files.blobs
        if path.endswith(".py") and path.startswith(top) and path not in skip and path != helper
    ]
    word = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    module = re.compile(rf"\b{re.escape(stem)}\b|from\s+\.")
    return {
        path: text
        for path, text in files.texts(paths).items()
        if word.search(text) and module.search(text)
    }


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
        base = relative_package(importer, level)
        return [posixpath.join(base, rel) if rel else base]
    roots = list(_SOURCE_ROOTS)
    folder = posixpath.dirname(importer)
    while folder:
        roots.append(f"{folder}/")
        folder = posixpath.dirname(folder)
    return [f"{root}{rel}" for root in dict.fromkeys(roots)]
