"""The embedded event stream: an append-only SQLite table, durable on local disk.

Each event is one row: an AUTOINCREMENT id (the position, as ``str(id)``) and the event's
JSON. AUTOINCREMENT, unlike a plain rowid, never reuses an id even after rows are trimmed,
so a position stays valid for ever. Connections come from ``SqliteConnections`` like every
SQLite adapter's (WAL, so readers run beside the writer, another process included), with
``synchronous=FULL``: a committed publish survives a power cut, not only a crash of this
process.

A row that no longer parses as a ``PlaybackEvent`` is logged at ERROR with its position and
skipped; ``read`` keeps going so one bad row neither stops a consumer nor shortens a page.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from playback.errors import StreamUnavailable
from playback.events import PlaybackEvent, StreamRecord, parse_record
from playback.sqlite_connection import SqliteConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS playback_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
)
"""


def parse_position(after: str | None) -> int:
    """The id after which to read: 0 for the start. ValueError for anything but digits."""
    if after is None:
        return 0
    # isascii() first: str.isdigit() alone accepts digits such as '²' that int() rejects.
    if not (after.isascii() and after.isdigit()):
        raise ValueError(f"not a position of this stream: {after!r}")
    return int(after)


class SqliteEventStream:
    """``EventStream`` in one SQLite file; safe to share between threads.

    Nothing is opened before first use; after ``close`` the next call opens again. Publishes
    from threads of one process queue on a lock: left to SQLite's busy handler, which sleeps
    and retries, one of 8 threads publishing at once was seen to wait over half a second.
    """

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, StreamUnavailable, synchronous="FULL")
        self._publishing = threading.Lock()

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            conn.execute(_SCHEMA)

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        if not events:
            return
        rows = [(event.model_dump_json(),) for event in events]
        with self._publishing, self._db.writing(f"publish of {len(rows)} events") as conn:
            conn.executemany("INSERT INTO playback_events (body) VALUES (?)", rows)

    def read(self, after: str | None, limit: int = 100) -> list[StreamRecord]:
        last_id = parse_position(after)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        records: list[StreamRecord] = []
        # Loop because rows that fail to parse are skipped: keep fetching until the page is
        # full or the table is exhausted, so a bad row never looks like the end of the stream.
        while len(records) < limit:
            rows = self._fetch(last_id, limit - len(records))
            if not rows:
                break
            for row_id, body in rows:
                last_id = row_id
                event = parse_record(body, str(row_id))
                if event is not None:
                    records.append(StreamRecord(position=str(row_id), event=event))
        return records

    def _fetch(self, after_id: int, limit: int) -> list[tuple[int, str | bytes]]:
        with self._db.reading("read") as conn:
            cursor = conn.execute(
                "SELECT id, body FROM playback_events WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            )
            rows: list[tuple[int, str | bytes]] = cursor.fetchall()
        return rows

    def close(self) -> None:
        self._db.close()
