"""The interface every check implements, built-in or plugin.

A static check is a pure function of (change, policy, task) to findings; that is what makes it cheap
to test and safe to cache by blob id. A dynamic check additionally gets a gate session it may run commands
in (see the `tests` check); the runner passes one only to checks whose `kind` is "dynamic".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from crewchief.gate.cache import NullCache
from crewchief.gate.change import Change
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task
from crewchief.workspace.checkouts import Checkouts

BUILTIN_CHECKS: Mapping[str, str] = {
    "scope": "crewchief.gate.checks.scope:CHECK",
    "test-integrity": "crewchief.gate.checks.test_integrity.check:CHECK",
    "tests": "crewchief.gate.checks.tests:CHECK",
    "acceptance": "crewchief.gate.checks.acceptance.check:CHECK",
    "security": "crewchief.gate.checks.security.check:CHECK",
    "secrets": "crewchief.gate.checks.secrets.check:CHECK",
    "dependencies": "crewchief.gate.checks.dependencies.check:CHECK",
    "quality": "crewchief.gate.checks.quality:CHECK",
    "coverage": "crewchief.gate.checks.coverage:CHECK",
    "performance": "crewchief.gate.checks.performance.check:CHECK",
    "hygiene": "crewchief.gate.checks.hygiene.check:CHECK",
    "architecture": "crewchief.gate.checks.architecture.check:CHECK",
    "api": "crewchief.gate.checks.api.check:CHECK",
}
"""The built-in checks, in report order: the one list a new built-in check is added to. Third-party
checks come from the `crewchief.checks` entry point group (see `crewchief.plugins`)."""

KNOWN_CHECKS: tuple[str, ...] = tuple(BUILTIN_CHECKS)


class CheckSkipped(Exception):
    """Raised by a check that has nothing to do here (no test command, no task); the message says
    why and the report shows the check as skipped with that reason, never as passed."""


@dataclass(frozen=True)
class GateSession:
    """What a dynamic check may run commands in: a `Checkouts` that checks out base and head as
    worktrees outside the user's checkout, and a per-gate memo the dynamic checks share (the head
    test run feeds both `tests` and `coverage`)."""

    checkouts: Checkouts
    base: str
    """The base commit."""
    head: str
    """The head commit, or a tree id when the work tree is gated."""
    _memo: dict[str, Any] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    _evidence: dict[str, list[str]] = field(default_factory=dict)

    @property
    def evidence_dir(self) -> Path:
        return self.checkouts.evidence_dir

    def add_evidence(self, check: str, path: str | Path) -> None:
        """Record a file (log, samples) the report should point a reader to for `check`."""
        with self._mutex:
            paths = self._evidence.setdefault(check, [])
            if str(path) not in paths:
                paths.append(str(path))

    def evidence_for(self, check: str) -> tuple[str, ...]:
        with self._mutex:
            return tuple(self._evidence.get(check, ()))

    def peek(self, key: str) -> Any:
        """What `once` computed for `key`, or None: for the engine, after the checks ran."""
        with self._mutex:
            return self._memo.get(key)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` at most once per gate for `key`, even when checks ask at the same time."""
        with self._mutex:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]


@dataclass(frozen=True)
class CheckContext:
    change: Change
    policy: Policy
    task: Task | None = None
    cache: NullCache = field(default_factory=NullCache)
    session: GateSession | None = None
    running: frozenset[str] = frozenset()
    """The checks this gate runs (empty: not known, as in a check's unit test). A check that
    yields a line to another check's more specific rule asks this first, so the line is reported
    once when both run and still reported when the other is skipped."""
    details: list[str] = field(default_factory=list)
    """What the check wants its result's `detail` to say (how it ran, such as the rule set it
    chose); the engine gives each check its own list, so checks running at once do not mix."""

    def memo(self, key: Sequence[str], compute: Callable[[], Any]) -> Any:
        """`compute()` once per key (JSON-serialisable result), shared across gate runs."""
        return self.cache.memo(key, compute)


@runtime_checkable
class Check(Protocol):
    """A check: a name, a version, a kind and `run`.

    Two optional attributes are read with a default, so a third-party check written before they
    existed still loads (and still passes `isinstance(obj, Check)`, which a runtime-checkable
    protocol decides on its declared members only):

    - `exclusive: bool` (default False): the check measures time, so it runs alone, after the
      others, and their load does not add noise to its samples (the `performance` check).
    - `rules: RuleTable` (from `crewchief.gate.findings`; default: none): the rules the check can
      report, with their severity and help, for `crewchief rules` and SARIF rule metadata.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    """Bump when the check's logic changes, so cached results are not reused."""
    kind: ClassVar[Literal["static", "dynamic"]]

    def run(self, ctx: CheckContext) -> Sequence[Finding]: ...


def is_exclusive(check: Check) -> bool:
    """Whether `check` must run alone, after the others (see `Check`)."""
    return bool(getattr(check, "exclusive", False))
