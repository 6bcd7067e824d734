"""``RecommendationStore`` in one SQLite file: the embedded default, no server needed.

One row per (user_id, context); ids and scores are stored as ``list_codec`` packs them
(a separated TEXT and a BLOB of doubles). A list of 100 tracks makes a row of 1 to 3 KB,
so the file uses 16 KB pages (a 4 KB page fits only one row just over 2 KB, leaving half of
it empty) and a rowid table (WITHOUT ROWID suits rows of at most a few hundred bytes).
A stored list that cannot be decoded raises ``StoreUnavailable``, like a failing backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from playback.sqlite_connection import SqliteConnections
from recommender.errors import StoreUnavailable
from recommender.list_codec import pack_scores, pack_track_ids, unpack_scores, unpack_track_ids
from recommender.store import RecommendationList

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recommendations (
    user_id TEXT NOT NULL,
    context TEXT NOT NULL,
    model_version TEXT NOT NULL,
    track_ids TEXT NOT NULL,
    scores BLOB NOT NULL,
    generated_at REAL NOT NULL,
    PRIMARY KEY (user_id, context)
)
"""
_PUT = (
    "INSERT OR REPLACE INTO recommendations"
    " (user_id, context, model_version, track_ids, scores, generated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_GET = (
    "SELECT model_version, track_ids, scores, generated_at FROM recommendations"
    " WHERE user_id = ? AND context = ?"
)


class SqliteRecommendationStore:
    """Recommendation lists in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, StoreUnavailable, page_size=16_384)

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            conn.execute(_SCHEMA)

    def put_lists(self, lists: Iterable[RecommendationList]) -> int:
        written = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            # executemany pulls rows one at a time: a generator of millions is never held.
            nonlocal written
            for item in lists:
                written += 1
                yield (
                    item.user_id,
                    item.context,
                    item.model_version,
                    pack_track_ids(item.track_ids),
                    pack_scores(item.scores),
                    item.generated_at,
                )

        with self._db.writing("put_lists") as conn:
            conn.executemany(_PUT, rows())
        return written

    def get_list(self, user_id: str, context: str = "all") -> RecommendationList | None:
        with self._db.reading("get_list") as conn:
            row = conn.execute(_GET, (user_id, context)).fetchone()
        if row is None:
            return None
        model_version, track_ids, scores, generated_at = row
        try:
            return RecommendationList(
                user_id=user_id,
                context=context,
                model_version=model_version,
                track_ids=unpack_track_ids(track_ids),
                scores=unpack_scores(scores),
                generated_at=generated_at,
            )
        except (TypeError, ValueError) as exc:
            raise StoreUnavailable("a stored recommendation list is unreadable") from exc

    def close(self) -> None:
        self._db.close()
