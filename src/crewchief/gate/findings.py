"""What a check says (a `Finding`) and what the gate says (a `Report`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Verdict(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"


_SPACE = re.compile(r"\s+")


def fingerprint(*parts: str) -> str:
    """A short hash of code text with white space folded, so moving a line does not change it."""
    digest = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        digest.update(_SPACE.sub(" ", part).strip().encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """One problem a check found in the change."""

    check: str
    rule: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    blocking: bool = False
    cwe: str | None = None
    fingerprint: str = ""
    """Identity of the finding across base and head: rule plus a hash of the code, not a line number."""
    snippet: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "check": self.check,
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "blocking": self.blocking,
        }
        if self.cwe:
            data["cwe"] = self.cwe
        if self.fingerprint:
            data["fingerprint"] = self.fingerprint
        if self.snippet is not None:
            data["snippet"] = self.snippet
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            check=data["check"],
            rule=data["rule"],
            severity=Severity(data["severity"]),
            message=data["message"],
            path=data.get("path"),
            line=data.get("line"),
            blocking=bool(data.get("blocking", False)),
            cwe=data.get("cwe"),
            fingerprint=data.get("fingerprint", ""),
            snippet=data.get("snippet"),
        )

    def at(self, **changes: Any) -> Finding:
        return replace(self, **changes)


@dataclass(frozen=True)
class Rule:
    """What a finding of one kind means, written once per check in its rule table.

    Severity, blocking and CWE belong to the rule, not to each call site, so `crewchief rules`,
    the SARIF rule metadata and the docs all say what the check will do; a finding may still
    deviate (a `high` dependency finding that blocks only for a likely typosquat) by passing
    `severity=` or `blocking=` to `finding()`."""

    check: str
    id: str
    severity: Severity
    summary: str
    """One line: what the rule catches."""
    remedy: str
    """One line: what the author of the change should do about it."""
    blocking: bool = False
    cwe: str | None = None
    family: bool = False
    """The id names a family: findings carry `<id>-<suffix>` with a suffix computed at run time (a
    bandit test id, a ruff code) that no table could list in advance."""

    def member(self, suffix: str) -> Rule:
        """This family's rule for one computed suffix: its findings keep the exact id reports and
        baselines already store (`bandit-b602`), while the family states what it means once."""
        if not self.family:
            raise ValueError(f"rule {self.check}/{self.id} is not a family")
        return replace(self, id=f"{self.id}-{suffix}", family=False)

    def finding(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        snippet: str | None = None,
        fingerprint: str = "",
        severity: Severity | None = None,
        blocking: bool | None = None,
        cwe: str | None = None,
    ) -> Finding:
        return Finding(
            check=self.check,
            rule=self.id,
            severity=self.severity if severity is None else severity,
            message=message,
            path=path,
            line=line,
            blocking=self.blocking if blocking is None else blocking,
            cwe=cwe or self.cwe,
            fingerprint=fingerprint,
            snippet=snippet,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "id": self.id,
            "severity": self.severity.value,
            "blocking": self.blocking,
            "cwe": self.cwe,
            "summary": self.summary,
            "remedy": self.remedy,
        }


class RuleTable:
    """A check's rules by id; looking up an id that is not in the table is a bug caught at import."""

    def __init__(self, check: str, *rules: Rule) -> None:
        self.check = check
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.check != check or rule.id in self._rules:
                raise ValueError(f"rule {rule.check}/{rule.id} does not belong in table {check}")
            self._rules[rule.id] = rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def find(self, rule_id: str) -> Rule | None:
        """The rule a reported id stands for: its own entry, or the family it is a member of, so
        a stored report's `ruff-F401` still finds what the `ruff` rule says."""
        rule = self._rules.get(rule_id)
        if rule is not None:
            return rule
        families = [r for r in self._rules.values() if r.family and rule_id.startswith(f"{r.id}-")]
        if not families:
            return None
        family = max(families, key=lambda r: len(r.id))
        return family.member(rule_id[len(family.id) + 1 :])


class CheckStatus(StrEnum):
    PASSED = "passed"
    """Ran and found nothing that needs a human."""
    WARNED = "warned"
    """Ran and found something to review, nothing blocking."""
    FAILED = "failed"
    """Ran and found something blocking."""
    ERROR = "error"
    """Could not run (a crash, a missing tool); never a silent pass."""
    SKIPPED = "skipped"
    """Not asked for (--skip, --only, policy) or nothing for it in this change."""
    NOT_BUILT = "not-built"
    """A check name this version of crewchief knows but does not provide yet."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: CheckStatus
    duration_s: float
    findings: tuple[Finding, ...] = ()
    detail: str = ""
    evidence: tuple[str, ...] = ()
    """Paths of files with the check's raw evidence (logs, samples)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            name=data["name"],
            status=CheckStatus(data["status"]),
            duration_s=float(data.get("duration_s", 0.0)),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", [])),
            detail=data.get("detail", ""),
            evidence=tuple(data.get("evidence", [])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_s": round(self.duration_s, 4),
            "findings": [f.to_json() for f in self.findings],
            "detail": self.detail,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Stats:
    files_changed: int
    lines_added: int
    lines_removed: int

    def to_json(self) -> dict[str, int]:
        return {
            "files_changed": self.files_changed,
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
        }


@dataclass(frozen=True)
class Report:
    base: str
    head: str
    verdict: Verdict
    risk: int
    checks: tuple[CheckResult, ...]
    stats: Stats
    task: str | None = None
    policy_source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    duration_s: float = 0.0

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.checks for f in c.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "crewchief.gate/v1",
            "base": self.base,
            "head": self.head,
            "task": self.task,
            "policy": self.policy_source,
            "verdict": self.verdict.value,
            "risk": self.risk,
            "duration_s": round(self.duration_s, 4),
            "stats": self.stats.to_json(),
            "checks": [c.to_json() for c in self.checks],
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A stored `crewchief.gate/v1` report back as a `Report` (to render it again)."""
        stats = data.get("stats", {})
        return cls(
            base=data["base"],
            head=data["head"],
            verdict=Verdict(data["verdict"]),
            risk=int(data["risk"]),
            checks=tuple(CheckResult.from_json(c) for c in data.get("checks", [])),
            stats=Stats(
                int(stats.get("files_changed", 0)),
                int(stats.get("lines_added", 0)),
                int(stats.get("lines_removed", 0)),
            ),
            task=data.get("task"),
            policy_source=data.get("policy"),
            notes=tuple(data.get("notes", [])),
            duration_s=float(data.get("duration_s", 0.0)),
        )
