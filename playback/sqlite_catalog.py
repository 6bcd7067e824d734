"""``TrackCatalog`` in one SQLite file: the embedded default, no server needed.

Row layout and artist matching are shared with the PostgreSQL catalog (``catalog_rows``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from playback.catalog import Artist, Track
from playback.catalog_rows import (
    TRACK_COLUMNS,
    WRITE_COLUMNS,
    artist_key_range,
    row_artist,
    row_track,
    track_row,
)
from playback.errors import CatalogUnavailable
from playback.sqlite_connection import SqliteConnections

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS tracks (
        track_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        artist_id TEXT NOT NULL,
        artist_name TEXT NOT NULL,
        album_id TEXT,
        album_title TEXT,
        genre TEXT,
        moods TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        explicit INTEGER NOT NULL,
        release_year INTEGER,
        energy REAL,
        valence REAL,
        tempo REAL,
        acousticness REAL,
        danceability REAL,
        artist_key TEXT NOT NULL
    )
    """,
    # Serves tracks_by_artist in index order, no sort step. SQLite sorts NULL below every
    # number, so descending puts unknown years last (and indexes cannot say NULLS LAST).
    "CREATE INDEX IF NOT EXISTS tracks_by_artist"
    " ON tracks (artist_id, release_year DESC, track_id)",
    "CREATE INDEX IF NOT EXISTS tracks_by_artist_key ON tracks (artist_key, artist_id)",
    "CREATE INDEX IF NOT EXISTS tracks_by_genre ON tracks (genre)",
)
_SELECT = f"SELECT {', '.join(TRACK_COLUMNS)} FROM tracks"
_UPSERT = (
    f"INSERT INTO tracks ({', '.join(WRITE_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in WRITE_COLUMNS)})"
    " ON CONFLICT (track_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in WRITE_COLUMNS[1:])
)


class SqliteTrackCatalog:
    """Tracks in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, CatalogUnavailable)

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        written = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            # executemany pulls rows one at a time: a generator of millions is never held.
            nonlocal written
            for track in tracks:
                written += 1
                yield track_row(track)

        with self._db.writing("upsert_tracks") as conn:
            conn.executemany(_UPSERT, rows())
        return written

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        if not track_ids:
            return {}
        # One JSON parameter instead of one per id: no limit on the number of variables.
        sql = f"{_SELECT} WHERE track_id IN (SELECT value FROM json_each(?))"
        with self._db.reading("get_tracks") as conn:
            rows = conn.execute(sql, (json.dumps(list(track_ids)),)).fetchall()
        return {track.track_id: track for track in map(row_track, rows)}

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        prefix, upper = artist_key_range(name)
        if not prefix or limit <= 0:
            return []
        below = " AND artist_key < ?" if upper is not None else ""
        sql = (
            "SELECT artist_id, min(artist_name), min(artist_key) AS key FROM tracks"
            f" WHERE artist_key >= ?{below} GROUP BY artist_id ORDER BY key, artist_id LIMIT ?"
        )
        params = (prefix, upper, limit) if upper is not None else (prefix, limit)
        with self._db.reading("find_artists") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [row_artist(row) for row in rows]

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        sql = f"{_SELECT} WHERE artist_id = ? ORDER BY release_year DESC, track_id LIMIT ?"
        with self._db.reading("tracks_by_artist") as conn:
            rows = conn.execute(sql, (artist_id, max(limit, 0))).fetchall()
        return [row_track(row) for row in rows]

    def genres(self) -> list[str]:
        sql = "SELECT DISTINCT genre FROM tracks WHERE genre IS NOT NULL ORDER BY genre"
        with self._db.reading("genres") as conn:
            return [row[0] for row in conn.execute(sql)]

    def count(self) -> int:
        with self._db.reading("count") as conn:
            (total,) = conn.execute("SELECT count(*) FROM tracks").fetchone()
        return int(total)

    def close(self) -> None:
        self._db.close()
