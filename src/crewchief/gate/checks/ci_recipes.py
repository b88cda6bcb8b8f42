"""The Makefile and justfile recipes a protected CI workflow runs are protected too.

`.github/**` is protected so an agent cannot rewrite the CI that judges it; but a workflow step that
runs `make test` hands the judgement to the Makefile, and `test: pytest || true` in it passes every
build while the workflow stays untouched. So the targets a base workflow invokes (`make X`, `just X`,
and the default target for a bare `make`), with every prerequisite they pull in, are read as part of
the protected CI: a change to one of those recipes is reported like a change to the workflow. Other
targets of the same file stay editable: a `make docs` no workflow runs is the project's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WORKFLOW = re.compile(r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.yml)$")
RECIPE_FILES = {"Makefile": "make", "GNUmakefile": "make", "makefile": "make", "justfile": "just"}
_INVOKE = re.compile(r"(?:^|[\s;&|(\"'`-])(make|just)((?:[ \t]+[^\s;&|)\"'`#]+)*)", re.MULTILINE)
_TARGETS = re.compile(r"[A-Za-z0-9_./ \t-]+")
_NAME = re.compile(r"^[A-Za-z0-9_./-]+$")


@dataclass(frozen=True)
class Recipe:
    line: int
    prerequisites: tuple[str, ...]
    body: str
    """Prerequisites and recipe lines as written: what running the target does."""


def invoked(workflows: Iterable[str], tool: str) -> set[str]:
    """Targets `tool` (make or just) is asked to run; "" stands for the default target."""
    found: set[str] = set()
    for text in workflows:
        for match in _INVOKE.finditer(text):
            if match.group(1) != tool:
                continue
            words = match.group(2).split()
            names = _targets(words)
            found.update(names or [""])
    return found


def _targets(words: list[str]) -> list[str]:
    names: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("-C", "-f", "--file", "--directory", "-j", "--justfile"):
            skip = True
        elif word.startswith("-") or "=" in word:
            continue
        elif _NAME.match(word):
            names.append(word)
    return names


def recipes(text: str) -> dict[str, Recipe]:
    """Target blocks: a header at column 0 (`name other: prereqs`) and the indented lines under it."""
    found: dict[str, Recipe] = {}
    current: list[str] = []
    lines = text.splitlines()
    start, body, prereqs = 0, list[str](), tuple[str, ...]()

    def close() -> None:
        for name in current:
            found.setdefault(name, Recipe(start, prereqs, "\n".join(body).rstrip()))

    for number, line in enumerate(lines, 1):
        if line[:1] in ("\t", " ") and current:
            body.append(line.strip())
            continue
        header = _header(line)
        if header is None:
            if line.strip() and not line.startswith("#"):
                close()
                current = []
            continue
        close()
        current, rest = header
        deps = re.sub(r"[|&].*", "", rest.split("#", 1)[0]).split()
        start, prereqs, body = number, tuple(d for d in deps if _NAME.match(d)), [rest]
    close()
    return found


def _header(line: str) -> tuple[list[str], str] | None:
    """`names: rest` at column 0, not an assignment (`X := 1`, `X ::= 1`) nor `.PHONY`; split by
    hand rather than by one regex, which backtracks badly on a long line without a colon."""
    if line.startswith(("#", ".PHONY")) or ":" not in line:
        return None
    head, _, rest = line.partition(":")
    rest = rest.removeprefix(":")  # double-colon rules
    if rest.startswith("=") or not _TARGETS.fullmatch(head) or not head.strip():
        return None
    return head.split(), rest


def _default(text: str) -> str | None:
    for name in recipes(text):
        if not name.startswith("."):
            return name
    return None


def closure(text: str, targets: set[str]) -> set[str]:
    """The targets and every prerequisite they run, transitively (the default for "")."""
    table = recipes(text)
    todo = [t or _default(text) or "" for t in targets]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in table:
            continue
        seen.add(name)
        todo.extend(table[name].prerequisites)
    return seen


def changed_recipes(
    context: Mapping[str, str], old: str, new: str, path: str
) -> list[tuple[str, int]]:
    """(target, line in the new file) of protected recipes that the change rewrote or removed."""
    tool = RECIPE_FILES.get(path)
    if tool is None:
        return []
    workflows = [text for name, text in context.items() if WORKFLOW.match(name)]
    targets = invoked(workflows, tool)
    if not targets:
        return []
    before, after = recipes(old), recipes(new)
    out = []
    for name in sorted(closure(old, targets)):
        now = after.get(name)
        if now is None or now.body != before[name].body:
            out.append((name, now.line if now else 1))
    return out
