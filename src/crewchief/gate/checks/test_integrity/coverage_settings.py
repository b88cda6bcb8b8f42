"""coverage.py settings a change edits, judged by an allow-list like pytest's.

The dynamic gate measures head's coverage with the base's settings (`COVERAGE_RCFILE`), so an
`exclude_also = ["if n > 1000:"]` no longer hides the change's own untested branch from the
coverage check. What is left is the project's own setting: after merge, every later run reads it.
So a changed coverage setting is reported here, read by coverage.py itself (which knows its file
precedence, `exclude_also`, `[coverage:run]` prefixes and TOML), and compared attribute by
attribute:

- an added exclusion (`exclude_lines`, `exclude_also`, `partial_branches`) that matches a line the
  change added to production code, or an added `omit` glob (or a narrowed `include`/`source`) that
  drops a production file the change touched, blocks as `coverage-exclusion-added`: the change
  hides its own code from measurement;
- any other change outside the harmless settings (report layout, output paths, precision) asks
  for review as `coverage-config-changed`.
"""

from __future__ import annotations

import fnmatch
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import coverage
from coverage.exceptions import CoverageException

from crewchief.gate.change import Change, FileChange, match_any
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.dynamic.coverage_config import COVERAGE_FILES, coverage_source
from crewchief.gate.findings import Finding, fingerprint

_HARMLESS = frozenset(
    {
        "show_missing",
        "skip_covered",
        "skip_empty",
        "precision",
        "sort",
        "format",
        "html_dir",
        "html_title",
        "html_skip_covered",
        "html_skip_empty",
        "extra_css",
        "xml_output",
        "xml_package_depth",
        "json_output",
        "json_pretty_print",
        "json_show_contexts",
        "lcov_output",
        "lcov_line_checksums",
        "data_file",
        "parallel",
        "relative_files",
        "debug",
        "debug_file",
        "disable_warnings",
        "show_contexts",
        "dynamic_context",
        "context",
        "sigterm",
        "paths",
        "concurrency",
        "patch",
        "core",
        "timid",
    }
)
"""Settings that change how coverage reports or stores data, never which lines count."""

_JUDGED_ELSEWHERE = frozenset({"fail_under"})
"""`coverage-threshold-lowered` compares the threshold."""

_BOOKKEEPING = frozenset(
    {"config_file", "config_files_attempted", "config_files_read", "_config_contents", "_crash"}
)

_EXCLUSIONS = ("exclude_list", "partial_list", "partial_always_list")


