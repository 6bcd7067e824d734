"""The cache port: bytes by key with a time to live."""

from __future__ import annotations

from typing import Protocol


class Cache(Protocol):
    """A shared cache for hot recommendation lists and charts.

    Adapters: ``InProcessCache`` (embedded default, LRU with TTL), ``RedisCache``.
    Every method may raise ``CacheUnavailable``; callers treat that as a miss.
    """

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds (> 0)."""

    def delete(self, key: str) -> None:
        """Remove the key if present."""

    def close(self) -> None:
        """Release connections."""
