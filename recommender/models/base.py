"""The one model contract every model follows, after implicit's ``recommender_base``.

A model learns from a users x items matrix (``scipy.sparse.csr_matrix``, rows users, columns
items, values play counts or confidences) and answers for many users at once::

    model.fit(user_items)
    ids, scores = model.recommend(user_ids, user_items[user_ids], n=10)

``user_items`` given to ``recommend`` holds one row per requested user, aligned with
``user_ids``: item-based models score from those rows alone (so a user unseen at fit time can
be served), factor models also use ``user_ids``. ``filter_already_liked`` leaves out each
row's items; ``filter_items`` leaves items out for everyone and ``items`` keeps only those
candidates (a context's tracks). Rows with fewer than ``n`` candidates are padded with id -1
and score NaN. Side data a model needs besides the matrix (play times, the play log, item
features or facets, a blend's components) comes with its constructor. ``save(path)`` writes
a directory with ``meta.json`` (name, versioned name, parameters); ``Model.load(path)`` reads
it back and recommends exactly as before.

``ScoringModel`` implements everything but the scoring: a subclass defines ``_fit`` (learn
from the matrix), ``_scores`` (dense scores for a batch of users), ``_params`` (constructor
keyword arguments, JSON) and ``_state``/``_restore`` (arrays saved in ``model.npz``). A model
whose scores are the same for every user (the popularity family's charts) also defines
``_shared_scores``: it is ranked once, not once per user. ``_scores`` is asked for the
allowed items' columns only (``items``, ``filter_items``, and ``_ranked_items`` for a model
that ranks a catalog's popular head alone), so a narrow candidate set costs its own width.

**Fold-in**: a listener the model never saw is scored from their history alone
(``fold_in``: one row per listener, item indices with weights, e.g. from ``history_rows``).
Item-based models (EASE, item-kNN, RP3beta, content, the genre and mood charts) score any
row that way already; iALS solves the listener's factors from the row in closed form; a
chart model (the same list for everyone) says ``supports_fold_in`` is False: a history
changes nothing in its answer. Inside ``recommend``, ``FOLDED_USER`` as a user id marks
such a row.

Each subclass that sets ``version`` joins the model zoo's table when its class is defined
(``model_class``, ``load_model``); ``recommender.models.zoo`` imports every model module, so
import that to have them all.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Arrays = dict[str, npt.NDArray[Any]]

# The user id of a row that stands for a listener unseen at fit time (``fold_in``).
FOLDED_USER = -1
_CELLS_PER_BATCH = 8_000_000  # users x items scored per vectorised step (64 MB of float64)

# The model zoo's table: versioned name -> class, filled by ``ScoringModel.__init_subclass__``.
_CLASSES_BY_VERSION: dict[str, type[ScoringModel]] = {}


class NotFittedError(RuntimeError):
    """``recommend`` or ``save`` was called before ``fit`` or ``load``."""


class FoldInUnsupported(ValueError):
    """``fold_in`` was asked of a model whose answer does not depend on a history."""


@runtime_checkable
class Recommender(Protocol):
    """What the evaluation, tuning and batch inference code may rely on."""

    name: ClassVar[str]
    version: ClassVar[str]

    def fit(self, user_items: sp.csr_matrix) -> Self: ...

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        user_items: sp.csr_matrix,
        n: int = 10,
        filter_already_liked: bool = True,
        *,
        filter_items: npt.ArrayLike | None = None,
        items: npt.ArrayLike | None = None,
    ) -> tuple[IntArray, FloatArray]: ...

    @property
    def supports_fold_in(self) -> bool: ...

    def fold_in(
        self,
        histories: sp.csr_matrix,
        n: int = 10,
        filter_already_liked: bool = True,
        *,
        filter_items: npt.ArrayLike | None = None,
        items: npt.ArrayLike | None = None,
    ) -> tuple[IntArray, FloatArray]: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> Self: ...


class ScoringModel(ABC):
    """Batched top-n, exclusion, padding and persistence shared by every scoring model."""

    name: ClassVar[str]
    version: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "version" not in vars(cls):
            return  # a shared base (e.g. the facet models'), not a model of its own
        taken = _CLASSES_BY_VERSION.get(cls.version)
        if taken is not None and _qualified(taken) != _qualified(cls):
            raise TypeError(f"{_qualified(cls)} and {_qualified(taken)} are both {cls.version}")
        _CLASSES_BY_VERSION[cls.version] = cls

    def __init__(self) -> None:
        self.n_items: int | None = None

    def fit(self, user_items: sp.csr_matrix) -> Self:
        """Learn from ``user_items`` (users x items, non-negative)."""
        matrix = as_user_items(user_items)
        self.n_items = matrix.shape[1]
        self._fit(matrix)
        return self

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        user_items: sp.csr_matrix,
        n: int = 10,
        filter_already_liked: bool = True,
        *,
        filter_items: npt.ArrayLike | None = None,
        items: npt.ArrayLike | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """Top ``n`` item ids and scores per requested user, best first (ties by lower id)."""
        n_items = self._require_fitted()
        users = np.asarray(user_ids, dtype=np.int64).reshape(-1)
        rows = as_user_items(user_items)
        if rows.shape != (len(users), n_items):
            raise ValueError(
                f"user_items is {rows.shape}, expected one row per user: {(len(users), n_items)}"
            )
        ids = np.full((len(users), max(n, 0)), -1, dtype=np.int64)
        scores = np.full((len(users), max(n, 0)), np.nan)
        if n <= 0 or not len(users):
            return ids, scores
        allowed = allowed_items(n_items, filter_items, items)
        shared = self._shared_scores()
        if shared is not None:
            liked = rows if filter_already_liked else sp.csr_matrix(rows.shape)
            return top_n_shared(np.where(allowed, shared, -np.inf), liked, n)
        if items is None:
            retrieved = self._retrieved(users, rows, n, filter_already_liked, allowed)
            if retrieved is not None:
                return retrieved
        return self._scored(users, rows, n, filter_already_liked, allowed)

    def _scored(
        self,
        users: IntArray,
        rows: sp.csr_matrix,
        n: int,
        filter_already_liked: bool,
        allowed: npt.NDArray[np.bool_],
    ) -> tuple[IntArray, FloatArray]:
        """``recommend``'s exact path: every allowed item scored for every user."""
        n_items = len(allowed)
        ids = np.full((len(users), n), -1, dtype=np.int64)
        scores = np.full((len(users), n), np.nan)
        ranked = self._ranked_items()
        if ranked is not None:
            allowed = allowed & (_positions(ranked, n_items) >= 0)
        # Only the allowed items are scored: a context's tracks, or a large catalog's
        # candidates, cost their own width, not the catalog's.
        columns = None if allowed.all() else np.flatnonzero(allowed).astype(np.int64)
        width = n_items if columns is None else len(columns)
        if not width:
            return ids, scores
        position = np.arange(n_items) if columns is None else _positions(columns, n_items)
        batch = max(1, _CELLS_PER_BATCH // width)
        for start in range(0, len(users), batch):
            stop = min(len(users), start + batch)
            block = rows[start:stop]
            dense = np.asarray(self._scores(users[start:stop], block, columns), dtype=np.float64)
            if filter_already_liked:
                liked_rows = np.repeat(np.arange(stop - start), np.diff(block.indptr))
                liked_at = position[block.indices]
                kept = liked_at >= 0
                dense[liked_rows[kept], liked_at[kept]] = -np.inf
            best, scores[start:stop] = top_n(dense, n)
            ids[start:stop] = best if columns is None else np.where(best >= 0, columns[best], -1)
        return ids, scores

    @property
    def supports_fold_in(self) -> bool:
        """Whether ``fold_in`` scores a listener by their history (False: a chart model)."""
        return self._shared_scores() is None

    def fold_in(
        self,
        histories: sp.csr_matrix,
        n: int = 10,
        filter_already_liked: bool = True,
        *,
        filter_items: npt.ArrayLike | None = None,
        items: npt.ArrayLike | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """``recommend`` for listeners the model never saw: one row of ``histories`` each
        (items x weights, e.g. from ``history_rows``), scored from that row alone."""
        if not self.supports_fold_in:
            raise FoldInUnsupported(f"{self.version} ranks the same for everyone: no fold-in")
        users = np.full(histories.shape[0], FOLDED_USER, dtype=np.int64)
        return self.recommend(
            users, histories, n, filter_already_liked, filter_items=filter_items, items=items
        )

    def save(self, path: Path) -> None:
        """Write ``meta.json`` (name, version, parameters) and ``model.npz`` into ``path``."""
        n_items = self._require_fitted()
        path.mkdir(parents=True, exist_ok=True)
        with (path / "model.npz").open("wb") as handle:
            np.savez(handle, allow_pickle=False, **self._state())
        meta = {
            "name": self.name,
            "version": self.version,
            "params": self._params(),
            "n_items": n_items,
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> Self:
        meta = read_meta(path)
        if meta.get("version") != cls.version:
            raise ValueError(f"{path} holds {meta.get('version')!r}, not {cls.version!r}")
        model = cls(**meta["params"])
        with np.load(path / "model.npz", allow_pickle=False) as data:
            model._restore({key: data[key] for key in data.files})
        model.n_items = int(meta["n_items"])
        return model

    def _require_fitted(self) -> int:
        if self.n_items is None:
            raise NotFittedError(f"fit or load the {self.name} model first")
        return self.n_items

    def _shared_scores(self) -> FloatArray | None:
        """Scores the same for every user (a chart), or None for a personal model."""
        return None

    def _retrieved(
        self,
        users: IntArray,
        rows: sp.csr_matrix,
        n: int,
        filter_already_liked: bool,
        allowed: npt.NDArray[np.bool_],
    ) -> tuple[IntArray, FloatArray] | None:
        """``recommend``'s answer from approximately retrieved candidates over the whole
        catalog (a factor model's index, ``models.ann``), or None to score exactly."""
        return None

    def _ranked_items(self) -> IntArray | None:
        """The only items the model ever ranks (ascending), or None for all of them: a
        model fitted on a catalog's popular head is then scored on the head alone."""
        return None

    @abstractmethod
    def _fit(self, user_items: sp.csr_matrix) -> None: ...

    @abstractmethod
    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        """Dense scores, users x ``columns`` (ascending item indices; every item when None);
        -inf marks items the model never recommends."""

    @abstractmethod
    def _params(self) -> dict[str, Any]: ...

    @abstractmethod
    def _state(self) -> Arrays: ...

    @abstractmethod
    def _restore(self, arrays: Arrays) -> None: ...


def model_class(version: str) -> type[ScoringModel]:
    """The class known as ``version`` (e.g. ``"ease.v1"``) among the imported models."""
    try:
        return _CLASSES_BY_VERSION[version]
    except KeyError:
        known = ", ".join(sorted(_CLASSES_BY_VERSION))
        raise KeyError(
            f"no model is known as {version!r} (recommender.models.zoo imports them all); "
            f"known: {known}"
        ) from None


def load_model(path: Path) -> ScoringModel:
    """Whatever model was saved into ``path``, as the class its ``meta.json`` names."""
    return model_class(str(read_meta(path).get("version"))).load(path)


def known_versions() -> dict[str, type[ScoringModel]]:
    """Versioned name -> class of every model imported so far."""
    return dict(_CLASSES_BY_VERSION)


def history_rows(
    histories: Sequence[tuple[npt.ArrayLike, npt.ArrayLike | None]], n_items: int
) -> sp.csr_matrix:
    """One users x items row per history: (item indices, weights or None for 1 each); an item
    given twice adds up. The rows ``fold_in`` takes."""
    indptr, indices, data = [0], [], []
    for items, weights in histories:
        at = np.asarray(items, dtype=np.int64).reshape(-1)
        if len(at) and (at.min() < 0 or at.max() >= n_items):
            raise ValueError(f"history items must be in 0..{n_items - 1}")
        values = np.ones(len(at)) if weights is None else np.asarray(weights, dtype=np.float64)
        if values.shape != at.shape:
            raise ValueError("give one weight per history item")
        indices.append(at)
        data.append(values)
        indptr.append(indptr[-1] + len(at))
    parts = (
        np.concatenate([np.zeros(0), *data]),
        np.concatenate([np.zeros(0, dtype=np.int64), *indices]),
        np.asarray(indptr, dtype=np.int64),
    )
    return as_user_items(sp.csr_matrix(parts, shape=(len(histories), n_items)))


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def as_user_items(user_items: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """``user_items`` as a canonical float64 CSR matrix (sorted indices, no duplicates)."""
    matrix = sp.csr_matrix(user_items, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.sort_indices()
    if matrix.nnz and matrix.data.min() < 0:
        raise ValueError("user_items must be non-negative")
    return matrix


def aligned_times(matrix: sp.csr_matrix, times: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """``times`` values in ``matrix``'s entry order (``matrix`` canonical, as from
    ``as_user_items``); every entry must have a time."""
    aligned = sp.csr_matrix(times, dtype=np.float64)
    if aligned.shape != matrix.shape:
        raise ValueError("times must have the shape of user_items")
    values = np.asarray(aligned[matrix.nonzero()]).ravel()
    pattern = sp.csr_matrix(aligned, copy=True)
    pattern.data = np.ones_like(pattern.data)
    if pattern.multiply(matrix).nnz != matrix.nnz:
        raise ValueError("times must give a time for every stored user_items entry")
    return values


def _positions(columns: IntArray, n_items: int) -> IntArray:
    """Each item's position among ``columns``, -1 for items not among them."""
    position = np.full(n_items, -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    return position


def located(sorted_items: IntArray, wanted: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Where each of ``wanted`` sits in ``sorted_items`` (ascending), and whether it is there
    at all (where it is not, its position means nothing)."""
    if not len(sorted_items):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_items, wanted), len(sorted_items) - 1)
    found: npt.NDArray[np.bool_] = sorted_items[at] == wanted
    return at.astype(np.int64), found


def top_n(scores: FloatArray, n: int) -> tuple[IntArray, FloatArray]:
    """Per row, the ``n`` best finite scores (ties by lower column), padded with -1 / NaN."""
    rows, columns = scores.shape
    width = min(n, columns)
    if width < columns:
        kept = _best_columns(scores, width)
    else:
        kept = np.broadcast_to(np.arange(columns), (rows, columns))
    kept_scores = np.take_along_axis(scores, kept, axis=1)
    order = np.argsort(-kept_scores, axis=1, kind="stable")
    best = np.take_along_axis(kept, order, axis=1)
    best_scores = np.take_along_axis(kept_scores, order, axis=1)
    valid = np.isfinite(best_scores)
    ids = np.full((rows, n), -1, dtype=np.int64)
    out = np.full((rows, n), np.nan)
    ids[:, :width] = np.where(valid, best, -1)
    out[:, :width] = np.where(valid, best_scores, np.nan)
    return ids, out


def _best_columns(scores: FloatArray, width: int) -> IntArray:
    """Per row, the columns of the ``width`` best scores, ascending. Of the scores tied at the
    cut, the lower columns are kept (``argpartition`` would keep any of them)."""
    cut = -np.partition(-scores, width - 1, axis=1)[:, width - 1 : width]
    if np.isnan(cut).any():  # fewer than ``width`` numbers in a row: NaN ranks as -inf
        return _best_columns(np.where(np.isnan(scores), -np.inf, scores), width)
    keep = scores >= cut
    tied = scores == cut
    n_tied = tied.sum(axis=1, keepdims=True)
    wanted = n_tied - (keep.sum(axis=1, keepdims=True) - width)  # tied scores each row keeps
    crowded = np.flatnonzero(n_tied > wanted)
    if len(crowded):
        first = np.cumsum(tied[crowded], axis=1, dtype=np.int32) <= wanted[crowded]
        keep[crowded] &= ~tied[crowded] | first
    columns: IntArray = np.nonzero(keep)[1].reshape(len(scores), width).astype(np.int64)
    return columns


def top_n_shared(scores: FloatArray, liked: sp.csr_matrix, n: int) -> tuple[IntArray, FloatArray]:
    """``top_n`` of ``scores`` (one row, the same for every user) for each row of ``liked``
    (one per user), leaving out that row's items.

    The finite scores are ranked once; each user then takes the first ``n`` of the ranking
    that they have not liked, found among the top ``n + (most items liked by one user)``."""
    candidates = np.flatnonzero(np.isfinite(scores))
    ranked = candidates[np.lexsort((candidates, -scores[candidates]))].astype(np.int64)
    n_users = liked.shape[0]
    ids = np.full((n_users, n), -1, dtype=np.int64)
    out = np.full((n_users, n), np.nan)
    depth = min(len(ranked), n + int(np.diff(liked.indptr).max(initial=0)))
    if not depth:
        return ids, out
    position = np.full(len(scores), -1, dtype=np.int64)
    position[ranked[:depth]] = np.arange(depth)
    batch = max(1, _CELLS_PER_BATCH // depth)
    for start in range(0, n_users, batch):
        stop = min(n_users, start + batch)
        blocked = np.zeros((stop - start, depth), dtype=bool)
        block = liked[start:stop]
        row_of = np.repeat(np.arange(stop - start), np.diff(block.indptr))
        column = position[block.indices]
        kept = column >= 0
        blocked[row_of[kept], column[kept]] = True
        # A stable sort puts each user's unliked candidates first, still in rank order.
        pick = np.argsort(blocked, axis=1, kind="stable")[:, :n]
        valid = ~np.take_along_axis(blocked, pick, axis=1)
        chosen = ranked[:depth][pick]
        width = pick.shape[1]
        ids[start:stop, :width] = np.where(valid, chosen, -1)
        out[start:stop, :width] = np.where(valid, scores[chosen], np.nan)
    return ids, out


def in_sorted(keys: IntArray, sorted_keys: IntArray) -> npt.NDArray[np.bool_]:
    """Which ``keys`` are in ``sorted_keys`` (ascending): a binary search, much faster than
    ``np.isin`` for the (user, item) keys of a matrix, which come sorted."""
    if not len(sorted_keys):
        return np.zeros(np.shape(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: npt.NDArray[np.bool_] = sorted_keys[at] == keys
    return found


def allowed_items(
    n_items: int, filter_items: npt.ArrayLike | None, items: npt.ArrayLike | None
) -> npt.NDArray[np.bool_]:
    """Which items may be recommended: those of ``items`` (all if None) not in
    ``filter_items``."""
    allowed = np.ones(n_items, dtype=bool)
    if items is not None:
        allowed[:] = False
        allowed[np.asarray(items, dtype=np.int64)] = True
    if filter_items is not None:
        allowed[np.asarray(filter_items, dtype=np.int64)] = False
    return allowed


def read_meta(path: Path) -> dict[str, Any]:
    """The ``meta.json`` a model saved into ``path``."""
    meta: dict[str, Any] = json.loads((path / "meta.json").read_text())
    return meta


def sparse_state(prefix: str, matrix: sp.csr_matrix) -> Arrays:
    """A CSR matrix as plain arrays for ``np.savez`` (no pickling)."""
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def sparse_restore(prefix: str, arrays: Arrays) -> sp.csr_matrix:
    shape = tuple(int(size) for size in arrays[f"{prefix}_shape"])
    parts = (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"])
    return sp.csr_matrix(parts, shape=shape)
