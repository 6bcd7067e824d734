"""Optuna tuning over CV folds: seeded, every trial logged, best params rebuild the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from optuna.trial import BaseTrial

from recommender.evaluation.lastfm_protocol import protocol_split
from recommender.models.base import Recommender
from recommender.models.itemknn import ItemKNNModel
from recommender.offline.tuning import SEARCH_SPACES, best_model, tune
from tests.unit.lastfm_files import synthetic_plays, write_lastfm
from tests.unit.test_models_contract import taste_clusters


def _k_only(trial: BaseTrial, seed: int) -> Recommender:
    return ItemKNNModel(k=trial.suggest_int("k", 1, 6))


def test_every_trial_is_logged_and_the_best_is_the_maximum(tmp_path: Path) -> None:
    log = tmp_path / "trials.jsonl"
    result = tune(taste_clusters(), _k_only, n_trials=4, folds=2, seed=0, k=3, trial_log=log)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["trial"] for line in lines] == [0, 1, 2, 3]
    assert lines == result.trials
    assert all(len(line["fold_values"]) == 2 and len(line["fit_seconds"]) == 2 for line in lines)
    assert result.best_value == pytest.approx(max(line["value"] for line in lines))
    assert 0 < result.best_value <= 1


def test_tuning_is_seeded() -> None:
    first = tune(taste_clusters(), _k_only, n_trials=3, folds=2, seed=5, k=3)
    again = tune(taste_clusters(), _k_only, n_trials=3, folds=2, seed=5, k=3)
    assert [t["params"] for t in first.trials] == [t["params"] for t in again.trials]
    assert [t["value"] for t in first.trials] == [t["value"] for t in again.trials]


@pytest.mark.parametrize("space", sorted(SEARCH_SPACES))
def test_search_spaces_run_and_best_params_rebuild_the_model(space: str) -> None:
    result = tune(taste_clusters(), space, n_trials=1, folds=2, seed=0, k=3)
    model = best_model(space, result.best_params)
    assert model.fit(taste_clusters()).recommend([0], taste_clusters()[[0]], n=2)[0].shape == (
        1,
        2,
    )


def test_tuning_on_the_lastfm_training_split(tmp_path: Path) -> None:
    data_dir = write_lastfm(tmp_path / "lastfm", plays=synthetic_plays())
    log = tmp_path / "trials.jsonl"
    train = protocol_split(data_dir, 0).train
    result = tune(train, "itemknn", n_trials=2, folds=2, seed=0, trial_log=log)
    assert set(result.best_params) == {"k", "weighting"}
    assert len(log.read_text().splitlines()) == 2
