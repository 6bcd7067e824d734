"""Approximate nearest-neighbour candidates for a factor model on a large catalog.

A factor model scores a listener's track by the inner product of their factors. Over a
catalog of millions, scoring every track for every listener is the cost that dominates
(listeners x tracks x factors), so above ``Retrieval.min_items`` tracks the model asks an
HNSW inner-product index over its item factors (faiss) for each listener's
``Retrieval.candidates`` nearest tracks, then scores those exactly, leaves out what the
listener played and the banned tracks, and keeps the best ``n``. A listener left with fewer
than ``n`` candidates (a long history among their nearest tracks) is scored exactly over the
whole catalog instead, so a list is never shorter than the exact one. Below the threshold
the model scores every track exactly, as before.

Batch inference also gives the model the catalog's popular head (``models.head``), scored
exactly as before; each listener's list is then the best ``n`` of the union of the two
(``union_top_n``), so it recalls at least what the better of them does: the head finds the
popular tracks fitted factors favour, the index the good ones outside it.

faiss (``faiss-cpu``, the training extra) is imported only when an index is built: a model
on a small catalog never needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.models.base import FloatArray, IntArray, in_sorted, top_n
from recommender.models.head import LARGE_CATALOG_ITEMS

_CELLS_PER_CHUNK = 4_000_000  # candidate factors gathered per step (32 MB of float64)


class AnnUnavailable(RuntimeError):
    """ANN retrieval was asked for and faiss is not installed."""


@dataclass(frozen=True, slots=True)
class Retrieval:
    """When and how a factor model retrieves candidates approximately.

    ``min_items``: catalogs with more tracks than this use the index (0: never; by default
    the large-catalog threshold, where the popular head replaces exact scoring);
    ``candidates``: tracks retrieved per listener before the exact scoring (plus the
    listener's played tracks, which are left out); ``ef_search``: HNSW's search breadth
    (higher: better recall, slower); ``links``: HNSW's links per node (M)."""

    min_items: int = LARGE_CATALOG_ITEMS  # batch inference's default: above it, with the head
    candidates: int = 256
    ef_search: int = 256
    links: int = 32
    ef_construction: int = 80

    def applies(self, n_items: int) -> bool:
        return 0 < self.min_items < n_items


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise AnnUnavailable(
            "ANN retrieval needs faiss: pip install 'philomath[training]' (faiss-cpu), "
            "or set PHILOMATH_ANN_MIN_ITEMS=0 (no approximate retrieval)"
        ) from None
    return faiss


class FactorIndex:
    """An HNSW inner-product index over ``item_factors`` (items x factors)."""

    def __init__(self, item_factors: npt.NDArray[np.float32], retrieval: Retrieval) -> None:
        faiss = _faiss()
        vectors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self.n_items = len(vectors)
        self._index = faiss.IndexHNSWFlat(
            vectors.shape[1], retrieval.links, faiss.METRIC_INNER_PRODUCT
        )
        self._index.hnsw.efConstruction = retrieval.ef_construction
        self._index.hnsw.efSearch = retrieval.ef_search
        self._index.add(vectors)

    def search(self, users: FloatArray, k: int) -> IntArray:
        """The ``k`` nearest items per user row (by inner product), -1 where fewer."""
        _, ids = self._index.search(np.ascontiguousarray(users, dtype=np.float32), k)
        found: IntArray = ids.astype(np.int64)
        return found


def ann_top_n(
    index: FactorIndex,
    users: FloatArray,
    items: FloatArray,
    liked: sp.csr_matrix,
    allowed: npt.NDArray[np.bool_],
    n: int,
    candidates: int,
    exact: Callable[[IntArray], tuple[IntArray, FloatArray]],
) -> tuple[IntArray, FloatArray]:
    """Top ``n`` (ids, scores) per row of ``users`` (float64 factors) among ``allowed``
    items not in that row of ``liked``: the index's nearest items, scored exactly against
    ``items`` (float64 item factors); rows left short are answered by ``exact`` (given the
    row numbers, it returns their exact top ``n``)."""
    n_items = len(items)
    ids = np.full((len(users), n), -1, dtype=np.int64)
    scores = np.full((len(users), n), np.nan)
    seen = np.diff(liked.indptr)
    chunk = max(1, _CELLS_PER_CHUNK // ((max(candidates, n) + 64) * users.shape[1]))
    for start in range(0, len(users), chunk):
        stop = min(len(users), start + chunk)
        # Played tracks are among the nearest too: retrieve past the longest history here.
        k = min(n_items, max(candidates, n) + int(seen[start:stop].max(initial=0)))
        found = index.search(users[start:stop], k)
        valid = found >= 0
        at = np.where(valid, found, 0)
        dense = np.einsum("uf,ukf->uk", users[start:stop], items[at])
        block = liked[start:stop]
        rows = np.arange(stop - start)[:, None]
        liked_keys = np.repeat(np.arange(stop - start), np.diff(block.indptr)) * n_items
        played = in_sorted(rows * n_items + at, liked_keys + block.indices)
        dense[~valid | played | ~allowed[at]] = -np.inf
        best, scores[start:stop] = top_n(dense, n)
        ids[start:stop] = np.where(best >= 0, np.take_along_axis(at, np.maximum(best, 0), 1), -1)
    short = np.flatnonzero((ids < 0).any(axis=1))
    if len(short):  # fewer than n candidates survived: the exact scores decide
        ids[short], scores[short] = exact(short)
    return ids, scores


def union_top_n(
    first: tuple[IntArray, FloatArray], second: tuple[IntArray, FloatArray], n: int
) -> tuple[IntArray, FloatArray]:
    """The best ``n`` (ids, scores) per row of two top lists of the same rows (padded with
    -1 / NaN), an item in both counted once (its score from ``first``), ties by lower id:
    the top ``n`` of the union of the two candidate sets the lists were ranked from."""
    ids = np.hstack([first[0], second[0]])
    order = np.argsort(ids, axis=1, kind="stable")  # by id: repeats side by side
    ids = np.take_along_axis(ids, order, axis=1)
    scores = np.take_along_axis(np.hstack([first[1], second[1]]), order, axis=1)
    repeat = np.zeros(ids.shape, dtype=bool)
    repeat[:, 1:] = ids[:, 1:] == ids[:, :-1]
    best, best_scores = top_n(np.where(repeat | (ids < 0), -np.inf, scores), n)
    found = np.where(best >= 0, np.take_along_axis(ids, np.maximum(best, 0), axis=1), -1)
    return found, best_scores
