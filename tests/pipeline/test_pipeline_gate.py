"""The promotion gate in the pipeline: a train step whose model the gate keeps out still
finishes, its decision is in the report (and the JSON the CLI prints), batch inference keeps
serving the model in service, and when that model cannot index new tables its lists stay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from philomath.offline import trained_model_promoted
from philomath.settings import Settings
from playback.sqlite_catalog import SqliteTrackCatalog
from recommender.data.generator.feeds import generate_feeds
from recommender.models.registry import ModelRegistry
from recommender.offline.pipeline import STATE_FILE, PipelineReport, run_pipeline
from recommender.offline.pipeline_state import PipelineState
from recommender.offline.training import CANDIDATES
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

BETTER = tuple(c for c in CANDIDATES if c.label in {"popularity", "itemknn"})
WORSE = tuple(c for c in CANDIDATES if c.label == "popularity")


class World:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw, self.work = root / "raw", root / "work"
        self.generate(users=30)
        self.catalog = SqliteTrackCatalog(root / "catalog.db")
        self.profiles = SqliteProfileStore(root / "profiles.db")
        self.store = SqliteRecommendationStore(root / "recommendations.db")

    def generate(self, users: int) -> None:
        generate_feeds(
            self.raw, users=users, tracks=300, events=3_000, seed=4, progress=False, force=True
        )

    def run(self, **options: Any) -> PipelineReport:
        return run_pipeline(
            raw_dir=self.raw,
            work_dir=self.work,
            catalog=self.catalog,
            profiles=self.profiles,
            store=self.store,
            per_user=10,
            progress=False,
            **options,
        )

    def close(self) -> None:
        for port in (self.catalog, self.profiles, self.store):
            port.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.close()


def test_a_model_the_gate_keeps_out_leaves_the_model_in_service_serving(world: World) -> None:
    first = world.run(candidates=BETTER)
    assert (
        first.promotion["promoted"] is True and first.promotion["reason"] == "no model in service"
    )
    assert first.model_version == "itemknn.v1"

    worse = world.run(candidates=WORSE)  # other candidates: only the train step reruns
    assert worse.skipped == ("etl", "catalog", "profiles", "recommend")
    assert set(worse.timings) == {"train"}
    assert worse.training_run != first.training_run
    assert worse.promotion["promoted"] is False and worse.promotion["challenger"] == "popularity"
    assert worse.promotion["in_service"] == f"itemknn.v1/{first.model_run}"
    assert worse.promotion["reason"].startswith("popularity is not promoted: ndcg@10")
    # Still served: the model in service and its lists.
    assert (worse.model_version, worse.model_run) == (first.model_version, first.model_run)
    assert worse.snapshot == first.snapshot == world.store.snapshot_pointer().current
    registry = ModelRegistry(world.work / "models")
    assert registry.get("mostpopular.v1", worse.training_run).fitted_on == "all plays"

    # Step Functions' gate before batch inference says why it stops there, as a success.
    settings = Settings(data_dir=world.root)
    outcome, reason = trained_model_promoted(settings)
    assert outcome == "kept"
    assert reason.startswith(f"trained mostpopular.v1/{worse.training_run}, not promoted: ")

    # The same run again skips every step, and still reports the last decision.
    again = world.run(candidates=WORSE)
    assert again.skipped == ("etl", "catalog", "profiles", "train", "recommend")
    assert again.promotion == worse.promotion

    # Promoted by hand despite the gate: batch inference reruns and serves it.
    registry.promote("mostpopular.v1", worse.training_run, reason="an operator's choice")
    pinned = world.run(candidates=WORSE)
    assert pinned.skipped == ("etl", "catalog", "profiles", "train")
    assert pinned.model_version == "mostpopular.v1" and pinned.snapshot != first.snapshot


def test_new_listeners_and_a_kept_model_keep_the_published_lists(world: World) -> None:
    first = world.run(candidates=BETTER)
    world.generate(users=36)  # new feeds: other listeners, so other id vocabularies

    kept = world.run(candidates=WORSE)
    assert kept.skipped == ()  # every input changed
    assert kept.promotion["promoted"] is False
    assert (kept.model_version, kept.model_run) == (first.model_version, first.model_run)
    # item-kNN in service was trained on the old listeners: it cannot index the new tables,
    # so the lists it published stay, and the step says why.
    assert kept.snapshot == first.snapshot == world.store.snapshot_pointer().current
    record = PipelineState(world.work / STATE_FILE).record("recommend")
    assert record is not None and "stay published" in record.outputs["kept"]

    # A model trained on these tables, promoted: batch inference reruns and serves it.
    fresh = world.run(candidates=BETTER)
    assert fresh.promotion["promoted"] is True and fresh.snapshot != first.snapshot
    assert "recommend" in fresh.timings
