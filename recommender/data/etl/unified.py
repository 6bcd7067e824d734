"""The ETL's unified Parquet tables read back as domain objects, streamed in batches.

``tracks`` yields catalog ``Track``s; ``profiles`` yields ``UserProfile``s with what the
interactions teach: play and skip counts, per-genre affinity, the latest distinct tracks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from playback.catalog import Track
from playback.catalog_rows import TRACK_COLUMNS
from recommender.data.etl.sql import connect, sql_string
from recommender.storage.profiles import UserProfile

BoolArray = npt.NDArray[np.bool_]

RECENT_TRACKS = 20
_BATCH = 10_000


def _rows(sql: str) -> Iterator[tuple[Any, ...]]:
    con = connect()
    try:
        cursor = con.execute(sql)
        while batch := cursor.fetchmany(_BATCH):
            yield from batch
    finally:
        con.close()


def table_sql(unified_dir: Path, table: str) -> str:
    """A unified table as a DuckDB table reference (its quoted Parquet path)."""
    return sql_string(unified_dir / f"{table}.parquet")


def tracks(unified_dir: Path) -> Iterator[Track]:
    """Every unified track, by track id."""
    columns = ", ".join(TRACK_COLUMNS)
    for row in _rows(f"SELECT {columns} FROM {table_sql(unified_dir, 'tracks')} ORDER BY track_id"):
        fields = dict(zip(TRACK_COLUMNS, row, strict=True))
        fields["moods"] = tuple(fields["moods"] or ())
        yield Track(**fields)


def profiles(unified_dir: Path) -> Iterator[UserProfile]:
    """Every unified listener, by user id, with counts learnt from their plays.

    Genre affinity is (finished - skipped) / (finished + skipped + 1): in (-1, 1), and the
    +1 keeps a single play from claiming certainty.
    """
    users, tracks_path, plays = (
        table_sql(unified_dir, name) for name in ("users", "tracks", "interactions")
    )
    sql = f"""
        WITH plays AS (
            SELECT i.user_id, i.track_id, i.end_reason, i.event_time, t.genre
            FROM {plays} i JOIN {tracks_path} t USING (track_id)),
        counts AS (
            SELECT user_id, count(*) AS play_count,
                   count(*) FILTER (WHERE end_reason = 'skipped') AS skip_count
            FROM plays GROUP BY user_id),
        by_genre AS (
            SELECT user_id, genre,
                   count(*) FILTER (WHERE end_reason = 'finished') AS f,
                   count(*) FILTER (WHERE end_reason = 'skipped') AS s
            FROM plays WHERE genre IS NOT NULL GROUP BY user_id, genre),
        affinity AS (
            SELECT user_id, map_from_entries(list(
                       struct_pack(k := genre, v := round((f - s) / (f + s + 1.0), 4))
                       ORDER BY genre)) AS genre_affinity
            FROM by_genre WHERE f + s > 0 GROUP BY user_id),
        last_play AS (
            SELECT user_id, track_id, max(event_time) AS last_at
            FROM plays GROUP BY user_id, track_id),
        recent AS (
            SELECT user_id, list(track_id ORDER BY last_at DESC, track_id) AS recent_track_ids
            FROM (SELECT *, row_number() OVER (
                      PARTITION BY user_id ORDER BY last_at DESC, track_id) AS rank
                  FROM last_play)
            WHERE rank <= {RECENT_TRACKS} GROUP BY user_id)
        SELECT u.user_id, u.country, u.birth_year, u.gender, u.explicit_allowed,
               epoch(u.signed_up_at) AS signed_up_at, u.stated_genres, u.stated_moods,
               coalesce(c.play_count, 0), coalesce(c.skip_count, 0),
               a.genre_affinity, r.recent_track_ids
        FROM {users} u
        LEFT JOIN counts c USING (user_id)
        LEFT JOIN affinity a USING (user_id)
        LEFT JOIN recent r USING (user_id)
        ORDER BY u.user_id"""
    for row in _rows(sql):
        (
            user_id,
            country,
            birth_year,
            gender,
            explicit_allowed,
            signed_up_at,
            genres,
            moods,
            play_count,
            skip_count,
            affinity,
            recent,
        ) = row
        yield UserProfile(
            user_id=user_id,
            country=country,
            birth_year=birth_year,
            gender=gender,
            explicit_allowed=bool(explicit_allowed),
            signed_up_at=float(signed_up_at) if signed_up_at is not None else None,
            stated_genres=tuple(genres or ()),
            stated_moods=tuple(moods or ()),
            play_count=int(play_count),
            skip_count=int(skip_count),
            genre_affinity={str(k): float(v) for k, v in (affinity or {}).items()},
            recent_track_ids=tuple(recent or ()),
        )


def track_facets(
    unified_dir: Path,
) -> tuple[list[str | None], list[tuple[str, ...]], BoolArray]:
    """Genre, moods and explicit flag of every track, by track id (the models' item order)."""
    genres: list[str | None] = []
    moods: list[tuple[str, ...]] = []
    explicit: list[bool] = []
    for genre, track_moods, is_explicit in _rows(
        f"SELECT genre, moods, explicit FROM {table_sql(unified_dir, 'tracks')} ORDER BY track_id"
    ):
        genres.append(genre)
        moods.append(tuple(track_moods or ()))
        explicit.append(bool(is_explicit))
    return genres, moods, np.array(explicit, dtype=bool)


def explicit_allowed(unified_dir: Path) -> BoolArray:
    """Per listener, by user id (the models' user order): may explicit tracks be played."""
    flags = [
        bool(flag)
        for (flag,) in _rows(
            f"SELECT explicit_allowed FROM {table_sql(unified_dir, 'users')} ORDER BY user_id"
        )
    ]
    return np.array(flags, dtype=bool)
