"""Skip-rate figures pooled over the simulated days, paired over listeners: one test for a
whole run instead of one per day, and how each policy recovers after a content shift.

Each listener's skip rate on a day is their skips over the tracks they started that day (no
rate on a day they started none). For two policies (each against the first, the same
listeners meeting the same randomness):

- ``pooled``: per listener, the mean over days of (policy's rate minus the first's rate),
  then the mean over listeners; over all days, the days before the shift and those from it.
- ``recovery`` (with a shift): per policy and listener, the mean rate from the shift day on
  minus their mean rate before it (the **excess** the shift cost: the area between the
  post-shift curve and the pre-shift level, per day); the paired difference of excesses says
  whether a policy recovers faster (negative: it lost less). Also, per policy, the days from
  the shift until the day's skip rate (all listeners) is back within ``RECOVERED_WITHIN`` of
  its pre-shift rate (None: not within the simulated days).
- against the **oracle** (``oracle.py``: each day the tracks that fit each listener's true
  taste best, the shifted taste from the shift on), when given: its own recovery figures
  (is the pre-shift rate reachable after the shift?) and, per policy, the **gap excess** (per
  listener, the policy's excess minus the oracle's: what the shift cost beyond what it cost
  the best answer) and the days from the shift until the day's gap to the oracle (policy's
  rate minus the oracle's, all listeners) is back within ``RECOVERED_WITHIN`` of the gap
  before the shift.

Intervals: percentile bootstrap over listeners (resampled with replacement, seeded, the same
resamples for every policy so differences stay paired).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from philomath.simulation.run import PolicyRun, SimulationConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RECOVERED_WITHIN = 0.02  # skip rate above the pre-shift rate that counts as recovered
Interval = dict[str, Any]  # value, low, high (as ``report.Estimate``)


def interval(point: float, draws: FloatArray, level: float) -> Interval:
    """``point`` with the percentile interval of its bootstrap ``draws`` (NaNs ignored)."""
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return {"value": float(point), "low": float(low), "high": float(high)}


def daily_rates(run: PolicyRun) -> FloatArray:
    """Skip rate per (day, listener); NaN where the listener started nothing that day."""
    skipped = np.array([day.skipped for day in run.days], dtype=np.float64)
    started = np.array([day.started for day in run.days], dtype=np.float64)
    rates: FloatArray = np.divide(
        skipped, started, out=np.full_like(skipped, np.nan), where=started > 0
    )
    return rates


def listener_resamples(seed: int, n: int, resamples: int) -> IntArray:
    """Listener indices of each bootstrap resample (rows), shared by every figure here."""
    rows: IntArray = np.random.default_rng([seed, 13]).integers(0, n, size=(resamples, n))
    return rows


def mean_over_listeners(values: FloatArray, rows: IntArray, level: float) -> Interval:
    """The mean of per-listener ``values`` (NaN: listener left out) with its bootstrap
    interval over ``rows``."""
    point = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    with np.errstate(all="ignore"):
        sums = np.nansum(values[rows], axis=1)
        counts = np.isfinite(values[rows]).sum(axis=1)
        draws = np.divide(sums, counts, out=np.full(len(rows), np.nan), where=counts > 0)
    return interval(point, draws, level)


def _nanmean_days(rates: FloatArray, days: slice) -> FloatArray:
    window = rates[days]
    counts = np.isfinite(window).sum(axis=0)
    total = np.nansum(window, axis=0)
    means: FloatArray = np.divide(
        total, counts, out=np.full(total.shape, np.nan, dtype=np.float64), where=counts > 0
    )
    return means


def paired_difference(policy: FloatArray, first: FloatArray, days: slice) -> FloatArray:
    """Per listener, the mean over ``days`` of the day's rate difference (days where both
    policies have a rate)."""
    return _nanmean_days(policy - first, days)


def excess(rates: FloatArray, shift_day: int) -> FloatArray:
    """Per listener, the mean rate from the shift on minus the mean rate before it."""
    return _nanmean_days(rates, slice(shift_day, None)) - _nanmean_days(rates, slice(0, shift_day))


def _counts(run: PolicyRun) -> tuple[FloatArray, FloatArray]:
    skipped = np.array([day.skipped for day in run.days], dtype=np.float64)
    started = np.array([day.started for day in run.days], dtype=np.float64)
    return skipped, started


def _before_after(
    skipped: FloatArray, started: FloatArray, sample: IntArray, shift_day: int
) -> tuple[FloatArray, FloatArray]:
    """The pre-shift rate (B,) and each day's rate from the shift on (days, B) of each
    resample's listeners (sums over them)."""
    s, t = skipped[:, sample].sum(axis=-1), started[:, sample].sum(axis=-1)  # (days, B)
    before = s[:shift_day].sum(axis=0) / np.maximum(t[:shift_day].sum(axis=0), 1)
    after = s[shift_day:] / np.maximum(t[shift_day:], 1)
    return before, after


