"""Ranking metrics at k with binary relevance, independent of any model.

Inputs are what a ``Recommender`` returns and what a split holds out:

- ``recommended``: users x k item ids, best first, -1 for padding;
- ``relevant``: users x items sparse matrix, non-zero where the item is held out for the user.

Per user (``hits_i`` = 1 when the item at rank i is relevant, ``R`` = number relevant):

- precision@k = sum(hits) / k
- recall@k = sum(hits) / R
- NDCG@k = sum(hits_i / log2(i + 1)) / sum_{i <= min(k, R)} 1 / log2(i + 1)
- AP@k = sum(hits_i * precision@i) / min(k, R)

Users with no relevant item get NaN for every metric and are left out of the means.
Catalog-level measures take the training matrix for item popularity:

- coverage: distinct recommended items / catalog size;
- novelty: mean over recommended items of ``-log2(users(i) / n_users)`` (an item nobody had
  counts as one user);
- popularity bias: mean popularity percentile (0 least, 1 most popular; ties share their
  average rank) of the recommended items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.stats import rankdata

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class UserMetrics:
    """Per-user values at one k, aligned with the rows given to ``ranking_metrics``."""

    k: int
    precision: FloatArray
    recall: FloatArray
    ndcg: FloatArray
    average_precision: FloatArray

    def means(self) -> dict[str, float]:
        """Mean of each metric over users that have relevant items."""
        return {
            f"precision@{self.k}": _nanmean(self.precision),
            f"recall@{self.k}": _nanmean(self.recall),
            f"ndcg@{self.k}": _nanmean(self.ndcg),
            f"map@{self.k}": _nanmean(self.average_precision),
        }

    def subset(self, rows: BoolArray) -> UserMetrics:
        return UserMetrics(
            self.k,
            self.precision[rows],
            self.recall[rows],
            self.ndcg[rows],
            self.average_precision[rows],
        )


def hits(recommended: IntArray, relevant: sp.csr_matrix) -> BoolArray:
    """users x k: whether each recommended item is relevant to its user."""
    recommended = np.asarray(recommended, dtype=np.int64)
    relevant = _canonical(relevant)
    if recommended.shape[0] != relevant.shape[0]:
        counts = f"{recommended.shape[0]} rows of recommendations, {relevant.shape[0]}"
        raise ValueError(f"{counts} of relevant items")
    n_items = relevant.shape[1]
    # Encode (user, item) pairs as one integer; the truth's codes come out sorted.
    truth_rows = np.repeat(np.arange(relevant.shape[0]), np.diff(relevant.indptr))
    truth = truth_rows.astype(np.int64) * n_items + relevant.indices
    asked = np.arange(recommended.shape[0])[:, None] * n_items + recommended
    position = np.clip(np.searchsorted(truth, asked), 0, max(len(truth) - 1, 0))
    found = truth[position] == asked if len(truth) else np.zeros(asked.shape, dtype=bool)
    return np.asarray(found & (recommended >= 0), dtype=bool)


def ranking_metrics(recommended: IntArray, relevant: sp.csr_matrix, k: int) -> UserMetrics:
    """Precision, recall, NDCG and AP at ``k`` for every user (row)."""
    if k <= 0:
        raise ValueError("k must be positive")
    top = np.asarray(recommended, dtype=np.int64)[:, :k]
    hit = hits(top, relevant).astype(np.float64)
    if hit.shape[1] < k:  # fewer columns than k: the missing ranks are misses
        hit = np.pad(hit, ((0, 0), (0, k - hit.shape[1])))
    n_relevant = np.diff(_canonical(relevant).indptr).astype(np.float64)
    has_truth = n_relevant > 0
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_relevant, k).astype(int)]
    hit_count = hit.sum(axis=1)
    precision_at_rank = np.cumsum(hit, axis=1) / np.arange(1, k + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(has_truth, hit_count / n_relevant, np.nan)
        ndcg = np.where(has_truth, (hit * discount).sum(axis=1) / ideal, np.nan)
        ap = np.where(
            has_truth, (hit * precision_at_rank).sum(axis=1) / np.minimum(n_relevant, k), np.nan
        )
    precision = np.where(has_truth, hit_count / k, np.nan)
    return UserMetrics(k, precision, recall, ndcg, ap)


def catalog_coverage(recommended: IntArray, n_items: int) -> float:
    """Share of the catalog's ``n_items`` recommended to at least one user."""
    items = np.unique(recommended[recommended >= 0])
    return float(len(items) / n_items) if n_items else 0.0


def novelty(recommended: IntArray, train: sp.csr_matrix) -> float:
    """Mean self-information ``-log2(users(i) / n_users)`` of recommended items, in bits."""
    items = recommended[recommended >= 0]
    if not len(items):
        return float("nan")
    users = np.maximum(_users_per_item(train), 1)[items]
    return float(np.mean(-np.log2(users / max(train.shape[0], 1))))


def popularity_bias(recommended: IntArray, train: sp.csr_matrix) -> float:
    """Mean popularity percentile (0..1) of recommended items among all items."""
    items = recommended[recommended >= 0]
    counts = _users_per_item(train)
    if not len(items) or len(counts) < 2:
        return float("nan")
    percentile = (rankdata(counts, method="average") - 1.0) / (len(counts) - 1.0)
    return float(np.mean(percentile[items]))


def _canonical(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """A CSR copy without explicit zeros or duplicates, indices sorted (input untouched)."""
    canonical = sp.csr_matrix(matrix, copy=True)
    canonical.sum_duplicates()
    canonical.eliminate_zeros()
    canonical.sort_indices()
    return canonical


def _users_per_item(train: sp.csr_matrix) -> IntArray:
    matrix = _canonical(train)
    return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)


def _nanmean(values: FloatArray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")
