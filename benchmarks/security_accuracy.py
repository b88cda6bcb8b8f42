"""Accuracy of the `security` check on the labelled taint corpus (tests/security), against bandit.

Every case of the corpus (one small program, labelled vulnerable or safe for one weakness class) is
laid out as its own file in one change from an empty base, and the real `security` check runs on
that change as the gate runs it on any commit. bandit alone runs on the same files in the same
process, as the baseline.

Scoring is CWE-matched, as the security-tool benchmarks score (OWASP Benchmark): a case counts as
flagged only when a finding on its file carries the case's CWE; a finding of another class on the
same file is ignored either way.

Which findings count: for crewchief, those the gate acts on, as benchmarks/gate_accuracy.py counts
a check as firing: blocking, or severity medium or higher (a low finding is listed in the report
but changes neither the verdict nor the review queue: `import subprocess`, a `shell=True` call the
taint analysis proved is fed only constants). bandit is shown at its own default (every finding,
every severity) and at medium or higher; the overall rows also give crewchief counting every
finding, low ones included, so nothing hides behind the threshold. CWE-95 (eval injection) is a child of CWE-94 and counts as it, for
both tools; nothing else is mapped, so bandit's CWEs are its own (`issue_cwe`: its MD5 tests say
CWE-327, not CWE-328).

Per class and overall: cases, TP, FP, FN, TN, TPR, FPR and score (TPR - FPR); overall for the whole
corpus, the development cases and the held-out cases (which the engine is never tuned on).

Usage: python benchmarks/security_accuracy.py [--cases] [-k SUBSTRING]
  --cases  also list every case either tool gets wrong
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.corpus import Case, load

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security import bandit_runner
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.findings import Severity
from crewchief.spec.policy import Policy

_PARENT = {"CWE-95": "CWE-94"}
"""A CWE that counts as its parent class."""


def _cwe(value: str | None) -> str | None:
    return _PARENT.get(value, value) if value else None


def crewchief_cwes(cases: list[Case]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """CWEs the security check reports per case, all cases gated as one change: those of the
    findings the gate acts on (blocking or medium and up), and those of every finding."""
    change = Change.from_files({}, {c.path: c.source for c in cases})
    acting: dict[str, set[str]] = {c.path: set() for c in cases}
    every: dict[str, set[str]] = {c.path: set() for c in cases}
    for finding in CHECK.run(CheckContext(change, Policy())):
        cwe = _cwe(finding.cwe)
        if not cwe or finding.path not in every:
            continue
        every[finding.path].add(cwe)
        if finding.blocking or finding.severity.rank >= Severity.MEDIUM.rank:
            acting[finding.path].add(cwe)
    return acting, every


def bandit_cwes(cases: list[Case]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """CWEs bandit reports per case: at every severity and confidence (bandit's own default),
    and at medium severity or higher."""
    every: dict[str, set[str]] = {}
    medium: dict[str, set[str]] = {}
    for case in cases:
        issues = bandit_runner.scan(case.source.encode(), case.path)
        pairs = [(i.severity, _cwe(f"CWE-{i.cwe}" if i.cwe else None)) for i in issues]
        every[case.path] = {c for _, c in pairs if c}
        medium[case.path] = {c for sev, c in pairs if c and sev in ("MEDIUM", "HIGH")}
    return every, medium


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, vulnerable: bool, flagged: bool) -> None:
        if vulnerable:
            self.tp += flagged
            self.fn += not flagged
        else:
            self.fp += flagged
            self.tn += not flagged

    @property
    def tpr(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def row(self) -> str:
        n = self.tp + self.fp + self.fn + self.tn
        return (
            f"{n:5d} {self.tp:4d} {self.fp:4d} {self.fn:4d} {self.tn:4d} "
            f"{self.tpr:5.2f} {self.fpr:5.2f} {self.tpr - self.fpr:6.2f}"
        )


def tally(cases: Iterable[Case], found: dict[str, set[str]]) -> Tally:
    result = Tally()
    for case in cases:
        result.add(case.vulnerable, case.cwe in found[case.path])
    return result


_HEAD = f"{'cases':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'TPR':>5} {'FPR':>5} {'score':>6}"


def report(
    cases: list[Case], results: dict[str, dict[str, set[str]]], every: dict[str, set[str]]
) -> None:
    """The per-class table, then overall for all, development and held-out cases, then
    crewchief's overall rows counting every finding."""
    tools = list(results)
    print(f"{'class':<16}" + "  |  ".join(f"{tool:^46}" for tool in tools))
    print(f"{'':<16}" + "  |  ".join(_HEAD for _ in tools))

    def line(label: str, subset: list[Case]) -> None:
        cells = [tally(subset, results[tool]).row() for tool in tools]
        print(f"{label:<16}" + "  |  ".join(cells))

    for cwe in sorted({c.cwe for c in cases}, key=lambda c: int(c.split("-")[1])):
        line(cwe, [c for c in cases if c.cwe == cwe])
    print("-" * (16 + 50 * len(tools)))
    line("overall", cases)
    line("dev", [c for c in cases if not c.held_out])
    line("held-out", [c for c in cases if c.held_out])
    print("\ncrewchief counting every finding, low ones included:")
    for label, subset in (
        ("overall", cases),
        ("dev", [c for c in cases if not c.held_out]),
        ("held-out", [c for c in cases if c.held_out]),
    ):
        print(f"{label:<16}{tally(subset, every).row()}")


def wrong(cases: list[Case], results: dict[str, dict[str, set[str]]]) -> None:
    for tool, found in results.items():
        print(f"\n{tool}: cases it gets wrong (held-out ones marked *)")
        for case in cases:
            flagged = case.cwe in found[case.path]
            if flagged != case.vulnerable:
                kind = "FN" if case.vulnerable else "FP"
                print(f"  {kind} {case.id}{'*' if case.held_out else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", action="store_true", help="list the cases a tool gets wrong")
    parser.add_argument("-k", default="", help="only cases whose id contains this")
    args = parser.parse_args(argv)
    cases = [c for c in load() if args.k in c.id]
    started = time.perf_counter()
    ours, ours_every = crewchief_cwes(cases)
    middle = time.perf_counter()
    theirs, theirs_medium = bandit_cwes(cases)
    ended = time.perf_counter()
    results = {
        "crewchief security": ours,
        "bandit (default)": theirs,
        "bandit (medium+)": theirs_medium,
    }
    report(cases, results, ours_every)
    print(
        f"\n{len(cases)} cases; security check {middle - started:.1f} s, bandit {ended - middle:.1f} s"
    )
    if args.cases:
        wrong(cases, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
