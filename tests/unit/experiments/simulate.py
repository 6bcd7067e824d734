"""Simulated experiments for the tests: listeners assigned through the real assigner, with
play outcomes drawn per variant (a listener's own completion propensity varies around the
variant's, so plays of one listener are correlated, as in real traffic)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import numpy as np

from playback.events import EventKind, PlaybackEvent
from recommender.experiments.analysis import Columns
from recommender.experiments.assignment import ConfiguredAssigner, Exposure
from recommender.experiments.config import Experiment, Variant

START = datetime(2026, 11, 1, tzinfo=UTC)


def experiment(
    name: str = "ranker", weights: tuple[float, ...] = (1, 1), **extra: object
) -> Experiment:
    names = ["control", "treatment", "third"][: len(weights)]
    variants = tuple(
        Variant(name=n, weight=w, overrides={"model_version": f"v-{n}"})
        for n, w in zip(names, weights, strict=True)
    )
    fields: dict[str, object] = {
        "name": name,
        "salt": f"{name}-salt",
        "status": "running",
        "started_at": START,
        "variants": variants,
    }
    fields.update(extra)
    return Experiment.model_validate(fields)


def listener_columns(rng: np.random.Generator, n: int, completion: float) -> Columns:
    """Per-listener counts for ``n`` listeners of one arm."""
    plays = rng.poisson(5, n) + 1
    propensity = rng.beta(completion * 20, (1 - completion) * 20, n)
    finished = rng.binomial(plays, propensity)
    skipped = plays - finished
    liked = rng.binomial(plays, 0.05)
    sessions = np.minimum(plays, rng.poisson(1.5, n) + 1)
    return Columns(
        *(np.asarray(c, dtype=float) for c in (plays, finished, skipped, liked, sessions))
    )


def traffic(
    exp: Experiment,
    listeners: int,
    completion: Mapping[str, float],
    seed: int = 0,
    drop: Mapping[str, float] | None = None,
    plays: int = 4,
) -> tuple[list[Exposure], list[PlaybackEvent]]:
    """Exposures and play events of ``listeners`` listeners over two weeks. ``drop`` loses that
    share of a variant's exposures (a broken logging path)."""
    rng = np.random.default_rng(seed)
    assigner = ConfiguredAssigner([exp])
    exposures, events = [], []
    for index in range(listeners):
        listener = f"listener-{seed}-{index}"
        (assignment,) = assigner.assign(listener)
        if drop and rng.random() < drop.get(assignment.variant, 0.0):
            continue
        at = START + timedelta(minutes=float(rng.uniform(0, 14 * 24 * 60)))
        exposures.append(Exposure(exp.name, assignment.variant, listener, f"imp-{index}", at))
        propensity = rng.beta(
            completion[assignment.variant] * 20, (1 - completion[assignment.variant]) * 20
        )
        for play in range(plays):
            when = at + timedelta(minutes=4 * play)
            track = f"track-{play}"
            events.append(
                PlaybackEvent(kind="started", user_id=listener, track_id=track, occurred_at=when)
            )
            end: EventKind = "finished" if rng.random() < propensity else "skipped"
            events.append(
                PlaybackEvent(
                    kind=end,
                    user_id=listener,
                    track_id=track,
                    occurred_at=when + timedelta(minutes=3),
                )
            )
    return exposures, events
