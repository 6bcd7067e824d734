"""The track catalog: domain records and the port every catalog adapter implements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Track:
    """One playable track in the unified schema, as the ETL writes it."""

    track_id: str
    title: str
    artist_id: str
    artist_name: str
    album_id: str | None = None
    album_title: str | None = None
    genre: str | None = None
    moods: tuple[str, ...] = field(default_factory=tuple)
    duration_ms: int = 0
    explicit: bool = False
    release_year: int | None = None
    # Audio features in [0, 1] except tempo (BPM); None when the feed had no usable value.
    energy: float | None = None
    valence: float | None = None
    tempo: float | None = None
    acousticness: float | None = None
    danceability: float | None = None


@dataclass(frozen=True, slots=True)
class Artist:
    artist_id: str
    name: str


class TrackCatalog(Protocol):
    """Read and write access to track metadata.

    Adapters: ``SqliteTrackCatalog`` (embedded default), ``PostgresTrackCatalog``.
    Every method may raise ``CatalogUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create tables and indexes if missing (idempotent)."""

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        """Insert or replace tracks by ``track_id``; returns how many were written."""

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        """Tracks by id; ids not in the catalog are absent from the result."""

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        """Artists whose name equals ``name`` ignoring case and surrounding spaces, then
        artists whose name starts with it; at most ``limit``."""

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        """Tracks of one artist, newest release first (ties by track_id)."""

    def genres(self) -> list[str]:
        """Every distinct genre in the catalog, sorted."""

    def count(self) -> int:
        """Number of tracks."""

    def close(self) -> None:
        """Release connections."""
