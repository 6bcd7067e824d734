"""Which snapshot of the recommendation store the router reads.

The **published** one (``current``): the snapshot pointer, re-read from the store every
``refresh_s``; the store down (or its breaker open) keeps the last known one, said to be
stale. A **model version's**, for A/B experiments whose variants name one (``of_model``): the
published one when that model made it (``snapshot_model``); else the snapshot batch inference
staged for it (``philomath batch --experiment-model NAME``), as registered under
``EXPERIMENT_SNAPSHOTS_USER``; else none, and the variant cannot serve. Registrations are
read from the store (not the list cache: a new staged run replaces the old one, which is then
dropped) at most every ``refresh_s`` per model version; the store down keeps the last answer.
"""

from __future__ import annotations

import logging
import threading
import time

from recommender.errors import StoreUnavailable
from recommender.serving.breaker import Breaker
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    EXPERIMENT_SNAPSHOTS_USER,
    RecommendationReader,
    snapshot_model,
)

logger = logging.getLogger(__name__)


class Snapshots:
    def __init__(self, store: RecommendationReader, refresh_s: float, retry_after_s: float) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._current = BASE_SNAPSHOT
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._breaker = Breaker(retry_after_s)
        self._staged: dict[str, tuple[str | None, float]] = {}  # version -> (snapshot, read at)

    def current(self) -> tuple[str, bool]:
        """The published snapshot, and True when the refresh failed and the last known one
        is used."""
        now = time.monotonic()
        with self._lock:
            if now - self._read_at < self._refresh_s:
                return self._current, False
            self._read_at = now
        if not self._breaker.allow():
            return self._current, True
        try:
            current = self._store.snapshot_pointer().current
        except StoreUnavailable:
            logger.warning("recommendation store unavailable; keeping snapshot %r", self._current)
            self._breaker.failed()
            return self._current, True
        self._breaker.succeeded()
        with self._lock:
            self._current = current
        return current, False

    def refresh(self) -> str:
        """The published snapshot read now instead of at the next refresh."""
        with self._lock:
            self._read_at = float("-inf")
        return self.current()[0]

    def of_model(self, model_version: str) -> str | None:
        """The snapshot serving ``model_version``, or None when the store holds no lists of
        that version."""
        current, _ = self.current()
        if snapshot_model(current) == model_version:
            return current
        now = time.monotonic()
        with self._lock:
            known = self._staged.get(model_version)
            if known is not None and now - known[1] < self._refresh_s:
                return known[0]
            # Others asking meanwhile get the last answer rather than a read each.
            self._staged[model_version] = (known[0] if known else None, now)
        try:
            entry = self._store.get_list(
                EXPERIMENT_SNAPSHOTS_USER, model_version, snapshot=BASE_SNAPSHOT
            )
        except StoreUnavailable:
            logger.warning("store unavailable; keeping the staged snapshot of %s", model_version)
            return known[0] if known else None
        staged = entry.track_ids[0] if entry is not None and entry.track_ids else None
        with self._lock:
            self._staged[model_version] = (staged, now)
        return staged
