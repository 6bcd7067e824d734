"""Input weighting of a users x items matrix, learned at fit time and applied at recommend time.

Play counts are heavy-tailed (a Last.fm user's top artist can have 100,000 plays, the tenth
200), so models do better on a damped signal. Schemes:

- ``binary``: 1 for every played item.
- ``log1p``: ``log(1 + plays)``.
- ``tfidf``: ``plays ** tf_power * idf`` with ``idf = log(n_users) - log(1 + users of item)``,
  each row scaled to unit L2 norm so heavy and light users weigh the same.

Only ``tfidf`` learns something (the idf vector); ``fit`` must see the training matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.data.sparse import row_normalized

Scheme = Literal["binary", "log1p", "tfidf"]
SCHEMES: tuple[Scheme, ...] = ("binary", "log1p", "tfidf")


@dataclass(slots=True)
class Weighting:
    """One weighting scheme and what it learned (``idf``)."""

    scheme: Scheme = "binary"
    tf_power: float = 1.0
    idf: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown weighting {self.scheme!r}; known: {', '.join(SCHEMES)}")
        if self.tf_power <= 0:
            raise ValueError("tf_power must be positive")

    def fit(self, user_items: sp.csr_matrix) -> Weighting:
        users_per_item = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.idf = np.log(max(user_items.shape[0], 1)) - np.log1p(users_per_item)
        return self

    def apply(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """The weighted copy of ``user_items`` (same sparsity pattern)."""
        weighted = user_items.copy()
        if self.scheme == "binary":
            weighted.data = np.ones_like(weighted.data)
        elif self.scheme == "log1p":
            weighted.data = np.log1p(weighted.data)
        else:
            if len(self.idf) != user_items.shape[1]:
                raise ValueError("fit the tfidf weighting on a matrix with the same items")
            weighted.data = weighted.data**self.tf_power * self.idf[weighted.indices]
            weighted = row_normalized(weighted, order=2)
        return weighted
