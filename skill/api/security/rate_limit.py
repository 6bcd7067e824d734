"""Per-client rate limits: a token bucket per key (``rate_per_s`` refill, ``burst``
capacity), so a client may burst briefly but not sustain more than its rate.

``RateLimiter`` is the port; ``InProcessRateLimiter`` below serves one process, and
``skill.api.security.redis_rate_limit.RedisRateLimiter`` shares the buckets between workers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0.0 when allowed, else the seconds until
        the bucket holds one again (nothing is taken then)."""
        ...

    def close(self) -> None: ...


def check_rate(rate_per_s: float, burst: int) -> None:
    if not rate_per_s > 0 or burst < 1:
        raise ValueError("a rate limit needs rate_per_s > 0 and burst >= 1")


class InProcessRateLimiter:
    """Buckets in this process's memory; the least recently used go past ``max_keys`` (a
    forgotten bucket comes back full, as if its client had been idle)."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_rate(rate_per_s, burst)
        self._rate, self._burst, self._max_keys, self._clock = rate_per_s, burst, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - then) * self._rate)
            wait_s = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
            self._buckets[key] = (tokens - 1 if wait_s == 0 else tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return wait_s

    def close(self) -> None:
        with self._lock:
            self._buckets.clear()
