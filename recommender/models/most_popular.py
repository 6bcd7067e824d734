"""Most popular items by number of users, the contract's non-personal baseline, and its
time-decayed variant, trending.

``popularity.PopularityModel`` stays the pipeline's model on the unified play log (time decay,
confidence, charts); this one learns from a users x items matrix like every other
``ScoringModel``, so it can sit in the same evaluation and registry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.models.base import Arrays, FloatArray, IntArray, ScoringModel, aligned_times

_DAY_S = 86_400.0


class MostPopularModel(ScoringModel):
    """Scores an item by how many training users have it; items nobody has are not ranked."""

    name = "mostpopular"
    version = "mostpopular.v1"

    def __init__(self) -> None:
        super().__init__()
        self.item_scores: FloatArray = np.zeros(0)

    def _fit(self, user_items: sp.csr_matrix) -> None:
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, counts, -np.inf).astype(np.float64)

    def _scores(self, user_ids: IntArray, user_items: sp.csr_matrix) -> FloatArray:
        return np.tile(self.item_scores, (len(user_ids), 1))

    def _params(self) -> dict[str, Any]:
        return {}

    def _state(self) -> Arrays:
        return {"item_scores": self.item_scores}

    def _restore(self, arrays: Arrays) -> None:
        self.item_scores = arrays["item_scores"]


class TrendingModel(MostPopularModel):
    """Scores an item by its training users, each counting ``0.5 ** (age / half_life)``.

    ``times`` (users x items, epoch seconds, the pattern of the data as in
    ``recommender.evaluation.splits``) says when each user took up each item; ages are
    measured from the newest of those times in the training data, not the wall clock, so a
    refit on the same data gives the same model. Items nobody has are not ranked.
    """

    name = "trending"
    version = "trending.v1"

    def __init__(
        self, times: sp.spmatrix | sp.sparray | None = None, half_life_days: float = 30.0
    ) -> None:
        super().__init__()
        if half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        self.times = None if times is None else sp.csr_matrix(times, dtype=np.float64)
        self.half_life_days = float(half_life_days)

    def _fit(self, user_items: sp.csr_matrix) -> None:
        if self.times is None:
            raise ValueError("the trending model needs event times: TrendingModel(times)")
        taken_at = aligned_times(user_items, self.times)
        age_days = (taken_at.max(initial=0.0) - taken_at) / _DAY_S
        weight = 0.5 ** (age_days / self.half_life_days)
        decayed = np.bincount(user_items.indices, weights=weight, minlength=user_items.shape[1])
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, decayed, -np.inf).astype(np.float64)

    def _params(self) -> dict[str, Any]:
        return {"half_life_days": self.half_life_days}
