"""Per-thread connections to one SQLite file, shared by every SQLite adapter.

FastAPI runs sync handlers in a thread pool, and a ``sqlite3.Connection`` must not be used by
two threads at once, so each thread lazily opens its own. The file is put in WAL mode so
readers never block the writer. Writes run in ``BEGIN IMMEDIATE`` transactions: taking the
write lock up front means a transaction never has to upgrade a read lock, which is where
SQLite reports SQLITE_BUSY without waiting.

Writers queue for their turn before SQLite sees them: threads of a process on a lock, and
processes (``serve --processes N``, the consumer) on an OS lock of a ``-writer`` file beside
the database. SQLite's own busy handler would make them wait too, but by sleeping between
tries, up to 100 ms each: under concurrent writes that sleep, not the write, was the p99. A
lock hands over as soon as it is released. The busy timeout stays as the backstop.

``sqlite3.Error`` never leaves this module's context managers: it becomes the port's error
(``CatalogUnavailable``, ``StoreUnavailable``...) given to the constructor.

The recommender's SQLite adapters import this too (recommender may import playback, not the
other way round), so there is one copy of this logic.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, get_args

BUSY_TIMEOUT_S = 5.0
_TURN_POLL_S = (0.0002, 0.001)  # between tries for another process's writer lock: min, max

Synchronous = Literal["NORMAL", "FULL"]


class _Connection(sqlite3.Connection):
    """A subclass only so the registry below can hold it weakly."""


class SqliteConnections:
    """Opens at most one connection per thread to ``path``; nothing is opened before first use.

    ``page_size`` applies when the file is created (SQLite ignores it afterwards): tables of
    rows over 2 KB waste half of every default 4 KB page.

    ``synchronous`` is SQLite's setting of that name. ``NORMAL`` (the default) may lose the
    last commits on power loss but never corrupts the file in WAL mode; ``FULL`` makes every
    committed transaction survive a power cut too, for data that exists nowhere else.
    """

    def __init__(
        self,
        path: Path | str,
        error: type[Exception],
        *,
        page_size: int | None = None,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        self.path = str(path)
        self._error = error
        self._page_size = page_size
        if synchronous not in get_args(Synchronous):  # it is spliced into a PRAGMA
            raise ValueError(f"synchronous must be one of {get_args(Synchronous)}")
        self._synchronous = synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        # Weak, so a connection dies with its thread; close() reaches the live ones.
        self._open: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._generation = 0  # bumped by close(): threads then reopen on next use
        self._writer = threading.Lock()  # this process's writers, one at a time
        self._writer_file: tuple[int, int] | None = None  # (pid, fd) of the -writer file

    @contextlib.contextmanager
    def reading(self, what: str) -> Iterator[sqlite3.Connection]:
        """This thread's connection, outside any transaction (each statement autocommits)."""
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise self._error(f"SQLite {what} failed on {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside one write transaction, committed on success and
        rolled back on any exception (including one raised by the caller's input)."""
        try:
            with self._writer_turn(what):
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):  # keep the original error
                            conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise self._error(f"SQLite {what} failed on {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def _writer_turn(self, what: str) -> Iterator[None]:
        """Held while this writer writes: first among this process's threads, then among
        processes; either wait past ``BUSY_TIMEOUT_S`` fails as SQLite's busy timeout would."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError(f"{what}: database is locked (by this process)")
        try:
            fd = self._writer_fd()
            pause = _TURN_POLL_S[0]
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError(f"{what}: database is locked") from None
                    time.sleep(pause)
                    pause = min(pause * 2, _TURN_POLL_S[1])
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._writer.release()

    def _writer_fd(self) -> int:
        """This process's descriptor of the ``-writer`` file (called holding ``_writer``). A
        forked child opens its own: an inherited descriptor would share the parent's lock."""
        if self._writer_file is not None and self._writer_file[0] == os.getpid():
            return self._writer_file[1]
        fd = os.open(f"{self.path}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._writer_file = (os.getpid(), fd)
        return fd

    def close(self) -> None:
        """Close every thread's connection; later calls reopen lazily."""
        with self._lock:
            self._generation += 1
            connections = list(self._open)
            self._open.clear()
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        with self._writer:
            if self._writer_file is not None and self._writer_file[0] == os.getpid():
                os.close(self._writer_file[1])
            self._writer_file = None

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        conn: _Connection | None = getattr(local, "conn", None)
        if conn is not None and local.generation == self._generation:
            return conn
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,  # we issue BEGIN / COMMIT ourselves
            check_same_thread=False,  # only so close() may close it from another thread
            factory=_Connection,
        )
        try:
            if self._page_size is not None:  # before WAL mode, which fixes the page size
                conn.execute(f"PRAGMA page_size={int(self._page_size)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except sqlite3.Error:
            conn.close()
            raise
        with self._lock:
            self._open.add(conn)
            local.conn, local.generation = conn, self._generation
        return conn
