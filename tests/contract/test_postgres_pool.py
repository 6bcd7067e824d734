"""The PostgreSQL connection pool the catalog uses: concurrent callers get their own
connections, idle ones are reused, a busy pool makes a caller wait a bounded time, and a
server that refuses connections fails the caller at once."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from playback.postgres_pool import ConnectionPool, PoolExhausted

pytestmark = pytest.mark.postgres


def _pids(pool: ConnectionPool, holders: int) -> set[int]:
    """Backend pids seen by ``holders`` threads holding a connection at the same time."""
    barrier = threading.Barrier(holders)
    pids: set[int] = set()

    def hold() -> None:
        with pool.connection() as conn:
            pids.add(conn.info.backend_pid)
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=hold) for _ in range(holders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pids


def test_concurrent_callers_get_their_own_connections_then_reuse_them(
    postgres_schema: tuple[str, str],
) -> None:
    dsn, _ = postgres_schema
    tag = f"pool-{uuid.uuid4().hex[:8]}"
    pool = ConnectionPool(f"{dsn}?application_name={tag}", max_size=4)
    try:
        first = _pids(pool, 4)
        assert len(first) == 4
        assert _pids(pool, 4) == first  # the same four, none opened again
        with psycopg.connect(dsn, autocommit=True) as admin:
            (open_now,) = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (tag,)
            ).fetchone() or (0,)
        assert open_now == 4
    finally:
        pool.close()


def test_a_busy_pool_makes_a_caller_wait_at_most_wait_s(postgres_schema: tuple[str, str]) -> None:
    dsn, _ = postgres_schema
    pool = ConnectionPool(dsn, max_size=1, wait_s=0.2)
    try:
        with pool.connection():
            started = time.monotonic()
            with pytest.raises(PoolExhausted), pool.connection():
                pass
            assert time.monotonic() - started < 5
        with pool.connection() as conn:  # free again once given back
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close()


def test_a_connection_given_back_inside_a_transaction_is_not_reused(
    postgres_schema: tuple[str, str],
) -> None:
    dsn, _ = postgres_schema
    pool = ConnectionPool(dsn, max_size=1)
    try:
        with pool.connection() as conn:
            conn.execute("BEGIN")
            abandoned = conn.info.backend_pid
        with pool.connection() as conn:
            assert conn.info.backend_pid != abandoned
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close()


def test_a_refused_connection_fails_at_once_and_frees_its_place() -> None:
    pool = ConnectionPool("postgresql://postgres@127.0.0.1:1/test", max_size=1, wait_s=30)
    for _ in range(2):  # the failed connect gave its place back: the second fails alike
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError), pool.connection():
            pass
        assert time.monotonic() - started < 5


def test_max_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_size"):
        ConnectionPool("postgresql://unused", max_size=0)
