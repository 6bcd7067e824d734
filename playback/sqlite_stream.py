"""The embedded event stream: an append-only SQLite table, durable on local disk.

Each event is one row: an AUTOINCREMENT id (the position, as ``str(id)``) and the event's
JSON. AUTOINCREMENT, unlike a plain rowid, never reuses an id even after rows are trimmed,
so a position stays valid for ever. WAL lets readers run beside the writer (another process
included); ``synchronous=FULL`` makes a committed publish survive a power cut, not only a
crash of this process.

A row that no longer parses as a ``PlaybackEvent`` is logged at ERROR with its position and
skipped; ``read`` keeps going so one bad row neither stops a consumer nor shortens a page.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from playback.errors import StreamUnavailable
from playback.events import PlaybackEvent, StreamRecord

logger = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 5_000

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

    One connection per adapter, opened on first use and guarded by a lock: SQLite serialises
    writers anyway, and a single connection is one that ``close`` can really close. After
    ``close`` the next call opens a new connection.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        """The open connection; the caller holds ``self._lock``."""
        if self._conn is not None:
            return self._conn
        conn = sqlite3.connect(
            self._path,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit; publish opens its own transaction
            check_same_thread=False,  # guarded by self._lock instead
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            # Reading the pragma's answer is what fails on a file that is not a database.
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def ensure_schema(self) -> None:
        with self._lock:
            try:
                self._connection().execute(_SCHEMA)
            except sqlite3.Error as exc:
                raise StreamUnavailable(
                    f"cannot create the event table in {self._path}: {exc}"
                ) from exc

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        if not events:
            return
        rows = [(event.model_dump_json(),) for event in events]
        with self._lock:
            try:
                conn = self._connection()
                # IMMEDIATE takes the write lock up front (waiting up to busy_timeout) instead
                # of failing half way when another process writes at the same moment.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("INSERT INTO playback_events (body) VALUES (?)", rows)
                    conn.execute("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back (a full disk does), then ROLLBACK
                    # would fail and hide the real error.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StreamUnavailable(
                    f"cannot append {len(rows)} events to {self._path}: {exc}"
                ) from exc

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
                event = _parse(body, str(row_id))
                if event is not None:
                    records.append(StreamRecord(position=str(row_id), event=event))
        return records

    def _fetch(self, after_id: int, limit: int) -> list[tuple[int, str | bytes]]:
        with self._lock:
            try:
                cursor = self._connection().execute(
                    "SELECT id, body FROM playback_events WHERE id > ? ORDER BY id LIMIT ?",
                    (after_id, limit),
                )
                return cursor.fetchall()
            except sqlite3.Error as exc:
                raise StreamUnavailable(f"cannot read events from {self._path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                conn.close()
            except sqlite3.Error as exc:
                raise StreamUnavailable(f"cannot close {self._path}: {exc}") from exc


def _parse(body: str | bytes, position: str) -> PlaybackEvent | None:
    """The event in ``body``, or None (logged at ERROR) when it is not a valid event."""
    try:
        return PlaybackEvent.model_validate_json(body)
    except ValidationError as exc:
        # Locations and error types only: the input may hold a user id, which is not logged.
        problems = [(error["loc"], error["type"]) for error in exc.errors(include_input=False)]
        logger.error(
            "skipping event at position %s that does not parse: %s",
            position,
            problems,
            extra={"position": position},
        )
        return None