def days_to_within(
    run: PolicyRun,
    shift_day: int,
    rows: IntArray,
    level: float,
    reference: PolicyRun | None = None,
) -> Interval:
    """Days from the shift until the day's skip rate is within ``RECOVERED_WITHIN`` of the
    pre-shift rate (sums over listeners), with a bootstrap interval; None: not recovered in
    the simulated days (an interval end of None: not in that share of resamples). With a
    ``reference`` (the oracle), the rates are the run's minus the reference's, on the same
    listeners: days until the gap to it is back within ``RECOVERED_WITHIN`` of the gap
    before the shift."""
    skipped, started = _counts(run)
    everyone = np.arange(skipped.shape[1])[None, :]

    def first_recovered(sample: IntArray) -> FloatArray:
        before, after = _before_after(skipped, started, sample, shift_day)
        if reference is not None:
            ref_before, ref_after = _before_after(*_counts(reference), sample, shift_day)
            before, after = before - ref_before, after - ref_after
        recovered = after <= before + RECOVERED_WITHIN
        first = np.where(recovered.any(axis=0), recovered.argmax(axis=0), np.inf)  # (B,)
        return first.astype(np.float64)

    never = float(skipped.shape[0] - shift_day)  # past the last simulated day
    point = float(first_recovered(everyone)[0])
    tail = (1 - level) / 2 * 100
    draws = np.minimum(first_recovered(rows), never)
    low, high = np.percentile(draws, [tail, 100 - tail])
    return {
        "value": _day_or_none(point, never),
        "low": _day_or_none(float(low), never),
        "high": _day_or_none(float(high), never),
        "within": RECOVERED_WITHIN,
    }


def _day_or_none(value: float, never: float) -> float | None:
    return value if value < never else None


def pooled_figures(
    runs: list[PolicyRun],
    config: SimulationConfig,
    *,
    resamples: int,
    level: float,
    oracle: PolicyRun | None = None,
) -> dict[str, Any]:
    """The pooled comparisons and, with a shift, the recovery figures, against the
    ``oracle`` too when given (module docstring)."""
    rates = {run.name: daily_rates(run) for run in runs}
    n = rates[runs[0].name].shape[1]
    rows = listener_resamples(config.seed, n, resamples)
    shift_day = config.shift.day if config.shift is not None else None
    first = rates[runs[0].name]
    windows = {"all_days": slice(None)}
    if shift_day is not None and shift_day > 0:
        windows |= {"before_shift": slice(0, shift_day), "after_shift": slice(shift_day, None)}
    against: dict[str, Any] = {}
    for run in runs[1:]:
        mine = rates[run.name]
        entry = {
            window: mean_over_listeners(paired_difference(mine, first, days), rows, level)
            for window, days in windows.items()
        }
        if shift_day is not None and shift_day > 0:
            lost = excess(mine, shift_day) - excess(first, shift_day)
            entry["recovery_excess"] = mean_over_listeners(lost, rows, level)
        against[run.name] = entry
    recovery: dict[str, Any] | None = None
    against_oracle: dict[str, Any] | None = None
    if shift_day is not None and shift_day > 0:
        recovery = {
            run.name: _recovery(run, daily_rates(run), shift_day, rows, level)
            for run in (*runs, *([oracle] if oracle is not None else []))
        }
        if oracle is not None:
            oracle_excess = excess(daily_rates(oracle), shift_day)
            against_oracle = {
                run.name: {
                    "gap_excess": mean_over_listeners(
                        excess(rates[run.name], shift_day) - oracle_excess, rows, level
                    ),
                    "days_to_gap_within": days_to_within(
                        run, shift_day, rows, level, reference=oracle
                    ),
                }
                for run in runs
            }
    return {
        "measure": "skip_rate",
        "first": runs[0].name,
        "against_first": against,
        "recovery": recovery,
        "oracle": oracle.name if oracle is not None else None,
        "against_oracle": against_oracle,
    }


def _recovery(
    run: PolicyRun, rates: FloatArray, shift_day: int, rows: IntArray, level: float
) -> dict[str, Any]:
    return {
        "pre_shift": mean_over_listeners(_nanmean_days(rates, slice(0, shift_day)), rows, level),
        "excess": mean_over_listeners(excess(rates, shift_day), rows, level),
        "days_to_within": days_to_within(run, shift_day, rows, level),
    }


def summary_lines(pooled: dict[str, Any]) -> list[str]:
    """The pooled figures as lines of text (``philomath simulate``'s output)."""
    lines = []
    first = pooled["first"]
    for name, entry in pooled["against_first"].items():
        for window, est in entry.items():
            label = "recovery excess" if window == "recovery_excess" else window.replace("_", " ")
            lines.append(
                f"{name} minus {first}, skip rate, {label}: {est['value']:+.4f} "
                f"[{est['low']:+.4f}, {est['high']:+.4f}]{_verdict(est)}"
            )
    for name, entry in (pooled["recovery"] or {}).items():
        days = entry["days_to_within"]
        lines.append(
            f"{name} recovery: pre-shift skip {entry['pre_shift']['value']:.4f}, excess after "
            f"the shift {entry['excess']['value']:+.4f} [{entry['excess']['low']:+.4f}, "
            f"{entry['excess']['high']:+.4f}], days to within {days['within']:.2f}: "
            f"{_days(days['value'])} [{_days(days['low'])}, {_days(days['high'])}]"
        )
    for name, entry in (pooled.get("against_oracle") or {}).items():
        gap, days = entry["gap_excess"], entry["days_to_gap_within"]
        lines.append(
            f"{name} against the {pooled['oracle']}: gap excess after the shift "
            f"{gap['value']:+.4f} [{gap['low']:+.4f}, {gap['high']:+.4f}], days until the gap "
            f"is within {days['within']:.2f} of its pre-shift gap: {_days(days['value'])} "
            f"[{_days(days['low'])}, {_days(days['high'])}]"
        )
    return lines


def _verdict(est: dict[str, float]) -> str:
    if est["high"] < 0 or est["low"] > 0:
        return " (interval excludes 0)"
    return " (interval contains 0)"


def _days(value: float | None) -> str:
    return "not recovered" if value is None else f"{value:.0f}"
