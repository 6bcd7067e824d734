"""Play events as evidence for the bandit's posteriors (``storage.posteriors``).

An event counts when it says something about a served track: finished or liked is a success,
skipped or disliked a failure (``EVIDENCE``); stopped, started and failed say nothing about
the track. Its arm is the context it was served in (``Served.path`` and the request's mood,
genre and part of the day), so an event without ``served`` (a track nobody recommended)
counts for no arm. Each event also counts for the arm of its track's genre in the same
context (``group_arm``), where the genre is known: the re-ranker's shared prior.
Only tracks a listener reached get events: the cascade model's reading,
skipped ones examined and rejected, the ones after the played one unexamined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from playback.events import PlaybackEvent
from recommender.storage.posteriors import (
    EVIDENCE,
    Evidence,
    Fold,
    Posterior,
    arm_context,
    arm_half_life,
    group_arm,
    updated,
)


def evidence_of(
    events: Sequence[PlaybackEvent], genres: Mapping[str, str | None] | None = None
) -> list[Evidence]:
    """The bandit evidence among ``events``, in their order: the track arm's, then its genre
    arm's where ``genres`` (track id -> genre) knows it."""
    found = []
    for event in events:
        outcome = EVIDENCE.get(event.kind)
        served = event.served
        if outcome is None or served is None:
            continue
        context = served.context
        arm = arm_context(
            served.path, context.get("mood"), context.get("genre"), context.get("part_of_day")
        )
        at = event.occurred_at.timestamp()
        found.append(Evidence(event.event_id, arm, event.track_id, *outcome, at))
        genre = genres.get(event.track_id) if genres else None
        if genre:
            found.append(Evidence(event.event_id, arm, group_arm(genre), *outcome, at))
    return found


def decaying_fold(half_life_days: float, genre_half_life_days: float = 0.0) -> Fold:
    """Adds evidence to a posterior decayed to the evidence's time (a genre arm's with
    ``genre_half_life_days`` where that is set: ``arm_half_life``)."""

    def fold(current: Posterior | None, item: Evidence) -> Posterior:
        start = current or Posterior(updated_at=item.at)
        half_life = arm_half_life(item.track_id, half_life_days, genre_half_life_days)
        return updated(start, item.successes, item.failures, item.at, half_life)

    return fold
