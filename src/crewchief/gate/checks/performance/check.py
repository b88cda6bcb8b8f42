"""Did the change make the policy's benchmark slower?

Base and head are checked out side by side ("bench-base", "bench-head") and the `[benchmark]`
command runs on them interleaved in one job: a warm-up pair that is not counted (it also shows early
that the benchmark runs at all), then `rounds` rounds in the order B A, A B, B A, ... Alternating who
goes first cancels the effect of position (the second run of a pair finds warmer caches, a drift in
machine speed favours whoever runs first) over every two rounds instead of always favouring one side.

Each run is reduced to one value per benchmark (its fastest inner sample, see `benchparse`), and each benchmark's paired rounds
are compared by `perfstats`: a regression is reported only when the geometric-mean ratio head/base
is above 1 + threshold and its confidence interval lies above 1; it blocks only when the whole
interval lies above 1 + threshold. A benchmark that cannot run at base is a finding that says the
comparison could not be made, never a silent pass; one that breaks at head blocks.

Sequential sampling: on a busy machine (a shared CI box, other gates running) the intervals widen
until they straddle the threshold and say neither "slower" nor "not slower". Then the check takes
`rounds` more interleaved rounds, and again, up to `[benchmark] max_rounds` (3 x rounds by
default); a benchmark still undecided there is a `too-noisy` finding with its numbers, which asks
for review: an undecided comparison is never a pass. The finding also says how many inner samples
each run gave and how long they were, because under load the cure is usually in the benchmark, not
in more rounds: with two busy processes on 2 cores (load 4 to 7), 25 samples of 2 ms per run left
a planted 25% slowdown undecided after 15 rounds in 2 comparisons of 10 and the same code in 3 of
10, while 800 samples of 0.45 ms decided every one, mostly in the first 5 rounds (see `benchparse`
and benchmarks/perf_detector.py).

Evidence: every sample of every run (side, round, position, log) goes to
`performance-samples.json` in the evidence folder, registered with `GateSession.add_evidence`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from crewchief.errors import UserError
from crewchief.gate.check import CheckContext, CheckSkipped, GateSession
from crewchief.gate.checks.performance import perfstats
from crewchief.gate.checks.performance.benchparse import (
    Measured,
    Parsed,
    Unparsable,
    parse_output,
    sample_advice,
)
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.spec.policy import BenchmarkPolicy
from crewchief.textsafe import visible
from crewchief.workspace.checkouts import PreparedTree, split_command
from crewchief.workspace.pytest_command import pytest_args

NAME = "performance"
SIDES = ("base", "head")
PLACEHOLDER = "{json}"
MAX_JSON_BYTES = 64 * 1024 * 1024
SAMPLES_FILE = "performance-samples.json"

Side = Literal["base", "head"]


@dataclass
class RunRecord:
    side: Side
    round: int
    """0 is the uncounted warm-up."""
    position: int
    """1 if this side ran first in its round, 2 if second."""
    log: str
    exit_code: int | None = None
    timed_out: bool = False
    duration_s: float = 0.0
    parsed: Parsed | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "round": self.round,
            "warmup": self.round == 0,
            "position": self.position,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "duration_s": round(self.duration_s, 4),
            "log": self.log,
            "format": self.parsed.format if self.parsed else None,
            "error": self.error,
            "benchmarks": {
                name: m.to_json()
                for name, m in (self.parsed.benchmarks if self.parsed else {}).items()
            },
        }


RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "benchmark-timeout",
        Severity.HIGH,
        "the benchmark ran over its timeout (blocks at head when base ran fine)",
        "make the change's code fast enough again, or raise [benchmark] timeout_s",
        blocking=True,
    ),
    Rule(
        NAME,
        "benchmark-failed-base",
        Severity.MEDIUM,
        "the benchmark fails at base, so a slowdown would go unseen",
        "fix the benchmark command on the main branch",
    ),
    Rule(
        NAME,
        "benchmark-failed-head",
        Severity.HIGH,
        "the benchmark runs at base but fails at head",
        "fix what the change broke in the benchmark's code path (see the run's log)",
        blocking=True,
    ),
    Rule(
        NAME,
        "benchmark-unparsable",
        Severity.HIGH,
        "the benchmark's output gave no timings (blocks when only head's does)",
        "print one timing per line, or write pytest-benchmark or pyperf JSON",
        blocking=True,
    ),
    Rule(
        NAME,
        "benchmark-missing",
        Severity.MEDIUM,
        "a benchmark that ran at base no longer runs at head",
        "keep the benchmark, or remove it on purpose in a change of its own",
    ),
    Rule(
        NAME,
        "regression",
        Severity.HIGH,
        "head is slower than base beyond the threshold (blocks when even the interval's low end is)",
        "find the slower code path in the samples and make it fast again",
        blocking=True,
    ),
    Rule(
        NAME,
        "too-noisy",
        Severity.MEDIUM,
        "the rounds were too noisy to judge, even after max_rounds: a human looks",
        "re-run the gate on a quieter machine, or raise [benchmark] rounds or max_rounds",
    ),
    Rule(NAME, "improvement", Severity.INFO, "head is faster than base", "nothing to do"),
    Rule(
        NAME,
        "benchmark-summary",
        Severity.INFO,
        "how many benchmarks were compared, over how many rounds, and where the samples are",
        "nothing to do",
    ),
)


def _json_flag(args: Sequence[str]) -> str | None:
    """The path a pytest command already passes to --benchmark-json, if any."""
    for i, arg in enumerate(args):
        if arg.startswith("--benchmark-json="):
            return arg.split("=", 1)[1]
        if arg == "--benchmark-json" and i + 1 < len(args):
            return args[i + 1]
    return None


@dataclass
class Plan:
    """How to run the command once and where its JSON lands (None: read its output)."""

    argv: list[str]
    json_path: Path | None


def plan_run(argv: Sequence[str], env: PreparedTree, json_path: Path) -> Plan:
    """pytest runs under the prepared interpreter with a --benchmark-json file we choose unless
    the command names one; `{json}` anywhere in the command is replaced by our file."""
    if any(PLACEHOLDER in arg for arg in argv):
        return Plan([arg.replace(PLACEHOLDER, str(json_path)) for arg in argv], json_path)
    args = pytest_args(argv)
    if args is not None:
        own = _json_flag(args)
        run = [*_pytest_program(argv, env), *args, "-p", "no:cacheprovider"]
        if own is not None:
            return Plan(run, env.tree.path / own)
        return Plan([*run, f"--benchmark-json={json_path}"], json_path)
    first = Path(argv[0]).name
    head = [env.python] if first in ("python", "python3") else [argv[0]]
    return Plan([*head, *argv[1:]], None)


def _pytest_program(argv: Sequence[str], env: PreparedTree) -> list[str]:
    """pytest named bare (`pytest`, `python -m pytest`) runs under the project's interpreter; an
    interpreter or pytest the command names by path is the user's choice and is kept."""
    if "/" not in argv[0]:
        return [env.python, "-m", "pytest"]
    return [argv[0]] if Path(argv[0]).name in ("pytest", "py.test") else [argv[0], "-m", "pytest"]


