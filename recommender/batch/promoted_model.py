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

``load_promoted_model`` loads the model promoted in the registry under ``<models>``
(``registry.ModelRegistry``), checked against its manifest's digest and against the play
history's id vocabularies (a model's indices mean the ids it was trained with). When nothing
is promoted it serves ``popularity.v1``, fitted on the spot from the play history (a tenth of
a second; it needs no artifact).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from recommender.data.interactions import Interactions, ItemSets
from recommender.errors import RecommenderError
from recommender.models.popularity import PopularityModel
from recommender.models.registry import ModelRegistry, vocabulary_digest

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

DEFAULT_MODEL = PopularityModel.version


class ModelDataMismatch(RecommenderError):
    """The promoted model was trained on other users or tracks than the play history has."""


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
    """The promoted model's registry name, ``popularity.v1`` when nothing is promoted."""
    ref = ModelRegistry(models_dir).promoted_ref()
    return ref.split("/")[0] if ref else DEFAULT_MODEL


def promoted_ref(models_dir: Path) -> str:
    """``name/run`` of the promoted model (``popularity.v1`` when none): changes on every
    promotion or rollback, even between runs of one model."""
    return ModelRegistry(models_dir).promoted_ref() or DEFAULT_MODEL


def load_promoted_model(models_dir: Path, interactions: Interactions) -> ListModel:
    """The promoted model, loaded and wrapped for batch inference."""
    registry = ModelRegistry(models_dir)
    manifest = registry.promoted()
    if manifest is None:
        return PopularityLists(PopularityModel().fit(interactions))
    expected = manifest.data.vocabulary
    found = vocabulary_digest(interactions.user_ids.tolist(), interactions.track_ids.tolist())
    if expected and expected != found:
        raise ModelDataMismatch(
            f"the promoted model {manifest.name} (run {manifest.run}) was trained on other "
            "listeners or tracks than the unified tables hold now: retrain (philomath train) "
            "or promote a model trained on this data"
        )
    path = registry.artifact(manifest)
    if manifest.name == PopularityModel.version:
        return PopularityLists(PopularityModel.load(path))
    from recommender.models.zoo import load_model  # the training extra's models

    return CollaborativeLists(load_model(path), user_items_matrix(interactions))
