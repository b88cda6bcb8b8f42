from __future__ import annotations

import math
import random

import pytest

from crewchief.gate.checks.performance.perfstats import (
    Assessment,
    Comparison,
    assess,
    compare,
    decided,
    t_cdf,
    t_quantile,
)


@pytest.mark.parametrize(
    ("df", "p", "expected"),
    [
        (1, 0.975, 12.7062),
        (2, 0.975, 4.3027),
        (4, 0.975, 2.7764),
        (5, 0.975, 2.5706),
        (9, 0.975, 2.2622),
        (29, 0.975, 2.0452),
        (3, 0.995, 5.8409),
        (10, 0.95, 1.8125),
        (200, 0.975, 1.9719),
    ],
)
def test_t_quantile_matches_tables(df: int, p: float, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-3)
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-3)


def test_t_cdf_is_symmetric_and_monotone() -> None:
    for df in (1, 2, 3, 8):
        assert t_cdf(0.0, df) == pytest.approx(0.5)
        values = [t_cdf(x / 4, df) for x in range(-40, 41)]
        assert values == sorted(values)
        assert t_cdf(1.3, df) + t_cdf(-1.3, df) == pytest.approx(1.0)


def test_identical_rounds_are_the_same() -> None:
    c = compare([1.0, 1.1, 0.9, 1.0], [1.0, 1.1, 0.9, 1.0])
    assert c is not None
    assert c.ratio == pytest.approx(1.0)
    assert assess(c, 10) == Assessment.SAME


def test_consistent_doubling_blocks_and_interval_brackets_it() -> None:
    base = [1.0, 1.2, 0.9, 1.05, 1.1, 0.95]
    head = [b * f for b, f in zip(base, [2.0, 1.95, 2.1, 2.02, 1.98, 2.05], strict=True)]
    c = compare(base, head)
    assert c is not None
    assert c.low < c.ratio < c.high
    assert c.low > 1.9 and c.high < 2.1
    assert c.p_value < 0.001
    assert assess(c, 10) == Assessment.BLOCK


def test_one_outlier_round_never_makes_a_regression() -> None:
    rng = random.Random(7)
    for n in range(3, 12):
        for spike in (1.5, 3.0, 100.0):
            base = [1 + rng.gauss(0, 0.01) for _ in range(n)]
            head = [1 + rng.gauss(0, 0.01) for _ in range(n)]
            head[rng.randrange(n)] *= spike
            c = compare(base, head)
            assert c is not None
            assert assess(c, 10) not in (Assessment.BLOCK, Assessment.REGRESSION), (n, spike, c)


def test_small_real_slowdown_is_significant_but_below_threshold() -> None:
    base = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98]
    head = [b * 1.05 for b in base]
    c = compare(base, head)
    assert c is not None and c.low > 1.04
    assert assess(c, 10) == Assessment.SAME
    assert assess(c, 3) == Assessment.BLOCK


def test_above_threshold_but_noisy_is_inconclusive() -> None:
    c = Comparison(rounds=5, ratio=1.3, low=0.9, high=1.8, confidence=0.95, p_value=0.2)
    assert assess(c, 10) == Assessment.INCONCLUSIVE
    c = Comparison(rounds=5, ratio=1.3, low=1.05, high=1.6, confidence=0.95, p_value=0.01)
    assert assess(c, 10) == Assessment.REGRESSION
    c = Comparison(rounds=5, ratio=0.7, low=0.6, high=0.8, confidence=0.95, p_value=0.01)
    assert assess(c, 10) == Assessment.IMPROVED


def test_unusable_values_are_dropped_and_too_few_rounds_give_none() -> None:
    assert compare([1.0], [2.0]) is None
    assert compare([1.0, 0.0, math.nan], [2.0, 1.0, 1.0]) is None
    c = compare([1.0, -1.0, 1.0, 1.0], [2.0, 1.0, 2.0, 2.0])
    assert c is not None and c.rounds == 3
    with pytest.raises(ValueError):
        compare([1.0, 2.0], [1.0])


def test_false_alarm_rate_on_simulated_noise_is_low() -> None:
    """Lognormal A/A noise of 5% per run, 5 rounds: alarms must be far below the 2.5% one-sided
    level because the threshold is required too."""
    rng = random.Random(1)
    alarms = 0
    trials = 2000
    for _ in range(trials):
        base = [math.exp(rng.gauss(0, 0.05)) for _ in range(5)]
        head = [math.exp(rng.gauss(0, 0.05)) for _ in range(5)]
        c = compare(base, head)
        assert c is not None
        alarms += assess(c, 10) in (Assessment.BLOCK, Assessment.REGRESSION)
    assert alarms / trials < 0.01


def test_one_noisy_round_does_not_hide_a_real_slowdown() -> None:
    """A burst of load slows one whole round: trimming keeps the 25% slowdown visible, where the
    plain paired t (trim=0) loses it."""
    base = [1.00, 1.01, 0.99, 1.00, 1.02]
    head = [1.25, 1.27, 1.23, 1.26, 1.24]
    base[2] *= 2.0  # the noisy round: base hit by a burst of load
    trimmed = compare(base, head)
    plain = compare(base, head, trim=0.0)
    assert trimmed is not None and plain is not None
    assert assess(trimmed, 10) in (Assessment.BLOCK, Assessment.REGRESSION)
    assert assess(plain, 10) not in (Assessment.BLOCK, Assessment.REGRESSION)


def test_trimming_starts_at_five_rounds() -> None:
    base = [1.0, 1.0, 1.0, 1.0]
    head = [1.3, 1.3, 1.3, 0.5]
    assert compare(base, head) == compare(base, head, trim=0.0)
    with pytest.raises(ValueError):
        compare(base, head, trim=0.5)


def _interval(low: float, high: float) -> Comparison:
    ratio = math.sqrt(low * high)
    return Comparison(rounds=5, ratio=ratio, low=low, high=high, confidence=0.95, p_value=0.5)


@pytest.mark.parametrize(
    ("low", "high", "settled"),
    [
        (1.15, 1.40, True),  # wholly above 1.10: a regression beyond the threshold
        (0.95, 1.10, True),  # wholly at or below 1.10: nothing that matters
        (0.60, 0.90, True),  # faster
        (1.05, 1.30, False),  # significantly slower, but maybe not by 10%
        (0.90, 1.30, False),  # could be anything: the A/A and the 2x of a busy machine
        (0.95, 1.11, False),  # just over: a 11% slowdown is not excluded
    ],
)
def test_decided_means_the_interval_is_wholly_on_one_side_of_the_threshold(
    low: float, high: float, settled: bool
) -> None:
    assert decided(_interval(low, high), 10.0) is settled


def test_more_rounds_of_the_same_noise_settle_a_real_doubling() -> None:
    """The point of sequential sampling: at a noise where 5 rounds leave most 2x slowdowns
    undecided, 15 rounds block nearly all of them (seeded, so the counts are exact)."""
    rng = random.Random(1)
    settled_at_5 = blocked_at_15 = 0
    for _ in range(400):
        head = [2.0 * math.exp(rng.gauss(0, 0.45)) for _ in range(15)]
        first = compare([1.0] * 5, head[:5])
        more = compare([1.0] * 15, head)
        assert first is not None and more is not None
        settled_at_5 += decided(first, 10.0)
        blocked_at_15 += assess(more, 10.0) == Assessment.BLOCK
    assert settled_at_5 < 200
    assert blocked_at_15 >= 390
