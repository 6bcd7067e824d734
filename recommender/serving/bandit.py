"""The bandit re-ranker: Beta posteriors of "played to the end" per arm, over the top of a list.

An **arm** is a track in a context: the serving path (a proxy for the listener's segment:
new listeners take ``cold_start``, known ones ``personalized``), the request's mood, genre
and part of the day (``arm_context``). Its posterior is Beta(alpha, beta) over the chance a
listener plays it to the end: a finished play (or a like) adds 1 to alpha, a skip (or a
dislike) 1 to beta; a stop says nothing about the track (the listener left) and a start is
not a verdict yet. Only tracks a listener reached get events (a voice listener hears one at a
time and skips through the rest), so the updates are the cascade model's: items skipped
before the played one count as examined and rejected, items after it as unexamined.

Evidence fades: ``decayed`` pulls a posterior back toward the prior with a half-life, applied
lazily from the time it was last touched (``Posterior.updated_at``).

The policy (``ThompsonReranker``) re-orders only the first ``top_k`` tracks and keeps the
rest. Its ranking blends the model's order with the posterior: each of the top k scores
``(1 - blend) * rank_score + blend * theta``, where ``theta`` is a Thompson draw from the
arm's Beta, and the ranking is the order of those scores. Thompson draws are random, and the
probability that one put a track at a place has no closed form; off-policy evaluation needs
that probability exactly, so the Thompson order is drawn from a **seeded** generator keyed by
the impression's arms and the posterior state (the same state gives the same order) and
exploration happens on top of it by a known distribution: with probability ``exploration``
(bounded by configuration) the first slot, the one a voice listener hears, swaps with one of
the other top-k slots, chosen uniformly. The propensity of each placement is then exact:
``1 - exploration`` for the first slot kept, ``1 - exploration / (k - 1)`` for another kept,
``exploration / (k - 1)`` for each of the two swapped, and 1 for the tracks below the top k.
``StaticRanking`` is the list as ranked, every propensity 1.

The propensities are exact given the posteriors the answer read (what an off-policy
estimator conditions on). The price of seeding: between two updates of its arms, the same
request gets the same Thompson order, so variety between updates comes from the swap only;
every new play or skip re-draws the order.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from recommender.storage.posteriors import (
    Posterior,
    PosteriorReader,
    arm_context,
    decayed,
)


@dataclass(frozen=True, slots=True)
class BanditConfig:
    top_k: int = 10  # how many of the first tracks are re-ordered
    exploration: float = 0.1  # chance the first slot swaps with another of the top k
    blend: float = 0.5  # weight of the posterior draw against the model's order
    half_life_days: float = 14.0  # how fast old evidence fades

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if not 0.0 <= self.exploration <= 1.0:
            raise ValueError("exploration must be within [0, 1]")
        if not 0.0 <= self.blend <= 1.0:
            raise ValueError("blend must be within [0, 1]")
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")


@dataclass(frozen=True, slots=True)
class Reranked:
    track_ids: tuple[str, ...]
    # The probability the policy put each of the first tracks at its place (same index);
    # the tracks past its end were placed with certainty (as ``Served.propensities``).
    propensities: tuple[float, ...]

    def propensity(self, position: int) -> float:
        return self.propensities[position] if position < len(self.propensities) else 1.0


class Reranker(Protocol):
    """Re-orders a ranked list for one request; see the module docstring."""

    def rerank(self, track_ids: Sequence[str], context: str, *, now: float) -> Reranked: ...


class StaticRanking:
    """The list as ranked: nothing explores, every placement is certain."""

    def rerank(self, track_ids: Sequence[str], context: str, *, now: float) -> Reranked:
        return Reranked(tuple(track_ids), (1.0,) if track_ids else ())


def swap_propensities(k: int, exploration: float, swapped: int | None) -> tuple[float, ...]:
    """Each of the top ``k`` placements' probability, when slot 0 swapped with ``swapped``
    (None: no swap)."""
    if k == 1:
        return (1.0,)
    other = exploration / (k - 1)
    kept = [1.0 - exploration] + [1.0 - other] * (k - 1)
    if swapped is not None:
        kept[0] = kept[swapped] = other
    return tuple(kept)


def thompson_order(
    track_ids: Sequence[str],
    posteriors: Mapping[str, Posterior],
    blend: float,
    draw: Callable[[float, float], float],
) -> list[str]:
    """``track_ids`` ordered by the blend of their rank and a Thompson draw each."""
    k = len(track_ids)
    scored = []
    for rank, track in enumerate(track_ids):
        posterior = posteriors.get(track) or Posterior()
        theta = draw(posterior.alpha, posterior.beta)
        scored.append(((1.0 - blend) * (1.0 - rank / k) + blend * theta, -rank, track))
    scored.sort(reverse=True)
    return [track for _, _, track in scored]


class ThompsonReranker:
    """Thompson order of the top k, then a first-slot swap with a known chance; see the
    module docstring. ``rng`` draws the exploration (seed it for tests); the Thompson draws
    come from a generator seeded by the request's arms and their posteriors."""

    def __init__(
        self,
        posteriors: PosteriorReader,
        config: BanditConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._posteriors = posteriors
        self._config = config or BanditConfig()
        self._rng = rng or random.Random()

    @property
    def config(self) -> BanditConfig:
        return self._config

    def rerank(self, track_ids: Sequence[str], context: str, *, now: float) -> Reranked:
        config = self._config
        top, rest = list(track_ids[: config.top_k]), tuple(track_ids[config.top_k :])
        if not top:
            return Reranked((), ())
        # Raises the store's error: the router answers with the static ranking then.
        stored = self._posteriors.read(context, top)
        current = {t: decayed(p, now, config.half_life_days) for t, p in stored.items()}
        seeded = random.Random(_seed(context, top, stored))
        order = thompson_order(top, current, config.blend, seeded.betavariate)
        swapped = None
        if len(order) > 1 and self._rng.random() < config.exploration:
            swapped = self._rng.randrange(1, len(order))
            order[0], order[swapped] = order[swapped], order[0]
        propensities = swap_propensities(len(order), config.exploration, swapped)
        return Reranked(tuple(order) + rest, propensities)


def _seed(context: str, top: Sequence[str], stored: Mapping[str, Posterior]) -> int:
    """The same arms with the same evidence give the same Thompson order."""
    state = [context, *top]
    for track in top:
        p = stored.get(track)
        state.append(f"{p.alpha:.6g}:{p.beta:.6g}" if p is not None else "-")
    digest = hashlib.blake2b("\x1f".join(state).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


__all__: Sequence[str] = (
    "BanditConfig",
    "Reranked",
    "Reranker",
    "StaticRanking",
    "ThompsonReranker",
    "arm_context",
)
