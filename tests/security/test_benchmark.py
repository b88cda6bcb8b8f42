"""benchmarks/security_accuracy.py scores a handful of corpus cases as it scores the corpus."""

from __future__ import annotations

from benchmarks.security_accuracy import Tally, bandit_cwes, crewchief_cwes, tally

from tests.security.corpus import load


def test_scoring_on_a_few_cases() -> None:
    wanted = {"cwe78-01", "cwe78-02", "cwe79-01", "cwe79-02", "cwe614-01", "cwe614-02"}
    cases = [c for c in load() if c.id in wanted]
    acting, every = crewchief_cwes(cases)
    default, medium = bandit_cwes(cases)
    result = tally(cases, acting)
    assert result.tp + result.fp + result.fn + result.tn == len(cases) == 6
    assert all(acting[p] <= every[p] for p in every)
    assert all(medium[p] <= default[p] for p in default)
    # bandit judges the argument list in cwe78-02 by its shape (CWE-78) at low severity.
    assert "CWE-78" in default["cases/cwe78_02.py"]


def test_tally_rates() -> None:
    t = Tally()
    for vulnerable, flagged in ((True, True), (True, False), (False, True), (False, False)):
        t.add(vulnerable, flagged)
    assert (t.tp, t.fn, t.fp, t.tn, t.tpr, t.fpr) == (1, 1, 1, 1, 0.5, 0.5)
