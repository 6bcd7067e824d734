"""The offline pipeline, one call: ETL -> catalog -> profiles -> fit -> recommendations.

It takes its ports as arguments and never reads settings or builds adapters: the CLI does.
Lists are written for every listener (context ``all``: heard tracks left out, explicit ones
too for listeners who may not hear them) and charts under ``POPULAR_USER`` for ``all``, every
mood and every genre. Charts leave explicit tracks out: anyone may be served them, and the
router does not filter explicit tracks yet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from nlu.moods import MOODS
from playback.catalog import TrackCatalog
from recommender.data import unified
from recommender.data.etl import EtlReport, run_etl
from recommender.data.interactions import Interactions
from recommender.models.popularity import PopularityModel, chart_contexts
from recommender.profiles import ProfileStore
from recommender.store import POPULAR_USER, RecommendationList, RecommendationStore, context_key

T = TypeVar("T")
_USER_BATCH = 2_048


@dataclass(frozen=True, slots=True)
class PipelineReport:
    """What one pipeline run produced and how long each step took."""

    etl: EtlReport
    tracks: int  # written to the catalog
    profiles: int  # written to the profile store
    interactions: int  # plays the model was fitted on
    user_lists: int  # personal lists written (one per listener)
    charts: int  # lists written under POPULAR_USER
    model_version: str
    model_path: Path
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds

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
        generated_at = time.time()
        genres, moods, explicit = unified.track_facets(tables)
        explicit_items = np.flatnonzero(explicit)
        n_lists = store.put_lists(
            _bar(
                _user_lists(
                    model,
                    interactions,
                    unified.explicit_allowed(tables),
                    explicit_items,
                    per_user,
                    generated_at,
                ),
                len(interactions.user_ids),
                "recommendations",
                progress,
            )
        )
        contexts = {context_key(mood=mood): np.array([], dtype=np.int64) for mood in MOODS}
        contexts.update(chart_contexts(genres, moods))
        n_charts = store.put_lists(
            _chart_lists(model, contexts, explicit_items, per_user, generated_at)
        )
    model_path = work_dir / "models" / model.version
    with step("save model"):
        model.save(model_path)
    return PipelineReport(
        etl=etl,
        tracks=n_tracks,
        profiles=n_profiles,
        interactions=len(interactions),
        user_lists=n_lists,
        charts=n_charts,
        model_version=model.version,
        model_path=model_path,
        timings=timings,
    )


def _user_lists(
    model: PopularityModel,
    interactions: Interactions,
    explicit_allowed: npt.NDArray[np.bool_],
    explicit_items: npt.NDArray[np.int64],
    per_user: int,
    generated_at: float,
) -> Iterator[RecommendationList]:
    """One ``all`` list per listener, in user-id order, computed a batch at a time."""
    seen = interactions.seen()
    for start in range(0, len(interactions.user_ids), _USER_BATCH):
        users = np.arange(start, min(start + _USER_BATCH, len(interactions.user_ids)))
        ids = np.full((len(users), per_user), -1, dtype=np.int64)
        scores = np.full((len(users), per_user), np.nan)
        for allowed in (True, False):
            group = users[explicit_allowed[users] == allowed]
            if not len(group):
                continue
            rows = group - start
            ids[rows], scores[rows] = model.recommend(
                group,
                per_user,
                exclude=seen.take(group),
                filter_items=None if allowed else explicit_items,
            )
        for row, user in enumerate(users):
            yield _as_list(
                model, str(interactions.user_ids[user]), "all", ids[row], scores[row], generated_at
            )


def _chart_lists(
    model: PopularityModel,
    contexts: dict[str, npt.NDArray[np.int64]],
    explicit_items: npt.NDArray[np.int64],
    per_user: int,
    generated_at: float,
) -> Iterator[RecommendationList]:
    charts = model.charts(contexts, per_user, filter_items=explicit_items)
    for context, (ids, scores) in charts.items():
        yield _as_list(model, POPULAR_USER, context, ids, scores, generated_at)


def _as_list(
    model: PopularityModel,
    user_id: str,
    context: str,
    ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    generated_at: float,
) -> RecommendationList:
    valid = ids >= 0
    return RecommendationList(
        user_id=user_id,
        context=context,
        model_version=model.version,
        track_ids=tuple(str(t) for t in model.track_ids[ids[valid]]),
        scores=tuple(round(float(s), 6) for s in scores[valid]),
        generated_at=generated_at,
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
