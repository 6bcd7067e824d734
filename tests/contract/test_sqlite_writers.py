"""``SqliteConnections`` writers: threads of several processes writing one file all get their
turn and lose nothing; a writer that never gets its turn fails as the port's error after the
busy timeout, as SQLite's own busy handler would make it fail."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

import playback.sqlite_connection as sqlite_connection
from playback.errors import QueueUnavailable
from playback.sqlite_connection import SqliteConnections

THREADS, WRITES = 4, 50


def _write_many(path: str, name: str) -> None:
    db = SqliteConnections(path, QueueUnavailable)

    def writer(thread: int) -> None:
        for i in range(WRITES):
            with db.writing("test write") as conn:
                conn.execute("INSERT INTO rows VALUES (?)", (f"{name}-{thread}-{i}",))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.close()


def test_threads_of_several_processes_all_write(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    setup = SqliteConnections(path, QueueUnavailable)
    with setup.writing("schema") as conn:
        conn.execute("CREATE TABLE rows (id TEXT PRIMARY KEY)")
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_write_many, args=(path, f"p{n}")) for n in range(2)]
    for process in processes:
        process.start()
    _write_many(path, "here")  # and this process's threads at the same time
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    with setup.reading("count") as conn:
        (count,) = conn.execute("SELECT count(*) FROM rows").fetchone()
    assert count == 3 * THREADS * WRITES
    setup.close()


def test_a_writer_that_never_gets_its_turn_fails_as_the_port_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_connection, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "held.db"
    db = SqliteConnections(path, QueueUnavailable)
    with db.writing("schema") as conn:
        conn.execute("CREATE TABLE rows (id TEXT)")
    other = os.open(f"{path}-writer", os.O_RDWR)  # another process's hold, as the OS sees it
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with pytest.raises(QueueUnavailable, match="locked"), db.writing("blocked") as conn:
            conn.execute("INSERT INTO rows VALUES ('x')")
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    with db.writing("after") as conn:  # the turn comes once it is released
        conn.execute("INSERT INTO rows VALUES ('y')")
    db.close()
