"""Most popular items by number of users, the contract's non-personal baseline.

``popularity.PopularityModel`` stays the pipeline's model on the unified play log (time decay,
confidence, charts); this one learns from a users x items matrix like every other
``ScoringModel``, so it can sit in the same evaluation and registry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.models.base import Arrays, FloatArray, IntArray, ScoringModel


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
