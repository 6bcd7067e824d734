"""A small pool of PostgreSQL connections for the request path's threads.

FastAPI runs sync handlers on a pool of threads; with one shared connection behind a lock,
concurrent requests queued for the catalog one at a time. This keeps up to ``max_size``
connections, opened on demand and reused most recently used first (so idle ones age out of
use, not of the server's memory).

Why not ``psycopg_pool``: it opens connections in background workers, and while the server is
down a caller waits out the whole checkout timeout even though each connect is refused at
once. Here a refused connect fails the caller at once, as a lone connection did, so an outage
costs a request a degraded answer, not seconds. A caller waits for a busy pool at most
``wait_s``; a connection that broke, or that is returned inside a transaction, is closed
rather than reused.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

Connection = psycopg.Connection[tuple[Any, ...]]


class PoolExhausted(psycopg.OperationalError):
    """Every connection stayed busy for longer than the pool's ``wait_s``."""


class ConnectionPool:
    """Up to ``max_size`` autocommit connections to ``dsn``; safe to share between threads."""

    def __init__(
        self,
        dsn: str,
        *,
        max_size: int = 8,
        connect_timeout_s: float = 3.0,
        wait_s: float = 3.0,
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        self._dsn = dsn
        self._max_size = max_size
        self._connect_timeout_s = connect_timeout_s
        self._wait_s = wait_s
        self._ready = threading.Condition()
        self._idle: list[Connection] = []
        self._open = 0  # idle and lent out
        self._generation = 0  # bumped by close(): connections lent before it are not kept

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for the block; psycopg errors pass through (the adapter translates)."""
        conn, generation = self._take()
        try:
            yield conn
        finally:
            self._give_back(conn, generation)

    def close(self) -> None:
        """Close idle connections now and lent ones when they come back; reusable after."""
        with self._ready:
            idle, self._idle = self._idle, []
            self._open = 0  # lent ones are closed, uncounted, when they come back
            self._generation += 1
            self._ready.notify_all()
        for conn in idle:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def _take(self) -> tuple[Connection, int]:
        deadline = time.monotonic() + self._wait_s
        with self._ready:
            while not self._idle and self._open >= self._max_size:
                left = deadline - time.monotonic()
                if left <= 0 or not self._ready.wait(left):
                    raise PoolExhausted(
                        f"all {self._max_size} connections busy for {self._wait_s:g} s"
                    )
            generation = self._generation
            if self._idle:
                return self._idle.pop(), generation
            self._open += 1  # reserved before connecting, outside the lock
        try:
            conn = psycopg.connect(
                self._dsn, autocommit=True, connect_timeout=int(self._connect_timeout_s)
            )
        except BaseException:
            with self._ready:
                self._open -= 1
                self._ready.notify()
            raise
        return conn, generation

    def _give_back(self, conn: Connection, generation: int) -> None:
        reusable = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == TransactionStatus.IDLE
        )
        with self._ready:
            keep = reusable and generation == self._generation
            if keep:
                self._idle.append(conn)
            elif generation == self._generation:
                self._open -= 1
            self._ready.notify()
        if not keep:
            with contextlib.suppress(psycopg.Error):
                conn.close()
