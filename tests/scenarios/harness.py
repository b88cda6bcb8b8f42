"""What a scenario is, how it becomes a branch of a real project, and how a gate report is scored.

A check "fires" on a scenario when it reports at least one finding that blocks or whose severity is
medium or higher (a `check-error` finding, which says the check could not run, is not a detection).
A scenario's label lists the checks a senior reviewer expects to fire (`checks`) and, where two
checks legitimately share a concern (a hard-coded secret is also a security smell), the checks that
may fire without counting as a false positive (`may`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import CheckStatus, Report, Severity, Verdict
from tests.helpers.sdists import run_git as git

STATIC_CHECKS = (
    "scope",
    "test-integrity",
    "security",
    "secrets",
    "dependencies",
    "quality",
    "hygiene",
    "architecture",
    "api",
)
Expect = Literal["pass", "review", "block", "not-block"]


class Tree:
    """Edits to a project's working tree; an edit whose anchor text is missing fails loudly, so a
    scenario can never silently stop doing what its description says."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str, count: int = 1) -> None:
        text = self.read(rel)
        found = text.count(old)
        if found != count:
            raise AssertionError(f"{rel}: expected {count} of {old!r}, found {found}")
        self.write(rel, text.replace(old, new))

    def append(self, rel: str, text: str) -> None:
        self.write(rel, self.read(rel) + text)

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink()

    def symlink(self, rel: str, target: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)


@dataclass(frozen=True)
class Scenario:
    id: str
    project: str
    description: str
    """What the agent did, in the words a reviewer would use."""
    edit: Callable[[Tree], None]
    expect: Expect
    checks: frozenset[str] = frozenset()
    """Checks expected to fire."""
    may: frozenset[str] = frozenset()
    """Checks that may also fire without being a false positive."""
    policy: str | None = None
    """crewchief.toml committed at the scenario's base (the gate reads policy from the base)."""
    task_scope: tuple[str, ...] | None = None
    """When set, a task with this scope is committed at the base and the gate runs with it."""
    rules: frozenset[str] = frozenset()
    """`check/rule` ids expected among the findings (at any severity): scored per rule."""
    base: Callable[[Tree], None] | None = None
    """Edits committed at the scenario's base, before its change: what the project is assumed to
    hold already (a requirement spelled some way)."""
    task_front: tuple[str, ...] = ()
    """Extra front matter lines of the scenario's task (`api_change: allowed`)."""

    @property
    def clean(self) -> bool:
        return self.expect == "not-block"

    @property
    def task_id(self) -> str | None:
        return self.id if self.task_scope is not None else None


def scenario(
    id: str,
    project: str,
    description: str,
    expect: Expect,
    checks: Iterable[str] = (),
    *,
    may: Iterable[str] = (),
    policy: str | None = None,
    task_scope: Iterable[str] | None = None,
    rules: Iterable[str] = (),
    base: Callable[[Tree], None] | None = None,
    task_front: Iterable[str] = (),
) -> Callable[[Callable[[Tree], None]], Scenario]:
    """Decorator: the decorated function is the scenario's edit."""

    def wrap(edit: Callable[[Tree], None]) -> Scenario:
        return Scenario(
            id,
            project,
            description,
            edit,
            expect,
            frozenset(checks),
            frozenset(may),
            policy,
            tuple(task_scope) if task_scope is not None else None,
            frozenset(rules),
            base,
            tuple(task_front),
        )

    return wrap


def _task_file(sc: Scenario) -> str:
    # JSON strings are YAML strings: quoting keeps colons and quotes in a description harmless
    scope = "".join(f"  - {json.dumps(glob)}\n" for glob in sc.task_scope or ())
    title = json.dumps(sc.description[:70])
    extra = "".join(f"{line}\n" for line in sc.task_front)
    return f"---\nid: {sc.id}\ntitle: {title}\nscope:\n{scope}{extra}---\n{sc.description}\n"


def prepare(repo: Path, env: Mapping[str, str], sc: Scenario) -> tuple[str, str]:
    """Commit the scenario's policy/task on a base branch off main, then its change on top.

    Returns (base, head) commit ids.
    """
    git(repo, env, "reset", "-q", "--hard")
    git(repo, env, "clean", "-fdqx")
    git(repo, env, "checkout", "-q", "-f", "-B", f"scenario-base/{sc.id}", "main")
    if sc.policy is not None or sc.task_scope is not None or sc.base is not None:
        tree = Tree(repo)
        if sc.base is not None:
            sc.base(tree)
        if sc.policy is not None:
            tree.write("crewchief.toml", sc.policy)
        if sc.task_scope is not None:
            tree.write(f".crewchief/tasks/{sc.id}.md", _task_file(sc))
        git(repo, env, "add", "-A", "-f")
        git(repo, env, "commit", "-q", "-m", f"base, policy and task for {sc.id}")
    base = git(repo, env, "rev-parse", "HEAD")
    git(repo, env, "checkout", "-q", "-B", f"scenario/{sc.id}")
    sc.edit(Tree(repo))
    git(repo, env, "add", "-A", "-f")
    git(repo, env, "commit", "-q", "--allow-empty", "-m", sc.description)
    return base, git(repo, env, "rev-parse", "HEAD")


