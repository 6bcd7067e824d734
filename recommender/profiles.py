"""Listener profiles and the port of the store that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


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
    # Learnt affinities in [-1, 1], keyed by genre or mood name.
    genre_affinity: dict[str, float] = field(default_factory=dict)
    recent_track_ids: tuple[str, ...] = field(default_factory=tuple)


class ProfileStore(Protocol):
    """Listener profiles keyed by user id.

    Adapters: ``SqliteProfileStore`` (embedded default), ``DynamoDBProfileStore``.
    Every method may raise ``ProfileStoreUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def get(self, user_id: str) -> UserProfile | None:
        """The profile, or None for an unknown listener."""

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        """Insert or replace profiles; returns count."""

    def close(self) -> None:
        """Release connections."""
