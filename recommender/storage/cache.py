"""The cache port: bytes by key with a time to live, and the keys the recommender uses."""

from __future__ import annotations

from typing import Protocol


class Cache(Protocol):
    """A shared cache for hot recommendation lists, charts and profiles.

    Adapters: ``InProcessCache`` (embedded default, LRU with TTL), ``RedisCache``.
    Every method may raise ``CacheUnavailable``; callers treat that as a miss.
    """

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds (> 0)."""

    def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        """Store ``value`` for ``ttl_s`` seconds only if ``key`` is absent (or expired),
        atomically; True when stored. A lock with a time to live, for stampede protection."""

    def delete(self, key: str) -> None:
        """Remove the key if present."""

    def close(self) -> None:
        """Release connections."""


def list_key(snapshot: str, user_id: str, context: str) -> str:
    """A recommendation list of one snapshot: a new snapshot never reads an old one's."""
    return f"recs:{snapshot}:{user_id}:{context}"


def profile_key(user_id: str) -> str:
    """A listener's profile; the feedback consumer deletes it when it changes the profile."""
    return f"profile:{user_id}"


LOCK_PREFIX = "lock:"


def lock_key(key: str) -> str:
    """The lock that one loader of ``key`` holds while the others wait for its result."""
    return f"{LOCK_PREFIX}{key}"


def is_lock_key(key: str) -> bool:
    return key.startswith(LOCK_PREFIX)
