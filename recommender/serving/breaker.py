"""A circuit breaker: after a backend fails, leave it alone for a while.

An outage must not cost every request a timeout (a Redis that stopped answering, a DynamoDB
endpoint that is unreachable): after a failure the caller skips the backend for
``open_s`` seconds, then lets one attempt through; success closes the breaker again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Breaker:
    """Thread-safe; ``clock`` is injectable so tests move time without sleeping."""

    def __init__(self, open_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0

    def allow(self) -> bool:
        """Whether to try the backend now."""
        with self._lock:
            return self._clock() >= self._open_until

    def failed(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self._open_s

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
