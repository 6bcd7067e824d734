"""Off-policy evaluation of a re-ranker's first slot, from the lists a logging re-ranker served.

The first slot is the one a voice listener hears; ``bandit.ThompsonReranker`` explores by
swapping it with one of the other top-k slots, uniformly, with a known chance
(``swap_propensities``). A **logging policy** that explores is that same mechanism over the
ranking as it is: ``ThompsonReranker`` with ``blend=0`` (the Thompson draw weighs nothing,
so its order is the ranking's) and ``exploration > 0``. Its first slot then holds the
ranking's first track with probability ``1 - e`` and each other top-k track with ``e / (k -
1)``: every track the target may put first is supported. The static ranking (``e = 0``)
supports no other policy: its logs are refused (``OffPolicyInputError``, "no support").

The **target** is a re-ranker whose order for a context is a function of that context (a
``ThompsonReranker`` over posteriors that do not change: a snapshot; its draws are seeded by
the arms and their state), so its chance of putting each track first in a logged context is
exact: its order with exploration off (``thompson_order_of``), then the same swap
distribution (``first_slot_distribution``).

What is estimated is the target's **first-slot completion rate**: the share of lists whose
first track is played to the end, over the contexts the logging policy met. One row per
logged list: the action is its first track, the reward 1 when it finished, the propensity the
logged one. Later positions are not estimated: the target re-orders positions 1..k-1 to
places the first-slot swap never puts them (``unsupported_placements`` measures how often),
and a listener's later plays depend on the earlier ones (the cascade), against the slate
estimators' additivity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
from recommender.serving.bandit import BanditConfig, ThompsonReranker, swap_propensities
from recommender.storage.posteriors import PosteriorReader

# (the ranked list, the arm context, when) -> the target's order of the top before exploring
Ordering = Callable[[Sequence[str], str, float], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class LoggedList:
    """One list a logging policy served: as served, with its logged propensities."""

    context: str  # the arm context (``bandit.arm_context``)
    track_ids: tuple[str, ...]
    propensities: tuple[float, ...]  # one per re-ranked (top-k) position
    at: float  # when it was served (the target's posteriors decay with time)
    first_finished: bool  # the reward: the first track was played to the end


@dataclass(frozen=True, slots=True)
class Target:
    """A re-ranker to evaluate: its order before exploring, and its exploration."""

    order: Ordering
    exploration: float


def thompson_order_of(posteriors: PosteriorReader, config: BanditConfig) -> Target:
    """``ThompsonReranker(posteriors, config)`` as a target: its Thompson order is the
    re-ranker's own with exploration off (the seeded draws do not depend on exploring)."""
    quiet = ThompsonReranker(posteriors, replace(config, exploration=0.0))

    def order(ranked: Sequence[str], context: str, now: float) -> tuple[str, ...]:
        return quiet.rerank(ranked, context, now=now).track_ids[: config.top_k]

    return Target(order, config.exploration)


def first_slot_distribution(order: Sequence[str], exploration: float) -> dict[str, float]:
    """The chance each top track goes first when ``order`` (the top k) is swapped as
    ``swap_propensities`` says: the first ``1 - e``, each other ``e / (k - 1)``."""
    if len(order) == 1:
        return {order[0]: 1.0}
    other = exploration / (len(order) - 1)
    chances = dict.fromkeys(order[1:], other)
    chances[order[0]] = 1.0 - exploration
    return {track: p for track, p in chances.items() if p > 0}


def ranked_before_swap(
    track_ids: Sequence[str], propensities: Sequence[float], exploration: float
) -> tuple[str, ...]:
    """The ranking a first-slot swap with chance ``exploration`` was applied to, read from
    the logged propensities (a swap leaves two placements at ``e / (k - 1)``). Raises
    ``OffPolicyInputError`` when they fit no swap of that chance, or fit two."""
    k = len(propensities)
    if k == 0 or k > len(track_ids):
        raise OffPolicyInputError(f"{k} propensities for a list of {len(track_ids)}")
    fits = [
        swapped
        for swapped in (None, *range(1, k))
        if all(
            math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-12)
            for p, q in zip(propensities, swap_propensities(k, exploration, swapped), strict=True)
        )
    ]
    if len(fits) != 1:
        what = "no" if not fits else "more than one"
        raise OffPolicyInputError(
            f"logged propensities {tuple(propensities)} fit {what} first-slot swap with"
            f" exploration {exploration}: logs of another logging policy?"
        )
    ranked = list(track_ids)
    if (swapped := fits[0]) is not None:
        ranked[0], ranked[swapped] = ranked[swapped], ranked[0]
    return tuple(ranked)


