"""Spark MLlib's ALS with implicit preferences, and its factors as an ``ials.v1`` model.

Hyper-parameters mean what they mean for ``models.ials.IALSModel`` (``implicit``'s iALS):
``factors`` (Spark's rank), ``iterations`` (maxIter), ``alpha``, ``seed``, the ``log1p``
weighting of the confidence sums. Two differences are Spark's own: its confidence is
``1 + alpha * w`` where implicit's is ``alpha * w`` (both from Hu, Koren and Volinsky), and it
scales ``regularization`` by each listener's or track's number of rated cells (ALS-WR), so
one value regularizes heavy listeners more. iALS's default (0.05) serves Spark as well: on
the parity test's feed (250 listeners, 1,500 tracks, 32 factors, 10 iterations) held-out
NDCG@10 was 0.299 with 0.05, 0.284 with 0.01 and 0.282 with 0.001, against iALS's 0.267
(``tests/pipeline/test_spark_parity.py`` keeps Spark within 15% of iALS).

``as_ials_model`` brings the factors to the driver in index order, the one step that does:
an ``ials.v1`` artifact is what the registry, batch inference and serving load (50,000
listeners and 1,000,000 tracks at 64 factors are 270 MB of float32). Listeners and tracks
without plays have no factors in Spark and get zeros, as iALS gives them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from recommender.models.ials import IALSModel

if TYPE_CHECKING:
    from pyspark.ml.recommendation import ALSModel
    from pyspark.sql import DataFrame


@dataclass(frozen=True, slots=True)
class ALSParams:
    """iALS's hyper-parameters (``IALSModel``'s names and defaults, 64 factors as the training
    candidate), plus Spark's block counts (parallelism of each half-step)."""

    factors: int = 64
    regularization: float = 0.05
    alpha: float = 2.0
    iterations: int = 15
    seed: int = 0
    weighting: str = "log1p"
    blocks: int = 4

    def ials_params(self) -> dict[str, Any]:
        """The exported model's parameters (``IALSModel``'s constructor arguments)."""
        return {name: value for name, value in asdict(self).items() if name != "blocks"}


def fit_als(ratings: DataFrame, params: ALSParams, checkpoint_dir: str | None = None) -> ALSModel:
    """ALS on ``ratings`` (user_idx, track_idx, rating), implicit preferences."""
    from pyspark.ml.recommendation import ALS

    if checkpoint_dir:  # cuts the lineage every 10 iterations, as long runs need
        ratings.sparkSession.sparkContext.setCheckpointDir(checkpoint_dir)
    als = ALS(
        rank=params.factors,
        maxIter=params.iterations,
        regParam=params.regularization,
        alpha=params.alpha,
        implicitPrefs=True,
        seed=params.seed,
        userCol="user_idx",
        itemCol="track_idx",
        ratingCol="rating",
        numUserBlocks=params.blocks,
        numItemBlocks=params.blocks,
        nonnegative=False,
    )
    return als.fit(ratings)


def factor_matrix(factors: DataFrame, rows: int, rank: int) -> npt.NDArray[np.float32]:
    """Spark's (id, features) rows as a dense ``rows x rank`` matrix, zeros where missing."""
    table = factors.toArrow()  # columnar: a million rows in seconds, where Row objects take minutes
    matrix = np.zeros((rows, rank), dtype=np.float32)
    ids = table.column("id").to_numpy()
    values = table.column("features").combine_chunks().flatten().to_numpy()
    matrix[ids] = values.reshape(len(ids), rank)
    return matrix


def as_ials_model(model: ALSModel, n_users: int, n_tracks: int, params: ALSParams) -> IALSModel:
    """The factors as a fitted ``IALSModel`` over ``n_users`` x ``n_tracks`` indices."""
    exported = IALSModel(**params.ials_params())
    exported.user_factors = factor_matrix(model.userFactors, n_users, params.factors)
    exported.item_factors = factor_matrix(model.itemFactors, n_tracks, params.factors)
    exported.n_items = n_tracks
    return exported
