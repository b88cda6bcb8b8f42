"""Debug leftovers in JavaScript and TypeScript library code: `console.log/debug/trace/dir(...)`
calls and `debugger;` statements on the lines a change adds.

A regular expression over each line's code is enough, once comments and the insides of strings are
blanked out, so `// console.log(x)`, `"console.log("` and `isDebugger` stay quiet (block comments
and template literals are followed across lines; regular-expression literals are not parsed, which
can only hide a finding). In `.vue` and `.svelte` files only the `<script>` blocks are code. As
with Python's prints, a file that used `console` at base logs on purpose and its new calls stay
quiet; `console.error` and `console.warn` are never reported. A `debugger;` always is."""

from __future__ import annotations

import re
from collections.abc import Iterator

from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.hygiene.paths import is_js_library
from crewchief.gate.checks.hygiene.rules import added_line_finding
from crewchief.gate.findings import Finding

_CONSOLE = re.compile(r"(?<![\w$])console\s*\.\s*(log|debug|trace|dir)\s*\(")
_ANY_CONSOLE = re.compile(r"(?<![\w$])console\s*\.")
_DEBUGGER = re.compile(r"(?<![\w$.])debugger\s*(;|\}|$)")
_SCRIPT_OPEN = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.IGNORECASE)


def _script_only(lines: tuple[str, ...]) -> list[str]:
    """The lines of a single-file component with everything outside `<script>` blanked."""
    kept: list[str] = []
    inside = False
    for line in lines:
        if not inside:
            opened = _SCRIPT_OPEN.search(line)
            inside = opened is not None and not _SCRIPT_CLOSE.search(line, opened.end())
            kept.append("")
        elif _SCRIPT_CLOSE.search(line):
            inside = False
            kept.append("")
        else:
            kept.append(line)
    return kept


def code_lines(side: Side) -> list[str]:
    """Each line with comments removed and string contents blanked (their quotes are kept)."""
    lines = _script_only(side.lines) if side.path.endswith((".vue", ".svelte")) else side.lines
    out: list[str] = []
    state = ""  # "", "/*", or the quote character of an open string
    for line in lines:
        kept: list[str] = []
        i = 0
        while i < len(line):
            char, pair = line[i], line[i : i + 2]
            if state == "/*":
                state, i = ("", i + 2) if pair == "*/" else (state, i + 1)
                continue
            if state:
                if char == "\\":
                    i += 2
                    continue
                if char == state:
                    state = ""
                    kept.append(char)
                i += 1
                continue
            if pair == "//":
                break
            if pair == "/*":
                state, i = "/*", i + 2
                continue
            if char in "'\"`":
                state = char
            kept.append(char)
            i += 1
        if state in ("'", '"'):
            state = ""  # a quoted string cannot span lines; markup apostrophes end here too
        out.append("".join(kept))
    return out


def _uses_console(side: Side | None) -> bool:
    if side is None or side.text is None or "console" not in side.text:
        return False
    return any(_ANY_CONSOLE.search(line) for line in code_lines(side))


def _file_findings(file: FileChange) -> Iterator[Finding]:
    side = file.new
    assert side is not None and side.text is not None
    if "console" not in side.text and "debugger" not in side.text:
        return
    logged_before = _uses_console(file.old)
    code = code_lines(side)
    for number in sorted(file.added_line_numbers):
        line = code[number - 1] if number <= len(code) else ""
        hits: list[tuple[str, str]] = []
        if _DEBUGGER.search(line):
            hits.append(("debugger", "adds a `debugger` statement"))
        call = _CONSOLE.search(line)
        if call and not logged_before:
            hits.append(("debug-print", f"adds `console.{call.group(1)}(...)` to library code"))
        for rule, message in hits:
            yield added_line_finding(rule, file, number, message)


def js_leftover_findings(files: tuple[FileChange, ...], test_globs: list[str]) -> list[Finding]:
    """Findings for the changed JavaScript/TypeScript library files (deletions excluded)."""
    found: list[Finding] = []
    for file in files:
        side = file.new
        if side is None or side.text is None or side.is_symlink:
            continue
        if is_js_library(side.path, test_globs):
            found.extend(_file_findings(file))
    return found
