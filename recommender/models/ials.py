"""iALS (Hu, Koren, Volinsky 2008) through ``implicit``'s CPU implementation.

Confidence is ``1 + alpha * w`` with ``w`` the weighted input (``log1p`` of plays by default:
raw Last.fm counts reach 300,000 and would drown everything else). Factor models are
transductive: ``recommend`` serves the users the model was fitted on, by row index. A
listener it never saw (``FOLDED_USER``, ``fold_in``) gets factors solved from their row in
closed form, with the item factors fixed: the least-squares step ``implicit``'s
``recalculate_user`` takes, ``(Y'Y + Y'(C - I)Y + reg I) x = Y'C p``, C the row's
confidences.

With ``retrieval`` set by batch inference (``PHILOMATH_ANN_MIN_ITEMS``), on a catalog above
``Retrieval.min_items`` tracks ``recommend`` retrieves each listener's candidates from an HNSW
index over the item factors and scores those exactly (``models.ann``), together with ``head``
(the catalog's popular head, batch inference's): the best of both sets is kept. The index is
built once per fitted or loaded model. Otherwise (the live path, evaluation) every track is
scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommender.models.ann import FactorIndex, Retrieval, ann_top_n, union_top_n
from recommender.models.base import FOLDED_USER, Arrays, FloatArray, IntArray, ScoringModel
from recommender.models.weighting import Scheme, Weighting


class IALSModel(ScoringModel):
    name = "ials"
    version = "ials.v1"

    def __init__(
        self,
        factors: int = 128,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        weighting: Scheme = "log1p",
        seed: int = 0,
        num_threads: int = 0,
    ) -> None:
        super().__init__()
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        self.iterations, self.seed, self.num_threads = iterations, seed, num_threads
        self.weighting = Weighting(weighting)
        self.user_factors: npt.NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)
        self.item_factors: npt.NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)
        # How, not what, it ranks (not saved with the model): exact unless batch inference
        # asks for the index (``promoted_model``); a request-time caller never waits for a build.
        self.retrieval = Retrieval(min_items=0)
        self.head: IntArray | None = None  # scored exactly alongside the index's candidates
        self._gram: FloatArray | None = None
        self._items64: FloatArray | None = None
        self._index: FactorIndex | None = None

    def _fit(self, user_items: sp.csr_matrix) -> None:
        weighted = self.weighting.fit(user_items).apply(user_items).astype(np.float32)
        # implicit parallelises over users itself; a multi-threaded BLAS underneath only
        # oversubscribes the cores (implicit checks, and warns, when the model is built).
        with threadpool_limits(limits=1, user_api="blas"):
            als = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.num_threads,
            )
            als.fit(weighted, show_progress=False)
        self.user_factors = np.asarray(als.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(als.item_factors, dtype=np.float32)
        self._forget_derived()

    def _forget_derived(self) -> None:
        self._gram, self._items64, self._index = None, None, None

    def _float64_items(self) -> FloatArray:
        """The item factors in float64, converted once per model, not once per batch."""
        if self._items64 is None:
            self._items64 = self.item_factors.astype(np.float64)
        return self._items64

    def _user_vectors(self, user_ids: IntArray, user_items: sp.csr_matrix) -> FloatArray:
        folded = user_ids == FOLDED_USER
        known = user_ids[~folded]
        if len(known) and (known.min() < 0 or known.max() >= len(self.user_factors)):
            raise ValueError(f"iALS knows users 0..{len(self.user_factors) - 1} only")
        # float64: float32 sums differ in the last bits between batch shapes.
        users = self.user_factors[np.where(folded, 0, user_ids)].astype(np.float64)
        for row in np.flatnonzero(folded):
            users[row] = self._folded_factors(user_items[row])
        return users

    def _retrieved(
        self,
        users: IntArray,
        rows: sp.csr_matrix,
        n: int,
        filter_already_liked: bool,
        allowed: npt.NDArray[np.bool_],
    ) -> tuple[IntArray, FloatArray] | None:
        if not self.retrieval.applies(len(self.item_factors)):
            return None
        if self._index is None:
            self._index = FactorIndex(self.item_factors, self.retrieval)
        liked = rows if filter_already_liked else sp.csr_matrix(rows.shape)
        retrieved = ann_top_n(
            self._index,
            self._user_vectors(users, rows),
            self._float64_items(),
            liked,
            allowed,
            n,
            self.retrieval.candidates,
            lambda short: self._scored(users[short], rows[short], n, filter_already_liked, allowed),
        )
        if self.head is None:
            return retrieved
        in_head = np.zeros(len(allowed), dtype=bool)
        in_head[self.head] = True
        head = self._scored(users, rows, n, filter_already_liked, allowed & in_head)
        return union_top_n(retrieved, head, n)

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        users = self._user_vectors(user_ids, user_items)
        items = self._float64_items()
        scores: FloatArray = users @ (items if columns is None else items[columns]).T
        return scores

    def _folded_factors(self, row: sp.csr_matrix) -> FloatArray:
        """A new listener's factors from their one-row history, the item factors fixed."""
        items = self._float64_items()
        if self._gram is None:  # Y'Y, the same for every listener: once per loaded model
            self._gram = items.T @ items
        confidence = self.alpha * self.weighting.apply(row).data
        picked = items[row.indices]
        lhs = self._gram + (picked.T * (confidence - 1.0)) @ picked
        lhs[np.diag_indices_from(lhs)] += self.regularization
        rhs = picked.T @ confidence
        factors: FloatArray = np.linalg.solve(lhs, rhs)
        return factors

    def _params(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "weighting": self.weighting.scheme,
            "seed": self.seed,
            "num_threads": self.num_threads,
        }

    def _state(self) -> Arrays:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def _restore(self, arrays: Arrays) -> None:
        self.user_factors = arrays["user_factors"]
        self.item_factors = arrays["item_factors"]
        self._forget_derived()
