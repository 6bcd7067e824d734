"""Batch inference on Spark: every listener's top-n, as the single-machine batch computes it.

The lists are the overall (``all``) lists of ``batch.lists.ListBuilder``: the model's top
``n`` tracks without those the listener played, explicit tracks left out for listeners who
do not allow them, scores rounded to six decimals, under the model's versioned name. Each
executor scores its listeners against the track factors, broadcast once, with the model's
scores (float64 products, as ``IALSModel``) and ranking (``models.base.top_n``: ties to the
lower index), played and banned tracks at minus infinity, so Spark and one machine give the
same list for the same factors (``tests/pipeline/test_spark_parity.py``). Executors
therefore import this package (ship it with the job: ``--py-files`` or the job's image).

What the single-machine batch also leaves out, recent plays and dislikes given live, is in
the profile store, not in the tables: ``philomath batch`` handles those incrementally once
the model is served.

Output: a Parquet dataset of ``LIST_SCHEMA`` (one ``RecommendationList`` per row), which
``read_lists`` streams back, batch by batch, for ``publish`` into a store snapshot. The
broadcast bounds the catalog: a million tracks at 64 factors are 256 MB per executor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow.dataset as ds

from recommender.distributed.plays import SparkPlays
from recommender.models.base import top_n
from recommender.storage.recommendations import (
    RecommendationList,
    RecommendationStore,
    context_key,
    new_snapshot_id,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

LIST_SCHEMA = (
    "user_id string, context string, model_version string, track_ids array<string>, "
    "scores array<double>, generated_at double"
)
_READ_BATCH = 2_048  # lists per batch streamed from the Parquet dataset
_CELLS_PER_STEP = 16_000_000  # listeners x tracks scored at once (128 MB of float64)


def top_lists(
    plays: SparkPlays,
    user_factors: DataFrame,
    item_factors: npt.NDArray[np.float32],
    *,
    n: int,
    version: str,
    generated_at: float,
) -> DataFrame:
    """One list row per listener of ``plays.users`` (``LIST_SCHEMA``), lazily.

    ``user_factors`` are Spark's (id, features) rows by user index (ALS's ``userFactors``);
    ``item_factors`` the dense track factors by track index."""
    from pyspark.sql import functions as F

    session = plays.ratings.sparkSession
    tracks = plays.tracks.orderBy("track_idx").select("track_id", "explicit").toArrow()
    shared = session.sparkContext.broadcast(
        (
            item_factors,
            np.asarray(tracks.column("track_id").to_pylist(), dtype=object),
            np.flatnonzero(tracks.column("explicit").to_numpy(zero_copy_only=False)),
        )
    )
    heard = plays.ratings.groupBy("user_idx").agg(F.collect_list("track_idx").alias("heard"))
    listeners = (
        plays.users.join(user_factors.withColumnRenamed("id", "user_idx"), "user_idx", "left")
        .join(heard, "user_idx", "left")
        .select("user_id", "explicit_allowed", "features", "heard")
    )

    def lists_of(frames: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
        import pandas as pd

        factors, track_ids, explicit = shared.value
        items = factors.astype(np.float64)  # once per task, not per batch of listeners
        for frame in frames:
            ids, scores = _top(frame, items, explicit, n)
            yield pd.DataFrame(
                {
                    "user_id": frame["user_id"],
                    "context": context_key(),
                    "model_version": version,
                    "track_ids": [track_ids[row[row >= 0]] for row in ids],
                    # Six decimals, as the single-machine batch stores them (lists._rounded).
                    "scores": [np.round(s[r >= 0], 6) for s, r in zip(scores, ids, strict=True)],
                    "generated_at": generated_at,
                }
            )

    return listeners.mapInPandas(lists_of, LIST_SCHEMA)


def _top(
    frame: pd.DataFrame,
    items: npt.NDArray[np.float64],
    explicit: npt.NDArray[np.int64],
    n: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(track indices, scores) of one batch of listeners, padded with -1 / NaN: the scores of
    ``IALSModel._scores`` (float64 products of the float32 factors), played tracks and, for
    restricted listeners, explicit ones at minus infinity, ranked by ``models.base.top_n``."""
    users, n_items = len(frame), len(items)
    rank = items.shape[1]
    ids = np.full((users, n), -1, dtype=np.int64)
    scores = np.full((users, n), np.nan)
    step = max(1, _CELLS_PER_STEP // max(n_items, 1))
    for start in range(0, users, step):
        rows = range(start, min(users, start + step))
        factors = np.zeros((len(rows), rank), dtype=np.float64)
        for i, row in enumerate(rows):
            vector = frame["features"].iat[row]
            if vector is not None:  # no plays, no factors: zeros, as iALS leaves them
                factors[i] = np.asarray(vector, dtype=np.float32)
        dense = factors @ items.T
        for i, row in enumerate(rows):
            heard = frame["heard"].iat[row]
            if heard is not None:
                dense[i, np.asarray(heard, dtype=np.int64)] = -np.inf
            if not frame["explicit_allowed"].iat[row]:
                dense[i, explicit] = -np.inf
        ids[start : rows.stop], scores[start : rows.stop] = top_n(dense, n)
    return ids, scores


def write_lists(lists: DataFrame, out_dir: Path) -> None:
    """The lists as a Parquet dataset under ``out_dir`` (replaced), one part per task."""
    lists.write.mode("overwrite").parquet(str(out_dir))


def read_lists(out_dir: Path) -> Iterator[RecommendationList]:
    """The lists ``write_lists`` wrote, streamed in batches (never all in memory)."""
    for batch in ds.dataset(out_dir, format="parquet").to_batches(batch_size=_READ_BATCH):
        for row in batch.to_pylist():
            yield RecommendationList(
                user_id=row["user_id"],
                context=row["context"],
                model_version=row["model_version"],
                track_ids=tuple(row["track_ids"]),
                scores=tuple(row["scores"]),
                generated_at=row["generated_at"],
            )


def publish(
    store: RecommendationStore,
    lists_dir: Path,
    version: str,
    *,
    charts: Iterable[RecommendationList] = (),
    now: float,
) -> tuple[str, int]:
    """The lists under ``lists_dir`` and ``charts`` into a new snapshot of ``store``, then
    readers switched to it; the snapshot before the replaced one is dropped, as a full
    single-machine run does. Returns (snapshot, lists written)."""
    snapshot = new_snapshot_id(version, now)
    written = store.put_lists(chain(charts, read_lists(lists_dir)), snapshot=snapshot)
    before = store.snapshot_pointer()
    store.publish_snapshot(snapshot)
    if before.previous not in (None, before.current, snapshot):
        store.drop_snapshot(before.previous)
    return snapshot, written
