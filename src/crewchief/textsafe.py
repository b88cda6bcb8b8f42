"""Making untrusted text (file names, diff lines, agent output) safe to show.

Agent output may carry terminal escape sequences that rewrite a reviewer's screen, bidirectional
controls that reorder what they read, or markup for the renderer. Everything crewchief prints that
an agent could have written passes through here first.
"""

from __future__ import annotations

import re
import unicodedata

_MAX_DEFAULT = 2000


def visible(text: str, max_len: int = _MAX_DEFAULT) -> str:
    """Control, format and unpaired surrogate characters become `\\xNN` / `\\uNNNN` escapes."""
    out: list[str] = []
    for ch in text[: max_len + 1] if max_len else text:
        code = ord(ch)
        if ch == "\t":
            out.append("    ")
        elif code < 32 or code == 127:
            out.append(f"\\x{code:02x}")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF or unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp", "Co"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    shown = "".join(out)
    if max_len and len(text) > max_len:
        shown = shown[:max_len] + f"… (+{len(text) - max_len} chars)"
    return shown


_TRAILER_UNSAFE = re.compile(r"[^\w.:/@+-]")


def safe_trailer_value(value: str, limit: int = 100) -> str:
    """An agent reports its own model name: one line of plain characters, so it cannot forge
    other trailers (an approver, a co-author) in a commit that lands."""
    return _TRAILER_UNSAFE.sub("_", value.strip())[:limit] or "unknown"
