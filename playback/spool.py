"""Events the stream could not take, kept on local disk and replayed when it is back.

``EventSpool`` is an append-only SQLite table (``synchronous=FULL``: a spooled event survives
a power cut). ``SpooledPublisher`` puts it in front of an ``EventStream``:

- a publish goes to the stream; if the stream fails (``StreamUnavailable``) the events go
  to the spool instead, and the stream is left alone for ``retry_after_s`` so an outage does
  not cost every request a timeout;
- while the spool holds events, new ones queue behind them, so per-listener order is kept;
- ``replay`` (called before each publish once the pause is over, or by anyone on a timer)
  publishes the spool oldest first, a page at a time, and deletes a page only after the
  stream took it;
- once it has spooled, the publisher replays on a thread of its own every ``retry_after_s``
  until the spool is empty: a serving process without the background roles would otherwise
  keep the events until its next publish, which a quiet device may never make.

Delivery is at least once: a page the stream took just before a crash is published again on
restart, and a stream that fails part way through a batch (Kinesis) may have written some of
it. Consumers deduplicate by ``event_id``. Nothing is dropped: the only loss is a spool that
cannot be written either (a full disk), which is logged at ERROR with the count.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from playback.errors import StreamUnavailable
from playback.events import EventStream, PlaybackEvent, parse_record
from playback.sqlite_connection import SqliteConnections

logger = logging.getLogger(__name__)

_DRAIN_MIN_S = 0.05  # a retry_after_s of 0 must not make the drainer spin

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
)
"""


class EventSpool:
    """A durable FIFO of events in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, StreamUnavailable, synchronous="FULL")
        self._schema_ready = False

    def ensure_schema(self) -> None:
        with self._db.writing("spool ensure_schema") as conn:
            conn.execute(_SCHEMA)
        self._schema_ready = True

    def append(self, events: Sequence[PlaybackEvent]) -> None:
        if not self._schema_ready:
            self.ensure_schema()
        rows = [(event.model_dump_json(),) for event in events]
        with self._db.writing(f"spool append of {len(rows)} events") as conn:
            conn.executemany("INSERT INTO spooled_events (body) VALUES (?)", rows)

    def oldest(self, limit: int) -> tuple[list[PlaybackEvent], int]:
        """Up to ``limit`` events, oldest first, and the id of the last row read (0 when
        none); rows that no longer parse are logged and skipped."""
        if not self._schema_ready:
            self.ensure_schema()
        with self._db.reading("spool read") as conn:
            rows = conn.execute(
                "SELECT id, body FROM spooled_events ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        events = [e for row_id, body in rows if (e := parse_record(body, f"spool:{row_id}"))]
        return events, (int(rows[-1][0]) if rows else 0)

    def remove_through(self, last_id: int) -> None:
        """Delete every row up to and including ``last_id``."""
        with self._db.writing("spool remove") as conn:
            conn.execute("DELETE FROM spooled_events WHERE id <= ?", (last_id,))

    def count(self) -> int:
        if not self._schema_ready:
            self.ensure_schema()
        with self._db.reading("spool count") as conn:
            return int(conn.execute("SELECT count(*) FROM spooled_events").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class SpooledPublisher:
    """Publishes through ``stream``, falling back to ``spool``; see the module docstring."""

    def __init__(
        self,
        stream: EventStream,
        spool: EventSpool,
        *,
        retry_after_s: float = 5.0,
        replay_page: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._spool = spool
        self._retry_after_s = retry_after_s
        self._replay_page = replay_page
        self._clock = clock
        self._lock = threading.Lock()  # one publisher at a time keeps the order
        self._paused_until = 0.0
        self._spooled: int | None = None  # unknown until the spool is first counted
        self._drainer: threading.Thread | None = None  # replays while the spool holds events

    def publish(self, events: Sequence[PlaybackEvent]) -> bool:
        """True when ``events`` reached the stream now; False when they were spooled."""
        if not events:
            return True
        with self._lock:
            if self._stream_ready() and self._replay_locked():
                try:
                    self._stream.publish(events)
                    return True
                except StreamUnavailable:
                    logger.error("event stream unavailable; spooling to disk", exc_info=True)
                    self._pause()
            self._to_spool(events)
            return False

    def replay(self) -> int:
        """Publish spooled events, oldest first; how many went out. Never raises for the
        stream being down (they stay spooled). Counts the spool afresh: other processes
        sharing the file may have spooled events this one does not know of."""
        with self._lock:
            self._spooled = None
            before = self._pending_locked()
            self._replay_locked(force=True)
            return before - self._pending_locked()

    @property
    def pending(self) -> int:
        """Events waiting in the spool."""
        with self._lock:
            return self._pending_locked()

    def _stream_ready(self) -> bool:
        return self._clock() >= self._paused_until

    def _pause(self) -> None:
        self._paused_until = self._clock() + self._retry_after_s

    def _pending_locked(self) -> int:
        if self._spooled is None:
            try:
                self._spooled = self._spool.count()
            except StreamUnavailable:
                logger.error("the event spool cannot be read", exc_info=True)
                return 0
        return self._spooled

    def _replay_locked(self, *, force: bool = False) -> bool:
        """Empty the spool into the stream; True when it is empty afterwards."""
        if not self._pending_locked():
            return True
        if not (force or self._stream_ready()):
            return False
        try:
            while True:
                events, last_id = self._spool.oldest(self._replay_page)
                if not last_id:
                    self._spooled = 0
                    return True
                self._stream.publish(events)
                self._spool.remove_through(last_id)
                self._spooled = None  # recount: another process may share the spool
                logger.info("replayed %d spooled events", len(events))
        except StreamUnavailable as exc:  # one line: the outage's first error had the trace
            logger.warning(
                "event stream still unavailable (%s); %d events stay spooled",
                exc,
                self._pending_locked(),
            )
            self._pause()
            return False

    def _to_spool(self, events: Sequence[PlaybackEvent]) -> None:
        try:
            self._spool.append(events)
        except StreamUnavailable:
            logger.error(
                "the event spool cannot be written: %d events lost", len(events), exc_info=True
            )
            return
        if self._spooled is not None:
            self._spooled += len(events)
        self._start_drainer_locked()

    def _start_drainer_locked(self) -> None:
        if self._drainer is not None and self._drainer.is_alive():
            return
        self._drainer = threading.Thread(
            target=_drain, args=(weakref.ref(self),), name="spool-drain", daemon=True
        )
        self._drainer.start()

    def _drain_round(self) -> bool:
        """One replay for the drainer; whether it may stop (the spool is empty), decided
        holding the lock, so an event spooled meanwhile starts a new drainer."""
        try:
            self.replay()
        except Exception:  # a bug in a stream: the next round retries, the events stay
            logger.exception("spool replay failed")
        with self._lock:
            if self._pending_locked():
                return False
            self._drainer = None
            return True


def _drain(ref: weakref.ref[SpooledPublisher]) -> None:
    """Replay every ``retry_after_s`` (at least ``_DRAIN_MIN_S``) until the spool is empty,
    or the publisher is gone (held weakly: the thread must not keep it alive)."""
    while (publisher := ref()) is not None:
        pause = max(publisher._retry_after_s, _DRAIN_MIN_S)
        del publisher  # not held while sleeping
        time.sleep(pause)
        publisher = ref()
        if publisher is None or publisher._drain_round():
            return
        del publisher
