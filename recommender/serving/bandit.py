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

The policy (``ThompsonReranker``) considers the first ``pool`` tracks (at least ``top_k``;
the router asks the ranking for that many) and fills the first ``top_k`` places from them;
the rest follow in the model's order. Its ranking blends the model's order with the
posterior: each considered track scores ``(1 - blend) * rank_score + blend * theta``, where
``rank_score`` is ``1 - rank / pool`` and ``theta`` a Thompson draw from the arm's Beta, and
the ranking is the order of those scores.

Evidence is shared through coarser arms: every play also counts for its genre's arm
(``group_arm``, same context), and a track arm's prior is not Beta(1, 1) but adds
``prior_strength`` pseudo-plays at its genre arm's posterior mean: the track draws from
Beta(alpha + s * m, beta + s * (1 - m)). A track nobody heard yet in a context starts where
its genre stands there, so a genre that starts trending lifts all of its tracks after a few
plays. ``prior_strength`` 0 is the flat prior. Thompson draws are random, and the
probability that one put a track at a place has no closed form; off-policy evaluation needs
that probability exactly, so the Thompson order is drawn from a **seeded** generator keyed by
the impression's arms and the posterior state (the same state gives the same order) and
exploration happens on top of it by a known distribution: with probability ``exploration``
(bounded by configuration) the first slot, the one a voice listener hears, swaps with one of
the other top-k slots, chosen uniformly. The propensity of each placement is then exact:
``1 - exploration`` for the first slot kept, ``1 - exploration / (k - 1)`` for another kept,
``exploration / (k - 1)`` for each of the two swapped, and 1 for the tracks below the top k
(which tracks fill the top k is fixed by the seeded order).
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
    arm_half_life,
    decayed,
    group_arm,
)

Groups = Mapping[str, str | None]  # track id -> its genre (absent or None: unknown)


@dataclass(frozen=True, slots=True)
class BanditConfig:
    top_k: int = 10  # how many of the first tracks are re-ordered
    exploration: float = 0.1  # chance the first slot swaps with another of the top k
    blend: float = 0.5  # weight of the posterior draw against the model's order
    half_life_days: float = 14.0  # how fast old evidence fades
    pool: int = 0  # candidates the top k are filled from (below top_k: top_k)
    prior_strength: float = 0.0  # pseudo-plays a track arm's prior takes from its genre arm
    genre_half_life_days: float = 0.0  # how fast a genre arm's evidence fades (0: as a track's)

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if self.pool < 0:
            raise ValueError("pool must be >= 0")
        if self.prior_strength < 0:
            raise ValueError("prior_strength must be >= 0")
        if not 0.0 <= self.exploration <= 1.0:
            raise ValueError("exploration must be within [0, 1]")
        if not 0.0 <= self.blend <= 1.0:
            raise ValueError("blend must be within [0, 1]")
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if self.genre_half_life_days < 0:
            raise ValueError("genre_half_life_days must be >= 0")

    def half_life_of(self, arm: str) -> float:
        """The half-life of ``arm``'s evidence: a genre arm's own, where one is set."""
        return arm_half_life(arm, self.half_life_days, self.genre_half_life_days)


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

    @property
    def pool(self) -> int:
        """How many ranked tracks it wants to choose from (0: the answer's own)."""
        ...

    def rerank(
        self, track_ids: Sequence[str], context: str, *, now: float, groups: Groups | None = None
    ) -> Reranked: ...


class StaticRanking:
    """The list as ranked: nothing explores, every placement is certain."""

    pool = 0

    def rerank(
        self, track_ids: Sequence[str], context: str, *, now: float, groups: Groups | None = None
    ) -> Reranked:
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


def with_group_prior(
    track: Posterior | None, group: Posterior | None, strength: float
) -> Posterior:
    """The track arm's posterior with ``strength`` pseudo-plays at its group arm's mean added
    to its flat prior (none without a group arm or strength)."""
    track = track or Posterior()
    if group is None or strength <= 0.0:
        return track
    mean = group.mean
    return Posterior(
        track.alpha + strength * mean, track.beta + strength * (1.0 - mean), track.updated_at
    )


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

    @property
    def pool(self) -> int:
        return max(self._config.pool, self._config.top_k)

    def rerank(
        self, track_ids: Sequence[str], context: str, *, now: float, groups: Groups | None = None
    ) -> Reranked:
        config = self._config
        pool, rest = list(track_ids[: self.pool]), tuple(track_ids[self.pool :])
        if not pool:
            return Reranked((), ())
        group_of = _group_arms(pool, groups) if config.prior_strength > 0 else {}
        # Raises the store's error: the router answers with the static ranking then.
        stored = self._posteriors.read(context, [*pool, *sorted(set(group_of.values()))])
        current = {t: decayed(p, now, config.half_life_of(t)) for t, p in stored.items()}
        arms = {
            t: with_group_prior(
                current.get(t), current.get(group_of.get(t, "")), config.prior_strength
            )
            for t in pool
        }
        seeded = random.Random(_seed(context, pool, stored))
        order = thompson_order(pool, arms, config.blend, seeded.betavariate)
        top, below = order[: config.top_k], order[config.top_k :]
        # The tracks the draws left out of the top k keep the model's order.
        left_out = set(below)
        below = [t for t in pool if t in left_out]
        swapped = None
        if len(top) > 1 and self._rng.random() < config.exploration:
            swapped = self._rng.randrange(1, len(top))
            top[0], top[swapped] = top[swapped], top[0]
        propensities = swap_propensities(len(top), config.exploration, swapped)
        return Reranked((*top, *below, *rest), propensities)


def _group_arms(track_ids: Sequence[str], groups: Groups | None) -> dict[str, str]:
    """Each track's genre arm, where its genre is known."""
    if not groups:
        return {}
    return {t: group_arm(g) for t in track_ids if (g := groups.get(t))}


def _seed(context: str, pool: Sequence[str], stored: Mapping[str, Posterior]) -> int:
    """The same arms with the same evidence give the same Thompson order."""
    state = [context, *pool]
    for arm in sorted(stored):
        p = stored[arm]
        state.append(f"{arm}={p.alpha:.6g}:{p.beta:.6g}")
    digest = hashlib.blake2b("\x1f".join(state).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


__all__: Sequence[str] = (
    "BanditConfig",
    "Reranked",
    "Reranker",
    "StaticRanking",
    "ThompsonReranker",
    "arm_context",
    "group_arm",
    "with_group_prior",
)