@dataclass(frozen=True, slots=True)
class FirstSlotEvaluation:
    """The estimates of the target's first-slot completion rate, and the logging policy's
    own rate (its logs' mean: the prediction "nothing changes")."""

    estimates: tuple[Estimate, ...]
    logging: Estimate
    lists: int
    swapped: float  # share of the lists whose first slot the logging policy swapped
    unsupported_placements: float  # share of the target's later placements never logged


def evaluate_first_slot(
    lists: Sequence[LoggedList],
    target: Target,
    logging_exploration: float,
    bootstrap: Bootstrap | None = None,
) -> FirstSlotEvaluation:
    """IPW, SNIPW and DR (cross-fitted reward model per arm context and track) of the
    target's first-slot completion rate from lists a first-slot-swap logging policy served
    over the ranking; see the module docstring."""
    if not lists:
        raise OffPolicyInputError("no logged lists")
    bootstrap = bootstrap or Bootstrap()
    contexts: dict[str, int] = {}
    tracks: dict[str, int] = {}
    k = max(len(item.propensities) for item in lists)
    candidates = np.zeros((len(lists), k), dtype=np.int64)
    target_table = np.zeros((len(lists), k))
    target_first = np.empty(len(lists))
    unsupported_lists = 0
    swapped = 0
    unsupported_placements = 0.0
    for row, item in enumerate(lists):
        ranked = ranked_before_swap(item.track_ids, item.propensities, logging_exploration)
        top = ranked[: len(item.propensities)]
        swapped += top[0] != item.track_ids[0]
        logged = first_slot_distribution(top, logging_exploration)
        order = target.order(ranked, item.context, item.at)
        wanted = first_slot_distribution(order, target.exploration)
        if any(track not in logged for track in wanted):
            unsupported_lists += 1
            continue
        unsupported_placements += _unsupported_later(top, order)
        target_first[row] = wanted.get(item.track_ids[0], 0.0)
        for column, track in enumerate(top):
            candidates[row, column] = tracks.setdefault(track, len(tracks))
            target_table[row, column] = wanted.get(track, 0.0)
        contexts.setdefault(item.context, len(contexts))
    if unsupported_lists:
        raise OffPolicyInputError(
            f"no support: in {unsupported_lists} of {len(lists)} logged lists the target may"
            " put first a track the logging policy never puts first (a logging policy that"
            " does not explore, such as the static ranking, supports no other policy);"
            " log with exploration (static-logging)"
        )
    log = BanditLog(
        np.array([contexts[item.context] for item in lists], dtype=np.int64),
        np.array([tracks[item.track_ids[0]] for item in lists], dtype=np.int64),
        np.array([float(item.first_finished) for item in lists]),
        np.array([item.propensities[0] for item in lists]),
    )
    predicted, predicted_target = cross_fit_candidates(
        log, candidates, target_table, len(contexts), len(tracks), seed=bootstrap.seed
    )
    estimates = (
        ipw(log, target_first, bootstrap),
        snipw(log, target_first, bootstrap),
        dr(log, target_first, predicted, predicted_target, bootstrap),
    )
    logging = replace(ipw(log, log.propensities, bootstrap), estimator="logging")
    return FirstSlotEvaluation(
        estimates, logging, len(lists), swapped / len(lists), unsupported_placements / len(lists)
    )


def _unsupported_later(ranked: Sequence[str], order: Sequence[str]) -> float:
    """The share of positions 1..k-1 where the target's order (before exploring) puts a
    track that the first-slot swap of the ranking never puts there."""
    if len(order) < 2:
        return 0.0
    never = sum(track not in (ranked[p], ranked[0]) for p, track in enumerate(order) if p > 0)
    return never / (len(order) - 1)
