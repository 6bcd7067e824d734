"""``QueueStore`` on Redis: one hash per queue (version, body), expiring with PEXPIRE.

The version check and the write run in one Lua script, which Redis executes atomically, so
of two requests saving the same version exactly one wins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import redis

from playback.errors import QueueUnavailable
from playback.queue import (
    DEFAULT_TTL_S,
    DeviceQueue,
    QueueSettings,
    Stored,
    decode_queue,
    decode_settings,
    encode_queue,
    owner_prefix,
    parsing,
)

_SAVE = """
local stored = redis.call('HGET', KEYS[1], 'version')
if (stored or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisQueueStore:
    """Queues under ``prefix + key``; every ``redis.RedisError`` becomes QueueUnavailable.
    The adapter owns the client: ``close`` closes it."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "philomath:queue:", ttl_s: float = DEFAULT_TTL_S
    ) -> None:
        if not ttl_s > 0 or not math.isfinite(ttl_s):
            raise ValueError(f"ttl_s must be a finite number > 0, got {ttl_s!r}")
        self._client = client
        self._prefix = prefix
        self._ttl_ms = math.ceil(ttl_s * 1000)
        self._save = client.register_script(_SAVE)

    def ensure_schema(self) -> None:
        pass

    def load(self, key: str) -> DeviceQueue | None:
        return self._read(key, lambda version, body: decode_queue(key, version, body))

    def load_settings(self, key: str) -> QueueSettings | None:
        return self._read(key, decode_settings)

    def _read(self, key: str, decode: Callable[[int, str | bytes], Stored]) -> Stored | None:
        try:
            found = self._client.hmget(self._prefix + key, ["version", "body"])
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis HMGET failed: {exc}") from exc
        version, body = found
        if version is None or body is None:
            return None
        with parsing(key):
            return decode(int(version), body)

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        args: list[str | int] = [
            str(queue.version),
            str(queue.version + 1),
            encode_queue(queue),
            self._ttl_ms,
        ]
        try:
            written = self._save(keys=[self._prefix + queue.key], args=args)
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis queue save failed: {exc}") from exc
        if not written:
            return None
        return replace(queue, version=queue.version + 1)

    def delete(self, key: str) -> None:
        try:
            self._client.delete(self._prefix + key)
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis DEL failed: {exc}") from exc

    def forget(self, user_id: str) -> int:
        # SCAN walks the keyspace in steps without blocking the server; erasure is rare.
        pattern = f"{self._prefix}{owner_prefix(user_id)}*"
        try:
            keys = list(self._client.scan_iter(match=pattern, count=1000))
            return int(self._client.delete(*keys)) if keys else 0
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis SCAN / DEL failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._client.close()
        except redis.RedisError as exc:
            raise QueueUnavailable(f"closing the Redis client failed: {exc}") from exc
