"""Which snapshot holds a model version's lists, for experiments that serve a named version.

The current snapshot when that model made it (``snapshot_model``); else the snapshot batch
inference staged for it (``philomath batch --experiment-model NAME``), as registered under
``EXPERIMENT_SNAPSHOTS_USER``; else none, and the variant cannot serve. Registrations are
read from the store (not the list cache: a new staged run replaces the old one, which is then
dropped) at most every ``refresh_s`` per model version; the store down keeps the last answer.
"""

from __future__ import annotations

import logging
import threading
import time

from recommender.errors import StoreUnavailable
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    EXPERIMENT_SNAPSHOTS_USER,
    RecommendationReader,
    snapshot_model,
)

logger = logging.getLogger(__name__)


class ModelSnapshots:
    def __init__(self, store: RecommendationReader, refresh_s: float) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._known: dict[str, tuple[str | None, float]] = {}  # version -> (snapshot, read at)
        self._lock = threading.Lock()

    def snapshot_of(self, model_version: str, current: str) -> str | None:
        """The snapshot serving ``model_version`` (``current`` is the published one), or
        None when the store holds no lists of that version."""
        if snapshot_model(current) == model_version:
            return current
        now = time.monotonic()
        with self._lock:
            known = self._known.get(model_version)
            if known is not None and now - known[1] < self._refresh_s:
                return known[0]
            # Others asking meanwhile get the last answer rather than a read each.
            self._known[model_version] = (known[0] if known else None, now)
        try:
            entry = self._store.get_list(
                EXPERIMENT_SNAPSHOTS_USER, model_version, snapshot=BASE_SNAPSHOT
            )
        except StoreUnavailable:
            logger.warning("store unavailable; keeping the staged snapshot of %s", model_version)
            return known[0] if known else None
        staged = entry.track_ids[0] if entry is not None and entry.track_ids else None
        with self._lock:
            self._known[model_version] = (staged, now)
        return staged
