"""Python source text as the interpreter will read it, not as a UTF-8 reader sees it.

A diff viewer shows a file's bytes as UTF-8, but Python honours a UTF-8 BOM and a PEP 263 coding
cookie. Under `# -*- coding: utf-7 -*-` the ASCII text `# +AAo-def pytest_runtest_makereport(...)`
looks like one comment to a reviewer and decodes to a newline and a real function for Python, so a
check that parses the UTF-8 reading misses the code that runs. Checks that judge what a module does
parse the text this module gives them.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import io
import tokenize
from collections.abc import Iterator

from crewchief.gate.change import Side


def decode(data: bytes) -> str | None:
    """The text Python compiles from these bytes (BOM and coding cookie honoured, newlines made
    universal), or None when Python itself would refuse to decode them."""
    try:
        return importlib.util.decode_source(data)
    except (SyntaxError, LookupError, UnicodeDecodeError, ValueError):
        return None


def encoding(data: bytes) -> str:
    """The codec Python reads these bytes with ("utf-8" when nothing says otherwise, "utf-8-sig"
    with a BOM); "unknown" for a cookie Python would reject."""
    try:
        name, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError, ValueError):
        return "unknown"
    return name


def hides_code(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8 that Python decodes to other text: what a reviewer reads
    is not what runs (a utf-7 cookie, say), rather than a legacy encoding shown garbled."""
    try:
        shown = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return reads_differently(data) and bool(shown)


def reads_differently(data: bytes) -> bool:
    """Whether Python runs different text from what a UTF-8 reader of the diff sees: a codec other
    than UTF-8 that changes the decoded text (a utf-7 cookie on ASCII bytes does)."""
    name = encoding(data)
    if name in ("utf-8", "utf-8-sig"):
        return False
    python = decode(data)
    try:
        shown = data.decode("utf-8")
    except UnicodeDecodeError:
        return python is not None  # the reviewer sees replacement characters, Python sees code
    return python is not None and python != shown.replace("\r\n", "\n").replace("\r", "\n")


def python_text(side: Side | None) -> str | None:
    """A `.py` side's text as Python reads it; any other side's ordinary text."""
    if side is None or side.data is None or side.is_submodule or side.is_symlink:
        return None
    if not side.path.endswith((".py", ".pyi")) or side.is_binary:
        return side.text
    return decode(side.data)


@functools.lru_cache(maxsize=128)
def parse(text: str) -> ast.Module:
    """`ast.parse(text)`, once per text for the whole gate: a changed module is read by most checks
    (security, hygiene, test integrity, dependencies, quality), and parsing is the largest share of
    a cold static gate on big files. Callers only read the tree; it is shared, never mutate it.
    Errors (SyntaxError, ValueError, RecursionError) propagate to each caller, uncached. The gate
    empties the cache when it ends (`forget_parsed`): trees of big modules are large, and a
    long-lived process (the runner, the web app) gates many changes."""
    return ast.parse(text)


def forget_parsed() -> None:
    """Drop the trees `parse` kept (a later gate parses again; a concurrent one only loses time)."""
    parse.cache_clear()


def walk_lines(tree: ast.AST, lines: frozenset[int] | set[int]) -> Iterator[ast.AST]:
    """The nodes of `tree` whose lines meet `lines`, found without visiting the rest: a statement
    whose span holds none of them is skipped with everything inside it. What a check looks for
    on a change's added lines sits in a few statements of a module that may have thousands."""
    if not lines:
        return
    low, high = min(lines), max(lines)
    todo = [tree]
    while todo:
        node = todo.pop()
        start = getattr(node, "lineno", None)
        if start is not None:
            end = getattr(node, "end_lineno", None) or start
            if end < low or start > high or not any(n in lines for n in range(start, end + 1)):
                continue
            yield node
        todo.extend(reversed(list(ast.iter_child_nodes(node))))
