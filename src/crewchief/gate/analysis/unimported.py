"""What the coverage check needs to count a file no test imported as 0% covered.

crewchief's reporter measures coverage with `source` set to the test run's folder, so every Python
file of the repository is inside the measured source; coverage.py still leaves a file out of its
data when nothing imported it (it only discovers unimported files inside packages). Reporting such a
file as merely "not measured" let a change add a whole untested module without moving the diff
coverage share. Its added statements count as added executable lines that did not run, unless the
base's coverage configuration omits the file on purpose.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import tomllib
from collections.abc import Mapping
from typing import Any

from crewchief.gate.analysis.pysource import parse as parse_python

_CONFIGS: tuple[tuple[str, str], ...] = (
    (".coveragerc", "run"),
    ("setup.cfg", "coverage:run"),
    ("tox.ini", "coverage:run"),
    ("pyproject.toml", ""),
)


def _docstring(node: ast.stmt, parent: ast.AST) -> bool:
    body = getattr(parent, "body", None)
    return (
        isinstance(body, list)
        and bool(body)
        and body[0] is node
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def statement_lines(source: str) -> set[int] | None:
    """The first line of every statement, as coverage.py counts executable lines (docstrings
    excluded); None when the source does not parse."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines: set[int] = set()
    for parent in ast.walk(tree):
        for node in ast.iter_child_nodes(parent):
            if isinstance(node, ast.stmt) and not _docstring(node, parent):
                lines.add(node.lineno)
    return lines


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [p.strip() for chunk in value.splitlines() for p in chunk.split(",") if p.strip()]
    return []


def _omit_in(name: str, section: str, data: bytes) -> list[str] | None:
    """The `[run] omit` patterns of one file; None when the file does not configure coverage."""
    text = data.decode("utf-8", "replace")
    if name == "pyproject.toml":
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            return None
        coverage = doc.get("tool", {}).get("coverage")
        if not isinstance(coverage, dict):
            return None
        run = coverage.get("run")
        return _split(run.get("omit")) if isinstance(run, dict) else []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError):
        return None
    if name != ".coveragerc" and not any(s.startswith("coverage:") for s in parser.sections()):
        return None
    return _split(parser.get(section, "omit", fallback="")) if parser.has_section(section) else []


def omit_patterns(config: Mapping[str, bytes]) -> list[str]:
    """`[run] omit` from the first file that configures coverage, in coverage.py's order."""
    for name, section in _CONFIGS:
        data = config.get(name)
        if data is not None:
            found = _omit_in(name, section, data)
            if found is not None:
                return found
    return []


_TOOLING = ("setup.py", "noxfile.py", "fabfile.py", "conf.py")
"""Build, task-runner and Sphinx files: run by tools, never imported by a test suite."""


def omitted(path: str, patterns: list[str]) -> bool:
    """Whether a file is outside what coverage measures: tooling files (`setup.py`, a docs
    `conf.py`), or the configuration's omit patterns, which coverage.py matches against absolute
    paths, a relative one from the run's folder, with `*` crossing folders."""
    name = path.rsplit("/", 1)[-1]
    if name in _TOOLING and (name != "conf.py" or path.startswith(("doc/", "docs/"))):
        return True
    candidates = (path, "/" + path)
    return any(fnmatch.fnmatchcase(c, p.removeprefix("./")) for p in patterns for c in candidates)
