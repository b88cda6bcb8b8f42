"""A git diff made ready for the run page: files, hunks, escaped and highlighted lines, findings.

Every line an agent wrote is made visible (control characters and terminal escapes become text),
capped in length, and escaped before it reaches a template; Pygments escapes the tokens it
highlights, and highlighting is skipped past a size cap so one enormous change cannot stall the
page. The parser is our own and small: it splits on `\\n` only (an agent's `\\x0c` or U+2028 must not
start a new line) and unquotes git's C-quoted file names, so findings meet the lines they are about.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from crewchief.review.show import findings_by_line
from crewchief.textsafe import visible

MAX_LINE_CHARS = 2000
"""Longer lines are cut for display, with a note saying how much is hidden."""
MAX_DIFF_LINES = 20_000
MAX_DIFF_CHARS = 40_000_000
HIGHLIGHT_HUNK_CHARS = 200_000
"""A hunk bigger than this is shown plain: Pygments is linear, but not fast enough for megabytes."""
HIGHLIGHT_PAGE_CHARS = 150_000
"""About 3,000 lines of code: past it a page is shown plain (and says so), so the first view of a
huge change stays fast."""

Finding = dict[str, Any]


@dataclass
class DiffLine:
    kind: str
    """add | del | ctx | note (git's "\\ No newline at end of file")."""
    old_no: int | None
    new_no: int | None
    text: str
    """Visible, length-capped text (not yet escaped)."""
    html: Markup = field(default_factory=Markup)


@dataclass
class Hunk:
    header: str
    lines: list[DiffLine] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[DiffLine | None, DiffLine | None]]:
        """Side-by-side rows: context on both sides, a removed run paired with the added run after it."""
        removed: list[DiffLine] = []
        added: list[DiffLine] = []

        def flush() -> Iterator[tuple[DiffLine | None, DiffLine | None]]:
            for i in range(max(len(removed), len(added))):
                yield (
                    removed[i] if i < len(removed) else None,
                    added[i] if i < len(added) else None,
                )
            removed.clear()
            added.clear()

        for line in self.lines:
            if line.kind == "del":
                if added:
                    yield from flush()
                removed.append(line)
            elif line.kind == "add":
                added.append(line)
            else:
                yield from flush()
                yield (line, line)
        yield from flush()


@dataclass
class FileDiff:
    index: int
    old_path: str | None
    new_path: str | None
    header: list[str] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    highlighted: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        if self.old_path != self.new_path:
            return "renamed"
        return "modified"

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "del")


@dataclass(frozen=True)
class Parsed:
    """A diff's files with their lines escaped and highlighted: depends on the commits only, so it
    is kept between requests (see `DiffCache`); findings are placed per request."""

    files: list[FileDiff]
    truncated: bool
    total_lines: int
    highlight_cut: bool
    """Highlighting stopped at the page budget; later lines are plain."""


@dataclass
class DiffView:
    parsed: Parsed
    file_findings: dict[int, list[Finding]]
    """Findings about a file as a whole (no line), by file index."""
    line_findings: dict[tuple[int, str, int], list[Finding]]
    """(file index, "new" | "old", line number) -> findings shown under that line."""
    unplaced: list[Finding]
    """Findings whose line is not in the diff (shown in a list of their own)."""

    @property
    def files(self) -> list[FileDiff]:
        return self.parsed.files

    @property
    def truncated(self) -> bool:
        return self.parsed.truncated

    @property
    def total_lines(self) -> int:
        return self.parsed.total_lines

    def at(self, file: FileDiff, line: DiffLine) -> list[Finding]:
        if line.kind in ("add", "ctx") and line.new_no is not None:
            return self.line_findings.get((file.index, "new", line.new_no), [])
        if line.kind == "del" and line.old_no is not None:
            return self.line_findings.get((file.index, "old", line.old_no), [])
        return []


