"""Is head slower than base? Paired statistics on interleaved benchmark rounds, in pure Python.

The performance check runs base and head alternately, so round i gives one base value and one head
value measured seconds apart. The comparison works on d_i = log(head_i / base_i):

- Pairing cancels drift. A machine that gets slower over the job (thermal throttling, a neighbour
  process, the other dynamic checks) slows both runs of a round alike, so it moves d_i much less
  than it moves either side's raw timings.
- Logs make the question multiplicative and the noise symmetric. Timings are right-skewed (a run
  can be much slower than usual, never much faster); their ratio's log is close to symmetric, and
  the mean of d_i back-transformed is the geometric-mean ratio, the usual summary of "x times
  slower" that one extreme round cannot dominate the way it dominates an arithmetic mean.

Confidence interval: Yuen's trimmed t on the d_i (a Student t interval around the 20%-trimmed mean,
with the winsorized variance and n - 2g - 1 degrees of freedom, g = floor(0.2 n) rounds trimmed at
each end). A gate has few rounds (5 by default), and at that size the alternatives behave badly:
- A bootstrap percentile interval resamples only n distinct values, so it is too narrow (it ignores
  the uncertainty in the spread, roughly a z instead of a t quantile) and false alarms rise exactly
  where we need them low.
- An exact sign-flip (permutation) test is distribution-free, but its smallest p-value is 2/2**n,
  0.0625 two-sided at n = 5: it could never reach 95% with the default rounds.
- A plain t interval is honest about small n through its degrees of freedom, and one outlier round
  cannot fake a regression with it (the outlier raises the standard deviation as much as the mean,
  so t stays near 1), but the same outlier hides a real one: on a shared CI machine a burst of load
  slows one whole run now and then. In benchmarks/perf_detector.py the plain t detected 24 of 30
  planted 25% slowdowns at load 7 on 2 cores, and at load 4 missed one whose fourth round was 4x
  off the others; the trimmed t caught that one and all 30.
Trimming removes the most extreme round at each end (at n = 5, 6, 7, 8, 9: one; at n = 10: two),
so one noisy round can neither make nor hide a regression, and the price is paid honestly in
degrees of freedom (the 95% quantile is 4.30 at n = 5 against 2.78 untrimmed). Below 5 rounds
nothing is trimmed and the interval is the plain paired t.

Decision (`assess`): a regression needs both a ratio above 1 + threshold (it matters) and a
confidence interval wholly above 1 (it is real). It is certain enough to block only when even the
lower bound exceeds 1 + threshold. The comparison is *decided* (`decided`) when the interval lies
wholly above 1 + threshold (block) or wholly at or below it (no slowdown that matters); an interval
that straddles the threshold cannot say either, and the check then takes more rounds, up to the
policy's `max_rounds`, before it hands the question to a human. No correction for many benchmarks is applied: requiring the
threshold as well as significance already keeps the per-benchmark false-alarm rate far below
alpha/2 (see benchmarks/perf_detector.py), and a Bonferroni level over a suite of 50 benchmarks
would make 5 rounds unable to detect anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

TRIM = 0.2
"""Fraction of rounds trimmed at each end (Yuen's usual 20%)."""


class Assessment(StrEnum):
    BLOCK = "block"
    """Slower beyond the threshold with confidence: the whole interval is above 1 + threshold."""
    REGRESSION = "regression"
    """Slower than 1 + threshold, and significantly slower than base."""
    INCONCLUSIVE = "inconclusive"
    """Looks slower than 1 + threshold, but the rounds are too noisy to say it is real."""
    IMPROVED = "improved"
    """Significantly faster by more than the threshold."""
    SAME = "same"


@dataclass(frozen=True)
class Comparison:
    """head/base for one benchmark over paired rounds."""

    rounds: int
    ratio: float
    """Trimmed geometric mean of head/base over the rounds."""
    low: float
    high: float
    confidence: float
    p_value: float
    """Two-sided (trimmed) paired t-test p-value for "head and base take the same time"."""

    def to_json(self) -> dict[str, float | int]:
        return {
            "rounds": self.rounds,
            "ratio": self.ratio,
            "ci_low": self.low,
            "ci_high": self.high,
            "confidence": self.confidence,
            "p_value": self.p_value,
        }


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with integer `df`, by the closed-form series of Abramowitz and
    Stegun 26.7.3-4 (integer degrees of freedom is all a count of rounds needs)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(1, (df - 3) // 2 + 1):
                term *= c2 * (2 * k) / (2 * k + 1)
                total += term
        inside = (2 / math.pi) * (theta + s * math.cos(theta) * total)
    else:
        total, term = 1.0, 1.0
        for k in range(1, (df - 2) // 2 + 1):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        inside = s * total
    inside = min(1.0, max(0.0, inside))
    return 0.5 + inside / 2 if t >= 0 else 0.5 - inside / 2


def t_quantile(p: float, df: int) -> float:
    """The t such that P(T <= t) = p, by bisection on `t_cdf` (monotone, so this cannot fail)."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def log_ratios(base: Sequence[float], head: Sequence[float]) -> list[float]:
    """log(head_i / base_i) for each round where both values are usable timings (finite, > 0)."""
    if len(base) != len(head):
        raise ValueError("base and head must have one value per round each")
    return [
        math.log(h / b)
        for b, h in zip(base, head, strict=True)
        if math.isfinite(b) and math.isfinite(h) and b > 0 and h > 0
    ]


def compare(
    base: Sequence[float], head: Sequence[float], confidence: float = 0.95, trim: float = TRIM
) -> Comparison | None:
    """Paired comparison of per-round values; None with fewer than two usable rounds."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    if not 0 <= trim < 0.5:
        raise ValueError("trim must be in [0, 0.5)")
    diffs = sorted(log_ratios(base, head))
    n = len(diffs)
    if n < 2:
        return None
    g = int(trim * n)
    kept = n - 2 * g
    if kept < 2:
        g, kept = 0, n
    middle = diffs[g : n - g]
    mean = math.fsum(middle) / kept
    winsorized = [middle[0]] * g + middle + [middle[-1]] * g
    w_mean = math.fsum(winsorized) / n
    w_var = math.fsum((d - w_mean) ** 2 for d in winsorized) / (n - 1)
    se = math.sqrt((n - 1) * w_var / (kept * (kept - 1)))
    df = kept - 1
    quantile = t_quantile(1 - (1 - confidence) / 2, df)
    if se == 0:
        p_value = 1.0 if mean == 0 else 0.0
    else:
        p_value = 2 * (1 - t_cdf(abs(mean) / se, df))
    return Comparison(
        rounds=n,
        ratio=math.exp(mean),
        low=math.exp(mean - quantile * se),
        high=math.exp(mean + quantile * se),
        confidence=confidence,
        p_value=min(1.0, max(0.0, p_value)),
    )


def assess(comparison: Comparison, threshold_pct: float) -> Assessment:
    """What the comparison means against the policy's threshold (percent slower that matters)."""
    limit = 1 + threshold_pct / 100
    if comparison.low > limit:
        return Assessment.BLOCK
    if comparison.ratio > limit:
        return Assessment.REGRESSION if comparison.low > 1 else Assessment.INCONCLUSIVE
    if comparison.ratio < 1 / limit and comparison.high < 1:
        return Assessment.IMPROVED
    return Assessment.SAME


def decided(comparison: Comparison, threshold_pct: float) -> bool:
    """Whether the interval settles the question "is head slower than the threshold?": wholly
    above 1 + threshold (yes) or wholly at or below it (no). On a busy machine the interval widens
    until it straddles the threshold, and then neither a pass nor a block is backed by evidence."""
    limit = 1 + threshold_pct / 100
    return comparison.low > limit or comparison.high <= limit
