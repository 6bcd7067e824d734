"""The distributed path in one call: ETL, ALS, export, lists and publish on one SparkSession.

Steps, each timed (``SparkJobReport.timings``) and announced through ``progress``:

1. ``etl``: the raw feeds into the unified tables, the Ibis rules on Spark reading the feeds
   with Spark's readers (``data.etl.run_etl`` on ``spark_backend``); skipped with
   ``run_etl_step=False`` when the tables are already there.
2. ``train``: ALS with implicit preferences on the confidence sums (``als.fit_als``).
3. ``export``: the factors as an ``ials.v1`` artifact registered in the model registry with
   the data fingerprint the single-machine training records (digest of the unified tables,
   row counts, id vocabularies), promoted unless ``promote=False``: ``philomath batch`` and
   serving then load it as any other model.
4. ``lists``: every listener's overall list on Spark (``lists.top_lists``) into
   ``<work>/spark/lists/`` (Parquet).
5. ``publish`` (with a ``store``): those lists and the charts (``batch.lists.ListBuilder``'s,
   from the popularity model on the play log, computed on the driver) into a new snapshot.

On EMR or Glue, pass the job's session; ``raw_dir`` and ``work_dir`` must then be storage
every node reads (the registry and the publish step run on the driver).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.batch.lists import ListBuilder, ListSettings
from recommender.batch.promoted_model import ModelLists
from recommender.data.digests import tree_digest
from recommender.data.etl import unified
from recommender.data.etl.engines import engine_errors, spark_backend
from recommender.data.etl.run import run_etl
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.distributed.als import ALSParams, as_ials_model, fit_als
from recommender.distributed.lists import publish, top_lists, write_lists
from recommender.distributed.plays import read_plays
from recommender.errors import DataError
from recommender.models.ials import IALSModel
from recommender.models.registry import (
    DataFingerprint,
    ModelRegistry,
    new_run_id,
    vocabulary_digest,
)
from recommender.storage.recommendations import RecommendationList, RecommendationStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

LABEL = "spark-als"


@dataclass(frozen=True, slots=True)
class SparkJobReport:
    """What one run of the distributed path did."""

    users: int
    tracks: int
    user_track_pairs: int
    model: str  # "ials.v1/<run>" in the registry
    promoted: bool
    lists_dir: Path
    lists: int  # listener lists computed
    snapshot: str = ""  # the store snapshot published ("" without a store)
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds


def run_spark_job(
    session: SparkSession,
    *,
    raw_dir: Path,
    work_dir: Path,
    params: ALSParams | None = None,
    per_user: int = 100,
    store: RecommendationStore | None = None,
    run_etl_step: bool = True,
    promote: bool = True,
    progress: Callable[[str], None] = lambda line: None,
) -> SparkJobReport:
    """The steps of the module docstring on ``session``; raises ``DataError`` as the ETL does."""
    params = params or ALSParams()
    timings: dict[str, float] = {}
    unified_dir, models_dir = work_dir / "unified", work_dir / "models"
    lists_dir = work_dir / "spark" / "lists"

    def step(name: str, detail: str) -> _Step:
        return _Step(name, detail, timings, progress)

    if run_etl_step:
        with step("etl", f"{raw_dir} -> {unified_dir}"):
            run_etl(raw_dir, work_dir, progress=False, engine=spark_backend(session))
    with step("train", f"ALS rank {params.factors}, {params.iterations} iterations"):
        plays = read_plays(session, unified_dir, params.weighting)
        plays.ratings.cache()
        pairs = plays.ratings.count()
        user_ids = [r[0] for r in plays.users.orderBy("user_idx").select("user_id").collect()]
        track_ids = _track_ids(plays.tracks)
        checkpoints = work_dir / "tmp" / "spark-checkpoints"
        als = fit_als(plays.ratings, params, checkpoint_dir=str(checkpoints))
        als.userFactors.cache().count()  # the fit runs here, timed as training
    with step("export", f"ials.v1 into {models_dir}"):
        model = as_ials_model(als, len(user_ids), len(track_ids), params)
        ref = _register(
            ModelRegistry(models_dir),
            model,
            DataFingerprint(
                digest=tree_digest(unified_dir),
                rows={"users": len(user_ids), "tracks": len(track_ids), "user_track_pairs": pairs},
                vocabulary=vocabulary_digest(user_ids, track_ids),
            ),
            params,
            promote,
        )
    generated_at = time.time()
    with step("lists", f"top {per_user} per listener -> {lists_dir}"):
        lists = top_lists(
            plays,
            als.userFactors,
            model.item_factors,
            n=per_user,
            version=model.version,
            generated_at=generated_at,
        )
        write_lists(lists, lists_dir)
    snapshot = ""
    if store is not None:
        with step("publish", "lists and charts into a new store snapshot"):
            store.ensure_schema()
            snapshot, _ = publish(
                store,
                lists_dir,
                model.version,
                charts=_charts(unified_dir, model, per_user, generated_at),
                now=generated_at,
            )
    plays.ratings.unpersist()
    return SparkJobReport(
        users=len(user_ids),
        tracks=len(track_ids),
        user_track_pairs=pairs,
        model=ref,
        promoted=promote,
        lists_dir=lists_dir,
        lists=len(user_ids),
        snapshot=snapshot,
        timings=timings,
    )


def _track_ids(tracks: DataFrame) -> list[str]:
    table = tracks.orderBy("track_idx").select("track_id").toArrow()
    ids: list[str] = table.column("track_id").to_pylist()
    return ids


def _register(
    registry: ModelRegistry,
    model: IALSModel,
    data: DataFingerprint,
    params: ALSParams,
    promote: bool,
) -> str:
    run = new_run_id()
    manifest = registry.register(
        model.version,
        run,
        model.save,
        data=data,
        label=LABEL,
        fitted_on="all plays",
        notes=f"Spark MLlib ALS (implicit), blocks {params.blocks}; factors exported",
    )
    if promote:
        registry.promote(manifest.name, manifest.run, reason="philomath spark run")
    return f"{manifest.name}/{manifest.run}"


def _charts(
    unified_dir: Path, model: IALSModel, per_user: int, generated_at: float
) -> Iterator[RecommendationList]:
    """The charts a full single-machine run writes (no ``trending``: that one comes from live
    counters), from the play log on the driver."""
    plays = Interactions.from_unified(unified_dir)
    builder = ListBuilder(
        ModelLists(model, user_items_matrix(plays)),
        plays,
        list(unified.tracks(unified_dir)),
        ListSettings(per_user=per_user),
        generated_at,
    )
    profiles = {profile.user_id: profile for profile in unified.profiles(unified_dir)}
    yield from builder.charts(profiles, {})


class _Step:
    """Times a step into ``timings`` and announces its start and end."""

    def __init__(
        self, name: str, detail: str, timings: dict[str, float], progress: Callable[[str], None]
    ) -> None:
        self.name, self.detail, self.timings, self.progress = name, detail, timings, progress
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()
        self.progress(f"spark {self.name}: {self.detail}")

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        seconds = time.perf_counter() - self.started
        if error is None:
            self.timings[self.name] = seconds
            self.progress(f"spark {self.name}: done in {seconds:.1f} s")
            logger.info("spark step done", extra={"step": self.name, "seconds": round(seconds, 3)})
        elif isinstance(error, engine_errors()):  # Spark's page of Java trace: one line
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise DataError(f"spark {self.name} failed: {first}") from error
