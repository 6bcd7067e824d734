"""What play events do to a listener's profile and to the popularity counters. Pure.

Per event kind:

| kind | counts | profile |
| --- | --- | --- |
| started | plays | play_count + 1, track to the front of ``recent_track_ids`` |
| finished | finishes | genre and mood affinities move toward +1 by 0.10 |
| skipped | skips | skip_count + 1; affinities toward -1 by 0.15 (0.075 past 30 s) |
| liked | likes | into ``liked_track_ids`` (out of disliked); affinities toward +1 by 0.30 |
| disliked | dislikes | into ``disliked_track_ids`` (out of liked); affinities toward -1 by 0.30 |
| stopped, failed | - | - (stopping is not a verdict; a failure is the device's) |

Every event but ``failed`` also enters ``recent_events`` with the track's genre and moods,
which the router reads for the session. An affinity moves by ``a += rate * (target - a)``, so
it stays in [-1, 1] and recent events weigh more than old ones. Events are folded in the
order they happened (``occurred_at``, stream order for ties). A track the catalog does not
know changes counts and history but no affinity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC

from playback.catalog import Track
from playback.events import PlaybackEvent
from recommender.storage.profiles import ProfileChange, RecentEvent, TrackCounts, UserProfile

RECENT_TRACKS = 20  # as many as the ETL keeps
RECENT_EVENTS = 50
LIKED_LIMIT = 200
DISLIKED_LIMIT = 500
EARLY_SKIP_MS = 30_000

# kind -> (affinity target, rate)
_AFFINITY: dict[str, tuple[float, float]] = {
    "finished": (1.0, 0.10),
    "skipped": (-1.0, 0.15),
    "liked": (1.0, 0.30),
    "disliked": (-1.0, 0.30),
}
_COUNTER: dict[str, str] = {
    "started": "plays",
    "finished": "finishes",
    "skipped": "skips",
    "liked": "likes",
    "disliked": "dislikes",
}


def fold_events(
    user_id: str,
    profile: UserProfile | None,
    events: Sequence[PlaybackEvent],
    tracks: Mapping[str, Track],
) -> ProfileChange:
    """The profile after ``events`` (all of ``user_id``) and the counters they add."""
    current = profile if profile is not None else UserProfile(user_id)
    counts: dict[tuple[str, str], TrackCounts] = {}
    ordered = sorted(enumerate(events), key=lambda item: (item[1].occurred_at, item[0]))
    for _, event in ordered:
        if event.user_id != user_id:
            raise ValueError("fold_events got another listener's event")
        current = _apply(current, event, tracks.get(event.track_id))
        field = _COUNTER.get(event.kind)
        if field is not None:
            key = (event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d"), event.track_id)
            counts[key] = counts.get(key, TrackCounts()) + TrackCounts(**{field: 1})
    return ProfileChange(current, counts)


def _apply(profile: UserProfile, event: PlaybackEvent, track: Track | None) -> UserProfile:
    kind, track_id = event.kind, event.track_id
    if kind == "failed":
        return profile
    changes: dict[str, object] = {
        "recent_events": _push(
            profile.recent_events,
            RecentEvent(
                track_id,
                kind,
                event.occurred_at.timestamp(),
                track.genre if track else None,
                track.moods if track else (),
            ),
            RECENT_EVENTS,
        )
    }
    if kind == "started":
        changes["play_count"] = profile.play_count + 1
        changes["recent_track_ids"] = _push_distinct(
            profile.recent_track_ids, track_id, RECENT_TRACKS
        )
    elif kind == "skipped":
        changes["skip_count"] = profile.skip_count + 1
    elif kind == "liked":
        changes["liked_track_ids"] = _push_distinct(profile.liked_track_ids, track_id, LIKED_LIMIT)
        changes["disliked_track_ids"] = _without(profile.disliked_track_ids, track_id)
    elif kind == "disliked":
        changes["disliked_track_ids"] = _push_distinct(
            profile.disliked_track_ids, track_id, DISLIKED_LIMIT
        )
        changes["liked_track_ids"] = _without(profile.liked_track_ids, track_id)
    if kind in _AFFINITY and track is not None:
        target, rate = _AFFINITY[kind]
        if kind == "skipped" and event.offset_ms > EARLY_SKIP_MS:
            rate /= 2  # skipped late: heard most of it, a milder verdict
        if track.genre:
            changes["genre_affinity"] = _toward(profile.genre_affinity, [track.genre], target, rate)
        if track.moods:
            changes["mood_affinity"] = _toward(profile.mood_affinity, track.moods, target, rate)
    return replace(profile, **changes)  # type: ignore[arg-type]


def _toward(
    affinity: Mapping[str, float], keys: Sequence[str], target: float, rate: float
) -> dict[str, float]:
    moved = dict(affinity)
    for key in keys:
        value = moved.get(key, 0.0)
        moved[key] = round(value + rate * (target - value), 6)
    return moved


def _push(items: tuple[RecentEvent, ...], item: RecentEvent, limit: int) -> tuple[RecentEvent, ...]:
    return (item, *items)[:limit]


def _push_distinct(items: tuple[str, ...], item: str, limit: int) -> tuple[str, ...]:
    return (item, *_without(items, item))[:limit]


def _without(items: tuple[str, ...], item: str) -> tuple[str, ...]:
    return tuple(existing for existing in items if existing != item)
