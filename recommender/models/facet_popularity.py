"""Popularity within the user's genres or moods: the chart of what they already like.

Each item has weights over facets (a track's genre, an artist's genre votes from its tags),
scaled to sum to 1 per item. A user's facet shares are the share of their items in each
facet. An item's score for the user is its popularity (training users who have it) times
``affinity + prior``, where affinity is how much of the user's listening lies in the item's
facets: popular items of the user's genres first, then, by ``prior``, the rest of the chart
(items with no known facet included). Items nobody has are not ranked.

The facets come with the constructor (items x facets, non-negative) and are kept in
``model.npz``. ``GenrePopularityModel`` and ``MoodPopularityModel`` differ only in name, so
the registry and reports say which facet a saved model ranks by.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.data.sparse import row_normalized
from recommender.models.base import (
    Arrays,
    FloatArray,
    IntArray,
    ScoringModel,
    sparse_restore,
    sparse_state,
)
from recommender.models.weighting import Weighting


class FacetPopularityModel(ScoringModel):
    """The shared scoring; use a subclass, which names the facet."""

    def __init__(
        self, item_facets: sp.spmatrix | sp.sparray | None = None, prior: float = 0.05
    ) -> None:
        super().__init__()
        if prior < 0:
            raise ValueError("prior must be non-negative")
        self.prior = float(prior)
        self.item_facets = None if item_facets is None else sp.csr_matrix(item_facets)
        self.item_scores: FloatArray = np.zeros(0)
        self.facet_shares = sp.csr_matrix((0, 0))

    def _fit(self, user_items: sp.csr_matrix) -> None:
        if self.item_facets is None:
            raise ValueError(f"the {self.name} model needs item facets: {type(self).__name__}(m)")
        if self.item_facets.shape[0] != user_items.shape[1]:
            raise ValueError(
                f"item_facets has {self.item_facets.shape[0]} rows for {user_items.shape[1]} items"
            )
        if self.item_facets.nnz and self.item_facets.data.min() < 0:
            raise ValueError("item_facets must be non-negative")
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, counts, -np.inf).astype(np.float64)
        self.facet_shares = row_normalized(sp.csr_matrix(self.item_facets, dtype=float), order=1)

    def _scores(self, user_ids: IntArray, user_items: sp.csr_matrix) -> FloatArray:
        played = Weighting("binary").apply(user_items)
        profile = row_normalized(sp.csr_matrix(played @ self.facet_shares), order=1)
        affinity = np.asarray((profile @ self.facet_shares.T).todense(), dtype=np.float64)
        scores: FloatArray = self.item_scores[None, :] * (affinity + self.prior)
        return scores

    def _params(self) -> dict[str, Any]:
        return {"prior": self.prior}

    def _state(self) -> Arrays:
        return {"item_scores": self.item_scores, **sparse_state("facets", self.facet_shares)}

    def _restore(self, arrays: Arrays) -> None:
        self.item_scores = arrays["item_scores"]
        self.facet_shares = sparse_restore("facets", arrays)


class GenrePopularityModel(FacetPopularityModel):
    name = "genrepop"
    version = "genrepop.v1"


class MoodPopularityModel(FacetPopularityModel):
    name = "moodpop"
    version = "moodpop.v1"
