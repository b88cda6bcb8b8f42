"""bandit, run in-process on one blob at a time.

A subprocess per gate run would cost a Python start-up plus bandit's plugin loading (about 0.3 s)
before any file is read; in-process the same work is a few milliseconds per file. bandit keeps
global state (a class-level scope list, a shared extension manager, module loggers), so every call
gets its own manager and all calls are serialised by one lock: the gate runs checks in threads.

The blob is handed to bandit as bytes, never written to disk, under a synthetic absolute file name
whose directory cannot exist: bandit derives a module name by probing the file system next to the
file name, and an agent-chosen path must not make it probe anywhere.

`# nosec` comments are ignored: an agent that silences bandit on a line it just wrote is exactly
what the gate is for. Old `# nosec` lines are still old debt, matched away against the base.
"""

from __future__ import annotations

import ast
import io
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from crewchief.gate.analysis import pysource
from crewchief.gate.analysis.pyfiles import WARNINGS_LOCK

_LOCK = threading.Lock()
_FAKE_DIR = "/\x00crewchief-blob"
"""Never a real directory (NUL is not allowed in paths), so bandit's probing finds nothing."""


@dataclass(frozen=True)
class BanditIssue:
    test_id: str
    test_name: str
    severity: str
    """"LOW", "MEDIUM" or "HIGH", as bandit says."""
    confidence: str
    cwe: int | None
    line: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BanditIssue:
        return cls(**data)


def version() -> str:
    from bandit import __version__

    return str(__version__)


def _shared_tree(data: bytes) -> ast.Module:
    """The tree the other checks parsed from the same text (`prune_for` only cuts a side whose
    UTF-8 reading is Python's), rather than a second parse of a large module. Pruning builds new
    containers; bandit only adds its `_bandit_*` attributes to the shared nodes, which no other
    check reads."""
    try:
        return pysource.parse(data.decode("utf-8"))
    except UnicodeDecodeError:
        return ast.parse(data)


def _visit(fname: str, data: bytes, prune: Callable[[ast.Module], ast.Module] | None) -> list[Any]:
    """What `BanditManager._parse_file` does for one file, with the tree parsed here so that it
    can be pruned first. As there, a file bandit cannot parse, or that one of its tests crashes
    on, has no findings."""
    from bandit.core import config, manager, node_visitor

    mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
    mgr.metrics.begin(fname)
    try:
        tree = ast.parse(data) if prune is None else prune(_shared_tree(data))
        visitor = node_visitor.BanditNodeVisitor(
            fname, io.BytesIO(data), mgr.b_ma, mgr.b_ts, False, {}, mgr.metrics
        )
        visitor.generic_visit(tree)
        # bandit's tests on the whole file's text, as `BanditNodeVisitor.process` runs them.
        visitor.context = {
            "file_data": visitor.fdata,
            "filename": fname,
            "lineno": 0,
            "linerange": [0, 1],
            "col_offset": 0,
        }
        visitor.update_scores(visitor.tester.run_tests(visitor.context, "File"))
    except Exception:  # a parse error, or one of bandit's tests crashing: bandit drops the file
        return []
    return list(visitor.tester.results)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence what bandit and its plugin loader print on their own: a deprecation warning (an
    error under `-W error`), a log line per optional formatter stevedore cannot load (sarif), a
    log line per file bandit cannot parse (such a file simply has no bandit findings)."""
    loggers = [logging.getLogger(name) for name in ("stevedore", "bandit")]
    saved = [(log.level, log.propagate) for log in loggers]
    with WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for log in loggers:
            log.setLevel(logging.CRITICAL)
            log.propagate = False
        try:
            yield
        finally:
            for log, (level, propagate) in zip(loggers, saved, strict=True):
                log.setLevel(level)
                log.propagate = propagate


def scan(
    data: bytes, path: str, prune: Callable[[ast.Module], ast.Module] | None = None
) -> list[BanditIssue]:
    """bandit's findings on one file's bytes; empty when bandit cannot parse it. `prune` picks the
    part of the parsed tree bandit visits (see `regions`); without it bandit reads the whole file."""
    name = path.rsplit("/", 1)[-1].replace("\x00", "") or "blob.py"
    fname = f"{_FAKE_DIR}/{name}"
    with _LOCK, _quiet():
        results = _visit(fname, data, prune)
    issues: list[BanditIssue] = []
    for issue in results:
        cwe_id = getattr(getattr(issue, "cwe", None), "id", None)
        issues.append(
            BanditIssue(
                test_id=str(issue.test_id),
                test_name=str(issue.test),
                severity=str(issue.severity),
                confidence=str(issue.confidence),
                cwe=int(cwe_id) if isinstance(cwe_id, int) and cwe_id > 0 else None,
                line=int(issue.lineno),
                text=str(issue.text),
            )
        )
    return issues
