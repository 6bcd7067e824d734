"""Off-policy evaluation of a re-ranker's first slot, from the lists a logging policy served.

The first slot is the one a voice listener hears. One row per logged list
(``FirstSlotRow``): its candidates for the first slot with the logging policy's and the
target's chance of putting each there (for the bandit re-ranker:
``recommender.serving.bandit_probabilities``), the track it put first, the logged
propensity of that and the reward (1 when that track was played to the end). What is
estimated is the target's **first-slot completion rate** over the contexts the logging
policy met: IPW, SNIPW and DR (a reward model per context and track, cross-fitted), each
with ``off_policy``'s bootstrap interval, effective sample size and largest weight.

A target that may put first a track the logging policy never puts first has no support
there, and the logs are refused (``OffPolicyInputError``, "no support"): the static ranking,
which always puts its first track first, supports no other policy. Later positions are not
estimated here: a listener's later plays depend on the earlier ones (the cascade), against
the slate estimators' additivity, and the first-slot swap never logs most of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from recommender.evaluation.off_policy import (
    BanditLog,
    Bootstrap,
    Estimate,
    OffPolicyInputError,
    cross_fit_candidates,
    dr,
    ipw,
    snipw,
)


@dataclass(frozen=True, slots=True)
class FirstSlotRow:
    """One logged list; ``logging`` and ``target`` map a candidate to its chance of going
    first (a candidate absent from ``logging`` never goes first under it)."""

    context: str
    logging: Mapping[str, float]
    target: Mapping[str, float]
    first: str  # the track the logging policy put first
    propensity: float  # as logged
    reward: float


@dataclass(frozen=True, slots=True)
class FirstSlotEvaluation:
    """The estimates of the target's first-slot completion rate, and the logging policy's
    own rate (its logs' mean: the prediction "nothing changes")."""

    estimates: tuple[Estimate, ...]
    logging: Estimate
    lists: int


def evaluate_first_slot(
    rows: Sequence[FirstSlotRow], bootstrap: Bootstrap | None = None
) -> FirstSlotEvaluation:
    """IPW, SNIPW and DR of the target's first-slot completion rate; see the module
    docstring. Raises ``OffPolicyInputError`` for no rows, a logged propensity that is not
    the logging policy's chance, or a target without support."""
    if not rows:
        raise OffPolicyInputError("no logged lists")
    bootstrap = bootstrap or Bootstrap()
    unsupported = sum(
        any(p > 0 and row.logging.get(track, 0.0) <= 0 for track, p in row.target.items())
        for row in rows
    )
    if unsupported:
        raise OffPolicyInputError(
            f"no support: in {unsupported} of {len(rows)} logged lists the target may put"
            " first a track the logging policy never puts first (a logging policy that does"
            " not explore, such as the static ranking, supports no other policy); log with"
            " exploration (static-logging)"
        )
    for row in rows:
        if not math.isclose(row.logging.get(row.first, 0.0), row.propensity, rel_tol=1e-9):
            raise OffPolicyInputError(
                f"logged propensity {row.propensity} of {row.first!r} is not the logging"
                f" policy's chance {row.logging.get(row.first, 0.0)}"
            )
    contexts: dict[str, int] = {}
    tracks: dict[str, int] = {}
    width = max(len(row.logging) for row in rows)
    candidates = np.zeros((len(rows), width), dtype=np.int64)
    target_table = np.zeros((len(rows), width))
    for i, row in enumerate(rows):
        contexts.setdefault(row.context, len(contexts))
        for j, track in enumerate(row.logging):
            candidates[i, j] = tracks.setdefault(track, len(tracks))
            target_table[i, j] = row.target.get(track, 0.0)
    log = BanditLog(
        np.array([contexts[row.context] for row in rows], dtype=np.int64),
        np.array([tracks[row.first] for row in rows], dtype=np.int64),
        np.array([row.reward for row in rows], dtype=np.float64),
        np.array([row.propensity for row in rows], dtype=np.float64),
    )
    target_first = np.array([row.target.get(row.first, 0.0) for row in rows])
    predicted, predicted_target = cross_fit_candidates(
        log, candidates, target_table, len(contexts), len(tracks), seed=bootstrap.seed
    )
    estimates = (
        ipw(log, target_first, bootstrap),
        snipw(log, target_first, bootstrap),
        dr(log, target_first, predicted, predicted_target, bootstrap),
    )
    logging = replace(ipw(log, log.propensities, bootstrap), estimator="logging")
    return FirstSlotEvaluation(estimates, logging, len(rows))
