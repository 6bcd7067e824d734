"""Per-variant outcomes of an experiment, from its exposures and the play events.

A listener belongs to the variant of its first exposure and counts from that moment: every
play event of theirs at or after it is credited to that variant (Kohavi et al.: analyse by
the randomization unit, from the trigger on). Metrics per variant: skip rate and completion
rate (per play), plays per session (sessions split by 30 minutes without an event) and likes
per listener, each with a standard error over listeners. Looks are taken at evenly spaced
times, as someone checking the dashboard would, and the sequential test covers all of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from playback.events import PlaybackEvent
from recommender.experiments.assignment import Exposure, exposure_key
from recommender.experiments.config import HIGHER_IS_BETTER, Experiment
from recommender.experiments.stats import (
    Comparison,
    Estimate,
    SampleRatio,
    compare,
    mean_estimate,
    ratio_estimate,
    sample_ratio_check,
)

SESSION_GAP = timedelta(minutes=30)
METRICS = ("completion_rate", "skip_rate", "plays_per_session", "likes_per_listener")


@dataclass(frozen=True, slots=True)
class Columns:
    """Per-listener counts of one variant (one row per listener)."""

    plays: NDArray[np.float64]
    finished: NDArray[np.float64]
    skipped: NDArray[np.float64]
    liked: NDArray[np.float64]
    sessions: NDArray[np.float64]

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, int, int, int]]) -> Columns:
        table = np.asarray(rows, dtype=float).reshape(-1, 5)
        return cls(*(table[:, column] for column in range(5)))


def estimate(metric: str, columns: Columns) -> Estimate:
    if metric == "completion_rate":
        return ratio_estimate(columns.finished, columns.plays)
    if metric == "skip_rate":
        return ratio_estimate(columns.skipped, columns.plays)
    if metric == "plays_per_session":
        return ratio_estimate(columns.plays, columns.sessions)
    if metric == "likes_per_listener":
        return mean_estimate(columns.liked)
    raise ValueError(f"unknown metric {metric!r}")


@dataclass(frozen=True, slots=True)
class _Listener:
    variant: str
    first_exposure: datetime
    events: list[tuple[datetime, str]]  # (occurred_at, kind), sorted


def _row(listener: _Listener, until: datetime) -> tuple[int, int, int, int, int]:
    plays = finished = skipped = liked = sessions = 0
    previous: datetime | None = None
    for at, kind in listener.events:
        if at > until:
            break
        if previous is None or at - previous > SESSION_GAP:
            sessions += 1
        previous = at
        plays += kind == "started"
        finished += kind == "finished"
        skipped += kind == "skipped"
        liked += kind == "liked"
    return plays, finished, skipped, liked, sessions


@dataclass(frozen=True, slots=True)
class Guardrail:
    metric: str
    variant: str
    relative_harm: float  # how much worse than control, as a share (negative: better)
    limit: float
    breached: bool


@dataclass(frozen=True, slots=True)
class Analysis:
    experiment: Experiment
    srm: SampleRatio
    estimates: dict[str, dict[str, Estimate]]  # metric -> variant -> estimate
    comparisons: dict[str, dict[str, Comparison]]  # metric -> treatment -> vs control
    guardrails: tuple[Guardrail, ...]
    look_times: tuple[datetime, ...]
    crossed_over: int  # listeners exposed to more than one variant
    winner: str | None

    @property
    def blocked(self) -> str | None:
        """Why no conclusion may be drawn (a sample ratio mismatch), or None."""
        if not self.srm.mismatch:
            return None
        counts = ", ".join(f"{name}={count}" for name, count in self.srm.counts.items())
        return (
            f"sample ratio mismatch (chi-square p={self.srm.p_value:.2g} < 0.001; listeners "
            f"{counts}): assignment or exposure logging is broken, so no result is reported"
        )


def analyse(
    experiment: Experiment,
    exposures: Iterable[Exposure],
    events: Iterable[PlaybackEvent],
    looks: int = 10,
) -> Analysis:
    """Everything the report shows about ``experiment``."""
    first: dict[str, Exposure] = {}
    variants_seen: dict[str, set[str]] = defaultdict(set)
    for exposure in exposures:
        if exposure.experiment != experiment.name:
            continue
        variants_seen[exposure.listener_id].add(exposure.variant)
        known = first.get(exposure.listener_id)
        if known is None or exposure.occurred_at < known.occurred_at:
            first[exposure.listener_id] = exposure
    listeners = {
        listener_id: _Listener(exposure.variant, exposure.occurred_at, [])
        for listener_id, exposure in first.items()
    }
    last_event = max((e.occurred_at for e in first.values()), default=None)
    for event in events:
        listener = listeners.get(event.user_id)
        if listener is not None and event.occurred_at >= listener.first_exposure:
            listener.events.append((event.occurred_at, event.kind))
            last_event = max(last_event, event.occurred_at) if last_event else event.occurred_at
    for listener in listeners.values():
        listener.events.sort()
    names = [variant.name for variant in experiment.variants]
    counts = {name: 0 for name in names}
    for listener in listeners.values():
        counts[listener.variant] = counts.get(listener.variant, 0) + 1
    srm = sample_ratio_check(counts, {v.name: v.weight for v in experiment.variants})
    times = _look_times(
        min((e.occurred_at for e in first.values()), default=None), last_event, looks
    )
    by_look = [_columns_at(listeners, names, at) for at in times]
    estimates = (
        {m: {name: estimate(m, by_look[-1][name]) for name in names} for m in METRICS}
        if times
        else {}
    )
    comparisons: dict[str, dict[str, Comparison]] = {}
    if times:
        for metric in METRICS:
            comparisons[metric] = {}
            for name in names[1:]:
                series = [
                    (estimate(metric, look[names[0]]), estimate(metric, look[name]))
                    for look in by_look
                ]
                comparisons[metric][name] = compare(series, experiment.alpha)
    guardrails = _guardrails(experiment, comparisons)
    winner = _winner(experiment, comparisons, guardrails, srm)
    crossed = sum(1 for seen in variants_seen.values() if len(seen) > 1)
    return Analysis(
        experiment, srm, estimates, comparisons, guardrails, tuple(times), crossed, winner
    )


def exposures_from_events(name: str, events: Iterable[PlaybackEvent]) -> list[Exposure]:
    """Exposures the event stream itself carries: a ``started`` play whose ``served.context``
    names the experiment (``exp.<name>``, what ``Assignment.context`` adds) was served by that
    variant. The serving path then needs no exposure log of its own."""
    key = exposure_key(name)
    found = []
    for event in events:
        served = event.served
        if event.kind == "started" and served is not None and key in served.context:
            variant = served.context[key]
            found.append(
                Exposure(name, variant, event.user_id, served.impression_id, event.occurred_at)
            )
    return found


def _look_times(start: datetime | None, end: datetime | None, looks: int) -> list[datetime]:
    if start is None or end is None:
        return []
    step = (end - start) / looks
    return [start + step * (index + 1) for index in range(looks)]


def _columns_at(
    listeners: dict[str, _Listener], names: Sequence[str], until: datetime
) -> dict[str, Columns]:
    rows: dict[str, list[tuple[int, int, int, int, int]]] = {name: [] for name in names}
    for listener in listeners.values():
        if listener.first_exposure <= until and listener.variant in rows:
            rows[listener.variant].append(_row(listener, until))
    return {name: Columns.from_rows(rows[name]) for name in names}


def _harm(metric: str, relative: float) -> float:
    """The relative change as harm: positive when the treatment is worse."""
    return -relative if HIGHER_IS_BETTER[metric] else relative


def _guardrails(
    experiment: Experiment, comparisons: dict[str, dict[str, Comparison]]
) -> tuple[Guardrail, ...]:
    """A guardrail is breached when the treatment is significantly worse by more than its
    limit (a significant harm within the limit is tolerated)."""
    found = []
    for rail in experiment.guardrails:
        for variant, comparison in comparisons.get(rail.metric, {}).items():
            harm = _harm(rail.metric, comparison.relative)
            breached = comparison.significant and harm > rail.max_relative_harm
            found.append(Guardrail(rail.metric, variant, harm, rail.max_relative_harm, breached))
    return tuple(found)


def _winner(
    experiment: Experiment,
    comparisons: dict[str, dict[str, Comparison]],
    guardrails: Sequence[Guardrail],
    srm: SampleRatio,
) -> str | None:
    """The variant to ship on the primary metric, or None when nothing is established."""
    primary = comparisons.get(experiment.primary_metric)
    if srm.mismatch or not primary:
        return None
    breached = {rail.variant for rail in guardrails if rail.breached}
    better = {
        name: _harm(experiment.primary_metric, c.relative)
        for name, c in primary.items()
        if c.significant and _harm(experiment.primary_metric, c.relative) < 0
    }
    shippable = {name: harm for name, harm in better.items() if name not in breached}
    if shippable:
        return min(shippable, key=lambda name: shippable[name])
    if all(
        c.significant and _harm(experiment.primary_metric, c.relative) > 0 for c in primary.values()
    ):
        return experiment.control.name
    return None


def format_number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"
