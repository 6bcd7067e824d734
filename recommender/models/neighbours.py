"""Item-item similarity matrices pruned to each item's strongest neighbours, the row-wise
ranking of sparse entries the evaluation splits rely on, and the base of models that score
through such a matrix."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.models.base import (
    Arrays,
    FloatArray,
    IntArray,
    ScoringModel,
    sparse_restore,
    sparse_state,
    top_n,
)
from recommender.models.head import popular_head
from recommender.models.weighting import Weighting

# Rows of an items x items product taken at once, dense: their count times the items stays
# under this (64 MB of float64), whatever the catalog's size.
_PRODUCT_CELLS = 8_000_000


def top_k_product(
    left: sp.csr_matrix,
    right: sp.csr_matrix,
    k: int,
    column_scale: FloatArray | None = None,
) -> sp.csr_matrix:
    """Each row's ``k`` largest entries (ties by lower column; zeros and the diagonal never
    kept) of ``left @ right @ diag(column_scale)`` (items x items). Rows are taken a block at
    a time, densified and cut to their top ``k`` by selection: memory holds one block, not
    the product, and no sort runs over its entries (a popular head's items are nearly all
    co-listened, so the product holds most of its items squared)."""
    if k <= 0:
        raise ValueError("k must be positive")
    n_rows, n_columns = left.shape[0], right.shape[1]
    step = max(1, _PRODUCT_CELLS // max(n_columns, 1))
    rows, columns, values = [], [], []
    for start in range(0, n_rows, step):
        block = np.asarray(sp.csr_matrix(left[start : start + step] @ right).toarray())
        if column_scale is not None:
            block *= column_scale[None, :]
        local = np.arange(len(block))
        block[block == 0] = -np.inf  # what the sparse product does not hold
        block[local, local + start] = -np.inf  # an item is not its own neighbour
        best, scores = top_n(block, k)
        kept = best >= 0
        rows.append(np.repeat(local + start, kept.sum(axis=1)))
        columns.append(best[kept])
        values.append(scores[kept])
    if not rows:
        return sp.csr_matrix((n_rows, n_columns))
    similarity = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(n_rows, n_columns),
    )
    similarity.sort_indices()
    return similarity


def rank_within_rows(order: npt.NDArray[np.int64], indptr: npt.NDArray[np.int64]) -> IntArray:
    """Each CSR entry's rank within its row, given ``order``: all entries sorted by row first
    (e.g. by ``np.lexsort((key, rows))``), then by the ranking key."""
    lengths = np.diff(indptr)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(indptr[:-1], lengths)
    return rank


class ItemSimilarityModel(ScoringModel):
    """A model that scores ``weighted user row @ similarity``: item-kNN and RP3beta differ
    only in how ``_similarity`` builds the item x item matrix from the (weighted) plays.

    With ``max_items`` set, the similarity is learnt among the ``max_items`` most popular
    items only, as if the catalog held nothing else, then placed at those items' indices:
    its cost follows ``max_items``, whatever the catalog's size, and the model ranks those
    items alone."""

    weighting: Weighting
    similarity: sp.csr_matrix
    max_items: int | None = None
    items: IntArray = np.zeros(0, dtype=np.int64)  # the learnt head; empty when unlimited

    def _fit(self, user_items: sp.csr_matrix) -> None:
        n_items = user_items.shape[1]
        if self.max_items is None or self.max_items >= n_items:
            self.items = np.zeros(0, dtype=np.int64)
            self.similarity = self._similarity(user_items)
            return
        self.items = popular_head(user_items, self.max_items)
        similarity = sp.coo_matrix(self._similarity(sp.csr_matrix(user_items[:, self.items])))
        head = self.items
        self.similarity = sp.csr_matrix(
            (similarity.data, (head[similarity.row], head[similarity.col])),
            shape=(n_items, n_items),
        )
        if len(self.weighting.idf):  # learnt over the head: other items weigh nothing
            idf = np.zeros(n_items)
            idf[head] = self.weighting.idf
            self.weighting.idf = idf

    @abstractmethod
    def _similarity(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """The item x item matrix of ``user_items`` (fitting the weighting on it)."""

    def _ranked_items(self) -> IntArray | None:
        return self.items if len(self.items) else None

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        product = sp.csr_matrix(self.weighting.apply(user_items) @ self.similarity)
        # Columns are picked from the sparse product: only its non-zeros are copied.
        picked = product if columns is None else product[:, columns]
        return np.asarray(picked.toarray(), dtype=np.float64)

    def _state(self) -> Arrays:
        similarity = sparse_state("similarity", self.similarity)
        return {"idf": self.weighting.idf, "items": self.items, **similarity}

    def _restore(self, arrays: Arrays) -> None:
        self.weighting.idf = arrays["idf"]
        self.similarity = sparse_restore("similarity", arrays)
        # Artifacts saved before the head existed have no "items": they rank every item.
        self.items = arrays.get("items", np.zeros(0, dtype=np.int64))
