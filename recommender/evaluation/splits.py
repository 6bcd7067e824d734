"""Train/test splits of a users x items CSR matrix, all deterministic given a seed.

Every split keeps the matrix's shape (users and items keep their indices) and divides its
stored entries: each (user, item) lands in exactly one of train and test.

- ``holdout_split``: per user, a random ``fraction`` of the items (at least one, and at least
  one left to train on) goes to test.
- ``last_n_split``: per user, the ``n`` latest items by time go to test.
- ``time_cut_split``: entries at or after a global time go to test.
- ``kfold_splits``: each user's items dealt at random into ``k`` folds; fold f is the test set
  of split f, so every entry is tested exactly once.

Times come as a CSR matrix with the same sparsity pattern as the data (``times[u, i]`` the
time of the user's interaction with the item; non-zero, since a sparse matrix drops zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.models.base import aligned_times
from recommender.models.neighbours import rank_within_rows

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Split:
    train: sp.csr_matrix
    test: sp.csr_matrix

    def test_users(self) -> IntArray:
        """Rows with at least one held-out item, the users to evaluate."""
        return np.flatnonzero(np.diff(self.test.indptr) > 0).astype(np.int64)


def keep_users_with(user_items: sp.csr_matrix, min_items: int) -> tuple[sp.csr_matrix, IntArray]:
    """The rows with at least ``min_items`` items, and their indices in ``user_items``."""
    matrix = _canonical(user_items)
    rows = np.flatnonzero(np.diff(matrix.indptr) >= min_items).astype(np.int64)
    return sp.csr_matrix(matrix[rows]), rows


def holdout_split(user_items: sp.csr_matrix, fraction: float, seed: int) -> Split:
    """``round(fraction * items)`` of each user's items to test, within [1, items - 1]."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    matrix = _canonical(user_items)
    lengths = np.diff(matrix.indptr)
    rank = _random_rank_in_row(matrix, np.random.default_rng(seed))
    held = np.clip(np.round(fraction * lengths), 1, np.maximum(lengths - 1, 0)).astype(np.int64)
    return _divide(matrix, rank < np.repeat(held, lengths))


def last_n_split(user_items: sp.csr_matrix, times: sp.csr_matrix, n: int) -> Split:
    """Each user's ``n`` latest items to test (ties by higher item index), never all of them."""
    matrix = _canonical(user_items)
    time_values = aligned_times(matrix, times)
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    order = np.lexsort((-matrix.indices, -time_values, rows))  # latest first within a row
    rank = rank_within_rows(order, matrix.indptr)
    held = np.minimum(n, np.maximum(lengths - 1, 0))
    return _divide(matrix, rank < np.repeat(held, lengths))


def time_cut_split(user_items: sp.csr_matrix, times: sp.csr_matrix, cut: float) -> Split:
    """Entries with time >= ``cut`` to test, the rest to train."""
    matrix = _canonical(user_items)
    return _divide(matrix, aligned_times(matrix, times) >= cut)


def kfold_splits(user_items: sp.csr_matrix, k: int, seed: int) -> list[Split]:
    """``k`` splits; a user's items are spread evenly over the folds (sizes differ by <= 1)."""
    if k < 2:
        raise ValueError("k must be at least 2")
    matrix = _canonical(user_items)
    rank = _random_rank_in_row(matrix, np.random.default_rng(seed))
    # Start each user's deal at a random fold so small users do not all test in fold 0.
    offset = np.random.default_rng([seed, 1]).integers(0, k, size=matrix.shape[0])
    fold = (rank + np.repeat(offset, np.diff(matrix.indptr))) % k
    return [_divide(matrix, fold == f) for f in range(k)]


def _canonical(user_items: sp.csr_matrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(user_items, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def _random_rank_in_row(matrix: sp.csr_matrix, rng: np.random.Generator) -> IntArray:
    """For each entry, its position in a random permutation of its row."""
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    order = np.lexsort((rng.random(matrix.nnz), rows))
    return rank_within_rows(order, matrix.indptr)


def _divide(matrix: sp.csr_matrix, to_test: BoolArray) -> Split:
    def part(mask: BoolArray) -> sp.csr_matrix:
        kept = matrix.copy()
        kept.data = np.where(mask, kept.data, 0.0)
        kept.eliminate_zeros()
        return kept

    return Split(train=part(~to_test), test=part(to_test))
