"""Lists computed at request time for listeners the model never saw and batch has not
listed yet: a voice listener's first session is served by the model, not the charts.

``LiveLists.list_for(profile)`` folds the listener in (``batch.fold_in``: their kept plays
and likes, skips and dislikes left out) and asks the promoted model for their top
``per_user`` tracks, leaving out what they heard or disliked, as a batch run would; the
router then treats it as their overall list (narrowed to the context asked, re-ranked to the
session). The work is bounded: one history of at most a few dozen tracks against the model's
ranked items (EASE's learnt items, an item-kNN head: ``ScoringModel._ranked_items``), and
each listener's list is kept (an LRU of ``cache_size`` listeners) until their history
changes, so a session's next requests read it back.

The model is the one batch inference serves (the registry's promoted model), loaded on the
first call (or ``warm``) with the track vocabulary of the unified tables, and loaded again
when another model is promoted (checked every ``refresh_s``). Nothing here raises into a
request: no promoted model, a model that ranks the same for everyone, too short a history, or
a failure to load or score each count (``Metrics.live_list``) and answer None, and the
router serves the charts.

It lives with batch inference, not in ``serving``: it needs the model libraries (numpy,
scipy), which a serving-only install (the Lambda) lacks; there the wiring leaves it out and
new listeners get their lists from the next incremental batch run instead.

Cost per serving process: the model's arrays (EASE: learnt items squared as float32; item-kNN
and RP3beta: their similarity entries; iALS: items x factors) and the vocabulary, plus
``cache_size`` lists of ``per_user`` ids; see BENCHMARKS.md for measured figures.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.batch.fold_in import FoldIn, history_of
from recommender.batch.promoted_model import ModelLists, promoted_ref
from recommender.data.interactions import ItemSets
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import RecommendationList
from telemetry import Metrics, NullMetrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveModel:
    """A model able to fold listeners in, and the track id of each of its columns."""

    lists: ModelLists
    track_ids: tuple[str, ...]
    ref: str  # the registry's promoted ``name/run``, to notice a new promotion

    @cached_property
    def index(self) -> dict[str, int]:
        return {track_id: i for i, track_id in enumerate(self.track_ids)}


# Loads the promoted model for live lists: None when nothing is promoted.
ModelLoader = Callable[[], LiveModel | None]


def promoted_live_model(models_dir: Path, unified_dir: Path) -> LiveModel | None:
    """The registry's promoted model with the unified tables' track vocabulary (its column
    ids), checked as batch inference checks it; None when nothing is promoted (the charts'
    model, the default, is the same for everyone)."""
    from recommender.data.interactions import id_vocabularies
    from recommender.models.registry import ModelRegistry, vocabulary_digest
    from recommender.models.zoo import load_model

    registry = ModelRegistry(models_dir)
    manifest = registry.promoted()
    if manifest is None:
        return None
    user_ids, track_ids = id_vocabularies(unified_dir)
    found = vocabulary_digest(user_ids.tolist(), track_ids.tolist())
    if manifest.data.vocabulary and manifest.data.vocabulary != found:
        raise ValueError(f"{manifest.name} was trained on other tracks than the tables hold")
    model = load_model(registry.artifact(manifest))
    # Folded listeners never index the play matrix: an empty one keeps memory to the model.
    empty = sp.csr_matrix((0, len(track_ids)))
    return LiveModel(ModelLists(model, empty), tuple(track_ids.tolist()), promoted_ref(models_dir))


class LiveLists:
    """See the module docstring. ``check_ref`` says which model is promoted now (cheap: the
    registry's pointer), ``load`` loads it."""

    def __init__(
        self,
        load: ModelLoader,
        check_ref: Callable[[], str],
        *,
        min_tracks: int = 2,
        per_user: int = 100,
        cache_size: int = 10_000,
        refresh_s: float = 30.0,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_tracks < 1 or per_user < 1 or cache_size < 0:
            raise ValueError("min_tracks and per_user must be positive, cache_size not negative")
        self._load, self._check_ref = load, check_ref
        self._min_tracks, self._per_user = min_tracks, per_user
        self._cache_size, self._refresh_s = cache_size, refresh_s
        self._metrics = metrics or NullMetrics()
        self._clock = clock
        self._lock = threading.Lock()
        self._model: LiveModel | None = None
        self._checked_at = float("-inf")
        self._lists: OrderedDict[str, tuple[tuple[object, ...], RecommendationList]] = OrderedDict()

    def warm(self) -> bool:
        """Load the promoted model now rather than on the first request; whether one is
        (a failure is logged: the first requests then try again, after ``refresh_s``)."""
        try:
            return self._current() is not None
        except Exception:  # as in ``list_for``: never fatal to the process
            logger.warning("live lists' model could not be loaded", exc_info=True)
            return False

    def list_for(self, profile: UserProfile) -> RecommendationList | None:
        """The listener's overall list from the model, or None (counted, and logged once
        per failure) when the charts must answer."""
        try:
            model = self._current()
            if model is None:
                return self._none("no_model")
            key = _history_key(profile)
            with self._lock:
                cached = self._lists.get(profile.user_id)
                if cached is not None and cached[0] == (model.ref, *key):
                    self._lists.move_to_end(profile.user_id)
                    self._metrics.live_list("served")
                    return cached[1]
            found = self._compute(model, profile)
        except Exception:  # a live list is a bonus: any failure serves the charts instead
            logger.warning("live list failed; serving the charts", exc_info=True)
            return self._none("failed")
        if isinstance(found, str):
            return self._none(found)
        with self._lock:
            self._lists[profile.user_id] = ((model.ref, *key), found)
            self._lists.move_to_end(profile.user_id)
            while len(self._lists) > self._cache_size:
                self._lists.popitem(last=False)
        self._metrics.live_list("served")
        return found

    def _compute(self, model: LiveModel, profile: UserProfile) -> RecommendationList | str:
        index = model.index
        folded = FoldIn(index, personal=model.lists.folds_in).rows([profile])
        if profile.user_id in folded.left:
            return folded.left[profile.user_id]
        rows = folded.rows
        if rows.nnz < self._min_tracks:
            return "too_little_history"
        heard = {*profile.recent_track_ids, *profile.disliked_track_ids}
        extra = sorted({index[t] for t in heard if t in index} | set(rows.indices.tolist()))
        exclude = ItemSets(np.asarray([0, len(extra)]), np.asarray(extra, dtype=np.int64))
        ids, scores = model.lists.top(
            np.zeros(1, dtype=np.int64), self._per_user, exclude, folded=rows
        )
        valid = ids[0] >= 0
        return RecommendationList(
            user_id=profile.user_id,
            context="all",
            model_version=model.lists.version,
            track_ids=tuple(model.track_ids[i] for i in ids[0][valid].tolist()),
            scores=tuple(np.round(scores[0][valid], 6).tolist()),
            generated_at=time.time(),
        )

    def _current(self) -> LiveModel | None:
        """The model, loaded (again) when none is or another was promoted since."""
        now = self._clock()
        with self._lock:
            if now - self._checked_at < self._refresh_s:
                return self._model
            self._checked_at = now
            model = self._model
        if model is not None and self._check_ref() == model.ref:
            return model
        loaded = self._load()
        if loaded is not None:
            _ = loaded.index  # built now, not by the first request
            logger.info("live lists serve %s", loaded.ref)
        with self._lock:
            self._model = loaded
            self._lists.clear()
        return loaded

    def _none(self, outcome: str) -> RecommendationList | None:
        """None, the charts' cue, counted by why."""
        self._metrics.live_list(outcome)
        return None


def _history_key(profile: UserProfile) -> tuple[object, ...]:
    """What a live list depends on: it is computed again when any of it changes."""
    history = history_of(profile)
    return (
        tuple(sorted(history.kept.items())),
        profile.recent_track_ids,
        profile.disliked_track_ids,
    )
