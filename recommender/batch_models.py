"""The promoted model as batch inference sees it: top-n per user with exclusions.

Batch inference asks one thing of a model: for a batch of user indices, the best ``n`` track
indices, leaving out per user ``exclude`` (heard, disliked), for everyone ``banned`` (not in
the catalog, explicit for restricted listeners), and keeping only ``items`` when given (a
context's tracks). Two adapters give every model that:

- ``PopularityLists``: ``PopularityModel.recommend`` does all of it natively.
- ``CollaborativeLists``: any model with the batch-first contract of
  ``models.base.Recommender`` (``recommend(user_ids, user_items, n, filter_already_liked)``,
  after implicit): it asks for a deeper list and filters it, deep enough that ``n`` survive a
  context that holds a small share of the catalog.

``load_promoted_model`` reads which model is promoted from ``<models>/PROMOTED`` (one line,
the version; ``popularity.v1`` when the file is absent) and loads it from ``<models>/<version>``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from recommender.data.interactions import Interactions, ItemSets
from recommender.models.popularity import PopularityModel

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

PROMOTED_FILE = "PROMOTED"
DEFAULT_MODEL = PopularityModel.version


class ListModel(Protocol):
    version: str

    def top(
        self,
        users: IntArray,
        n: int,
        exclude: ItemSets,
        *,
        items: IntArray | None = None,
        banned: IntArray | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """(ids, scores), one row per user, best first, padded with -1 / NaN."""


class PopularityLists:
    def __init__(self, model: PopularityModel) -> None:
        self.model = model
        self.version = model.version

    def top(
        self,
        users: IntArray,
        n: int,
        exclude: ItemSets,
        *,
        items: IntArray | None = None,
        banned: IntArray | None = None,
    ) -> tuple[IntArray, FloatArray]:
        return self.model.recommend(users, n, exclude=exclude, filter_items=banned, items=items)


class CollaborativeLists:
    """``model`` follows ``models.base.Recommender``; ``user_items`` is the users x items
    matrix it scores from (rows by user index, columns by track index)."""

    def __init__(self, model: Any, user_items: Any) -> None:
        self.model = model
        self.version = str(model.version)
        self._user_items = user_items

    def top(
        self,
        users: IntArray,
        n: int,
        exclude: ItemSets,
        *,
        items: IntArray | None = None,
        banned: IntArray | None = None,
    ) -> tuple[IntArray, FloatArray]:
        n_items = int(self._user_items.shape[1])
        share = len(items) / n_items if items is not None and n_items else 1.0
        longest = int(exclude.lengths().max(initial=0))
        depth = min(n_items, math.ceil(2 * n / max(share, 1e-9)) + longest)
        ids, scores = self.model.recommend(
            users, self._user_items[users], n=depth, filter_already_liked=True
        )
        keep = ids >= 0
        if banned is not None and len(banned):
            keep &= ~np.isin(ids, banned)
        if items is not None:
            keep &= np.isin(ids, items)
        rows = np.repeat(np.arange(len(users)), exclude.lengths())
        if len(rows):
            blocked = np.zeros((len(users), n_items + 1), dtype=bool)
            blocked[rows, exclude.indices] = True
            keep &= ~np.take_along_axis(blocked, np.where(ids >= 0, ids, n_items), axis=1)
        return _compact(ids, scores, keep, n)


def _compact(
    ids: IntArray, scores: FloatArray, keep: npt.NDArray[np.bool_], n: int
) -> tuple[IntArray, FloatArray]:
    """The first ``n`` kept entries of each row, in order, padded with -1 / NaN."""
    order = np.argsort(~keep, axis=1, kind="stable")[:, :n]
    valid = np.take_along_axis(keep, order, axis=1)
    out_ids = np.full((len(ids), n), -1, dtype=np.int64)
    out_scores = np.full((len(ids), n), np.nan)
    width = order.shape[1]
    out_ids[:, :width] = np.where(valid, np.take_along_axis(ids, order, axis=1), -1)
    out_scores[:, :width] = np.where(valid, np.take_along_axis(scores, order, axis=1), np.nan)
    return out_ids, out_scores


def user_items_matrix(interactions: Interactions) -> Any:
    """Users x tracks confidence sums (scipy CSR), the input of collaborative models."""
    import scipy.sparse as sp

    shape = (len(interactions.user_ids), len(interactions.track_ids))
    matrix = sp.csr_matrix(
        (interactions.confidence, (interactions.user_idx, interactions.track_idx)), shape=shape
    )
    matrix.sum_duplicates()
    return matrix


def promoted_version(models_dir: Path) -> str:
    marker = models_dir / PROMOTED_FILE
    if marker.is_file():
        version = marker.read_text().strip()
        if version:
            return version
    return DEFAULT_MODEL


def load_promoted_model(models_dir: Path, interactions: Interactions) -> ListModel:
    """The promoted model, loaded and wrapped for batch inference."""
    version = promoted_version(models_dir)
    path = models_dir / version
    if version == PopularityModel.version:
        return PopularityLists(PopularityModel.load(path))
    from recommender.models.catalog import load_model  # the training extra's models

    return CollaborativeLists(load_model(path), user_items_matrix(interactions))
