"""``QueueStore`` in a dict: for tests and single-process tools; nothing survives a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from playback.queue import DEFAULT_TTL_S, DeviceQueue, QueueSettings, owner_prefix, settings_of


class MemoryQueueStore:
    """Queues in this process, expiring ``ttl_s`` after their last save; thread safe."""

    def __init__(
        self, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._queues: dict[str, tuple[DeviceQueue, float]] = {}
        self._lock = threading.Lock()

    def ensure_schema(self) -> None:
        pass

    def load(self, key: str) -> DeviceQueue | None:
        with self._lock:
            return self._live(key)

    def load_settings(self, key: str) -> QueueSettings | None:
        queue = self.load(key)
        return settings_of(queue) if queue is not None else None

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        with self._lock:
            stored = self._live(queue.key)
            if (stored.version if stored is not None else 0) != queue.version:
                return None
            saved = replace(queue, version=queue.version + 1)
            self._queues[queue.key] = (saved, self._clock() + self._ttl_s)
            return saved

    def delete(self, key: str) -> None:
        with self._lock:
            self._queues.pop(key, None)

    def forget(self, user_id: str) -> int:
        owner = owner_prefix(user_id)
        with self._lock:
            keys = [key for key in self._queues if key.startswith(owner)]
            for key in keys:
                del self._queues[key]
            return len(keys)

    def close(self) -> None:
        pass

    def _live(self, key: str) -> DeviceQueue | None:
        found = self._queues.get(key)
        if found is None:
            return None
        if found[1] <= self._clock():
            del self._queues[key]
            return None
        return found[0]
