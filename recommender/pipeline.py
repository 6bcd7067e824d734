"""The offline pipeline, one call: ETL -> catalog -> profiles -> fit -> recommendations.

It takes its ports as arguments and never reads settings or builds adapters: the CLI does.
The last step is a full batch-inference run (``batch.BatchInference``): every listener's
lists and the charts, written as a new snapshot and published at once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from playback.catalog import TrackCatalog
from recommender.batch import BatchInference
from recommender.batch_lists import ListSettings
from recommender.batch_models import PopularityLists
from recommender.data import unified
from recommender.data.etl import EtlReport, run_etl
from recommender.data.interactions import Interactions
from recommender.models.popularity import PopularityModel
from recommender.profiles import ProfileStore
from recommender.store import RecommendationStore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PipelineReport:
    """What one pipeline run produced and how long each step took."""

    etl: EtlReport
    tracks: int  # written to the catalog
    profiles: int  # written to the profile store
    interactions: int  # plays the model was fitted on
    user_lists: int  # listeners whose lists were written (one overall list each, at least)
    charts: int  # lists written under POPULAR_USER
    model_version: str
    model_path: Path
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    lists_written: int = 0  # listener lists: overall, leading contexts, new tracks
    snapshot: str = ""  # the batch-inference snapshot the run published

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def run_pipeline(
    *,
    raw_dir: Path,
    work_dir: Path,
    catalog: TrackCatalog,
    profiles: ProfileStore,
    store: RecommendationStore,
    per_user: int = 100,
    progress: bool = True,
) -> PipelineReport:
    """Run every step; raises ``DataError`` when the feeds fail their quality checks."""
    timings: dict[str, float] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        if progress:
            tqdm.write(f"pipeline: {name}...", file=sys.stderr)
        started = time.perf_counter()
        yield
        timings[name] = round(time.perf_counter() - started, 3)
        if progress:
            tqdm.write(f"pipeline: {name} done in {timings[name]:.1f}s", file=sys.stderr)

    with step("etl"):
        etl = run_etl(raw_dir, work_dir, progress=progress)
    tables = etl.unified_dir
    with step("catalog"):
        catalog.ensure_schema()
        n_tracks = catalog.upsert_tracks(
            _bar(unified.tracks(tables), etl.unified_rows["tracks"], "catalog", progress)
        )
    with step("profiles"):
        profiles.ensure_schema()
        n_profiles = profiles.put_many(
            _bar(unified.profiles(tables), etl.unified_rows["users"], "profiles", progress)
        )
    with step("fit"):
        interactions = Interactions.from_unified(tables)
        model = PopularityModel().fit(interactions)
    with step("recommend"):
        store.ensure_schema()
        batch = BatchInference(
            PopularityLists(model),
            interactions,
            list(unified.tracks(tables)),
            store,
            profiles,
            settings=ListSettings(per_user=per_user),
        ).run_full()
    model_path = work_dir / "models" / model.version
    with step("save model"):
        model.save(model_path)
    return PipelineReport(
        etl=etl,
        tracks=n_tracks,
        profiles=n_profiles,
        interactions=len(interactions),
        user_lists=batch.users,
        charts=batch.charts,
        model_version=model.version,
        model_path=model_path,
        timings=timings,
        lists_written=batch.lists,
        snapshot=batch.snapshot,
    )


def _bar(items: Iterable[T], total: int, desc: str, progress: bool) -> Iterator[T]:
    yield from tqdm(
        items,
        total=total,
        desc=desc,
        unit="row",
        disable=not progress,
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )
