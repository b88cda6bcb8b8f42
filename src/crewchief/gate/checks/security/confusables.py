"""A small confusables table: letters of other scripts that render like Latin ones.

Unicode's full `confusables.txt` maps thousands of characters; the ones an attacker actually uses
to fake a Latin name are the Cyrillic and Greek letters that are pixel-identical to ASCII letters
in common fonts, plus the fullwidth forms Python itself folds (NFKC). `skeleton` maps a string to
what it looks like, so two names (or a host and its fake) that look the same compare equal.
"""

from __future__ import annotations

import unicodedata

_TABLE = str.maketrans(
    {
        # Cyrillic lower and upper case
        "а": "a", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "ӏ": "l",
        "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "ԝ": "w", "х": "x", "у": "y", "ь": "b",
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
        "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ԁ": "D",
        # Greek
        "ο": "o", "α": "a", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
        # Armenian
        "օ": "o", "ս": "u", "ց": "g", "զ": "q", "հ": "h", "ո": "n",
    }
)  # fmt: skip


def skeleton(text: str) -> str:
    """What the text looks like: NFKC folding (a fullwidth e is e), then look-alike letters."""
    return unicodedata.normalize("NFKC", text).translate(_TABLE)


def lookalikes(text: str) -> tuple[str, ...]:
    """The characters of `text` that the table maps to a Latin letter, in order, distinct."""
    return tuple(dict.fromkeys(c for c in text if not c.isascii() and skeleton(c) != c))


def mixes_scripts(word: str) -> bool:
    """Whether one word holds both an ASCII letter and a look-alike from another script."""
    return any(c.isascii() and c.isalpha() for c in word) and bool(lookalikes(word))
