"""``BatchInference.run_for_experiment``: a model that is not promoted lists every listener into
a staged snapshot, registered for experiments, never published; the router serves it to the
variants that name its version."""

from __future__ import annotations

from datetime import UTC, datetime

from recommender.batch.promoted_model import ModelLists
from recommender.data.sparse import user_items_matrix
from recommender.experiments.config import Experiment
from recommender.models.popularity import MostPopularModel
from recommender.serving.bandit import BanditConfig
from recommender.serving.experiments import ServingExperiments
from recommender.serving.router import RecommendationRequest, Router, RouterConfig
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    EXPERIMENT_SNAPSHOTS_USER,
    POPULAR_USER,
    snapshot_model,
)
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore
from tests.unit.test_batch import USERS, _batch, _interactions, world

__all__ = ["world"]  # the fixture, imported for pytest

World = tuple[SqliteRecommendationStore, SqliteProfileStore]


def _most_popular() -> ModelLists:
    plays = _interactions()
    matrix = user_items_matrix(plays)
    return ModelLists(MostPopularModel().fit(matrix), matrix)


def test_an_experiment_run_stages_and_registers_without_publishing(world: World) -> None:
    store, _ = world
    published = _batch(world).run_full()
    first = _batch(world, model=_most_popular()).run_for_experiment()
    assert snapshot_model(first.snapshot) == "mostpopular.v1" and first.lists >= len(USERS)
    assert store.snapshot_pointer().current == published.snapshot  # readers unmoved
    entry = store.get_list(EXPERIMENT_SNAPSHOTS_USER, "mostpopular.v1", snapshot=BASE_SNAPSHOT)
    assert entry is not None and entry.track_ids == (first.snapshot,)
    staged = store.get_list(USERS[0], "all", snapshot=first.snapshot)
    assert staged is not None and staged.model_version == "mostpopular.v1"

    second = _batch(world, model=_most_popular()).run_for_experiment()
    assert second.snapshot != first.snapshot
    assert store.get_list(USERS[0], "all", snapshot=first.snapshot) is None  # dropped
    assert store.get_list(POPULAR_USER, "all", snapshot=second.snapshot) is not None
    assert store.snapshot_pointer().current == published.snapshot


def test_the_router_serves_the_staged_model_to_its_variant(world: World) -> None:
    store, profiles = world
    _batch(world).run_full()
    _batch(world, model=_most_popular()).run_for_experiment()
    experiment = Experiment.model_validate(
        {
            "name": "models",
            "salt": "s",
            "status": "running",
            "started_at": datetime(2026, 12, 1, tzinfo=UTC),
            "variants": [
                {"name": "control", "weight": 1},
                {"name": "most", "weight": 1, "overrides": {"model_version": "mostpopular.v1"}},
            ],
        }
    )
    experiments = ServingExperiments([experiment], bandit=BanditConfig(), posteriors=None)
    router = Router(
        store, profiles, InProcessCache(), config=RouterConfig(min_plays_for_personalized=0),
        experiments=experiments,
    )  # fmt: skip
    versions = {}
    for user in USERS:
        answer = router.recommend(RecommendationRequest(user, n=3))
        ((_, variant),) = answer.experiments
        versions[variant] = answer.model_version
    assert versions == {"control": "popularity.v1", "most": "mostpopular.v1"}
