"""The shared cache on Redis (ElastiCache in AWS): plain GET, SET with PX (and NX), DEL."""

from __future__ import annotations

import math

import redis

from recommender.errors import CacheUnavailable


def _ttl_ms(ttl_s: float) -> int:
    if not ttl_s > 0 or not math.isfinite(ttl_s):
        raise ValueError(f"ttl_s must be a finite number > 0, got {ttl_s!r}")
    # Milliseconds, rounded up so a tiny positive ttl never becomes PX 0 (an error).
    return math.ceil(ttl_s * 1000)


class RedisCache:
    """``Cache`` on a Redis client that the caller built (timeouts, TLS and pool are theirs).

    Keys are stored as ``prefix + key`` so several applications can share one database.
    Every ``redis.RedisError`` (refused connection, timeout, server error) becomes
    ``CacheUnavailable``. The adapter owns the client: ``close`` closes it.
    """

    def __init__(self, client: redis.Redis, prefix: str = "philomath:") -> None:
        # A decoding client would turn cached bytes into str (or fail on binary values).
        if client.get_connection_kwargs().get("decode_responses"):
            raise ValueError("RedisCache needs a client built with decode_responses=False")
        self._client = client
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        try:
            value = self._client.get(self._prefix + key)
        except redis.RedisError as exc:
            raise CacheUnavailable(f"Redis GET failed: {exc}") from exc
        if value is not None and not isinstance(value, bytes):
            raise CacheUnavailable(f"Redis GET returned {type(value).__name__}, expected bytes")
        return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        try:
            self._client.set(self._prefix + key, value, px=_ttl_ms(ttl_s))
        except redis.RedisError as exc:
            raise CacheUnavailable(f"Redis SET failed: {exc}") from exc

    def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        try:
            # SET NX PX: atomic on the server, so exactly one of many racing callers wins.
            return bool(self._client.set(self._prefix + key, value, px=_ttl_ms(ttl_s), nx=True))
        except redis.RedisError as exc:
            raise CacheUnavailable(f"Redis SET NX failed: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self._client.delete(self._prefix + key)
        except redis.RedisError as exc:
            raise CacheUnavailable(f"Redis DEL failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._client.close()
        except redis.RedisError as exc:
            raise CacheUnavailable(f"closing the Redis client failed: {exc}") from exc
