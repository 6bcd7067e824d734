"""Listener profiles, the feedback state kept beside them, and the port of their store.

The feedback consumer applies play events to profiles through ``apply_events``: the store
decides which events are new and writes, in one transaction (DynamoDB: one per chunk of
``APPLY_CHUNK`` events, each all or nothing), the updated profile, the applied event ids,
the popularity counters the events add to, and a mark that the listener changed (incremental
batch inference reads and clears those marks). So a redelivered event is never applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

# Events applied in one DynamoDB transaction: 1 profile + k markers + <= k counters + 1 mark
# + 1 tombstone check must stay within TransactWriteItems' 100 actions.
APPLY_CHUNK = 40
# How long a forgotten listener's tombstone keeps their events out: the longest an event can
# wait in the stream (Kinesis keeps records up to 7 days).
TOMBSTONE_TTL_S = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class RecentEvent:
    """One recent thing the listener did, with the track's facets at the time (so the router
    can read a session's genres without asking the catalog)."""

    track_id: str
    kind: str  # a PlaybackEvent kind: started, finished, skipped, stopped, liked, disliked
    at: float  # unix seconds
    genre: str | None = None
    moods: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class UserProfile:
    """What Philomath knows about one listener: stated and learnt preferences."""

    user_id: str
    country: str | None = None
    birth_year: int | None = None
    gender: str | None = None
    explicit_allowed: bool = True
    signed_up_at: float | None = None  # unix seconds
    stated_genres: tuple[str, ...] = field(default_factory=tuple)
    stated_moods: tuple[str, ...] = field(default_factory=tuple)
    play_count: int = 0
    skip_count: int = 0
    # Learnt affinities in [-1, 1], keyed by genre name and by mood name.
    genre_affinity: dict[str, float] = field(default_factory=dict)
    recent_track_ids: tuple[str, ...] = field(default_factory=tuple)  # newest first, distinct
    mood_affinity: dict[str, float] = field(default_factory=dict)
    liked_track_ids: tuple[str, ...] = field(default_factory=tuple)  # newest first
    disliked_track_ids: tuple[str, ...] = field(default_factory=tuple)  # newest first
    recent_events: tuple[RecentEvent, ...] = field(default_factory=tuple)  # newest first


# What a feed states about a listener, None when it does not know.
_DEMOGRAPHICS = ("country", "birth_year", "gender", "signed_up_at")


def with_live_feedback(feed: UserProfile, stored: UserProfile | None) -> UserProfile:
    """``feed``, a profile recomputed from the teams' feeds, keeping what only live feedback
    knows and no feed carries: likes, dislikes ("never play this again") and the recent
    session events. Counts and affinities come from the feed, the history of record.

    A demographic the feed does not know (None: a listener only live plays introduced, or a
    value the ETL nulled) keeps the stored one rather than wiping it."""
    if stored is None:
        return feed
    return replace(
        feed,
        liked_track_ids=stored.liked_track_ids,
        disliked_track_ids=stored.disliked_track_ids,
        recent_events=stored.recent_events,
        **{name: getattr(stored, name) for name in _DEMOGRAPHICS if getattr(feed, name) is None},
    )


@dataclass(frozen=True, slots=True)
class TrackCounts:
    """Popularity counters of one track (over one day, or summed over several)."""

    plays: int = 0
    finishes: int = 0
    skips: int = 0
    likes: int = 0
    dislikes: int = 0

    def __add__(self, other: TrackCounts) -> TrackCounts:
        return TrackCounts(
            self.plays + other.plays,
            self.finishes + other.finishes,
            self.skips + other.skips,
            self.likes + other.likes,
            self.dislikes + other.dislikes,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "plays": self.plays,
            "finishes": self.finishes,
            "skips": self.skips,
            "likes": self.likes,
            "dislikes": self.dislikes,
        }


COUNTER_FIELDS: tuple[str, ...] = tuple(TrackCounts().as_dict())

