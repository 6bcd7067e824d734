"""``QueueStore`` in one SQLite file: the embedded default, no server needed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from playback.errors import QueueUnavailable
from playback.queue import (
    DEFAULT_TTL_S,
    OWNER_CHARS,
    DeviceQueue,
    QueueSettings,
    Stored,
    decode_queue,
    decode_settings,
    encode_queue,
    owner_prefix,
    parsing,
)
from playback.sqlite_connection import SqliteConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS device_queues (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""


# The version check and the write in one statement: a new row only for version 0 (the
# SELECT's WHERE), an existing one only at the version the queue was read at (an expired row
# counts as version 0).
_SAVE = """
INSERT INTO device_queues (key, version, body, expires_at)
SELECT :key, :version + 1, :body, :expires_at
WHERE :version = 0 OR EXISTS (SELECT 1 FROM device_queues WHERE key = :key)
ON CONFLICT (key) DO UPDATE SET
    version = excluded.version, body = excluded.body, expires_at = excluded.expires_at
WHERE (CASE WHEN device_queues.expires_at > :now THEN device_queues.version ELSE 0 END)
    = :version
"""


class SqliteQueueStore:
    """Queues in one SQLite file; the version check runs inside one write transaction."""

    def __init__(
        self,
        path: Path | str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = SqliteConnections(path, QueueUnavailable)
        self._ttl_s = ttl_s
        self._clock = clock

    def ensure_schema(self) -> None:
        with self._db.writing("queue ensure_schema") as conn:
            conn.execute(_SCHEMA)

    def load(self, key: str) -> DeviceQueue | None:
        return self._read(key, lambda version, body: decode_queue(key, version, body))

    def load_settings(self, key: str) -> QueueSettings | None:
        return self._read(key, decode_settings)

    def _read(self, key: str, decode: Callable[[int, str], Stored]) -> Stored | None:
        with self._db.reading("queue load") as conn:
            row = conn.execute(
                "SELECT version, body FROM device_queues WHERE key = ? AND expires_at > ?",
                (key, self._clock()),
            ).fetchone()
        if row is None:
            return None
        with parsing(key):
            return decode(int(row[0]), row[1])

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        now = self._clock()
        body = encode_queue(queue)
        with self._db.writing("queue save") as conn:
            written = conn.execute(
                _SAVE,
                {
                    "key": queue.key,
                    "version": queue.version,
                    "body": body,
                    "expires_at": now + self._ttl_s,
                    "now": now,
                },
            )
        return replace(queue, version=queue.version + 1) if written.rowcount == 1 else None

    def delete(self, key: str) -> None:
        with self._db.writing("queue delete") as conn:
            conn.execute("DELETE FROM device_queues WHERE key = ?", (key,))

    def forget(self, user_id: str) -> int:
        owner = owner_prefix(user_id)
        with self._db.writing("queue forget") as conn:
            # A range on the primary key: every key that starts with the owner's hex prefix.
            cursor = conn.execute(
                "DELETE FROM device_queues WHERE key >= ? AND key < ?",
                (owner, owner + "g" * (40 - OWNER_CHARS)),
            )
            return int(cursor.rowcount)

    def close(self) -> None:
        self._db.close()
