"""The adversarial suite (tests/adversarial) as tables: tricks a reward-hacking agent plays and
honest test refactors, on toolz and more-itertools sdists and a purpose-built project.

Per trick: whether it really breaks behaviour and fools plain pytest at the head, and the gate's
verdict (it should block). Per refactor: whether the base's tests pass on the head's code, and the
verdict (it should not block). Then precision and recall for "should block" over both tables, and
the cost of the base oracle: every case gated twice in the same run, on a base whose policy has
`[tests] base_oracle = true` (the default) and `false` (the gate before it), median wall time each
and their ratio. Timings are printed, never asserted.

Usage: python benchmarks/adversarial.py [-k SUBSTRING] [--jobs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.adversarial import harness
from tests.adversarial.case import Case
from tests.adversarial.cases import CASES


def _real(built: harness.Built, case: Case) -> bool:
    """A trick breaks the probe and fools plain pytest; a refactor keeps the base's tests green."""
    if case.should_block:
        broken = harness.truth(built, case, "main") and not harness.truth(built, case, case.name)
        return broken and harness.plain(built, case, case.name).returncode == 0
    kept = harness.truth(built, case, case.name)
    return kept and harness.base_tests_on_head(built, case).returncode == 0


def _row(case: Case, real: bool, on: harness.Gated, off: harness.Gated) -> str:
    right = (on.verdict == "block") == case.should_block
    mark = "" if right else "  !"
    why = ",".join(sorted(set(on.blocking)))[:70]
    yes = "yes" if real else "NO"
    return (
        f"{case.title[:62]:<63}{case.project:<15}{yes:<6}{off.verdict:<8}{on.verdict:<8}{why}{mark}"
    )


def build_all(names: list[str], root: Path, pool: ThreadPoolExecutor, oracle: bool = True):
    """Each project once, its policy saying `[tests] base_oracle = <oracle>`."""
    folder = root / ("on" if oracle else "off")
    built = pool.map(lambda n: harness.build(n, folder / n, oracle), names)
    return dict(zip(names, built, strict=True))


def gate_all(cases: list[Case], jobs: int, oracle: bool = True) -> list[harness.Gated]:
    """Every case gated once, `jobs` at a time (what gate_accuracy.py prints a line from)."""
    names = sorted({c.project for c in cases})
    with tempfile.TemporaryDirectory(prefix="adversarial-") as tmp:
        root = Path(tmp)
        with ThreadPoolExecutor(jobs) as pool:
            built = build_all(names, root, pool, oracle)
            return list(pool.map(lambda c: harness.gate(built[c.project], c, root / "h"), cases))


def should_block(cases: list[Case], gated: list[harness.Gated]) -> str:
    """Precision and recall of `block` against the cases' labels (tricks block, refactors do not)."""
    pairs = [(c.should_block, g.verdict == "block") for c, g in zip(cases, gated, strict=True)]
    tp = sum(want and got for want, got in pairs)
    fp = sum(got and not want for want, got in pairs)
    fn = sum(want and not got for want, got in pairs)
    precision = f"{tp / (tp + fp):.0%}" if tp + fp else "-"
    recall = f"{tp / (tp + fn):.0%}" if tp + fn else "-"
    return f"should block  TP {tp}  FP {fp}  FN {fn}  precision {precision}  recall {recall}"


def _tables(cases: list[Case], real: list[bool], on: list[harness.Gated], off: list[harness.Gated]):
    for kind, real_label, meaning in (
        ("trick", "fools", "breaks behaviour and plain pytest passes"),
        ("refactor", "kept", "base tests pass on head"),
    ):
        print(f"\n{kind}s ({real_label}: {meaning}; today: base_oracle = false)")
        print(f"{'':<63}{'project':<15}{real_label:<6}{'today':<8}{'gate':<8}blocking (gate)")
        for case, r, g_on, g_off in zip(cases, real, on, off, strict=True):
            if case.kind == kind:
                print(_row(case, r, g_on, g_off))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cases = [c for c in CASES if args.k in c.name]
    names = sorted({c.project for c in cases})
    with tempfile.TemporaryDirectory(prefix="adversarial-") as tmp:
        root = Path(tmp)
        with ThreadPoolExecutor(args.jobs) as pool:
            on = build_all(names, root, pool)
            off = build_all(names, root, pool, oracle=False)
            real = list(pool.map(lambda c: _real(on[c.project], c), cases))
            gated_on = list(pool.map(lambda c: harness.gate(on[c.project], c, root / "h"), cases))
            gated_off = list(pool.map(lambda c: harness.gate(off[c.project], c, root / "h"), cases))
    _tables(cases, real, gated_on, gated_off)
    for label, gated in (("gate (base_oracle = true)", gated_on), ("today (false)", gated_off)):
        print(f"\n{label}: {should_block(cases, gated)}")
    t_on = statistics.median(g.seconds for g in gated_on)
    t_off = statistics.median(g.seconds for g in gated_off)
    print(
        f"\ncost: median gate wall time {t_on:.1f}s with the base oracle, {t_off:.1f}s without "
        f"(ratio {t_on / t_off:.2f}, same run, {len(cases)} cases, {args.jobs} at a time)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