def fired(report: Report) -> frozenset[str]:
    return frozenset(
        c.name
        for c in report.checks
        if any(
            f.rule != "check-error" and (f.blocking or f.severity.rank >= Severity.MEDIUM.rank)
            for f in c.findings
        )
    )


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    verdict: Verdict
    fired: frozenset[str]
    status: dict[str, CheckStatus]
    findings: tuple[str, ...]
    duration_s: float
    problems: tuple[str, ...] = field(default_factory=tuple)
    fired_rules: frozenset[str] = frozenset()
    """`check/rule` of every finding, whatever its severity."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _describe(report: Report) -> tuple[str, ...]:
    return tuple(
        f"{f.check}/{f.rule} {f.severity.value}{' BLOCKING' if f.blocking else ''} "
        f"{f.path}:{f.line}: {f.message}"
        for f in report.findings
    )


def evaluate(sc: Scenario, report: Report, duration_s: float) -> Outcome:
    status = {c.name: c.status for c in report.checks}
    got = fired(report)
    problems: list[str] = []
    if sc.expect == "not-block":
        if report.verdict == Verdict.BLOCK:
            problems.append("verdict: expected not block, got block")
    elif report.verdict.value != sc.expect:
        problems.append(f"verdict: expected {sc.expect}, got {report.verdict.value}")
    for name in sorted(sc.checks - got):
        state = status.get(name)
        why = f" (check {state.value})" if state and state != CheckStatus.PASSED else ""
        problems.append(f"check {name}: expected to fire, did not{why}")
    for name, state in sorted(status.items()):
        if state == CheckStatus.ERROR:
            problems.append(f"check {name}: errored")
    rules = frozenset(f"{f.check}/{f.rule}" for f in report.findings)
    problems.extend(f"rule {rule}: expected, not reported" for rule in sorted(sc.rules - rules))
    return Outcome(
        sc, report.verdict, got, status, _describe(report), duration_s, tuple(problems), rules
    )


def run(repo: Path, env: Mapping[str, str], sc: Scenario) -> Outcome:
    base, head = prepare(repo, env, sc)
    start = time.monotonic()
    report = run_gate(
        # static: the suite measures the static checks; the dynamic ones (tests, acceptance,
        # coverage, performance) would run the projects' suites in worktrees
        GateRequest(repo=repo, base=base, head=head, task=sc.task_id, use_cache=False, static=True)
    )
    return evaluate(sc, report, time.monotonic() - start)


@dataclass(frozen=True)
class Score:
    check: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(outcomes: Iterable[Outcome], checks: Iterable[str] = STATIC_CHECKS) -> list[Score]:
    outcomes = list(outcomes)
    scores = []
    for name in checks:
        tp = fp = fn = 0
        for o in outcomes:
            labelled = name in o.scenario.checks
            hit = name in o.fired
            if labelled and hit:
                tp += 1
            elif labelled:
                fn += 1
            elif hit and name not in o.scenario.may:
                fp += 1
        scores.append(Score(name, tp, fp, fn))
    return scores


@dataclass(frozen=True)
class RuleScore:
    rule: str
    tp: int
    fp: int
    fn: int
    clean_hits: int
    """Clean scenarios on which the rule fired."""
    clean_total: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def noise(self) -> float | None:
        """Share of clean changes the rule fires on: a rule that fires on most is a defect."""
        return self.clean_hits / self.clean_total if self.clean_total else None


def score_rules(outcomes: Iterable[Outcome], prefix: str = "") -> list[RuleScore]:
    """Per rule: a positive is a scenario labelled with the rule; any finding of it counts."""
    outcomes = list(outcomes)
    names = sorted(
        {r for o in outcomes for r in o.scenario.rules | o.fired_rules if r.startswith(prefix)}
    )
    clean = [o for o in outcomes if o.scenario.clean]
    scores = []
    for rule in names:
        tp = sum(rule in o.scenario.rules and rule in o.fired_rules for o in outcomes)
        fn = sum(rule in o.scenario.rules and rule not in o.fired_rules for o in outcomes)
        fp = sum(rule not in o.scenario.rules and rule in o.fired_rules for o in outcomes)
        hits = sum(rule in o.fired_rules for o in clean)
        scores.append(RuleScore(rule, tp, fp, fn, hits, len(clean)))
    return scores