def _load(name: str, data: bytes) -> dict[str, Any] | None:
    """The settings coverage.py reads from this one file, or None when it refuses the file."""
    with tempfile.TemporaryDirectory(prefix="crewchief-coverage-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            config = coverage.Coverage(config_file=str(path), data_file=None).config
        except (CoverageException, ValueError, OSError):
            return None
    return {k: v for k, v in vars(config).items() if k not in _BOOKKEEPING}


def _defaults() -> dict[str, Any]:
    config = coverage.Coverage(config_file=False, data_file=None).config
    return {k: v for k, v in vars(config).items() if k not in _BOOKKEEPING}


def _settings(files: Mapping[str, bytes | None]) -> tuple[str | None, dict[str, Any] | None]:
    source = coverage_source(dict(files))
    if source is None:
        return None, _defaults()
    return source[0], _load(*source)


def _sides(change: Change) -> tuple[dict[str, bytes | None], dict[str, bytes | None]]:
    """The coverage config files at the root, base and head (context holds the base's)."""
    base: dict[str, bytes | None] = {n: change.context.get(n) for n in COVERAGE_FILES}
    head = dict(base)
    for f in change.files:
        if f.old is not None and f.old.path in base:
            base[f.old.path] = f.old.data
            head[f.old.path] = None
        if f.new is not None and f.new.path in head:
            head[f.new.path] = f.new.data
    return base, head


def _new_patterns(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old = {p for key in _EXCLUSIONS for p in before.get(key) or []}
    return [p for key in _EXCLUSIONS for p in after.get(key) or [] if p not in old]


def _hidden_lines(patterns: list[str], files: Iterable[FileChange]) -> list[tuple[str, int, str]]:
    """(path, line, pattern) for each added line a new exclusion matches, as coverage.py does
    (a regular expression searched in each source line)."""
    compiled: list[tuple[str, re.Pattern[str]]] = []
    for pattern in patterns:
        try:
            compiled.append((pattern, re.compile(pattern)))
        except re.error:
            continue
    hits: list[tuple[str, int, str]] = []
    for f in files:
        for number, text in f.added_lines:
            hit = next((p for p, rx in compiled if rx.search(text)), None)
            if hit is not None:
                hits.append((f.path, number, hit))
                break
    return hits


def _dropped_files(
    before: dict[str, Any], after: dict[str, Any], files: Iterable[FileChange]
) -> list[tuple[str, str]]:
    """(path, setting) for each touched production file a new omit glob, or a narrowed
    include/source, takes out of measurement."""
    out: list[tuple[str, str]] = []
    for f in files:
        path = f.path
        for key in ("run_omit", "report_omit"):
            new = [g for g in after.get(key) or [] if g not in (before.get(key) or [])]
            if any(_glob(path, g) for g in new):
                out.append((path, key.replace("_", ":")))
        for key in ("run_include", "report_include", "source"):
            old_in, new_in = before.get(key) or [], after.get(key) or []
            if new_in and _covered(path, old_in) and not _covered(path, new_in):
                out.append((path, key.replace("_", ":")))
    return out


def _glob(path: str, pattern: str) -> bool:
    pattern = pattern.lstrip("./")
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, "*/" + pattern)


def _covered(path: str, patterns: list[str]) -> bool:
    """Whether an include/source list keeps this path (an empty list keeps everything)."""
    if not patterns:
        return True
    parts = PurePosixPath(path).parts
    return any(
        _glob(path, p) or p.strip("./") in {"/".join(parts[:i]) for i in range(1, len(parts))}
        for p in patterns
    )


def findings(change: Change, test_globs: list[str]) -> list[Finding]:
    """Blocking where the new settings hide the change's own production code from coverage;
    review for any other setting that changes what coverage counts."""
    base_files, head_files = _sides(change)
    if coverage_source(dict(base_files)) == coverage_source(dict(head_files)):
        return []
    before_name, before = _settings(base_files)
    after_name, after = _settings(head_files)
    if before is None or after is None:
        return []  # an unreadable file is config-unparsable's
    source = after_name or before_name or "pyproject.toml"
    production = [
        f
        for f in change.files
        if f.new is not None and f.path.endswith(".py") and not match_any(f.path, test_globs)
    ]
    hidden = _hidden_lines(_new_patterns(before, after), production)
    dropped = _dropped_files(before, after, production)
    if hidden or dropped:
        return [_exclusion(source, hidden, dropped)]
    changed = sorted(
        k
        for k in set(before) | set(after)
        if k not in _HARMLESS | _JUDGED_ELSEWHERE and before.get(k) != after.get(k)
    )
    if not changed:
        return []
    rule = RULES["coverage-config-changed"]
    names = ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")
    return [
        rule.finding(
            f"{source}: the change alters coverage settings that decide which code counts "
            f"({names}); the gate measured with the base's, later runs will use these",
            path=source,
            fingerprint=fingerprint(rule.id, source, names),
        )
    ]


def _exclusion(
    source: str, hidden: list[tuple[str, int, str]], dropped: list[tuple[str, str]]
) -> Finding:
    rule = RULES["coverage-exclusion-added"]
    if hidden:
        path, line, pattern = hidden[0]
        what = f"the new exclusion `{pattern}` matches line {line} of {path}, which it added"
        at: tuple[str, int | None] = (path, line)
    else:
        path, setting = dropped[0]
        what = f"the new {setting} setting drops {path}, which it changed"
        at = (path, None)
    more = len(hidden) + len(dropped) - 1
    return rule.finding(
        f"{source}: {what}{f' (and {more} more)' if more else ''}: the change hides its own "
        "code from coverage",
        path=at[0],
        line=at[1],
        fingerprint=fingerprint(rule.id, source, at[0]),
    )
