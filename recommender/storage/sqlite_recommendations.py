"""``RecommendationStore`` in one SQLite file: the embedded default, no server needed.

One row per (user_id, stored context): the context alone in the base snapshot, else
``context#snapshot`` (``store.stored_context``), the same keys as DynamoDB's. Ids and
scores are stored as ``list_codec`` packs them (a separated TEXT and a BLOB of doubles).
A list of 100 tracks makes a row of 1 to 3 KB, so the file uses 16 KB pages (a 4 KB page
fits only one row just over 2 KB, leaving half of it empty) and a rowid table (WITHOUT
ROWID suits rows of at most a few hundred bytes).

The snapshot pointer is a one-row table. ``get_list`` resolves it and reads the list in one
statement, so a reader sees the snapshot that was current when it read, never a mixture.
A stored list that cannot be decoded raises ``StoreUnavailable``, like a failing backend.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from playback.sqlite_connection import SqliteConnections
from recommender.errors import StoreUnavailable
from recommender.storage.list_codec import (
    pack_scores,
    pack_track_ids,
    unpack_scores,
    unpack_track_ids,
)
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    RecommendationList,
    SnapshotPointer,
    check_snapshot_id,
    split_stored_context,
    stored_context,
)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS recommendations (
        user_id TEXT NOT NULL,
        context TEXT NOT NULL,
        model_version TEXT NOT NULL,
        track_ids TEXT NOT NULL,
        scores BLOB NOT NULL,
        generated_at REAL NOT NULL,
        PRIMARY KEY (user_id, context)
    )""",
    """CREATE TABLE IF NOT EXISTS snapshot_pointer (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        current TEXT NOT NULL,
        previous TEXT,
        published_at REAL NOT NULL
    )""",
)
_PUT = (
    "INSERT OR REPLACE INTO recommendations"
    " (user_id, context, model_version, track_ids, scores, generated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_COLUMNS = "model_version, track_ids, scores, generated_at"
# The current snapshot's suffix of stored contexts: '' for the base, else '#<id>'.
_CURRENT_SUFFIX = (
    "coalesce((SELECT CASE current WHEN '' THEN '' ELSE '#' || current END"
    " FROM snapshot_pointer WHERE id = 1), '')"
)


class SqliteRecommendationStore:
    """Recommendation lists in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, StoreUnavailable, page_size=16_384)

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def put_lists(self, lists: Iterable[RecommendationList], *, snapshot: str | None = None) -> int:
        written = 0

        def rows(target: str) -> Iterator[tuple[Any, ...]]:
            # executemany pulls rows one at a time: a generator of millions is never held.
            nonlocal written
            for item in lists:
                written += 1
                yield (
                    item.user_id,
                    stored_context(item.context, target),
                    item.model_version,
                    pack_track_ids(item.track_ids),
                    pack_scores(item.scores),
                    item.generated_at,
                )

        with self._db.writing("put_lists") as conn:
            target = _pointer(conn).current if snapshot is None else check_snapshot_id(snapshot)
            conn.executemany(_PUT, rows(target))
        return written

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        with self._db.reading("get_list") as conn:
            if snapshot is None:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM recommendations"
                    f" WHERE user_id = ? AND context = ? || {_CURRENT_SUFFIX}",
                    (user_id, context),
                ).fetchone()
            else:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM recommendations WHERE user_id = ? AND context = ?",
                    (user_id, stored_context(context, check_snapshot_id(snapshot))),
                ).fetchone()
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

    def snapshot_pointer(self) -> SnapshotPointer:
        with self._db.reading("snapshot_pointer") as conn:
            return _pointer(conn)

    def publish_snapshot(self, snapshot: str) -> SnapshotPointer:
        check_snapshot_id(snapshot)
        with self._db.writing("publish_snapshot") as conn:
            old = _pointer(conn)
            previous = old.previous if old.current == snapshot else old.current
            return _set_pointer(conn, SnapshotPointer(snapshot, previous, time.time()))

    def rollback(self) -> SnapshotPointer:
        with self._db.writing("rollback") as conn:
            old = _pointer(conn)
            if old.previous is None:
                raise ValueError("no previous snapshot to roll back to")
            return _set_pointer(conn, SnapshotPointer(old.previous, old.current, time.time()))

    def forget(self, user_id: str) -> list[tuple[str, str]]:
        with self._db.writing("forget") as conn:
            rows = conn.execute(
                "SELECT context FROM recommendations WHERE user_id = ?", (user_id,)
            ).fetchall()
            conn.execute("DELETE FROM recommendations WHERE user_id = ?", (user_id,))
        return [split_stored_context(row[0]) for row in rows]

    def drop_snapshot(self, snapshot: str) -> int:
        check_snapshot_id(snapshot)
        with self._db.writing("drop_snapshot") as conn:
            pointer = _pointer(conn)
            if snapshot in (pointer.current, pointer.previous):
                raise ValueError(f"snapshot {snapshot!r} is current or previous: not dropped")
            args: tuple[int | str, ...] = ()
            if snapshot == BASE_SNAPSHOT:
                where = "instr(context, '#') = 0"
            else:  # stored contexts of a snapshot end with '#<id>'; ids never contain '#'
                suffix = stored_context("", snapshot)
                where, args = "substr(context, -?) = ?", (len(suffix), suffix)
            cursor = conn.execute(f"DELETE FROM recommendations WHERE {where}", args)
            return cursor.rowcount

    def close(self) -> None:
        self._db.close()


def _pointer(conn: sqlite3.Connection) -> SnapshotPointer:
    row = conn.execute(
        "SELECT current, previous, published_at FROM snapshot_pointer WHERE id = 1"
    ).fetchone()
    if row is None:
        return SnapshotPointer(BASE_SNAPSHOT)
    return SnapshotPointer(row[0], row[1], row[2])


def _set_pointer(conn: sqlite3.Connection, pointer: SnapshotPointer) -> SnapshotPointer:
    conn.execute(
        "INSERT OR REPLACE INTO snapshot_pointer (id, current, previous, published_at)"
        " VALUES (1, ?, ?, ?)",
        (pointer.current, pointer.previous, pointer.published_at),
    )
    return pointer
