"""RP3beta (Paudel et al. 2017): a three-step random walk user -> item -> user -> item, with
each target item's probability divided by ``popularity ** beta`` to lift the long tail.

``W = P_iu @ P_ui`` with both transition matrices raised element-wise to ``alpha``; column j
is divided by ``users(j) ** beta``; each row keeps its ``k`` largest entries and is
L1-normalised. A user's scores are ``weighted user row @ W``. With ``max_items`` only the
most popular items are learnt and ranked (``neighbours``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.data.sparse import row_normalized
from recommender.models.neighbours import ItemSimilarityModel, top_k_product
from recommender.models.weighting import Scheme, Weighting


class RP3BetaModel(ItemSimilarityModel):
    name = "rp3beta"
    version = "rp3beta.v1"

    def __init__(
        self,
        alpha: float = 0.6,
        beta: float = 0.2,
        k: int = 200,
        weighting: Scheme = "tfidf",
        tf_power: float = 0.3,
        max_items: int | None = None,
    ) -> None:
        super().__init__()
        if alpha <= 0 or k <= 0 or (max_items is not None and max_items <= 0):
            raise ValueError("alpha, k and max_items must be positive")
        self.alpha, self.beta, self.k, self.max_items = alpha, beta, k, max_items
        self.weighting = Weighting(weighting, tf_power)
        self.similarity = sp.csr_matrix((0, 0))

    def _similarity(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        weighted = abs(self.weighting.fit(user_items).apply(user_items))
        user_to_item = row_normalized(weighted, order=1).power(self.alpha)
        item_to_user = row_normalized(sp.csr_matrix(weighted.T), order=1).power(self.alpha)
        users_per_item = np.maximum(np.bincount(user_items.indices, minlength=weighted.shape[1]), 1)
        lift = users_per_item**-self.beta
        walk = top_k_product(item_to_user, user_to_item, self.k, column_scale=lift)
        return row_normalized(walk, order=1)

    def _params(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "beta": self.beta,
            "k": self.k,
            "weighting": self.weighting.scheme,
            "tf_power": self.weighting.tf_power,
            "max_items": self.max_items,
        }
