"""The Makefile recipes, scripts and tox environments a protected CI workflow runs are protected too.

`.github/**` is protected so an agent cannot rewrite the CI that judges it; but a workflow step that
runs `make test` hands the judgement to the Makefile, and `test: pytest || true` in it passes every
build while the workflow stays untouched. So the targets a base workflow invokes (`make X`, `just X`,
and the default target for a bare `make`), with every prerequisite they pull in, are read as part of
the protected CI: a change to one of those recipes is reported like a change to the workflow. Other
targets of the same file stay editable: a `make docs` no workflow runs is the project's business.
The same holds for a script the workflow executes (`bash ci/test.sh`: any change to it) and for the
tox environments it runs (`tox -e lint`, or every environment for a bare `tox`): their `commands`
and `ignore_outcome`/`ignore_errors`, not their dependencies.
"""

from __future__ import annotations

import configparser
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
    targets = invoked(workflows_in(context), tool)
    if not targets:
        return []
    before, after = recipes(old), recipes(new)
    out = []
    for name in sorted(closure(old, targets)):
        now = after.get(name)
        if now is None or now.body != before[name].body:
            out.append((name, now.line if now else 1))
    return out


# --- scripts and tox environments a workflow runs ------------------------------------------------

_SCRIPT_RUN = re.compile(
    r"(?:^|[\s;&|(])(?:(?:ba|z)?sh|python[\d.]*|source|\.)[ \t]+(?:-\w+[ \t]+)*"
    r"(?P<a>[\w./-]+\.(?:sh|bash|py))\b|(?:^|[\s;&|(])\./(?P<b>[\w./-]+)"
    r"|(?:^|[\s;&|(])(?P<c>[\w.-]+/[\w./-]+\.(?:sh|bash))\b",
    re.MULTILINE,
)
_TOX = re.compile(r"(?:^|[\s;&|(])tox\b((?:[ \t]+[^\s;&|)#]+)*)", re.MULTILINE)
_TOX_KEYS = ("commands", "commands_pre", "commands_post", "ignore_outcome", "ignore_errors")
"""What a tox environment runs and whether its failure counts; its deps are the dependencies
check's business."""


def workflows_in(context: Mapping[str, str]) -> list[str]:
    return [text for name, text in context.items() if WORKFLOW.match(name)]


def invoked_scripts(workflows: Iterable[str]) -> set[str]:
    """Repository files a workflow executes (`bash ci/test.sh`, `./scripts/check`, `python x.py`,
    `scripts/build.sh` alone)."""
    found: set[str] = set()
    for text in workflows:
        for match in _SCRIPT_RUN.finditer(text):
            named = match.group("a") or match.group("b") or match.group("c") or ""
            path = named.removeprefix("./")
            if path and not path.startswith(("/", "..")):
                found.add(path)
    return found


def _tox_envs(workflows: Iterable[str]) -> set[str] | None:
    """Environments a workflow runs with tox; None when none runs tox, "" for the default list."""
    envs: set[str] | None = None
    for text in workflows:
        for match in _TOX.finditer(text):
            envs = envs if envs is not None else set()
            words = match.group(1).split()
            named = [w for i, w in enumerate(words) if i and words[i - 1] in ("-e", "--env")]
            named += [w.split("=", 1)[1] for w in words if w.startswith(("-e=", "--env="))]
            if named:
                envs.update(e for n in named for e in n.split(","))
            else:
                envs.add("")
    return envs


def _tox_sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {
        name: {k: parser.get(name, k, fallback="").strip() for k in _TOX_KEYS}
        for name in parser.sections()
        if name == "testenv" or name.startswith("testenv:")
    }


def changed_tox_envs(context: Mapping[str, str], old: str, new: str) -> list[tuple[str, int]]:
    """(section, line in the new tox.ini) of environments CI runs whose commands changed."""
    envs = _tox_envs(workflows_in(context))
    if envs is None:
        return []
    before, after = _tox_sections(old), _tox_sections(new)
    wanted = {"testenv"} | {f"testenv:{e}" for e in envs if e}
    if "" in envs:
        wanted |= set(before)  # the default env_list: every environment, to be safe
    out = []
    for section in sorted(wanted & set(before)):
        if after.get(section) != before[section]:
            out.append((section, _section_line(new, section)))
    return out


def _section_line(text: str, section: str) -> int:
    header = f"[{section}]"
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == header:
            return number
    return 1
