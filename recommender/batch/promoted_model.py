"""The promoted model as batch inference sees it: top-n per user with exclusions.

Batch inference asks one thing of a model: for a batch of user indices, the best ``n`` track
indices, leaving out per user ``exclude`` (heard, disliked), for everyone ``banned`` (not in
the catalog, explicit for restricted listeners), and keeping only ``items`` when given (a
context's tracks). ``ModelLists`` gives that for any model of the contract
(``models.base.Recommender``, the popularity family's included): the model leaves out what
each listener played (``filter_already_liked``), ``banned`` (``filter_items``) and keeps
``items``; the rest of ``exclude`` (recent plays, dislikes) is filtered from a list deep
enough that ``n`` survive.

``load_promoted_model`` loads the model promoted in the model registry under ``<models>``
(``registry.ModelRegistry``), checked against its manifest's digest and against the play
history's id vocabularies (a model's indices mean the ids it was trained with). When nothing
is promoted it serves ``popularity.v1``, fitted on the spot from the play history (a tenth of
a second; it needs no artifact). On a large catalog the promoted model ranks the tracks it
was evaluated on, the most-listened (``models.head.candidate_items``), unless it retrieves
its candidates from the whole catalog itself (a factor model above ``retrieval.min_items``
tracks, ``models.ann``: ``PHILOMATH_ANN_MIN_ITEMS``), which it ranks together with the
``CANDIDATE_ITEMS`` most-listened.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.data.interactions import Interactions, ItemSets
from recommender.data.sparse import user_items_matrix
from recommender.errors import RecommenderError
from recommender.models.ann import Retrieval
from recommender.models.base import FOLDED_USER, FoldInUnsupported, Recommender, in_sorted
from recommender.models.head import CANDIDATE_ITEMS, candidate_items, popular_head
from recommender.models.ials import IALSModel
from recommender.models.popularity import PopularityModel
from recommender.models.registry import Manifest, ModelRegistry, vocabulary_digest
from recommender.models.zoo import load_model

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

DEFAULT_MODEL = PopularityModel.version


class ModelDataMismatch(RecommenderError):
    """The promoted model was trained on other users or tracks than the play history has."""


class ModelLists:
    """``model`` over ``user_items``, the users x items matrix it scores from (rows by user
    index, columns by track index): top-n per user as batch inference asks for it, among
    ``candidates`` when given (a large catalog's most-listened tracks, as in evaluation)."""

    def __init__(
        self,
        model: Recommender,
        user_items: sp.csr_matrix,
        candidates: IntArray | None = None,
    ) -> None:
        self.model = model
        self.version = model.version
        self._user_items = user_items
        self._candidates = candidates

    @property
    def folds_in(self) -> bool:
        """Whether the model scores listeners it never saw from a history (``fold_in``);
        a model outside ``ScoringModel`` that does not say is taken not to."""
        return bool(getattr(self.model, "supports_fold_in", False))

    def top(
        self,
        users: IntArray,
        n: int,
        exclude: ItemSets,
        *,
        items: IntArray | None = None,
        banned: IntArray | None = None,
        folded: sp.csr_matrix | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """(ids, scores), one row per user, best first, padded with -1 / NaN. With
        ``folded`` (one history row per user, ``users`` then ignored), the listeners are
        ones the model never saw, scored from those rows (``Recommender.fold_in``)."""
        if folded is not None:
            if not self.folds_in:
                raise FoldInUnsupported(f"{self.version} cannot fold listeners in")
            users = np.full(folded.shape[0], FOLDED_USER, dtype=np.int64)
        played = self._user_items[users] if folded is None else sp.csr_matrix(folded)
        played.sort_indices()
        # The model leaves out what each listener played; the rest of ``exclude`` is filtered
        # here, from a list deep enough that n survive even if all of it ranks on top.
        width = int(played.shape[1]) + 1  # row * width + item: one key per (row, item)
        rows = np.repeat(np.arange(len(users)), exclude.lengths())
        played_rows = np.repeat(np.arange(len(users)), np.diff(played.indptr))
        excluded = rows * width + exclude.indices
        extra = np.sort(excluded[~in_sorted(excluded, played_rows * width + played.indices)])
        longest = int(np.bincount(extra // width, minlength=1).max())
        if self._candidates is not None:
            items = self._candidates if items is None else np.intersect1d(items, self._candidates)
        ids, scores = self.model.recommend(
            users,
            played,
            n=min(width - 1, n + longest),
            filter_already_liked=True,
            filter_items=banned,
            items=items,
        )
        keep = ids >= 0
        if len(extra):
            keep &= ~in_sorted(np.arange(len(users))[:, None] * width + ids, extra)
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


def promoted_version(models_dir: Path) -> str:
    """The promoted model's versioned name, ``popularity.v1`` when nothing is promoted."""
    ref = ModelRegistry(models_dir).promoted_ref()
    return ref.split("/")[0] if ref else DEFAULT_MODEL


def promoted_ref(models_dir: Path) -> str:
    """``name/run`` of the promoted model (``popularity.v1`` when none): changes on every
    promotion or rollback, even between runs of one model."""
    return ModelRegistry(models_dir).promoted_ref() or DEFAULT_MODEL


def promoted_trained_at(models_dir: Path) -> float | None:
    """When the promoted model was registered, right after its training (epoch seconds);
    None when nothing is promoted (the popularity model is fitted at load)."""
    manifest = ModelRegistry(models_dir).promoted()
    return manifest.created_at.timestamp() if manifest is not None else None


def load_promoted_model(
    models_dir: Path, interactions: Interactions, retrieval: Retrieval | None = None
) -> ModelLists:
    """The promoted model, loaded and wrapped for batch inference."""
    manifest = ModelRegistry(models_dir).promoted()
    return _load(models_dir, manifest, interactions, retrieval or Retrieval())


def load_registered_model(
    models_dir: Path, interactions: Interactions, name: str, retrieval: Retrieval | None = None
) -> ModelLists:
    """The latest registered run of model ``name`` (``ials.v1``), promoted or not, for an
    experiment's lists; ``popularity.v1`` is fitted on the spot when not registered."""
    registry = ModelRegistry(models_dir)
    if name == DEFAULT_MODEL and not registry.models(name):
        return _load(models_dir, None, interactions, Retrieval())
    return _load(models_dir, registry.latest(name), interactions, retrieval or Retrieval())


def _load(
    models_dir: Path, manifest: Manifest | None, interactions: Interactions, retrieval: Retrieval
) -> ModelLists:
    user_items = user_items_matrix(interactions)
    registry = ModelRegistry(models_dir)
    if manifest is None:
        return ModelLists(PopularityModel(interactions).fit(user_items), user_items)
    expected = manifest.data.vocabulary
    found = vocabulary_digest(interactions.user_ids.tolist(), interactions.track_ids.tolist())
    if expected and expected != found:
        raise ModelDataMismatch(
            f"the model {manifest.name} (run {manifest.run}) was trained on other "
            "listeners or tracks than the unified tables hold now: retrain (philomath train) "
            "or use a model trained on this data"
        )
    model = load_model(registry.artifact(manifest))
    if isinstance(model, IALSModel):
        model.retrieval = retrieval
        if retrieval.applies(user_items.shape[1]):  # the whole catalog's, and the head's
            model.head = popular_head(user_items, CANDIDATE_ITEMS)
            return ModelLists(model, user_items)
    return ModelLists(model, user_items, candidate_items(user_items))
