"""Statistics over seeds: the mean of a number and the half-width of its 95% confidence interval.

The interval is Student's t over the seeds (each seed is an independent replication of the same point), so
with n seeds it is mean +- t(0.975, n-1) * s / sqrt(n). The t quantile is computed here, exactly, instead of
being read from a table or from SciPy (an optional extra that ``sweep`` and ``compare`` should not need):
for an integer number of degrees of freedom Student's distribution function is a finite sum (Abramowitz &
Stegun 26.7.3-4), and the quantile is found by bisection on it.
"""
from __future__ import annotations

import math
import statistics


def t_two_sided(t: float, df: int) -> float:
    """P(|T| <= t) for Student's T with ``df`` degrees of freedom (A&S 26.7.3 for odd df, 26.7.4 for even)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:
        term, total = 1.0, 0.0
        if df > 1:  # cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ... up to cos^(df-2)
            term = math.cos(theta)
            total = term
            for k in range(3, df - 1, 2):
                term *= c2 * (k - 1) / k
                total += term
        return 2 / math.pi * (theta + s * total)
    term = total = 1.0  # 1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ... up to cos^(df-2)
    for k in range(2, df - 1, 2):
        term *= c2 * (k - 1) / k
        total += term
    return s * total


def t_quantile(confidence: float, df: int) -> float:
    """The t with P(|T| <= t) = ``confidence``: 12.706 for 95% and 1 degree of freedom, 1.96 as df grows."""
    lo, hi = 0.0, 1.0
    while t_two_sided(hi, df) < confidence:
        hi *= 2
    for _ in range(100):  # bisection to the float's resolution; the function is monotonic
        mid = (lo + hi) / 2
        if t_two_sided(mid, df) < confidence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(values, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """(mean, half-width of the confidence interval) of the values that are not None; the half-width is None
    for fewer than two values (one seed says nothing about the spread)."""
    xs = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not xs:
        return None, None
    mean = statistics.fmean(xs)
    if len(xs) < 2:
        return mean, None
    return mean, t_quantile(confidence, len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))