# (UTC day "YYYY-MM-DD", track id) -> what to add to that day's counters.
CounterDeltas = Mapping[tuple[str, str], TrackCounts]


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """What applying some events does: the listener's new profile and the counter deltas."""

    profile: UserProfile
    counts: CounterDeltas = field(default_factory=dict)


# update(current profile or None, ids of the new events in the order given) -> the change.
ProfileUpdate = Callable[[UserProfile | None, Sequence[str]], ProfileChange]


@dataclass(frozen=True, slots=True)
class ChangedUser:
    """A listener whose profile changed at ``changed_at`` (unix seconds) since their lists
    were last recomputed."""

    user_id: str
    changed_at: float


class ProfileReader(Protocol):
    """The read serving makes: every ``ProfileStore`` is one."""

    def get(self, user_id: str) -> UserProfile | None:
        """The profile, or None for an unknown listener; may raise
        ``ProfileStoreUnavailable``."""


class ProfileStore(ProfileReader, Protocol):
    """Listener profiles keyed by user id, and the consumer's feedback state.

    Adapters: ``SqliteProfileStore`` (embedded default), ``DynamoDBProfileStore``.
    Every method may raise ``ProfileStoreUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create the tables if missing (idempotent)."""

    def get_many(self, user_ids: Sequence[str]) -> dict[str, UserProfile]:
        """Profiles by user id; unknown listeners are absent from the result."""

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        """Insert or replace profiles; returns count."""

    def refresh_many(self, profiles: Iterable[UserProfile]) -> int:
        """Write profiles recomputed from the feeds (the offline pipeline), each merged with
        the stored one by ``with_live_feedback``, atomically with respect to ``apply_events``
        so that a concurrent event is never lost; a forgotten listener's (see ``forget``) is
        skipped. Returns how many were written."""

    def apply_events(
        self, user_id: str, event_ids: Sequence[str], update: ProfileUpdate
    ) -> list[str]:
        """Apply, exactly once, the events of ``event_ids`` never applied to ``user_id``.

        Atomically (see the module docstring) finds the ids not applied before, calls
        ``update(current, new_ids)``, stores the profile it returns, adds its counts to the
        popularity counters, records the ids as applied and marks the listener changed.
        Returns the newly applied ids in the given order; when none is new, nothing is
        written and ``update`` is not called. ``update`` must be pure: a conflicting writer
        makes the store call it again on the re-read profile. A listener forgotten less than
        ``TOMBSTONE_TTL_S`` ago gets nothing applied (events still in the stream must not
        bring their profile back): ``[]``.
        """

    def forget(self, user_id: str) -> int:
        """Erase the listener: their profile, applied event ids and changed mark go, and a
        tombstone (kept ``TOMBSTONE_TTL_S``, holding nothing but the id) stops
        ``apply_events`` and ``refresh_many`` from recreating them. Returns how many items
        were deleted. Popularity counters hold no listener and stay."""

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        """Which of ``user_ids`` were forgotten less than ``TOMBSTONE_TTL_S`` ago (the
        consumer keeps their late plays out of the listen archive)."""

    def popularity_counts(self, days: Sequence[str]) -> dict[str, TrackCounts]:
        """Counters per track summed over ``days`` (UTC "YYYY-MM-DD")."""

    def changed_users(self, limit: int = 1000) -> list[ChangedUser]:
        """Up to ``limit`` listeners marked changed, oldest change first."""

    def clear_changed(self, users: Sequence[ChangedUser]) -> int:
        """Clear each listener's mark unless it changed again after ``changed_at``; returns
        how many were cleared."""

    def get_checkpoint(self, consumer: str) -> str | None:
        """The stream position ``consumer`` last committed, or None."""

    def put_checkpoint(self, consumer: str, position: str) -> None:
        """Durably record ``position`` as ``consumer``'s checkpoint."""

    def close(self) -> None:
        """Release connections."""
