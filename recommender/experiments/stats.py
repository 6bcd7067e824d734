"""The statistics of an experiment report, on per-listener data (the randomization unit).

- Ratio metrics (completions per play, skips per play, plays per session) are sums of a
  numerator and a denominator per listener; their variance is the delta method's over
  listeners, so many plays of one listener do not pass for independent trials.
- Significance is the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis
  and Walsh, "Always valid inference" (2017): with a normal mixing distribution N(0, tau^2)
  over the difference, the likelihood ratio after each look is
  ``sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))`` and the always-valid
  p-value is the running minimum of its inverse, so looking after every batch keeps the
  false-positive rate at ``alpha``.
- The sample-ratio-mismatch check is a chi-square goodness of fit of listeners per variant to
  the declared weights; p < 0.001 means assignment or logging is broken (Kohavi et al.).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SRM_THRESHOLD = 0.001
# The mixing scale relative to the control's mean: effects of about 10% are expected.
TAU_RELATIVE = 0.1


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric for one variant: ``value`` with its standard error over ``listeners``."""

    value: float
    stderr: float
    listeners: int

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        return self.value - z * self.stderr, self.value + z * self.stderr


def ratio_estimate(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> Estimate:
    """sum(numerator) / sum(denominator) over listeners, with its delta-method error."""
    n = len(numerator)
    total = float(denominator.sum())
    if n == 0 or total <= 0:
        return Estimate(math.nan, math.nan, n)
    ratio = float(numerator.sum()) / total
    if n < 2:
        return Estimate(ratio, math.nan, n)
    mean_d = total / n
    var_y = float(np.var(numerator, ddof=1))
    var_d = float(np.var(denominator, ddof=1))
    cov = float(np.cov(numerator, denominator, ddof=1)[0, 1])
    variance = (var_y - 2 * ratio * cov + ratio**2 * var_d) / (n * mean_d**2)
    return Estimate(ratio, math.sqrt(max(variance, 0.0)), n)


def mean_estimate(values: NDArray[np.float64]) -> Estimate:
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, 0)
    stderr = float(np.std(values, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return Estimate(float(values.mean()), stderr, n)


def msprt_likelihood(difference: float, variance: float, tau: float) -> float:
    """The mixture likelihood ratio of ``difference`` (variance ``variance``) against 0."""
    if not (variance > 0 and tau > 0) or math.isnan(difference):
        return 1.0
    spread = variance + tau**2
    exponent = tau**2 * difference**2 / (2 * variance * spread)
    return math.sqrt(variance / spread) * math.exp(min(exponent, 700.0))


@dataclass(frozen=True, slots=True)
class Comparison:
    """A treatment against the control on one metric, after a sequence of looks."""

    difference: float  # treatment - control
    relative: float  # difference / control
    p_value: float  # always valid: the minimum over every look so far
    interval: tuple[float, float]  # always-valid (1 - alpha) interval of the difference
    significant: bool
    p_path: tuple[float, ...]  # the always-valid p-value after each look


def tau_for(control_value: float) -> float:
    return max(abs(control_value) * TAU_RELATIVE, 1e-3)


def compare(looks: Sequence[tuple[Estimate, Estimate]], alpha: float) -> Comparison:
    """The mSPRT over ``looks`` (control, treatment estimates, in time order)."""
    if not looks:
        raise ValueError("a comparison needs at least one look")
    tau = tau_for(looks[-1][0].value)
    p_value, path = 1.0, []
    for control, treatment in looks:
        variance = control.stderr**2 + treatment.stderr**2
        difference = treatment.value - control.value
        p_value = min(p_value, 1.0 / msprt_likelihood(difference, variance, tau))
        path.append(p_value)
    control, treatment = looks[-1]
    difference = treatment.value - control.value
    variance = control.stderr**2 + treatment.stderr**2
    interval = _always_valid_interval(difference, variance, tau, alpha)
    relative = difference / control.value if control.value else math.nan
    significant = p_value < alpha
    return Comparison(difference, relative, p_value, interval, significant, tuple(path))


def _always_valid_interval(
    difference: float, variance: float, tau: float, alpha: float
) -> tuple[float, float]:
    """Every effect theta whose mixture likelihood ratio stays under 1 / alpha."""
    if not variance > 0 or math.isnan(difference):
        return (math.nan, math.nan)
    spread = variance + tau**2
    half = math.sqrt(
        variance * spread / tau**2 * (2 * math.log(1 / alpha) + math.log(spread / variance))
    )
    return (difference - half, difference + half)


@dataclass(frozen=True, slots=True)
class SampleRatio:
    counts: dict[str, int]
    expected_share: dict[str, float]
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_THRESHOLD


def sample_ratio_check(counts: dict[str, int], weights: dict[str, float]) -> SampleRatio:
    """Chi-square goodness of fit of listeners per variant to the declared weights."""
    from scipy.stats import chisquare

    total_weight = sum(weights.values())
    shares = {name: weight / total_weight for name, weight in weights.items()}
    observed = np.array([counts.get(name, 0) for name in weights], dtype=float)
    n = observed.sum()
    if n == 0:
        return SampleRatio(dict(counts), shares, 1.0)
    expected = np.array([shares[name] * n for name in weights])
    p_value = float(chisquare(observed, expected).pvalue)
    return SampleRatio(dict(counts), shares, p_value)
