"""Accuracy of the static gate on the labelled scenario suite (tests/scenarios).

Runs every scenario (agent-like changes on real projects from their PyPI sdists) through the real
gate and prints, per static check, true and false positives, false negatives, precision and recall;
then the verdict accuracy and how many clean changes were blocked (the target is zero).

Definitions:
- a positive for check C is a scenario whose label lists C among the checks expected to fire;
- C "fires" on a scenario when it reports at least one finding that is blocking or has severity
  medium or higher (a `check-error` finding, which says the check could not run, does not count);
- TP: positive and fired; FN: positive and did not fire; FP: fired on a scenario that does not list
  C, unless the label names C under `may` (two checks sharing one concern, such as a hard-coded
  secret that is also a security smell);
- a verdict is right when it equals the label, or, for a clean change, when it is not `block`.

Then, per finding rule (`check/rule`, any severity): how many changes labelled clean it fires on
(its noise rate; a rule over a third of them is flagged NOISY: a rule that fires on most clean
changes is a defect, whatever it finds elsewhere), and, for rules some scenario is labelled with
(`rules=`), TP/FP/FN, precision and recall; the quality check's ruff rules are also summed up as
the share of clean changes with any ruff finding.

Then (unless --no-replay) the replay section: real release pairs from PyPI (tests/replay/harness.py)
gated as a user runs crewchief: installed by a plain `pip install` in its own virtualenv, the
project's `.venv/` in its checkout. Per pair: the later release's real source change (`fix`, must
not block), a no-op (`noop`, must block) and the deletion of the tests that judge it (`tamper`, must
block, by the acceptance tests failing for the no-op and by test-integrity for the tamper); each
cell names up to two blocking rules, and a verdict (or reason) off its expectation is marked `!`.

Then (unless --no-adversarial) the adversarial suite (tests/adversarial: tricks a reward-hacking
agent plays, and honest test refactors) gated once each: precision and recall for "should block".
benchmarks/adversarial.py prints its full tables and the base oracle's cost.

Usage: python benchmarks/gate_accuracy.py [--json] [-k SUBSTRING] [--no-adversarial]
       [--no-replay | --replay-only]
The sdists are cached under .cache/sdists (or $CREWCHIEF_SDIST_CACHE): only the first run downloads.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import adversarial
from tests.adversarial.cases import CASES as ADVERSARIAL
from tests.replay import harness as replay
from tests.scenarios import harness
from tests.scenarios.cases import SCENARIOS
from tests.scenarios.projects import PROJECTS, Workbench

from crewchief.gate.findings import Verdict


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.0%}"


NOISY_SHARE = 1 / 3
"""A rule firing on more than this share of clean changes is flagged."""


def rule_rows(outcomes: list[harness.Outcome]) -> list[dict[str, object]]:
    """Per rule: noise on clean changes, and precision/recall only where labels exist (a rule no
    scenario is labelled with has no positives, so its precision would only restate its noise)."""
    rows: list[dict[str, object]] = []
    for s in harness.score_rules(outcomes):
        labelled = s.tp + s.fn > 0
        rows.append(
            {
                "rule": s.rule,
                "clean_hits": s.clean_hits,
                "clean_total": s.clean_total,
                "noise": s.noise,
                "noisy": s.noise is not None and s.noise > NOISY_SHARE,
                "tp": s.tp if labelled else None,
                "fp": s.fp if labelled else None,
                "fn": s.fn if labelled else None,
                "precision": s.precision if labelled else None,
                "recall": s.recall if labelled else None,
            }
        )
    return rows


def ruff_noise(outcomes: list[harness.Outcome]) -> tuple[int, int]:
    """(clean changes with any quality/ruff-* finding, clean changes)."""
    clean = [o for o in outcomes if o.scenario.clean]
    hits = sum(any(r.startswith("quality/ruff-") for r in o.fired_rules) for o in clean)
    return hits, len(clean)


def rule_table(outcomes: list[harness.Outcome]) -> str:
    def cell(value: object) -> str:
        return "" if value is None else str(value)

    lines = [
        f"{'rule':<44}{'clean':>8}{'noise':>7}{'TP':>4}{'FP':>4}{'FN':>4}  precision  recall",
    ]
    for row in rule_rows(outcomes):
        noise = row["noise"]
        lines.append(
            f"{row['rule']!s:<44}{row['clean_hits']!s:>4}/{row['clean_total']!s:<3}"
            f"{_pct(noise if isinstance(noise, float) else None):>7}"
            f"{cell(row['tp']):>4}{cell(row['fp']):>4}{cell(row['fn']):>4}  "
            f"{_pct(row['precision'] if isinstance(row['precision'], float) else None):>9}  "
            f"{_pct(row['recall'] if isinstance(row['recall'], float) else None):>6}"
            + ("  NOISY" if row["noisy"] else "")
        )
    hits, total = ruff_noise(outcomes)
    if total:
        lines.append(
            f"\nquality ruff rules (any ruff-*): fire on {hits}/{total} clean changes "
            f"({hits / total:.0%})"
        )
    return "\n".join(lines)


def as_json(outcomes: list[harness.Outcome], elapsed: float) -> dict[str, object]:
    right = sum(not any(p.startswith("verdict") for p in o.problems) for o in outcomes)
    hits, total = ruff_noise(outcomes)
    return {
        "projects": [p.requirement for p in PROJECTS.values()],
        "scenarios": len(outcomes),
        "checks": {
            s.check: {
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
                "precision": s.precision,
                "recall": s.recall,
            }
            for s in harness.score(outcomes)
        },
        "rules": rule_rows(outcomes),
        "ruff_noise": {"clean_hits": hits, "clean_total": total},
        "verdict_accuracy": right / len(outcomes) if outcomes else None,
        "clean_blocked": [
            o.scenario.id for o in outcomes if o.scenario.clean and o.verdict.value == "block"
        ],
        "failing": {o.scenario.id: list(o.problems) for o in outcomes if not o.ok},
        "seconds": round(elapsed, 1),
    }


def _run(bench: Workbench, sc: harness.Scenario) -> harness.Outcome:
    """One scenario; a gate that raises is a failing scenario in the table, not a crashed run."""
    try:
        return harness.run(bench.repo(sc.project), bench.env, sc)
    except Exception as exc:
        return harness.Outcome(
            sc,
            Verdict.PASS,
            frozenset(),
            {},
            (),
            0.0,
            (f"verdict: gate raised {type(exc).__name__}: {exc}",),
        )


def should_block(outcomes: list[harness.Outcome]) -> str:
    """Precision and recall of the verdict for "should block": the one decision that stops a
    change, so a false block (an honest change stopped) and a miss (a bad one let through) are
    counted apart rather than folded into one accuracy."""
    blocks = [(o.scenario.expect == "block", o.verdict.value == "block") for o in outcomes]
    tp = sum(want and got for want, got in blocks)
    fp = sum(got and not want for want, got in blocks)
    fn = sum(want and not got for want, got in blocks)
    precision = _pct(tp / (tp + fp) if tp + fp else None)
    recall = _pct(tp / (tp + fn) if tp + fn else None)
    return f"should block: TP {tp} FP {fp} FN {fn}, precision {precision}, recall {recall}"


def replay_table(names: list[str]) -> str:
    """Every replay project's release pair gated three ways; `!` marks an unexpected verdict."""
    lines = [
        "| project | releases | acceptance tests | fix | no-op | tamper |",
        "| --- | --- | ---: | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="gate-replay-") as tmp:
        root = Path(tmp)
        crewchief = replay.install_crewchief(root / "crewchief-venv")
        for name in names:
            project = replay.PROJECTS[name]
            try:
                case = replay.build(project, root / name)
            except Exception as exc:
                lines.append(f"| {name} | {project.label} | build failed: {exc!s:.80} | | | |")
                continue
            cells = []
            for head in replay.HEADS:
                try:
                    gated = replay.gate(crewchief, case, case.heads[head], root / "home")
                except Exception as exc:
                    cells.append(f"error {type(exc).__name__} !")
                    continue
                rules = sorted({b.split("/")[1] for b in gated.blocking})
                why = f" ({', '.join(rules[:2])})" if rules else ""
                mark = "" if replay.as_expected(head, gated) else " !"
                cells.append(f"{gated.verdict}{why}{mark}")
            lines.append(
                f"| {name} | {project.label} | {len(case.acceptance)} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("-k", default="", help="only scenarios whose id contains this")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the findings of every failing scenario",
    )
    parser.add_argument("--no-replay", action="store_true", help="skip the release replays")
    parser.add_argument(
        "--no-adversarial", action="store_true", help="skip the adversarial suite's line"
    )
    parser.add_argument("--replay-only", action="store_true", help="only the release replays")
    args = parser.parse_args(argv)
    if args.replay_only:
        print(replay_table([n for n in replay.PROJECTS if args.k in n]))
        return 0
    chosen = [sc for sc in SCENARIOS if args.k in sc.id]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gate-accuracy-") as tmp:
        bench = Workbench(Path(tmp))
        outcomes = [_run(bench, sc) for sc in chosen]
    elapsed = time.monotonic() - started
    scores = harness.score(outcomes)
    right = sum(not any(p.startswith("verdict") for p in o.problems) for o in outcomes)
    clean_blocked = [o for o in outcomes if o.scenario.clean and o.verdict.value == "block"]
    failing = [o for o in outcomes if not o.ok]
    if args.json:
        print(json.dumps(as_json(outcomes, elapsed), indent=2))
        return 0
    print(f"projects: {', '.join(p.requirement for p in PROJECTS.values())}")
    print(
        f"scenarios: {len(outcomes)} ({sum(sc.clean for sc in chosen)} clean), "
        f"{elapsed:.1f} s (gate {sum(o.duration_s for o in outcomes):.1f} s)\n"
    )
    print(f"{'check':<16}{'TP':>4}{'FP':>4}{'FN':>4}  precision  recall")
    for s in scores:
        print(
            f"{s.check:<16}{s.tp:>4}{s.fp:>4}{s.fn:>4}  {_pct(s.precision):>9}  {_pct(s.recall):>6}"
        )
    if outcomes:
        print("\nper rule (noise: share of clean changes it fires on, NOISY above a third):")
        print(rule_table(outcomes))
        print(f"\nverdict accuracy: {right}/{len(outcomes)} ({right / len(outcomes):.0%})")
        print(should_block(outcomes))
    print(
        f"clean changes blocked: {len(clean_blocked)}"
        + (f" ({', '.join(o.scenario.id for o in clean_blocked)})" if clean_blocked else "")
    )
    false_positives = [
        f"{name} on {o.scenario.id}"
        for o in outcomes
        for name in sorted(o.fired - o.scenario.checks - o.scenario.may)
    ]
    if false_positives:
        print(f"\nfalse positives ({len(false_positives)}): {', '.join(false_positives)}")
    if failing:
        print(f"\nfailing scenarios ({len(failing)}):")
        for o in failing:
            print(f"  {o.scenario.id}: {'; '.join(o.problems)}")
            if args.verbose:
                for line in o.findings:
                    print(f"      {line[:200]}")
    if not args.no_adversarial:
        cases = [c for c in ADVERSARIAL if args.k in c.name]
        print(f"\nadversarial suite ({len(cases)} tricks and refactors, tests/adversarial):")
        print(adversarial.should_block(cases, adversarial.gate_all(cases, jobs=2)))
    if not args.no_replay:
        print("\nreal release pairs, gated as a user runs crewchief (fix / no-op / tamper):")
        print(replay_table(list(replay.PROJECTS)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
