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

Evidence: every sample of every run (side, round, position, log) goes to
`performance-samples.json` in the evidence folder, registered with `GateSession.add_evidence`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from crewchief.errors import UserError
from crewchief.gate.check import CheckContext, CheckSkipped, GateSession
from crewchief.gate.checks.performance import perfstats
from crewchief.gate.checks.performance.benchparse import Parsed, Unparsable, parse_output
from crewchief.gate.dynamic.suite import is_pytest, pytest_args
from crewchief.gate.findings import Finding, Severity, fingerprint
from crewchief.spec.policy import BenchmarkPolicy
from crewchief.textsafe import visible
from crewchief.workspace.checkouts import PreparedTree, split_command

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


def _finding(
    rule: str, severity: Severity, message: str, *, blocking: bool, key: str = ""
) -> Finding:
    return Finding(
        NAME, rule, severity, message, blocking=blocking, fingerprint=fingerprint(rule, key)
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
    if is_pytest(argv):
        args = pytest_args(argv)
        own = _json_flag(args)
        run = [env.python, "-m", "pytest", *args, "-p", "no:cacheprovider"]
        if own is not None:
            return Plan(run, env.tree.path / own)
        return Plan([*run, f"--benchmark-json={json_path}"], json_path)
    first = Path(argv[0]).name
    head = [env.python] if first in ("python", "python3") else [argv[0]]
    return Plan([*head, *argv[1:]], None)


@dataclass
class Session:
    ctx: CheckContext
    ws: GateSession
    policy: BenchmarkPolicy
    argv: list[str]
    records: list[RunRecord] = field(default_factory=list)
    trees: dict[str, PreparedTree] = field(default_factory=dict)

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
        if record.timed_out:
            return _finding(
                "benchmark-timeout",
                Severity.HIGH if at_head else Severity.MEDIUM,
                f"the benchmark ran over its {self.policy.timeout_s:g} s timeout and was killed "
                f"{where}" + ("" if at_head else "; base and head cannot be compared"),
                blocking=at_head,
                key=record.side,
            )
        if record.exit_code != 0:
            if record.side == "base":
                return _finding(
                    "benchmark-failed-base",
                    Severity.MEDIUM,
                    f"the benchmark fails at base (exit {record.exit_code}), so base and head "
                    f"cannot be compared and a slowdown would go unseen {where}",
                    blocking=False,
                )
            return _finding(
                "benchmark-failed-head",
                Severity.HIGH,
                f"the benchmark runs at base but fails at head (exit {record.exit_code}) {where}",
                blocking=True,
            )
        if record.parsed is None:
            return _finding(
                "benchmark-unparsable",
                Severity.HIGH if at_head else Severity.MEDIUM,
                f"the benchmark's output could not be read {where}: {record.error}",
                blocking=at_head,
                key=record.side,
            )
        return None

    def prepare(self) -> Finding | None:
        for side in SIDES:
            rev = self.ws.base if side == "base" else self.ws.head
            try:
                self.trees[side] = self.ws.checkouts.checkout(rev, label=f"bench-{side}")
            except UserError as exc:
                rule = "benchmark-failed-base" if side == "base" else "benchmark-failed-head"
                return _finding(
                    rule,
                    Severity.MEDIUM if side == "base" else Severity.HIGH,
                    f"the benchmark could not be set up at {side}: {exc}",
                    blocking=side == "head",
                )
        return None

    def measure(self) -> Finding | None:
        """Warm-up pair, then the rounds; stops at the first run that gives no numbers."""
        base_ok = False
        for round_no in range(self.policy.rounds + 1):
            order: tuple[Side, Side] = ("head", "base") if round_no % 2 else ("base", "head")
            for position, side in enumerate(order, 1):
                record = self.run_once(side, round_no, position)
                problem = self.problem(record, base_ok)
                if problem:
                    return problem
                if side == "base":
                    base_ok = True
        return None

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

    def compare(self) -> tuple[list[Finding], dict[str, Any]]:
        findings: list[Finding] = []
        results: dict[str, Any] = {}
        confidence = self.policy.confidence
        threshold = self.policy.threshold_pct
        for name, rounds in sorted(self.values().items()):
            paired = [r for r in rounds.values() if "base" in r and "head" in r]
            if not paired and any("base" in r for r in rounds.values()):
                findings.append(
                    _finding(
                        "benchmark-missing",
                        Severity.MEDIUM,
                        f"benchmark {visible(name, 120)} ran at base but not at head, so its "
                        "speed is no longer compared",
                        blocking=False,
                        key=name,
                    )
                )
                continue
            comparison = perfstats.compare(
                [r["base"] for r in paired], [r["head"] for r in paired], confidence
            )
            if comparison is None:
                continue
            verdict = perfstats.assess(comparison, threshold)
            results[name] = {**comparison.to_json(), "assessment": verdict.value}
            finding = self.judge(name, comparison, verdict)
            if finding:
                findings.append(finding)
        return findings, results

    def judge(
        self, name: str, c: perfstats.Comparison, verdict: perfstats.Assessment
    ) -> Finding | None:
        threshold = self.policy.threshold_pct
        summary = (
            f"bench {visible(name, 120)}: head/base {c.ratio:.2f}x "
            f"({c.confidence:.0%} CI {c.low:.2f}–{c.high:.2f}) over {c.rounds} rounds"
        )
        if verdict == perfstats.Assessment.BLOCK:
            return _finding(
                "regression",
                Severity.HIGH,
                f"{summary}: slower by more than the {threshold:g}% threshold even at the "
                "interval's low end",
                blocking=True,
                key=name,
            )
        if verdict == perfstats.Assessment.REGRESSION:
            return _finding(
                "regression",
                Severity.HIGH,
                f"{summary}: significantly slower and above the {threshold:g}% threshold, "
                "though the interval reaches below it; worth a look",
                blocking=False,
                key=name,
            )
        if verdict == perfstats.Assessment.INCONCLUSIVE:
            return _finding(
                "regression-inconclusive",
                Severity.LOW,
                f"{summary}: looks slower than the {threshold:g}% threshold but the rounds are "
                "too noisy to tell (more rounds would)",
                blocking=False,
                key=name,
            )
        if verdict == perfstats.Assessment.IMPROVED:
            return _finding(
                "improvement", Severity.INFO, f"{summary}: faster", blocking=False, key=name
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
    exclusive: ClassVar[bool] = True
    """Run alone after the other checks: concurrent test runs would add noise to the timings."""

    def run(self, ctx: CheckContext) -> list[Finding]:
        policy = ctx.policy.benchmark
        if not policy.command:
            raise CheckSkipped("no [benchmark] command in the policy")
        if ctx.session is None:
            raise CheckSkipped("no gate session: the performance check runs commands")
        session = Session(ctx, ctx.session, policy, split_command(policy.command))
        problem = session.prepare() or session.measure()
        findings, results = ([], {}) if problem else session.compare()
        samples = session.save(results)
        if problem:
            if session.records:
                session.ws.add_evidence(NAME, session.records[-1].log)
            return [problem.at(message=f"{problem.message}; samples in {samples}")]
        compared = len(results)
        if not compared and not findings:
            findings.append(
                _finding(
                    "benchmark-unparsable",
                    Severity.MEDIUM,
                    f"no benchmark gave values at both base and head; see {samples}",
                    blocking=False,
                )
            )
        worst = max(results.items(), key=lambda kv: kv[1]["ratio"], default=None)
        detail = f", slowest {visible(worst[0], 120)} {worst[1]['ratio']:.2f}x" if worst else ""
        findings.append(
            _finding(
                "benchmark-summary",
                Severity.INFO,
                f"{compared} benchmark(s) compared over {policy.rounds} interleaved rounds"
                f"{detail}; every sample is in {samples}",
                blocking=False,
            )
        )
        return findings


CHECK = PerformanceCheck()
