"""The glob language of policy and task files, compiled once and shared by everything that matches
paths (the gate's scope check, task lint, the acceptance overlay)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def compile_glob(glob: str) -> re.Pattern[str]:
    """Globs are anchored at the repository root: `**` spans folders (`**/CLAUDE.md` is any
    folder's), `*` and `?` stay within one, `[...]` is a character class, and a trailing `/` means
    the folder and everything below it. Raises `re.error` for an invalid class such as `[z-a]`."""
    if glob.endswith("/"):
        glob += "**"
    parts: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            parts.append(".*")
            i += 2
        elif c == "*":
            parts.append("[^/]*")
            i += 1
        elif c == "?":
            parts.append("[^/]")
            i += 1
        elif c == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                parts.append(re.escape(c))
                i += 1
            else:
                body = glob[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                parts.append(f"[{body}]")
                i = end + 1
        else:
            parts.append(re.escape(c))
            i += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def match_glob(path: str, glob: str) -> bool:
    pattern = _GLOB_CACHE.get(glob)
    if pattern is None:
        pattern = _GLOB_CACHE[glob] = compile_glob(glob)
    return bool(pattern.match(path))


def match_any(path: str, globs: Iterable[str]) -> bool:
    return any(match_glob(path, g) for g in globs)
