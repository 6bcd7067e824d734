"""``RoutineStore`` in one SQLite file: the embedded default, no server needed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from listening.routines import Routine, RoutinesUnavailable, decode_routine, encode_routine
from playback.sqlite_connection import SqliteConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS routines (
    user_id TEXT NOT NULL,
    routine_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (user_id, routine_id)
)
"""


class SqliteRoutineStore:
    """Routines in one SQLite file; declared by listeners and kept nowhere else, so every
    commit is made durable (``synchronous=FULL``)."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, RoutinesUnavailable, synchronous="FULL")

    def ensure_schema(self) -> None:
        with self._db.writing("routines ensure_schema") as conn:
            conn.execute(_SCHEMA)

    def add(self, routine: Routine) -> None:
        with self._db.writing("routines add") as conn:
            conn.execute(
                "INSERT INTO routines (user_id, routine_id, created_at, body) VALUES (?, ?, ?, ?)",
                (routine.user_id, routine.routine_id, routine.created_at, encode_routine(routine)),
            )

    def for_listener(self, user_id: str) -> list[Routine]:
        with self._db.reading("routines list") as conn:
            rows = conn.execute(
                "SELECT body FROM routines WHERE user_id = ? ORDER BY created_at, routine_id",
                (user_id,),
            ).fetchall()
        try:
            return [decode_routine(row[0]) for row in rows]
        except ValidationError as exc:
            raise RoutinesUnavailable(f"a stored routine does not parse: {exc}") from exc

    def delete(self, user_id: str, routine_id: str) -> bool:
        with self._db.writing("routines delete") as conn:
            cursor = conn.execute(
                "DELETE FROM routines WHERE user_id = ? AND routine_id = ?", (user_id, routine_id)
            )
        return cursor.rowcount > 0

    def forget(self, user_id: str) -> int:
        with self._db.writing("routines forget") as conn:
            cursor = conn.execute("DELETE FROM routines WHERE user_id = ?", (user_id,))
        return cursor.rowcount

    def close(self) -> None:
        self._db.close()
