"""The unified tables on Spark, indexed as on one machine.

``Interactions.from_unified`` numbers listeners and tracks by sorted id (every one in the
unified tables, with plays or not); the same numbers here make Spark's factors, lists and the
single-machine models interchangeable. Ratings are the users x tracks confidence sums
(``data.sparse.user_items_matrix``), weighted as iALS weights them (``log1p``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


@dataclass(frozen=True, slots=True)
class SparkPlays:
    """``users`` (user_idx, user_id, explicit_allowed), ``tracks`` (track_idx, track_id,
    explicit) and ``ratings`` (user_idx, track_idx, plays: the confidence sum, rating: its
    weighted value); indices are ints, as Spark's ALS wants them."""

    users: DataFrame
    tracks: DataFrame
    ratings: DataFrame

    def sizes(self) -> tuple[int, int]:
        """(listeners, tracks): the shape of the users x tracks matrix."""
        return self.users.count(), self.tracks.count()


def read_plays(session: SparkSession, unified_dir: Path, weighting: str = "log1p") -> SparkPlays:
    """The unified tables under ``unified_dir`` (as the ETL writes them) on ``session``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    paths = {name: unified_dir / f"{name}.parquet" for name in ("users", "tracks", "interactions")}
    missing = [str(path) for path in paths.values() if not path.exists()]
    if missing:
        raise DataError(f"no unified tables to train on: {', '.join(missing)} (run the ETL)")
    read = {name: session.read.parquet(str(path)) for name, path in paths.items()}
    # One sorted pass per vocabulary (a single partition: ids are few next to plays).
    users = read["users"].select(
        (F.row_number().over(Window.orderBy("user_id")) - 1).cast("int").alias("user_idx"),
        "user_id",
        F.coalesce(F.col("explicit_allowed"), F.lit(True)).alias("explicit_allowed"),
    )
    tracks = read["tracks"].select(
        (F.row_number().over(Window.orderBy("track_id")) - 1).cast("int").alias("track_idx"),
        "track_id",
        F.coalesce(F.col("explicit"), F.lit(True)).alias("explicit"),
    )
    sums = (
        read["interactions"]
        .join(users.select("user_id", "user_idx"), "user_id")
        .join(tracks.select("track_id", "track_idx"), "track_id")
        .groupBy("user_idx", "track_idx")
        .agg(F.sum("confidence").alias("plays"))
    )
    return SparkPlays(
        users, tracks, sums.withColumn("rating", _weighted(F.col("plays"), weighting))
    )


def _weighted(plays: Column, weighting: str) -> Column:
    """``models.weighting.Weighting`` of one cell, for the schemes that need no fitting."""
    from pyspark.sql import functions as F

    if weighting == "log1p":
        return F.log1p(plays)
    if weighting == "binary":
        return F.lit(1.0)
    raise DataError(f"weighting {weighting!r} is not available on Spark (log1p, binary)")
