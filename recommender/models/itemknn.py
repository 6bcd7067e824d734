"""Item-kNN: cosine similarity between items' user vectors, each item's ``k`` nearest kept.

A user's score for item j is the sum, over the items i the user has, of ``w_ui * sim(i, j)``
where ``w`` is the weighted input and ``sim(i, .)`` keeps i's ``k`` nearest neighbours. With
``max_items`` only the most popular items are learnt and ranked (``neighbours``).
"""

from __future__ import annotations

from typing import Any

import scipy.sparse as sp

from recommender.data.sparse import row_normalized
from recommender.models.neighbours import ItemSimilarityModel, top_k_product
from recommender.models.weighting import Scheme, Weighting


class ItemKNNModel(ItemSimilarityModel):
    name = "itemknn"
    version = "itemknn.v1"

    def __init__(
        self,
        k: int = 100,
        weighting: Scheme = "binary",
        tf_power: float = 1.0,
        max_items: int | None = None,
    ) -> None:
        super().__init__()
        if k <= 0 or (max_items is not None and max_items <= 0):
            raise ValueError("k and max_items must be positive")
        self.k, self.max_items = k, max_items
        self.weighting = Weighting(weighting, tf_power)
        self.similarity = sp.csr_matrix((0, 0))

    def _similarity(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        weighted = self.weighting.fit(user_items).apply(user_items)
        # Cosine: unit-normalise the item columns, then one sparse product.
        unit_items = row_normalized(sp.csr_matrix(weighted.T), order=2)
        return top_k_product(unit_items, sp.csr_matrix(unit_items.T), self.k)

    def _params(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "weighting": self.weighting.scheme,
            "tf_power": self.weighting.tf_power,
            "max_items": self.max_items,
        }