@dataclass
class Session:
    ctx: CheckContext
    ws: GateSession
    policy: BenchmarkPolicy
    argv: list[str]
    records: list[RunRecord] = field(default_factory=list)
    trees: dict[str, PreparedTree] = field(default_factory=dict)
    rounds_run: int = 0
    """Counted rounds measured so far (the warm-up pair is round 0)."""

    @property
    def raw_dir(self) -> Path:
        return self.ws.evidence_dir / "performance-raw"

    def run_once(self, side: Side, round_no: int, position: int) -> RunRecord:
        env = self.trees[side]
        log = self.ws.checkouts.log_path(f"bench-{side}-r{round_no}")
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        json_path = self.raw_dir / f"{side}-r{round_no}.json"
        json_path.unlink(missing_ok=True)  # pyperf refuses to overwrite its output file
        plan = plan_run(self.argv, env, json_path)
        if plan.json_path is not None:
            plan.json_path.unlink(missing_ok=True)
        outcome = self.ws.checkouts.run(
            plan.argv, env.tree.path, env.env, self.policy.timeout_s, log
        )
        record = RunRecord(
            side,
            round_no,
            position,
            str(log),
            exit_code=outcome.returncode,
            timed_out=outcome.timed_out,
            duration_s=outcome.duration_s,
        )
        self.records.append(record)
        if not outcome.ok:
            return record
        try:
            record.parsed = parse_output(
                outcome.stdout, self._read_json(plan.json_path), self.label
            )
        except Unparsable as exc:
            record.error = str(exc)
        return record

    @property
    def label(self) -> str:
        return " ".join(self.argv)

    @staticmethod
    def _read_json(path: Path | None) -> bytes | None:
        if path is None:
            return None
        if not path.is_file():
            raise Unparsable(f"the command wrote no JSON file at {path}")
        if path.stat().st_size > MAX_JSON_BYTES:
            raise Unparsable(f"the JSON file is over {MAX_JSON_BYTES // 2**20} MiB")
        return path.read_bytes()

    def problem(self, record: RunRecord, other_ok: bool) -> Finding | None:
        """A finding when this run did not give numbers; head's breakage blocks only when base
        ran fine, since otherwise the benchmark was broken before the change."""
        where = f"at {record.side}" + (" (warm-up run)" if record.round == 0 else "")
        where += f"; see {record.log}"
        at_head = record.side == "head" and other_ok
        # before the change the benchmark was already broken: medium, not blocking
        severity, blocking = (None, None) if at_head else (Severity.MEDIUM, False)
        if record.timed_out:
            return RULES["benchmark-timeout"].finding(
                f"the benchmark ran over its {self.policy.timeout_s:g} s timeout and was killed "
                f"{where}" + ("" if at_head else "; base and head cannot be compared"),
                fingerprint=fingerprint("benchmark-timeout", record.side),
                severity=severity,
                blocking=blocking,
            )
        if record.exit_code != 0:
            if record.side == "base":
                return RULES["benchmark-failed-base"].finding(
                    f"the benchmark fails at base (exit {record.exit_code}), so base and head "
                    f"cannot be compared and a slowdown would go unseen {where}",
                    fingerprint=fingerprint("benchmark-failed-base", ""),
                )
            return RULES["benchmark-failed-head"].finding(
                f"the benchmark runs at base but fails at head (exit {record.exit_code}) {where}",
                fingerprint=fingerprint("benchmark-failed-head", ""),
            )
        if record.parsed is None:
            return RULES["benchmark-unparsable"].finding(
                f"the benchmark's output could not be read {where}: {record.error}",
                fingerprint=fingerprint("benchmark-unparsable", record.side),
                severity=severity,
                blocking=blocking,
            )
        return None

    def prepare(self) -> Finding | None:
        for side in SIDES:
            rev = self.ws.base if side == "base" else self.ws.head
            try:
                self.trees[side] = self.ws.checkouts.checkout(rev, label=f"bench-{side}")
            except UserError as exc:
                rule = "benchmark-failed-base" if side == "base" else "benchmark-failed-head"
                return RULES[rule].finding(
                    f"the benchmark could not be set up at {side}: {exc}",
                    fingerprint=fingerprint(rule, ""),
                )
        return None

    def measure(self, first: int, last: int) -> Finding | None:
        """Rounds `first` to `last` (round 0 is the uncounted warm-up pair), B A, A B, ... by the
        round's parity, so rounds added later keep alternating; stops at the first run that gives
        no numbers."""
        base_ok = self.rounds_run > 0
        for round_no in range(first, last + 1):
            order: tuple[Side, Side] = ("head", "base") if round_no % 2 else ("base", "head")
            for position, side in enumerate(order, 1):
                record = self.run_once(side, round_no, position)
                problem = self.problem(record, base_ok)
                if problem:
                    return problem
                if side == "base":
                    base_ok = True
            self.rounds_run = round_no
        return None

    def measure_until_decided(self) -> tuple[list[Finding], dict[str, Any]] | Finding:
        """The policy's rounds, then `rounds` more at a time while some benchmark's interval
        straddles the threshold, up to the round limit (sequential sampling)."""
        problem = self.measure(0, self.policy.rounds)
        while problem is None:
            findings, results, undecided = self.compare()
            limit = self.policy.round_limit
            if not undecided or self.rounds_run >= limit:
                return findings, results
            problem = self.measure(
                self.rounds_run + 1, min(limit, self.rounds_run + self.policy.rounds)
            )
        return problem

    def values(self) -> dict[str, dict[int, dict[str, float]]]:
        """benchmark -> round -> side -> value, counted rounds only."""
        table: dict[str, dict[int, dict[str, float]]] = {}
        for record in self.records:
            if record.round == 0 or record.parsed is None:
                continue
            for name, measured in record.parsed.benchmarks.items():
                table.setdefault(name, {}).setdefault(record.round, {})[record.side] = (
                    measured.value
                )
        return table

    def measured(self, name: str) -> list[Measured]:
        """Benchmark `name` in every counted run, both sides."""
        return [
            r.parsed.benchmarks[name]
            for r in self.records
            if r.round and r.parsed is not None and name in r.parsed.benchmarks
        ]

    def compare(self) -> tuple[list[Finding], dict[str, Any], list[str]]:
        """Findings, per-benchmark results, and the benchmarks whose interval is undecided."""
        findings: list[Finding] = []
        results: dict[str, Any] = {}
        undecided: list[str] = []
        confidence = self.policy.confidence
        threshold = self.policy.threshold_pct
        for name, rounds in sorted(self.values().items()):
            paired = [r for r in rounds.values() if "base" in r and "head" in r]
            if not paired and any("base" in r for r in rounds.values()):
                findings.append(
                    RULES["benchmark-missing"].finding(
                        f"benchmark {visible(name, 120)} ran at base but not at head, so its "
                        "speed is no longer compared",
                        fingerprint=fingerprint("benchmark-missing", name),
                    )
                )
                continue
            comparison = perfstats.compare(
                [r["base"] for r in paired], [r["head"] for r in paired], confidence
            )
            if comparison is None:
                continue
            verdict = perfstats.assess(comparison, threshold)
            settled = perfstats.decided(comparison, threshold)
            results[name] = {
                **comparison.to_json(),
                "assessment": verdict.value,
                "decided": settled,
            }
            if not settled:
                undecided.append(name)
            finding = self.judge(name, comparison, verdict, settled)
            if finding:
                findings.append(finding)
        return findings, results, undecided

    def judge(
        self, name: str, c: perfstats.Comparison, verdict: perfstats.Assessment, settled: bool
    ) -> Finding | None:
        threshold = self.policy.threshold_pct
        summary = (
            f"bench {visible(name, 120)}: head/base {c.ratio:.2f}x "
            f"({c.confidence:.0%} CI {c.low:.2f}–{c.high:.2f}) over {c.rounds} rounds"
        )
        key = fingerprint("regression", name)
        if verdict == perfstats.Assessment.BLOCK:
            return RULES["regression"].finding(
                f"{summary}: slower by more than the {threshold:g}% threshold even at the "
                "interval's low end",
                fingerprint=key,
            )
        if verdict == perfstats.Assessment.REGRESSION:
            return RULES["regression"].finding(
                f"{summary}: significantly slower and above the {threshold:g}% threshold, "
                "though the interval reaches below it; worth a look",
                fingerprint=key,
                blocking=False,
            )
        if not settled:
            return RULES["too-noisy"].finding(
                f"{summary}: too noisy to judge against the {threshold:g}% threshold (the "
                f"interval straddles {1 + threshold / 100:.2f}) even after "
                f"{self.policy.round_limit} rounds (max_rounds); load average "
                f"{os.getloadavg()[0]:.1f}; {sample_advice(self.measured(name))}",
                fingerprint=fingerprint("too-noisy", name),
            )
        if verdict == perfstats.Assessment.IMPROVED:
            return RULES["improvement"].finding(
                f"{summary}: faster", fingerprint=fingerprint("improvement", name)
            )
        return None

    def save(self, results: dict[str, Any]) -> Path:
        path = self.ws.evidence_dir / SAMPLES_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "schema": "crewchief.performance-samples/v1",
            "command": self.policy.command,
            "base": self.ws.base,
            "head": self.ws.head,
            "rounds": self.policy.rounds,
            "max_rounds": self.policy.round_limit,
            "rounds_run": self.rounds_run,
            "threshold_pct": self.policy.threshold_pct,
            "statistic": "min of each run's inner samples; rounds paired as log(head/base)",
            "runs": [r.to_json() for r in self.records],
            "comparisons": results,
        }
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        self.ws.add_evidence(NAME, path)
        return path


class PerformanceCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"
    rules: ClassVar[RuleTable] = RULES
    exclusive: ClassVar[bool] = True
    """Run alone after the other checks: concurrent test runs would add noise to the timings."""

    def run(self, ctx: CheckContext) -> list[Finding]:
        policy = ctx.policy.benchmark
        if not policy.command:
            raise CheckSkipped("no [benchmark] command in the policy")
        if ctx.session is None:
            raise CheckSkipped("no gate session: the performance check runs commands")
        session = Session(ctx, ctx.session, policy, split_command(policy.command))
        outcome = session.prepare() or session.measure_until_decided()
        findings, results = ([], {}) if isinstance(outcome, Finding) else outcome
        samples = session.save(results)
        if isinstance(outcome, Finding):
            if session.records:
                session.ws.add_evidence(NAME, session.records[-1].log)
            return [outcome.at(message=f"{outcome.message}; samples in {samples}")]
        compared = len(results)
        if not compared and not findings:
            findings.append(
                RULES["benchmark-unparsable"].finding(
                    f"no benchmark gave values at both base and head; see {samples}",
                    severity=Severity.MEDIUM,
                    blocking=False,
                    fingerprint=fingerprint("benchmark-unparsable", ""),
                )
            )
        worst = max(results.items(), key=lambda kv: kv[1]["ratio"], default=None)
        detail = f", slowest {visible(worst[0], 120)} {worst[1]['ratio']:.2f}x" if worst else ""
        findings.append(
            RULES["benchmark-summary"].finding(
                f"{compared} benchmark(s) compared over {session.rounds_run} interleaved rounds"
                f" ({policy.rounds} asked, up to {policy.round_limit} when undecided)"
                f"{detail}; every sample is in {samples}",
                fingerprint=fingerprint("benchmark-summary", ""),
            )
        )
        return findings


CHECK = PerformanceCheck()
