"""Comments that silence a tool instead of satisfying it.

`# noqa`, `# type: ignore`, `# nosec`, `# pylint: disable` and `# pragma: no cover` each have honest
uses, but an agent asked to make the checks pass can add them as easily as it can fix the code, and
the tool then reports nothing. They are read from comment tokens (never from strings), so a
reviewer can be told exactly which ones a change added.
"""

from __future__ import annotations

import io
import re
import tokenize

COVERAGE = "pragma: no cover"

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (COVERAGE, re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)")),
    ("ruff: noqa", re.compile(r"#\s*(ruff|flake8)\s*:\s*noqa\b", re.IGNORECASE)),
    ("noqa", re.compile(r"#\s*noqa\b", re.IGNORECASE)),
    ("type: ignore", re.compile(r"#\s*type\s*:\s*ignore\b")),
    ("mypy: ignore-errors", re.compile(r"#\s*mypy\s*:\s*ignore-errors\b")),
    ("pyright: ignore", re.compile(r"#\s*pyright\s*:\s*(ignore|basic)\b")),
    ("nosec", re.compile(r"#\s*nosec\b")),
    ("pylint: disable", re.compile(r"#\s*pylint\s*:\s*disable\b")),
)
_SNIFF = re.compile(r"pragma|noqa|ignore|nosec|pylint|pyright", re.IGNORECASE)


def kind_of(comment: str) -> str | None:
    """The first suppression a comment holds (`# type: ignore  # noqa` counts as type: ignore)."""
    found = [(m.start(), kind) for kind, rx in _KINDS if (m := rx.search(comment)) is not None]
    return min(found)[1] if found else None


def find(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, line text) of every suppression comment, read with tokenize; a file that does
    not tokenize is scanned line by line from each line's first `#`."""
    if not _SNIFF.search(source):
        return []
    lines = source.splitlines()
    found: list[tuple[int, str, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                kind = kind_of(tok.string)
                row = tok.start[0]
                if kind is not None:
                    text = lines[row - 1] if row <= len(lines) else tok.string
                    found.append((row, kind, text.strip()[:200]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        found = []
        for row, text in enumerate(lines, 1):
            kind = kind_of(text[text.index("#") :]) if "#" in text else None
            if kind is not None:
                found.append((row, kind, text.strip()[:200]))
    return found
