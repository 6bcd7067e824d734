"""``TrackCatalog`` in PostgreSQL (RDS in production), through psycopg 3.

Connections come from a small pool (``postgres_pool``), opened on first use: concurrent
requests each get their own. A connection that breaks is dropped and the next call opens
another. Every table name is qualified with the configured schema, so tests (and tenants)
can each have their own.

Identifiers and artist keys compare with ``COLLATE "C"`` (code-point order) so ordering is
the same as in the SQLite catalog whatever the database's locale.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

import psycopg
from psycopg import sql

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
from playback.postgres_pool import Connection, ConnectionPool

CONNECT_TIMEOUT_S = 3
# Rows per executemany call: bounds memory for huge generators; one transaction in all.
WRITE_CHUNK = 2_000

_TABLE = """
CREATE TABLE IF NOT EXISTS {tracks} (
    track_id text COLLATE "C" PRIMARY KEY,
    title text NOT NULL,
    artist_id text COLLATE "C" NOT NULL,
    artist_name text NOT NULL,
    album_id text,
    album_title text,
    genre text COLLATE "C",
    moods text NOT NULL,
    duration_ms bigint NOT NULL,
    explicit boolean NOT NULL,
    release_year integer,
    energy double precision,
    valence double precision,
    tempo double precision,
    acousticness double precision,
    danceability double precision,
    artist_key text COLLATE "C" NOT NULL
)
"""
_INDEXES = (
    # Serves tracks_by_artist in index order, no sort step.
    "CREATE INDEX IF NOT EXISTS tracks_by_artist"
    " ON {tracks} (artist_id, release_year DESC NULLS LAST, track_id)",
    # Artist search is a range scan on the case-folded name (see catalog_rows).
    "CREATE INDEX IF NOT EXISTS tracks_by_artist_key ON {tracks} (artist_key, artist_id)",
    "CREATE INDEX IF NOT EXISTS tracks_by_genre ON {tracks} (genre)",
)


class PostgresTrackCatalog:
    """Tracks in ``<schema>.tracks``; safe to share between threads."""

    def __init__(self, dsn: str, schema: str = "public", *, pool_size: int = 8) -> None:
        self._schema = schema
        self._pool = ConnectionPool(dsn, max_size=pool_size, connect_timeout_s=CONNECT_TIMEOUT_S)
        tracks = sql.Identifier(schema, "tracks")
        self._ddl = [sql.SQL(_TABLE).format(tracks=tracks)]
        self._ddl += [sql.SQL(index).format(tracks=tracks) for index in _INDEXES]
        self._select = sql.SQL("SELECT {columns} FROM {tracks} ").format(
            columns=sql.SQL(", ").join(map(sql.Identifier, TRACK_COLUMNS)), tracks=tracks
        )
        self._upsert = sql.SQL(
            "INSERT INTO {tracks} ({columns}) VALUES ({values})"
            " ON CONFLICT (track_id) DO UPDATE SET {updates}"
        ).format(
            tracks=tracks,
            columns=sql.SQL(", ").join(map(sql.Identifier, WRITE_COLUMNS)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(WRITE_COLUMNS)),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column))
                for column in WRITE_COLUMNS[1:]
            ),
        )
        find_artists = sql.SQL(
            "SELECT artist_id, min(artist_name), min(artist_key) AS key FROM {tracks}"
            " WHERE artist_key >= %s{upper} GROUP BY artist_id ORDER BY key, artist_id LIMIT %s"
        )
        self._find_artists = find_artists.format(
            tracks=tracks, upper=sql.SQL(" AND artist_key < %s")
        )
        self._find_artists_unbounded = find_artists.format(tracks=tracks, upper=sql.SQL(""))
        self._genres = sql.SQL(
            "SELECT DISTINCT genre FROM {tracks} WHERE genre IS NOT NULL ORDER BY genre"
        ).format(tracks=tracks)
        self._count = sql.SQL("SELECT count(*) FROM {tracks}").format(tracks=tracks)

    def ensure_schema(self) -> None:
        with self._session("ensure_schema") as conn:
            # Checked first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege.
            exists = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self._schema,)
            ).fetchone()
            with conn.transaction():
                if exists is None:
                    conn.execute(
                        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            sql.Identifier(self._schema)
                        )
                    )
                for statement in self._ddl:
                    conn.execute(statement)

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        rows = (track_row(track) for track in tracks)
        written = 0
        with self._session("upsert_tracks") as conn, conn.transaction(), conn.cursor() as cur:
            while chunk := list(islice(rows, WRITE_CHUNK)):
                cur.executemany(self._upsert, chunk)
                written += len(chunk)
        return written

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        if not track_ids:
            return {}
        query = self._select + sql.SQL("WHERE track_id = ANY(%s)")
        with self._session("get_tracks") as conn:
            rows = conn.execute(query, (list(track_ids),)).fetchall()
        return {track.track_id: track for track in map(row_track, rows)}

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        prefix, upper = artist_key_range(name)
        if not prefix or limit <= 0:
            return []
        query, params = (
            (self._find_artists, (prefix, upper, limit))
            if upper is not None
            else (self._find_artists_unbounded, (prefix, limit))
        )
        with self._session("find_artists") as conn:
            rows = conn.execute(query, params).fetchall()
        return [row_artist(row) for row in rows]

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        query = self._select + sql.SQL(
            "WHERE artist_id = %s ORDER BY release_year DESC NULLS LAST, track_id LIMIT %s"
        )
        with self._session("tracks_by_artist") as conn:
            rows = conn.execute(query, (artist_id, max(limit, 0))).fetchall()
        return [row_track(row) for row in rows]

    def genres(self) -> list[str]:
        with self._session("genres") as conn:
            return [row[0] for row in conn.execute(self._genres).fetchall()]

    def count(self) -> int:
        with self._session("count") as conn:
            row = conn.execute(self._count).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def _session(self, what: str) -> Iterator[Connection]:
        """A pooled connection for the block; psycopg errors translated."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise CatalogUnavailable(f"PostgreSQL {what} failed: {exc}") from exc
