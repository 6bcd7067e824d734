"""The embedded cache for several processes: each keeps its own in-process LRU, and deletes
reach all of them through one SQLite file.

The feedback consumer deletes a listener's cached profile when it changes it, and an
incremental batch deletes the lists it rewrote. With one in-process cache per serving worker
(``philomath serve --processes N``), or a consumer in a process of its own, a delete would
reach only the process that made it, and the others would serve the old value until its TTL
ran out. So a delete is also written to a shared log, and every process drops the keys the
others logged, at most ``poll_s`` after they were logged (checked on the next read, one query,
no thread). Sets stay local: each process fills its copy from the store on its own miss.

If the log cannot be read, or a process fell so far behind that the log was trimmed past its
position, that process clears its whole copy: a cold cache costs store reads, never staleness.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from playback.sqlite_connection import SqliteConnections
from recommender.errors import CacheUnavailable
from recommender.storage.cache import is_lock_key
from recommender.storage.memory_cache import InProcessCache

logger = logging.getLogger(__name__)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache_deletes ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, at REAL NOT NULL)"
)


class SqliteDeleteLog:
    """Deleted keys in order, in one SQLite file every process on the machine opens."""

    def __init__(
        self,
        path: Path | str,
        *,
        keep_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = SqliteConnections(path, CacheUnavailable)
        self._keep_s = keep_s
        self._clock = clock
        with self._db.writing("cache delete log schema") as conn:
            conn.execute(_SCHEMA)

    def append(self, key: str) -> None:
        """Log ``key`` as deleted; rows older than ``keep_s`` go in the same transaction."""
        now = self._clock()
        with self._db.writing("cache delete log append") as conn:
            conn.execute("INSERT INTO cache_deletes (key, at) VALUES (?, ?)", (key, now))
            conn.execute("DELETE FROM cache_deletes WHERE at < ?", (now - self._keep_s,))

    def head(self) -> int:
        """The position of the last logged delete (0 when none ever was)."""
        with self._db.reading("cache delete log head") as conn:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'cache_deletes'")
            found = row.fetchone()
        return int(found[0]) if found else 0

    def since(self, position: int) -> tuple[int, list[str], bool]:
        """(new position, keys deleted after ``position``, whether some were trimmed away
        unread, so the caller cannot know every key it missed)."""
        with self._db.reading("cache delete log read") as conn:
            rows = conn.execute(
                "SELECT seq, key FROM cache_deletes WHERE seq > ? ORDER BY seq", (position,)
            ).fetchall()
        if not rows:
            return position, [], False
        return int(rows[-1][0]), [key for _, key in rows], int(rows[0][0]) > position + 1

    def close(self) -> None:
        self._db.close()


class SharedMemoryCache:
    """``Cache``: an ``InProcessCache`` per process whose deletes reach every process's copy
    through ``log``; see the module docstring."""

    def __init__(
        self,
        local: InProcessCache,
        log: SqliteDeleteLog,
        *,
        poll_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._local = local
        self._log = log
        self._poll_s = poll_s
        self._clock = clock
        self._lock = threading.Lock()
        self._polled_at = clock()
        try:
            self._position = log.head()  # an empty copy has nothing older to drop
        except CacheUnavailable:
            self._position = 0

    def get(self, key: str) -> bytes | None:
        self._catch_up()
        return self._local.get(key)

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._local.set(key, value, ttl_s)

    def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        # Set-if-absent in this process only: it guards loads within one process, and the
        # read-through waits for another process's load only as long as ``lock_wait_s``.
        return self._local.add(key, value, ttl_s)

    def delete(self, key: str) -> None:
        self._local.delete(key)
        if is_lock_key(key):
            return  # taken with add(), so in this process alone: no other copy holds it
        self._log.append(key)  # CacheUnavailable reaches the caller, as any adapter's would

    def close(self) -> None:
        self._local.close()
        self._log.close()

    def _catch_up(self) -> None:
        now = self._clock()
        if now - self._polled_at < self._poll_s or not self._lock.acquire(blocking=False):
            return  # another thread is catching up for this process
        try:
            self._polled_at = now
            try:
                self._position, keys, gap = self._log.since(self._position)
            except CacheUnavailable as exc:
                logger.warning("cache delete log unreadable (%s); dropping this copy", exc)
                self._local.close()
                return
            if gap:
                logger.warning("cache delete log trimmed past this process; dropping its copy")
                self._local.close()
                return
            for key in keys:
                self._local.delete(key)
        finally:
            self._lock.release()
