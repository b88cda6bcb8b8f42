"""Making untrusted text (file names, diff lines, agent output) safe to show.

Agent output may carry terminal escape sequences that rewrite a reviewer's screen, bidirectional
controls that reorder what they read, or markup for the renderer. Everything crewchief prints that
an agent could have written passes through here first.
"""

from __future__ import annotations

import re
import unicodedata

_MAX_DEFAULT = 2000


def _escaped(ch: str) -> str:
    """One character as it may be shown: itself, or an escape that shows what it was."""
    code = ord(ch)
    if code < 32 or code == 127:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF or unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp", "Co"):
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return ch


def _shown(text: str, max_len: int, keep: str, tab: str) -> str:
    out: list[str] = []
    for ch in text[: max_len + 1] if max_len else text:
        if ch in keep:
            out.append(ch)
        elif ch == "\t":
            out.append(tab)
        else:
            out.append(_escaped(ch))
    shown = "".join(out)
    if max_len and len(text) > max_len:
        shown = shown[:max_len] + f"… (+{len(text) - max_len} chars)"
    return shown


def visible(text: str, max_len: int = _MAX_DEFAULT) -> str:
    """One line: control, format and unpaired surrogate characters become `\\xNN` / `\\uNNNN`
    escapes (a newline too, so a message cannot forge the next line of a listing)."""
    return _shown(text, max_len, "", "    ")


def visible_lines(text: str, max_len: int = _MAX_DEFAULT) -> str:
    """Multi-line text (an objective, a commit message) shown as its lines: newlines and tabs stay,
    every other control character is escaped as in `visible`. A CRLF ending becomes a newline; a
    lone carriage return is escaped, since a terminal would use it to overwrite the line."""
    return _shown(text.replace("\r\n", "\n"), max_len, "\n\t", "\t")


_TRAILER_UNSAFE = re.compile(r"[^\w.:/@+-]")


def safe_trailer_value(value: str, limit: int = 100) -> str:
    """An agent reports its own model name: one line of plain characters, so it cannot forge
    other trailers (an approver, a co-author) in a commit that lands."""
    return _TRAILER_UNSAFE.sub("_", value.strip())[:limit] or "unknown"


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#!|~<>])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")
"""What makes a list item or a setext underline, only at the start of a line."""


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(2):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"


def markdown_inline(text: str, limit: int = 300) -> str:
    """One line of untrusted text as Markdown that renders as exactly that text: no links, images,
    HTML, code spans, table breaks or headings of the agent's making, and no `@name` that would
    notify someone (a zero-width space follows each `@`; GitHub finds mentions in the rendered
    text, so an entity would not stop one). Control characters are escaped first, as `visible`
    shows them."""
    shown = visible(text, limit).replace("&", "&amp;")
    shown = _MARKDOWN_PUNCTUATION.sub(r"\\\1", shown)
    shown = _MARKDOWN_LINE_START.sub(_escape_line_start, shown)
    return shown.replace("@", "@\u200b")


def workflow_command_value(text: str, *, property_value: bool = False, limit: int = 2000) -> str:
    """Untrusted text inside a GitHub Actions workflow command (`::error file=...::message`),
    escaped as the runner unescapes it, so a message cannot end the command and start another
    (`\\n::add-mask::`) and a file name cannot add a property."""
    shown = visible_lines(text, limit)
    shown = shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        shown = shown.replace(":", "%3A").replace(",", "%2C")
    return shown
