"""iALS (Hu, Koren, Volinsky 2008) through ``implicit``'s CPU implementation.

Confidence is ``1 + alpha * w`` with ``w`` the weighted input (``log1p`` of plays by default:
raw Last.fm counts reach 300,000 and would drown everything else). Factor models are
transductive: ``recommend`` serves the users the model was fitted on, by row index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommender.models.base import Arrays, FloatArray, IntArray, ScoringModel
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

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        if len(user_ids) and (user_ids.min() < 0 or user_ids.max() >= len(self.user_factors)):
            raise ValueError(f"iALS knows users 0..{len(self.user_factors) - 1} only")
        # float64: float32 sums differ in the last bits between batch shapes.
        users = self.user_factors[user_ids].astype(np.float64)
        items = self.item_factors if columns is None else self.item_factors[columns]
        scores: FloatArray = users @ items.T.astype(np.float64)
        return scores

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