class DiffCache:
    """The last few parsed diffs, by (base, head): commits never change, so neither do they."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Parsed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], compute: Callable[[], Parsed]) -> Parsed:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def show_text(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """`visible()` with a fast path for the common printable-ASCII line."""
    text = text.replace("\t", "    ")
    if len(text) <= limit and text.isascii() and text.isprintable():
        return text
    return visible(text, limit)


_ESCAPES = {"n": 10, "t": 9, "r": 13, "b": 8, "f": 12, "a": 7, "v": 11, "\\": 92, '"': 34}


def unquote(name: str) -> str:
    """git's C-quoted path (`"a/\\303\\251.py"`) back to the name, bytes decoded like git.py does."""
    if not (len(name) >= 2 and name[0] == '"' and name[-1] == '"'):
        return name
    raw = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            digits = body[i + 1 : i + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                raw.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            raw.append(_ESCAPES.get(nxt, ord(nxt) & 0xFF))
            i += 2
            continue
        raw.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return raw.decode("utf-8", "surrogateescape")


def _strip_prefix(name: str) -> str | None:
    name = unquote(name.split("\t", 1)[0] if not name.startswith('"') else name)
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def _git_header_paths(line: str) -> tuple[str | None, str | None]:
    """Paths from `diff --git a/X b/Y`, for files without ---/+++ lines (binary, renames, modes)."""
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        end = rest.find('" ', 1)
        while end != -1 and rest[end - 1] == "\\":
            end = rest.find('" ', end + 1)
        if end != -1:
            return _strip_prefix(rest[: end + 1]), _strip_prefix(rest[end + 2 :])
    half = (len(rest) - 1) // 2
    if rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])
    a, _, b = rest.partition(" b/")
    return _strip_prefix(a), _strip_prefix("b/" + b)


def _hunk_start(header: str) -> tuple[int, int]:
    try:
        ranges = header.split("@@")[1].split()
        old = int(ranges[0][1:].split(",")[0])
        new = int(ranges[1][1:].split(",")[0])
    except (IndexError, ValueError):
        return 1, 1
    return old, new


def _header_line(current: FileDiff, raw: str) -> None:
    """A line between `diff --git` and the first hunk: paths, modes, renames, binary."""
    if raw.startswith("--- "):
        current.old_path = _strip_prefix(raw[4:])
    elif raw.startswith("+++ "):
        current.new_path = _strip_prefix(raw[4:])
    elif raw.startswith("new file mode"):
        current.old_path = None
        current.header.append(raw)
    elif raw.startswith("deleted file mode"):
        current.new_path = None
        current.header.append(raw)
    elif raw.startswith("rename from "):
        current.old_path = unquote(raw[len("rename from ") :])
    elif raw.startswith("rename to "):
        current.new_path = unquote(raw[len("rename to ") :])
    elif raw.startswith("Binary files "):
        current.binary = True
    elif raw and not raw.startswith("index "):
        current.header.append(show_text(raw, 300))


def _hunk_line(hunk: Hunk, raw: str, old_no: int, new_no: int) -> tuple[int, int]:
    """Add one line of a hunk; the old and new line numbers of the next one."""
    mark, text = raw[0], raw[1:]
    if mark == "+":
        hunk.lines.append(DiffLine("add", None, new_no, show_text(text)))
        return old_no, new_no + 1
    if mark == "-":
        hunk.lines.append(DiffLine("del", old_no, None, show_text(text)))
        return old_no + 1, new_no
    if mark == " ":
        hunk.lines.append(DiffLine("ctx", old_no, new_no, show_text(text)))
        return old_no + 1, new_no + 1
    hunk.lines.append(DiffLine("note", None, None, show_text(raw, 300)))
    return old_no, new_no


