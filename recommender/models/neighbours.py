"""Item-item similarity matrices pruned to each item's strongest neighbours, and the
row-wise ranking of sparse entries that pruning (and the evaluation splits) rely on, and the
base of models that score through such a matrix."""

from __future__ import annotations

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
)
from recommender.models.head import keep_columns, popular_head
from recommender.models.weighting import Weighting

# Rows of an items x items product computed at once: their count times the items (a dense
# row's width) stays under this, so one block's product is a few hundred MB at worst.
_PRODUCT_CELLS = 20_000_000


def top_k_product(
    left: sp.csr_matrix,
    right: sp.csr_matrix,
    k: int,
    column_scale: FloatArray | None = None,
) -> sp.csr_matrix:
    """``keep_top_k_per_row(left @ right @ diag(column_scale), k)``, computed a block of rows
    at a time so that memory holds one block's product, not the whole items x items one
    (which, over a large catalog's head, can hold most of its items squared)."""
    n_rows, n_columns = left.shape[0], right.shape[1]
    scale = None if column_scale is None else sp.diags(column_scale)
    step = max(1, _PRODUCT_CELLS // max(n_columns, 1))
    blocks = []
    for start in range(0, n_rows, step):
        product = sp.csr_matrix(left[start : start + step] @ right)
        if scale is not None:
            product = sp.csr_matrix(product @ scale)
        blocks.append(keep_top_k_per_row(product, k, first_row=start))
    if not blocks:
        return sp.csr_matrix((n_rows, n_columns))
    return sp.csr_matrix(sp.vstack(blocks, format="csr"))


def keep_top_k_per_row(similarity: sp.csr_matrix, k: int, *, first_row: int = 0) -> sp.csr_matrix:
    """Each row's ``k`` largest entries (ties by lower column); the diagonal is dropped (row
    i of ``similarity`` being item ``first_row + i``, for a block of a larger matrix)."""
    if k <= 0:
        raise ValueError("k must be positive")
    entries = sp.coo_matrix(similarity)
    off_diagonal = (entries.row + first_row != entries.col) & (entries.data != 0)
    matrix = sp.csr_matrix(
        (entries.data[off_diagonal], (entries.row[off_diagonal], entries.col[off_diagonal])),
        shape=entries.shape,
    )
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    # One global sort by (row, -value, column) ranks every row's entries at once.
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    keep = rank_within_rows(order, matrix.indptr) < k
    kept = sp.csr_matrix(
        (matrix.data[keep], (rows[keep], matrix.indices[keep])), shape=matrix.shape
    )
    kept.sort_indices()
    return kept


def rank_within_rows(order: npt.NDArray[np.int64], indptr: npt.NDArray[np.int64]) -> IntArray:
    """Each CSR entry's rank within its row, given ``order``: all entries sorted by row first
    (e.g. by ``np.lexsort((key, rows))``), then by the ranking key."""
    lengths = np.diff(indptr)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(indptr[:-1], lengths)
    return rank


class ItemSimilarityModel(ScoringModel):
    """A model that scores ``weighted user row @ similarity``: item-kNN and RP3beta differ
    only in how ``_fit`` builds the item x item ``similarity``.

    With ``max_items`` set, ``_fit`` learns from the ``max_items`` most popular items only
    (``head_of``): the similarity has that many rows and columns filled, whatever the
    catalog's size, and the model ranks those items alone."""

    weighting: Weighting
    similarity: sp.csr_matrix
    max_items: int | None = None
    items: IntArray = np.zeros(0, dtype=np.int64)  # the learnt head; empty when unlimited

    def head_of(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """``user_items`` kept to the popular head (all of it without ``max_items``)."""
        if self.max_items is None or self.max_items >= user_items.shape[1]:
            self.items = np.zeros(0, dtype=np.int64)
            return user_items
        self.items = popular_head(user_items, self.max_items)
        return keep_columns(user_items, self.items)

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
