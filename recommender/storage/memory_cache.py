"""The embedded cache: a thread-safe LRU of bytes with a time to live per key."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


def _check_ttl(ttl_s: float) -> None:
    """Raise ValueError unless ``ttl_s`` is a finite number of seconds above zero."""
    # `not ttl_s > 0` also rejects NaN, which compares false with everything.
    if not ttl_s > 0 or not math.isfinite(ttl_s):
        raise ValueError(f"ttl_s must be a finite number > 0, got {ttl_s!r}")


class InProcessCache:
    """``Cache`` held in this process: least recently used entries go first when full.

    Expired entries are treated as absent and dropped when next read; until then they count
    towards ``max_items`` like any other entry. ``clock`` returns seconds and is injectable
    so tests can move time without sleeping.
    """

    def __init__(
        self, max_items: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self._max_items = max_items
        self._clock = clock
        # key -> (value, expires_at on `clock`); order is least to most recently used.
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, expires_at = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        _check_ttl(ttl_s)
        # bytes() copies a bytearray so a caller mutating it later cannot change the cache.
        stored = bytes(value)
        with self._lock:
            self._entries[key] = (stored, self._clock() + ttl_s)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_items:
                self._entries.popitem(last=False)

    def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        _check_ttl(ttl_s)
        stored = bytes(value)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() < entry[1]:
                return False
            self._entries[key] = (stored, self._clock() + ttl_s)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_items:
                self._entries.popitem(last=False)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def close(self) -> None:
        # Nothing to release but memory; the cache stays usable (empty) afterwards.
        with self._lock:
            self._entries.clear()
