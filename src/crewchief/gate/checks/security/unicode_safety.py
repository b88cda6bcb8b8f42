"""Characters that make code read differently from how it runs ("Trojan Source").

Bidirectional controls reorder how a line is displayed, so a reviewer can see a comment where the
interpreter sees code (CVE-2021-42574). Invisible characters hide content inside a string or an
identifier. Letters from another script that look Latin make two different names look the same
(CVE-2021-42694).

CWE choice: bidi controls and invisible characters are CWE-451, "User Interface (UI)
Misrepresentation of Critical Information": the weakness is that the editor or review tool shows the
reviewer something other than what the compiler reads, which is exactly that entry's definition
(NVD files CVE-2021-42574 under no more specific CWE). Confusable identifiers are CWE-1007,
"Insufficient Visual Distinction of Homoglyphs Presented to User", the entry written for them.

Only lines the change adds are scanned; a line that merely moved (removed elsewhere in the same
change with the same text) is not new. A file that is not valid UTF-8 is scanned whole with
replacement characters, so one stray byte cannot switch the scan off.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from crewchief.gate.change import Change, FileChange, Side
from crewchief.gate.checks.security.confusables import skeleton
from crewchief.gate.checks.security.rules import BIDI as BIDI_RULE
from crewchief.gate.checks.security.rules import CONFUSABLE as CONFUSABLE_RULE
from crewchief.gate.checks.security.rules import INVISIBLE as INVISIBLE_RULE
from crewchief.gate.checks.security.rules import RULES
from crewchief.gate.findings import Finding, Severity, fingerprint
from crewchief.gate.introduced import introduced

BIDI = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C})
BIDI_MARKS = frozenset({0x200E, 0x200F, 0x061C})
"""LRM, RLM and the Arabic letter mark: they only nudge where neutral characters like `.` sit and
cannot reorder a line's tokens, and Arabic or Hebrew text needs them. In data and locale files and
inside Python strings and comments they are text; elsewhere in Python code they still block. The
overrides, embeddings and isolates (U+202A-202E, U+2066-2069) block everywhere."""
_JOINERS = frozenset({0x200B, 0x200C, 0x200D})
"""Legitimate between two non-ASCII characters (emoji sequences, Persian, Indic, Thai text)."""
INVISIBLE = frozenset(
    {*_JOINERS, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x00AD, 0x180E, 0x115F, 0x1160,
     0x3164, 0xFFA0, *range(0xE0000, 0xE0080)}
)  # fmt: skip
_VARIATION = frozenset({*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)})
_TAGS = range(0xE0000, 0xE0080)
_BLACK_FLAG = 0x1F3F4
_MAX_FLAG_TAGS = 8
"""Real subdivision flags use at most 6 tags; the bound keeps a hostile line of tags linear."""
_HIDDEN = BIDI | INVISIBLE | _VARIATION


def _char_class(points: Iterable[int]) -> re.Pattern[str]:
    """A regex class of code points written as ranges: a class of hundreds of single characters
    makes the scan of a 10 MB line take seconds."""
    ranges: list[list[int]] = []
    for cp in sorted(points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges)
    return re.compile(f"[{body}]")


_SUSPECT = _char_class(_HIDDEN)
PROSE_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
_LOOKALIKE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC", "LISU")
SNIPPET_CHARS = 160


def code_point(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: how a finding names a character, never the raw thing."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def escape(text: str, limit: int = SNIPPET_CHARS, *, only_hidden: bool = False) -> str:
    """The text cut to `limit` with characters shown as <U+XXXX>: every non-ASCII or control one,
    or with `only_hidden` just the controls, bidi and invisible ones (for code snippets, where
    ordinary accented text should stay readable)."""
    out: list[str] = []
    size = 0
    for char in text[: limit * 2]:
        plain = " " <= char <= "~"
        if only_hidden:
            plain = (char == "\t" or char.isprintable()) and ord(char) not in _HIDDEN
        piece = char if plain else f"<U+{ord(char):04X}>"
        out.append(piece)
        size += len(piece)
        if size >= limit:
            out.append("...")
            break
    return "".join(out)


@dataclass(frozen=True)
class _Hit:
    rule: str
    line: int
    text: str
    chars: tuple[str, ...]
    detail: str = ""


def _is_legit_joiner(line: str, i: int) -> bool:
    before = line[i - 1] if i > 0 else " "
    after = line[i + 1] if i + 1 < len(line) else " "
    return not (before.isascii() or after.isascii())


def _in_flag_tag_sequence(line: str, i: int) -> bool:
    """Tag characters are how subdivision flags (England, Scotland) are spelt: black flag, tags,
    cancel tag."""
    start = max(0, i - _MAX_FLAG_TAGS)
    j = i
    while j > start and ord(line[j - 1]) in _TAGS:
        j -= 1
    if j == 0 or ord(line[j - 1]) != _BLACK_FLAG:
        return False
    end = min(len(line), i + _MAX_FLAG_TAGS)
    k = i
    while k < end and ord(line[k]) in _TAGS and ord(line[k]) != 0xE007F:
        k += 1
    return k < end and ord(line[k]) == 0xE007F


def _is_legit_invisible(line: str, lineno: int, i: int, cp: int) -> bool:
    if cp == 0xFEFF:
        return lineno == 1 and i == 0  # a byte order mark
    if cp in _JOINERS:
        return _is_legit_joiner(line, i)
    return cp in _TAGS and _in_flag_tag_sequence(line, i)


def _scan_line(lineno: int, line: str, in_text: Callable[[int, int], bool]) -> Iterator[_Hit]:
    """`in_text(line, column)` says whether a position is text (a string, a comment, a data
    file) where a bidi mark is harmless."""
    if line.isascii():
        return
    bidi: dict[str, None] = {}  # distinct characters, in order of appearance
    invisible: dict[str, None] = {}
    for match in _SUSPECT.finditer(line):
        char, i = match.group(), match.start()
        cp = ord(char)
        if cp in BIDI_MARKS and in_text(lineno, i):
            continue
        if cp in BIDI:
            bidi[char] = None
        elif cp in _VARIATION:
            before = line[i - 1] if i > 0 else ""
            if before.isascii() and (before.isalnum() or before == "_"):
                invisible[char] = None
        elif not _is_legit_invisible(line, lineno, i, cp):
            invisible[char] = None
    if bidi:
        yield _Hit(BIDI_RULE, lineno, line, tuple(bidi))
    if invisible:
        yield _Hit(INVISIBLE_RULE, lineno, line, tuple(invisible))


def _is_lookalike(char: str) -> bool:
    if char.isascii():
        return False
    if unicodedata.normalize("NFKC", char).isascii():
        return True  # fullwidth or mathematical letters: Python reads them as the ASCII name
    return unicodedata.name(char, "").startswith(_LOOKALIKE_SCRIPTS)


_BUILTIN_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_TEXT_TOKENS = frozenset(
    {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
)


@dataclass
class _PyTokens:
    """One tokenize pass over a Python file: where strings and comments are, and every name."""

    spans: dict[int, list[tuple[int, int]]]
    names: list[tokenize.TokenInfo]

    @classmethod
    def of(cls, text: str) -> _PyTokens:
        spans: dict[int, list[tuple[int, int]]] = {}
        names: list[tokenize.TokenInfo] = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.NAME:
                    names.append(tok)
                elif tok.type in _TEXT_TOKENS:
                    (srow, scol), (erow, ecol) = tok.start, tok.end
                    for row in range(srow, erow + 1):
                        start = scol if row == srow else 0
                        end = ecol if row == erow else 1 << 30
                        spans.setdefault(row, []).append((start, end))
        except (tokenize.TokenError, SyntaxError, ValueError):
            pass
        return cls(spans, names)

    def in_text(self, line: int, column: int) -> bool:
        return any(start <= column < end for start, end in self.spans.get(line, ()))


def _anywhere(line: int, column: int) -> bool:
    del line, column
    return True


def _confusable_names(tokens: _PyTokens, lines: frozenset[int]) -> Iterator[_Hit]:
    """Names on the given lines that read as another name: one Python folds to ASCII (fullwidth
    `e` + `val` is `eval`), or one whose look-alike skeleton is another name of the module or a
    builtin (`is_<Cyrillic a>dmin` next to `is_admin`). A name in another script that collides with
    nothing (`\u0394t`, `caf\u00e9`, a Russian variable) is just a name."""
    by_skeleton: dict[str, set[str]] = {}
    for tok in tokens.names:
        folded = unicodedata.normalize("NFKC", tok.string)
        by_skeleton.setdefault(skeleton(folded), set()).add(folded)
    for tok in tokens.names:
        name = tok.string
        if name.isascii() or tok.start[0] not in lines:
            continue
        odd = tuple(dict.fromkeys(c for c in name if _is_lookalike(c)))
        if not odd:
            continue
        folded = unicodedata.normalize("NFKC", name)
        look = skeleton(folded)
        collides = len(by_skeleton.get(look, ())) > 1 or (look != folded and look in _BUILTIN_NAMES)
        if folded.isascii() or collides:
            yield _Hit(CONFUSABLE_RULE, tok.start[0], tok.line.rstrip("\n"), odd, name)


def _message(hit: _Hit, prose: bool) -> str:
    points = ", ".join(code_point(c) for c in hit.chars)
    if hit.rule == BIDI_RULE:
        return (
            f"adds the bidirectional control {points}: the line can display in a different order "
            "than it is parsed, hiding code from a reviewer (Trojan Source, CVE-2021-42574)"
        )
    if hit.rule == INVISIBLE_RULE:
        where = "prose" if prose else "code"
        return (
            f"adds the invisible character {points} to {where}: text that looks identical can "
            "differ, hiding content or making two names look the same"
        )
    return (
        f"identifier '{escape(hit.detail, 60)}' uses look-alike {points}: it reads as a different "
        "name than it is, so calls can silently go elsewhere (CVE-2021-42694)"
    )


def _hit_finding(path: str, hit: _Hit, prose: bool) -> Finding:
    """An invisible character in prose (a Markdown or text file) is more often a pasted
    zero-width space than an attack, so it asks for review where in code it blocks."""
    quiet = hit.rule == INVISIBLE_RULE and prose
    return RULES[hit.rule].finding(
        _message(hit, prose),
        path=path,
        line=hit.line,
        fingerprint=fingerprint(hit.rule, "".join(hit.chars), hit.text),
        snippet=escape(hit.text.strip(), only_hidden=hit.rule != CONFUSABLE_RULE),
        severity=Severity.MEDIUM if quiet else None,
        blocking=False if quiet else None,
    )


def _lines(side: Side | None) -> tuple[tuple[int, str], ...]:
    """Every line of a side, decoding lossily when it is not valid UTF-8."""
    if side is None or side.data is None or side.is_binary or side.is_symlink:
        return ()
    if side.text is not None:
        return tuple(enumerate(side.lines, 1))
    return tuple(enumerate(side.data.decode("utf-8", "replace").splitlines(), 1))


def _scan(numbered: Iterable[tuple[int, str]], python_text: str | None) -> list[_Hit]:
    numbered = [(n, line) for n, line in numbered if not line.isascii()]
    if not numbered:
        return []
    tokens = _PyTokens.of(python_text) if python_text is not None else None
    in_text = tokens.in_text if tokens is not None else _anywhere
    hits: list[_Hit] = []
    for lineno, line in numbered:
        hits.extend(_scan_line(lineno, line, in_text))
    if tokens is not None:
        hits.extend(_confusable_names(tokens, frozenset(n for n, _ in numbered)))
    return hits


def _is_python(path: str) -> bool:
    return path.endswith((".py", ".pyi", ".pyw"))


def _ascii(side: Side) -> bool:
    return side.data is not None and side.data.isascii()


def file_findings(change: FileChange) -> tuple[list[Finding], list[Finding]]:
    """(findings on the lines the change adds, findings on the lines it removes)."""
    new, old = change.new, change.old
    if new is None and old is not None and not _ascii(old):
        # A deleted file's lines are all removed: they let a line moved elsewhere match.
        prose = old.path.lower().endswith(PROSE_SUFFIXES)
        text = old.text if _is_python(old.path) else None
        return [], [_hit_finding(old.path, h, prose) for h in _scan(_lines(old), text)]
    if new is None or new.is_symlink or new.is_binary or new.data is None:
        return [], []
    if _ascii(new) and (old is None or _ascii(old)):
        return [], []  # nothing to find, and no need to diff the file
    path = new.path
    prose = path.lower().endswith(PROSE_SUFFIXES)
    python = _is_python(path) and new.text is not None
    if new.text is not None and (old is None or old.text is not None):
        added: Iterable[tuple[int, str]] = change.added_lines
        removed: Iterable[tuple[int, str]] = change.removed_lines
    else:
        added, removed = _lines(new), _lines(old)
    head = [_hit_finding(path, h, prose) for h in _scan(added, new.text if python else None)]
    old_text = old.text if old is not None and python else None
    base = [_hit_finding(path, h, prose) for h in _scan(removed, old_text)]
    return head, base


def findings(change: Change) -> list[Finding]:
    """Unicode findings the change introduces: on added lines, not matched by a removed line."""
    head: list[Finding] = []
    base: list[Finding] = []
    for file in change.files:
        new_hits, old_hits = file_findings(file)
        head.extend(new_hits)
        base.extend(old_hits)
    return introduced(base, head, key=lambda f: (f.rule, f.fingerprint))
