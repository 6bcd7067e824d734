"""``IdentityStore`` in one SQLite file: the embedded default, no server needed.

One row per mapping, keyed by (account, person) hashes, with an index on the listener for
erasure. ``claim`` is an ``INSERT ... ON CONFLICT DO NOTHING`` and a read in one write
transaction, so of two first requests for one caller exactly one mints the listener.
"""

from __future__ import annotations

import time
from pathlib import Path

from listening.identity import IdentityUnavailable
from playback.sqlite_connection import SqliteConnections

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS identities (
        account TEXT NOT NULL,
        person TEXT NOT NULL,
        listener TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (account, person)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS identities_by_listener ON identities (listener)",
)


class SqliteIdentityStore:
    """Caller -> listener mappings in one SQLite file; safe to share between threads. The
    mappings exist nowhere else, so every commit is made durable (``synchronous=FULL``)."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, IdentityUnavailable, synchronous="FULL")

    def ensure_schema(self) -> None:
        with self._db.writing("identity ensure_schema") as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def listener(self, account: str, person: str) -> str | None:
        with self._db.reading("identity read") as conn:
            row = conn.execute(
                "SELECT listener FROM identities WHERE account = ? AND person = ?",
                (account, person),
            ).fetchone()
        return None if row is None else str(row[0])

    def claim(self, account: str, person: str, listener: str) -> str:
        with self._db.writing("identity claim") as conn:
            conn.execute(
                "INSERT INTO identities (account, person, listener, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account, person) DO NOTHING",
                (account, person, listener, time.time()),
            )
            row = conn.execute(
                "SELECT listener FROM identities WHERE account = ? AND person = ?",
                (account, person),
            ).fetchone()
        return str(row[0])

    def listeners_of(self, account: str) -> list[str]:
        with self._db.reading("identity listeners_of") as conn:
            rows = conn.execute(
                "SELECT listener FROM identities WHERE account = ? ORDER BY person", (account,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def forget(self, user_id: str) -> int:
        with self._db.writing("identity forget") as conn:
            cursor = conn.execute("DELETE FROM identities WHERE listener = ?", (user_id,))
            return int(cursor.rowcount)

    def close(self) -> None:
        self._db.close()