def parse(diff: str) -> tuple[list[FileDiff], bool, int]:
    """Files of a `git diff` text; whether it was cut at MAX_DIFF_LINES; how many lines it had."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk: Hunk | None = None
    old_no = new_no = 0
    count = 0
    truncated = len(diff) > MAX_DIFF_CHARS
    for raw in diff[:MAX_DIFF_CHARS].split("\n"):
        if raw.startswith("diff --git "):
            old, new = _git_header_paths(raw)
            current = FileDiff(len(files), old, new)
            files.append(current)
            hunk = None
        elif current is None:
            continue
        elif raw.startswith("@@ "):
            old_no, new_no = _hunk_start(raw)
            hunk = Hunk(show_text(raw, 300))
            current.hunks.append(hunk)
        elif hunk is None:
            _header_line(current, raw)
        elif raw:  # not the split's empty tail
            count += 1
            if count > MAX_DIFF_LINES:
                truncated = True
                break
            old_no, new_no = _hunk_line(hunk, raw, old_no, new_no)
    return files, truncated, count


@functools.lru_cache(maxsize=512)
def _lexer_for(name: str) -> Any:
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return get_lexer_for_filename(name, stripnl=False, stripall=False, ensurenl=True)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def highlight_lines(texts: list[str], filename: str) -> list[Markup] | None:
    """One highlighted HTML fragment per line, or None (no lexer for the name, or a mismatch)."""
    lexer = _lexer_for(filename.rsplit("/", 1)[-1])
    if lexer is None or not texts:
        return None
    from pygments import highlight

    html = highlight("\n".join(texts), lexer, _formatter())
    parts = html.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    if len(parts) != len(texts):
        return None
    return [Markup(part) for part in parts]


def _highlight_file(file: FileDiff, budget: list[int]) -> bool:
    """Highlight hunk by hunk while the page budget lasts; False once it ran out."""
    for hunk in file.hunks:
        new_side = [line for line in hunk.lines if line.kind in ("ctx", "add")]
        old_side = [line for line in hunk.lines if line.kind == "del"]
        for side in (new_side, old_side):
            size = sum(len(line.text) + 1 for line in side)
            if not side or size > HIGHLIGHT_HUNK_CHARS:
                continue
            if size > budget[0]:
                return False
            html = highlight_lines([line.text for line in side], file.path)
            if html is None:
                continue
            budget[0] -= size
            file.highlighted = True
            for line, fragment in zip(side, html, strict=True):
                line.html = fragment
    return True


def prepare(diff: str, *, highlight: bool = True) -> Parsed:
    files, truncated, total = parse(diff)
    budget = [HIGHLIGHT_PAGE_CHARS if highlight else 0]
    cut = False
    for file in files:
        if highlight and not cut and not file.binary:
            cut = not _highlight_file(file, budget)
        for hunk in file.hunks:
            for line in hunk.lines:
                if not line.html:
                    line.html = escape(line.text)
    return Parsed(files, truncated, total, cut)


def place(parsed: Parsed, report: dict[str, Any] | None) -> DiffView:
    """Put each finding under the line it is about (a deleted file's findings on its old lines)."""
    placed = findings_by_line(report)
    shown: set[int] = set()
    file_findings: dict[int, list[Finding]] = {}
    line_findings: dict[tuple[int, str, int], list[Finding]] = {}

    def take(key: tuple[str, int | None]) -> list[Finding]:
        found = [f for f in placed.get(key, []) if id(f) not in shown]
        shown.update(id(f) for f in found)
        return found

    wanted = {path for path, _ in placed}
    for file in parsed.files:
        if file.path not in wanted and file.old_path not in wanted:
            continue
        if found := take((file.path, None)):
            file_findings[file.index] = found
        deleted = file.new_path is None and file.old_path is not None
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind in ("add", "ctx") and line.new_no is not None:
                    path, side, number = file.path, "new", line.new_no
                elif line.kind == "del" and deleted and line.old_no is not None:
                    path, side, number = file.old_path or "", "old", line.old_no
                else:
                    continue
                if found := take((path, number)):
                    line_findings[(file.index, side, number)] = found
    unplaced = [f for group in placed.values() for f in group if id(f) not in shown]
    return DiffView(parsed, file_findings, line_findings, unplaced)


def build(diff: str, report: dict[str, Any] | None, *, highlight: bool = True) -> DiffView:
    return place(prepare(diff, highlight=highlight), report)


def number_findings(report: dict[str, Any] | None) -> list[Finding]:
    """Give every finding of the report a stable anchor number (the page links to `#finding-N`)."""
    findings: list[Finding] = list((report or {}).get("findings", []))
    defaults = {"check": "?", "rule": "?", "severity": "info", "message": "", "path": None}
    for index, finding in enumerate(findings):
        for key, value in {**defaults, "line": None, "blocking": False, "cwe": None}.items():
            finding.setdefault(key, value)
        finding.setdefault("snippet", None)
        finding["_n"] = index
    return findings
