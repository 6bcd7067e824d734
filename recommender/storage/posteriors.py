"""The bandit's posterior store: a Beta posterior per arm (a context and a track).

``recommender.serving.bandit`` reads posteriors to re-rank; the feedback consumer records the
evidence of play events. Adapters: ``SqlitePosteriorStore`` (embedded default),
``RedisPosteriorStore``, ``DynamoDBPosteriorStore``. Every method may raise
``PosteriorStoreUnavailable``.

Exactly once: ``record`` takes each piece of evidence with the id of the event it came from
and skips the ids it recorded before, in the same transaction as the update, so a redelivered
event (the consumer re-reading a page after a crash) never counts twice, independently of the
profile store's own applied ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

# Beta(1, 1): no evidence, any chance of a full play as likely as another.
PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0
SECONDS_PER_DAY = 86_400.0

# What each event kind says about a track: (successes, failures). Absent kinds say nothing.
EVIDENCE: Mapping[str, tuple[float, float]] = {
    "finished": (1.0, 0.0),
    "liked": (1.0, 0.0),
    "skipped": (0.0, 1.0),
    "disliked": (0.0, 1.0),
}


@dataclass(frozen=True, slots=True)
class Posterior:
    alpha: float = PRIOR_ALPHA
    beta: float = PRIOR_BETA
    updated_at: float = 0.0  # unix s of the last update, from which decay runs

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one event says about one arm."""

    event_id: str
    context: str  # ``bandit.arm_context``
    track_id: str
    successes: float
    failures: float
    at: float  # unix s of the event


def arm_context(
    path: str, mood: str | None = None, genre: str | None = None, part_of_day: str | None = None
) -> str:
    """The context half of an arm's key: the path (segment) and the request's facets."""
    return "|".join((path, mood or "", genre or "", part_of_day or "")).lower()


GROUP_PREFIX = "genre:"


def group_arm(genre: str) -> str:
    """The key, in a context, of the coarse arm every track of ``genre`` also counts for
    (kept where the track ids are, so every store holds it as it holds a track's)."""
    return GROUP_PREFIX + genre.strip().lower()


def arm_half_life(arm: str, half_life_days: float, genre_half_life_days: float = 0.0) -> float:
    """The half-life of an arm's evidence: ``genre_half_life_days`` for a genre arm
    (``group_arm``) where it is set (above 0), ``half_life_days`` otherwise. Genre arms pool
    the plays of all their tracks, so a short memory there still rests on many plays and
    follows a change of taste (a genre that starts trending) within days."""
    if genre_half_life_days > 0.0 and arm.startswith(GROUP_PREFIX):
        return genre_half_life_days
    return half_life_days


def decayed(posterior: Posterior, now: float, half_life_days: float) -> Posterior:
    """``posterior`` at ``now``: its evidence halved every ``half_life_days`` since it was
    last updated (pulled toward the prior, never below it)."""
    elapsed = now - posterior.updated_at
    if elapsed <= 0.0:
        return posterior
    keep = 0.5 ** (elapsed / (half_life_days * SECONDS_PER_DAY))
    return Posterior(
        PRIOR_ALPHA + (posterior.alpha - PRIOR_ALPHA) * keep,
        PRIOR_BETA + (posterior.beta - PRIOR_BETA) * keep,
        now,
    )


def updated(
    posterior: Posterior, successes: float, failures: float, now: float, half_life_days: float
) -> Posterior:
    """``posterior`` decayed to ``now``, plus this evidence (a late event decays nothing
    and does not move the clock back)."""
    current = decayed(posterior, now, half_life_days)
    return replace(current, alpha=current.alpha + successes, beta=current.beta + failures)


# (the arm's stored posterior or None, the evidence) -> the posterior to store.
Fold = Callable[[Posterior | None, Evidence], Posterior]


class PosteriorReader(Protocol):
    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        """The stored posteriors of these tracks in ``context`` (absent: none stored)."""
        ...


class PosteriorStore(PosteriorReader, Protocol):
    def ensure_schema(self) -> None:
        """Create tables if missing (idempotent)."""

    def record(self, evidence: Sequence[Evidence], fold: Fold) -> int:
        """Fold in the evidence of events not recorded before (by ``event_id``), all or
        nothing; how many pieces were new."""
        ...

    def close(self) -> None:
        """Release connections."""
