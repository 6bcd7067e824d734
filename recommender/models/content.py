"""The content model: items ranked by how close their content is to what the user plays.

Items are described by ``recommender.data.content_features.ItemFeatures`` (genres, moods,
tags, audio features, whichever are known) and turned into vectors by that module, the same
code batch uses for its new-track lists. A user's taste is the weighted sum of the vectors of
their items (``weighting``, ``log1p`` of plays by default), at unit length; an item's score
is the cosine of its vector with the taste. An item nobody has played is ranked like any
other, which is what this model is for: new items, given as columns without plays in
``user_items``. An item without content, and every item for a user without history, is
never ranked (similarity to nothing is no reason).

The features come with the constructor, like the blend's components::

    ContentModel(ItemFeatures.build(n_items, tags=artist_tags)).fit(user_items)

``save`` keeps the item vectors in ``model.npz``, so a loaded model needs no features.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.data.content_features import ItemFeatures, item_vectors, unit_rows
from recommender.models.base import (
    Arrays,
    FloatArray,
    IntArray,
    ScoringModel,
    sparse_restore,
    sparse_state,
)
from recommender.models.weighting import Scheme, Weighting


class ContentModel(ScoringModel):
    name = "content"
    version = "content.v1"

    def __init__(self, features: ItemFeatures | None = None, weighting: Scheme = "log1p") -> None:
        super().__init__()
        self.features = features
        self.weighting = Weighting(weighting)
        self.vectors = sp.csr_matrix((0, 0))

    def _fit(self, user_items: sp.csr_matrix) -> None:
        if self.features is None:
            raise ValueError("the content model needs item features: ContentModel(features)")
        if len(self.features) != user_items.shape[1]:
            raise ValueError(
                f"features describe {len(self.features)} items, user_items has "
                f"{user_items.shape[1]}"
            )
        self.weighting.fit(user_items)
        self.vectors = item_vectors(self.features)

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        taste = sp.csr_matrix(unit_rows(self.weighting.apply(user_items) @ self.vectors))
        vectors = self.vectors if columns is None else self.vectors[columns]
        scores = np.asarray((taste @ vectors.T).todense(), dtype=np.float64)
        has_content = np.diff(vectors.indptr) > 0
        has_taste = np.diff(taste.indptr) > 0
        ranked: FloatArray = np.where(has_taste[:, None] & has_content[None, :], scores, -np.inf)
        return ranked

    def _params(self) -> dict[str, Any]:
        return {"weighting": self.weighting.scheme}

    def _state(self) -> Arrays:
        return {**sparse_state("vectors", self.vectors), "idf": self.weighting.idf}

    def _restore(self, arrays: Arrays) -> None:
        self.vectors = sparse_restore("vectors", arrays)
        self.weighting.idf = arrays["idf"]
