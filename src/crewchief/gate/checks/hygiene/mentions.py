"""Whether the base repository already names a new file: a data file an unchanged test opens, a
script the README, a Makefile or a CI config documents.

Asked only about the files the stray rule is about to report, so a clean change never searches. The
repository is far bigger than a change, so a chance mention must not excuse a by-product: the name
has to stand as a path to the file (Django's docs mention `$(BUILDDIR)/linkcheck/output.txt` and
`/path/to/django/debug.log`; neither names a new root-level `output.txt` or `debug.log`), and a
partial path (`data/sample.db`, a bare `sample.db`) counts only from a file under the same top-level
folder as the new file. Ignore lists (`.gitignore`) name files to leave out, not files in use, and
build output is not the project's own text, so neither counts."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import PurePosixPath

from crewchief.gate.trees import BaseTree

MAX_BYTES = 1 << 20
"""Bigger base files are not searched: a text that size is data or generated, not a reference."""
_NOT_REFERENCES = (".po", ".pot", ".mo", ".js", ".css", ".svg", ".map")
"""Translations and web assets: half of a project like Django's bytes, and not where a project
names its data files or scripts."""
_MODULE_STEM_MIN = 6
"""As in the change's own search: a shorter module stem (`run`, `tmp`) is too common a word."""
_IGNORE_LISTS = re.compile(r"(^|/)\.[^/]*ignore$|(^|/)\.gitattributes$")
_FILE_CHAR = re.compile(r"[\w./-]")
_MODULE_CHAR = re.compile(r"[\w.]")
_CONTINUES = re.compile(r"[\w/-]|\.\w")
"""What after a match means the text names a longer path (`sample.dbx`, `debug.log.1`, `x.py/`)."""
_RELATIVE = re.compile(r"^(?:\.\.?/)+")


def repository_mentions(
    tree: BaseTree, paths: Collection[str], excluded: Callable[[str], bool]
) -> dict[str, str]:
    """New file to the base file that names it, for those of `paths` some base file names; one
    search of the tree for all of them. `excluded` says which base files are not the project's
    own text (build output)."""
    if not paths:
        return {}
    needles = {needle for path in paths for needle, _target, _module in _forms(path)}
    texts = tree.texts_containing(needles, MAX_BYTES, _NOT_REFERENCES)
    sources = [
        (other, data.decode("utf-8", "replace"))
        for other, data in sorted(texts.items())
        if not excluded(other) and not _IGNORE_LISTS.search(other)
    ]
    found: dict[str, str] = {}
    for path in paths:
        for other, text in sources:
            if other != path and _names(text, path, near=_same_top_folder(path, other)):
                found[path] = other
                break
    return found


def _forms(path: str) -> list[tuple[str, str, bool]]:
    """(what to find, the path it must complete to, whether it is a dotted module name)."""
    pure = PurePosixPath(path)
    forms = [(pure.name, path, False)]
    if path.endswith(".py") and len(pure.stem) >= _MODULE_STEM_MIN:
        forms.append((pure.stem, path[: -len(".py")], True))
    return forms


def _same_top_folder(path: str, other: str) -> bool:
    return "/" in path and "/" in other and path.split("/", 1)[0] == other.split("/", 1)[0]


def _names(text: str, path: str, *, near: bool) -> bool:
    return any(
        _named_as(text, needle, target, near=near, module=module)
        for needle, target, module in _forms(path)
    )


def _named_as(text: str, needle: str, target: str, *, near: bool, module: bool) -> bool:
    """Whether some occurrence of `needle` in `text` is the whole path `target`, or (from a file
    `near` it) a trailing part of it, read as a path or as a dotted module name."""
    path_char = _MODULE_CHAR if module else _FILE_CHAR
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        if not _CONTINUES.match(text, end):
            left = start
            while left and path_char.match(text, left - 1):
                left -= 1
            token = text[left:end]
            token = token.lstrip(".").replace(".", "/") if module else _RELATIVE.sub("", token)
            if token == target or (near and ("/" + target).endswith("/" + token)):
                return True
        start = text.find(needle, start + 1)
    return False
