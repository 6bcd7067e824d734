"""Training on a small embedded world: the promoted model's listener satisfaction beats
popularity, every candidate is registered, and the report shows them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.data.etl.run import run_etl
from recommender.data.generator.feeds import generate_feeds
from recommender.errors import DataError
from recommender.models.registry import ModelRegistry
from recommender.offline.training import (
    ALL_PLAYS,
    BASELINE,
    CANDIDATES,
    HOLDOUT_PLAYS,
    SELECT_BY,
    TrainingReport,
    train,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    raw = tmp_path_factory.mktemp("raw")
    work = tmp_path_factory.mktemp("work")
    generate_feeds(raw, users=80, tracks=500, events=6_000, seed=5, progress=False)
    run_etl(raw, work, progress=False)
    return raw, work


@pytest.fixture(scope="module")
def trained(world: tuple[Path, Path]) -> TrainingReport:
    raw, work = world
    return train(work / "unified", work / "models", work / "reports", truth_dir=raw, progress=False)


def test_the_promoted_model_satisfies_listeners_more_than_popularity(
    trained: TrainingReport,
) -> None:
    by_label = {r.label: r.metrics for r in trained.results}
    promoted = trained.promoted
    assert promoted is not None and promoted.label == trained.chosen != BASELINE
    promoted_satisfaction = promoted.metrics["satisfaction@10"]
    baseline_satisfaction = by_label[BASELINE]["satisfaction@10"]
    assert promoted_satisfaction is not None and baseline_satisfaction is not None
    assert promoted_satisfaction > baseline_satisfaction + 0.05
    # Chosen on held-out plays (never on the truth): the best NDCG@10 of the candidates.
    assert promoted.metrics[SELECT_BY] == max(m[SELECT_BY] for m in by_label.values())


def test_every_candidate_is_registered_with_its_figures(
    trained: TrainingReport, world: tuple[Path, Path]
) -> None:
    _, work = world
    registry = ModelRegistry(work / "models")
    registered = {m.label: m for m in registry.models() if m.run == trained.run}
    assert set(registered) == {c.label for c in CANDIDATES}
    for label, manifest in registered.items():
        result = next(r for r in trained.results if r.label == label)
        assert manifest.metrics == result.metrics and manifest.name == result.version
        assert manifest.data == trained.data and manifest.data.rows["interactions"] > 5_000
        assert set(manifest.segments) == {"new", "light", "heavy"}
        # The promoted model learned from every play; the others are kept as evaluated.
        assert manifest.fitted_on == (ALL_PLAYS if label == trained.chosen else HOLDOUT_PLAYS)
        for k in (1, 5, 10, 20):
            ndcg, satisfaction = (manifest.metrics[f"{m}@{k}"] for m in ("ndcg", "satisfaction"))
            assert ndcg is not None and 0 <= ndcg <= 1
            assert satisfaction is not None and 0 < satisfaction < 1
    assert registry.promoted_ref() == f"{trained.best.name}/{trained.run}"


def test_the_report_shows_every_model_and_the_plots(trained: TrainingReport) -> None:
    page = trained.report_path.read_text()
    assert trained.report_path.name == f"{trained.run}.html"
    assert page.count("<svg") >= 4  # side by side, satisfaction, by k, catalog measures
    for result in trained.results:
        assert f"<td>{result.label}</td>" in page
    assert "Listener satisfaction" in page and trained.data.digest in page


def test_without_truth_satisfaction_is_left_out(world: tuple[Path, Path], tmp_path: Path) -> None:
    _, work = world
    report = train(
        work / "unified",
        tmp_path / "models",
        tmp_path / "reports",
        truth_dir=None,
        candidates=CANDIDATES[:2],
        promote=False,
        progress=False,
    )
    assert report.promoted is None and not report.satisfaction_measured
    assert ModelRegistry(tmp_path / "models").promoted() is None
    assert all(not any(k.startswith("satisfaction") for k in r.metrics) for r in report.results)
    page = report.report_path.read_text()
    assert "satisfaction not measured" in page
    assert "not promoted" in page and "promoted as" not in page


def test_training_without_etl_output_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="run the ETL first"):
        train(tmp_path / "unified", tmp_path / "models", tmp_path / "reports", progress=False)


def test_play_times_hold_each_pair_s_latest_play(tmp_path: Path) -> None:
    import numpy as np

    from recommender.data.interactions import Interactions
    from recommender.data.sparse import user_items_matrix
    from recommender.offline.training import TrainingData, ease_min_users

    # In time order: u0 plays t1 at 10 and 30, u1 plays t0 at 20, u0 plays t0 at 40.
    plays = Interactions(
        user_ids=np.array(["u0", "u1"]),
        track_ids=np.array(["t0", "t1", "t2"]),
        user_idx=np.array([0, 1, 0, 0]),
        track_idx=np.array([1, 0, 1, 0]),
        confidence=np.ones(4),
        event_time=np.array([10.0, 20.0, 30.0, 40.0]),
        end_reason=np.zeros(4, dtype=np.int8),
    )
    data = TrainingData(plays, user_items_matrix(plays), tmp_path)
    assert data.play_times.toarray().tolist() == [[40.0, 30.0, 0.0], [20.0, 0.0, 0.0]]
    # EASE keeps at most max_items tracks: t0 has two listeners, t1 one, t2 none.
    assert ease_min_users(data.user_items, max_items=1) == 2
    assert ease_min_users(data.user_items, max_items=3) == 2
