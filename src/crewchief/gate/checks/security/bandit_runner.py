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

bandit's visitor is pure Python and holds the GIL: on a large change it is most of the static gate's
CPU, serialised with every other check's. `Prefetch` hands a large batch to one child interpreter
(this module run with `-I`, so nothing in the judged repository's folder is importable) that runs on
another core while the gate does everything else; a child that fails only means the files are
scanned here after all.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crewchief import proc
from crewchief.errors import UserError
from crewchief.gate.analysis.pyfiles import WARNINGS_LOCK

_LOCK = threading.Lock()
_MODULE = "crewchief.gate.checks.security.bandit_runner"
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


def scan(data: bytes, path: str) -> list[BanditIssue]:
    """bandit's findings on one file's bytes; empty when bandit cannot parse it."""
    name = path.rsplit("/", 1)[-1].replace("\x00", "") or "blob.py"
    fname = f"{_FAKE_DIR}/{name}"
    with _LOCK, _quiet():
        from bandit.core import config, manager

        mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
        mgr.files_list = [fname]
        mgr._parse_file(fname, io.BytesIO(data), [fname])
        results = list(mgr.results)
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


PREFETCH_MIN_BYTES = 128 * 1024
"""Below this much source, starting a child interpreter (about 0.3 s of CPU for Python and
bandit's imports) costs more than scanning here."""
_CHILD_TIMEOUT_S = 600.0


def _item_key(data: bytes, path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape") + b"\x00" + data).hexdigest()


class Prefetch:
    """bandit's findings on a batch of files, computed by a child process started now.

    `get` answers for a file of the batch (waiting for the child if it is still at work) and
    returns None for any other file, or when the child failed, so the caller scans it itself."""

    def __init__(self, items: Sequence[tuple[bytes, str]]) -> None:
        self._keys = [_item_key(data, path) for data, path in items]
        self._wanted = frozenset(self._keys)
        self._results: dict[str, list[BanditIssue]] = {}
        payload = [
            {"path": path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
             "data": base64.b64encode(data).decode("ascii")}
            for data, path in items
        ]  # fmt: skip
        self._thread = threading.Thread(
            target=self._work, args=(json.dumps(payload).encode(),), daemon=True
        )
        self._thread.start()

    def _work(self, payload: bytes) -> None:
        request = proc.Request(
            argv=(sys.executable, "-I", "-m", _MODULE),
            cwd=Path(sys.prefix),
            stdin=payload,
            timeout=_CHILD_TIMEOUT_S,
        )
        try:
            outcome = proc.run(request)
            answers = json.loads(outcome.stdout) if outcome.ok else None
        except (OSError, ValueError, UserError):
            answers = None
        if not isinstance(answers, list) or len(answers) != len(self._keys):
            return
        for key, found in zip(self._keys, answers, strict=True):
            self._results[key] = [BanditIssue.from_json(issue) for issue in found]

    def get(self, data: bytes, path: str) -> list[BanditIssue] | None:
        key = _item_key(data, path)
        if key not in self._wanted:
            return None
        self._thread.join()
        return self._results.get(key)


def _serve() -> None:
    """The child's side of `Prefetch`: a JSON list of files on stdin, their findings on stdout."""
    items = json.loads(sys.stdin.buffer.read())
    answers = [
        [issue.to_json() for issue in scan(base64.b64decode(item["data"]), item["path"])]
        for item in items
    ]
    sys.stdout.write(json.dumps(answers))


if __name__ == "__main__":
    _serve()
