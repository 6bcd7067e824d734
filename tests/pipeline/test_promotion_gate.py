"""The promotion gate in training on a small embedded world: the first model is promoted, a
better configuration replaces it, a worse one is registered but not promoted (the summary and
the report say why), the same configuration refreshes it, a model from no candidate is rebuilt
from its manifest; manual promote and rollback bypass the gate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from recommender.data.etl.run import run_etl
from recommender.data.generator.feeds import generate_feeds
from recommender.models.itemknn import ItemKNNModel
from recommender.models.popularity import TrendingModel
from recommender.models.registry import ModelRegistry
from recommender.offline.promotion import NO_CHAMPION
from recommender.offline.training import (
    CANDIDATES,
    Candidate,
    TrainingReport,
    load_training_data,
    train,
)

POPULARITY = tuple(c for c in CANDIDATES if c.label == "popularity")
ITEMKNN = tuple(c for c in CANDIDATES if c.label == "itemknn")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    raw = tmp_path_factory.mktemp("raw")
    work = tmp_path_factory.mktemp("work")
    generate_feeds(raw, users=60, tracks=400, events=5_000, seed=11, progress=False)
    run_etl(raw, work, progress=False)
    return raw, work


def _train(
    world: tuple[Path, Path],
    models: Path,
    candidates: Sequence[Candidate],
    *,
    promote: bool = True,
    gate: bool = True,
) -> TrainingReport:
    raw, work = world
    return train(
        work / "unified",
        models,
        models.parent / "reports",
        truth_dir=raw,
        candidates=candidates,
        promote=promote,
        gate=gate,
        progress=False,
    )


def test_a_worse_model_is_registered_not_promoted_and_the_report_says_why(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    registry = ModelRegistry(models)
    first = _train(world, models, POPULARITY)
    assert first.promoted is not None and first.promotion.reason == NO_CHAMPION

    # A better configuration: item-kNN beats popularity (measured in this very run).
    better = _train(world, models, (*POPULARITY, *ITEMKNN))
    assert better.chosen == "itemknn" and better.promoted is not None
    assert better.promotion.in_service == f"mostpopular.v1/{first.run}"
    assert better.promotion.reason.startswith("itemknn beats the model in service: ndcg@10")
    assert "among this run's candidates" in better.promotion.measured_as
    assert registry.promoted_ref() == f"itemknn.v1/{better.run}"

    # A worse one: popularity alone, against item-kNN's configuration refitted on this split.
    worse = _train(world, models, POPULARITY)
    assert worse.promoted is None and not worse.promotion.promote
    assert registry.promoted_ref() == f"itemknn.v1/{better.run}"  # unchanged
    assert registry.get("mostpopular.v1", worse.run).label == "popularity"  # registered
    reason = worse.promotion.reason
    assert reason.startswith("popularity is not promoted: ndcg@10")
    assert "refitted on this split" in worse.promotion.measured_as
    summary = json.loads(json.dumps(worse.summary()))
    assert summary["promoted"] is False and summary["promotion"]["reason"] == reason
    primary = summary["promotion"]["checks"][0]
    assert primary["metric"] == "ndcg@10" and not primary["passed"]
    # The champion's figures are those item-kNN had on the same split in the run before.
    itemknn_before = next(r for r in better.results if r.label == "itemknn").metrics["ndcg@10"]
    assert primary["champion"] == pytest.approx(itemknn_before)
    page = worse.report_path.read_text()
    assert "registered, not promoted" in page and "promotion decision" in page
    assert "popularity is not promoted" in page and "itemknn (in service)" in page

    # The same configuration again is a refresh, promoted whatever the margin.
    again = _train(world, models, ITEMKNN)
    assert again.promoted is not None and "same configuration" in again.promotion.reason

    # By hand, the gate's refusal can be overridden, and rolled back.
    registry.promote("mostpopular.v1", worse.run, reason="an operator's choice")
    assert registry.promoted_ref() == f"mostpopular.v1/{worse.run}"
    registry.rollback(reason="back")
    assert registry.promoted_ref() == f"itemknn.v1/{again.run}"

    # --no-gate promotes the worse model; --no-promote promotes nothing.
    forced = _train(world, models, POPULARITY, gate=False)
    assert forced.promoted is not None and "--no-gate" in forced.promotion.reason
    kept = _train(world, models, ITEMKNN, promote=False)
    assert kept.promoted is None and registry.promoted_ref() == f"mostpopular.v1/{forced.run}"


def test_a_model_from_no_candidate_is_rebuilt_from_its_manifest(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    _, work = world
    models = tmp_path / "models"
    registry = ModelRegistry(models)
    data = _train(world, models, POPULARITY, promote=False).data
    plays = load_training_data(work / "unified")
    # An item-kNN registered by hand (as `philomath spark run` registers its ALS): no label.
    hand = ItemKNNModel(k=50).fit(plays.user_items)
    registry.register(hand.version, "r-hand", hand.save, data=data, label="by-hand")
    registry.promote(hand.version, "r-hand")
    report = _train(world, models, POPULARITY)
    assert not report.promotion.promote
    assert report.promotion.measured_as.startswith("itemknn.v1 rebuilt from its manifest's")
    assert report.promotion.checks[0].champion is not None

    # One that needs side data its parameters do not hold cannot be measured: a person decides.
    trending = TrendingModel(plays.play_times, half_life_days=7.0).fit(plays.user_items)
    registry.register(trending.version, "r-trend", trending.save, data=data, label="by-hand")
    registry.promote(trending.version, "r-trend")
    report = _train(world, models, POPULARITY)
    assert not report.promotion.promote
    assert "could not be measured" in report.promotion.reason
    assert "trending model needs event times" in report.promotion.reason
    assert registry.promoted_ref() == "trending.v1/r-trend"
