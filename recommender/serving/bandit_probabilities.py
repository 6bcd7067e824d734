"""How likely the bandit re-ranker's first-slot choices are, for off-policy evaluation
(``recommender.evaluation.off_policy_bandit`` takes these per logged list).

``ThompsonReranker`` explores by swapping its first slot, the one a voice listener hears,
with one of the other top-k slots, uniformly, with a known chance (``swap_propensities``).
So, when ``order`` is its order of the top k before exploring, the first slot holds
``order[0]`` with probability ``1 - e`` and each other with ``e / (k - 1)``
(``first_slot_distribution``). Two re-rankers are covered exactly:

- a **logging policy** that explores over the ranking as it is: the re-ranker with
  ``blend=0`` (the Thompson draw weighs nothing, so its order is the ranking's); the ranking
  it swapped is read back from its logged propensities (``ranked_before_swap``);
- a **target** whose order is a function of the context: the re-ranker over posteriors that
  do not change (a snapshot; its draws are seeded by the arms and their state), whose order
  is the re-ranker's own with exploration off (``thompson_target``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from recommender.serving.bandit import BanditConfig, ThompsonReranker, swap_propensities
from recommender.storage.posteriors import PosteriorReader


class UnknownSwap(ValueError):
    """Logged propensities that fit no single first-slot swap of the given chance."""


@dataclass(frozen=True, slots=True)
class Target:
    """A re-ranker to evaluate: ``order(ranked, context, now)`` is its order of the top
    before exploring, ``exploration`` its first-slot swap chance."""

    order: Callable[[Sequence[str], str, float], tuple[str, ...]]
    exploration: float

    def first_slot(self, ranked: Sequence[str], context: str, now: float) -> dict[str, float]:
        return first_slot_distribution(self.order(ranked, context, now), self.exploration)


def thompson_target(posteriors: PosteriorReader, config: BanditConfig) -> Target:
    """``ThompsonReranker(posteriors, config)`` as a target: its Thompson order is the
    re-ranker's own with exploration off (the seeded draws do not depend on exploring)."""
    quiet = ThompsonReranker(posteriors, replace(config, exploration=0.0))

    def order(ranked: Sequence[str], context: str, now: float) -> tuple[str, ...]:
        return quiet.rerank(ranked, context, now=now).track_ids[: config.top_k]

    return Target(order, config.exploration)


def first_slot_distribution(order: Sequence[str], exploration: float) -> dict[str, float]:
    """The chance each top track goes first (those with a chance above 0) when ``order``
    (the top k) is swapped as ``swap_propensities`` says."""
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
    ``UnknownSwap`` when they fit no swap of that chance, or fit two."""
    k = len(propensities)
    if k == 0 or k > len(track_ids):
        raise UnknownSwap(f"{k} propensities for a list of {len(track_ids)}")
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
        raise UnknownSwap(
            f"logged propensities {tuple(propensities)} fit {what} first-slot swap with"
            f" exploration {exploration}: logs of another logging policy?"
        )
    ranked = list(track_ids)
    if (swapped := fits[0]) is not None:
        ranked[0], ranked[swapped] = ranked[swapped], ranked[0]
    return tuple(ranked)


def unsupported_later(ranked: Sequence[str], order: Sequence[str]) -> float:
    """The share of positions 1..k-1 where ``order`` (a target's, before exploring) puts a
    track that a first-slot swap of ``ranked`` never puts there."""
    if len(order) < 2:
        return 0.0
    never = sum(track not in (ranked[p], ranked[0]) for p, track in enumerate(order) if p > 0)
    return never / (len(order) - 1)
