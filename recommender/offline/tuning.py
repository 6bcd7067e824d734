"""Hyperparameter tuning with Optuna over cross-validation folds, every trial logged.

A trial draws parameters from a search space (``SEARCH_SPACES``: trial and seed -> an unfitted
model), fits the model on each fold's training part and scores NDCG@k on its held-out part;
the trial's value is the mean over folds. Folds come from ``kfold_splits`` of the matrix
given, which must itself be training data: tune on a protocol's train split, never on its
test split. The sampler is seeded, so the same call proposes the same trials.

``philomath tune --data-dir DIR [--space blend] [--trials 20] [--seed 0]`` tunes
on the training split of the Last.fm protocol for that seed and prints the best parameters.

Every finished trial is logged (``logging``, and one JSON line per trial to ``trial_log`` when
given) with its parameters, per-fold values and fit seconds.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import optuna
import scipy.sparse as sp
from optuna.trial import BaseTrial

from recommender.evaluation.protocol import evaluate_split
from recommender.evaluation.splits import kfold_splits
from recommender.models.base import Recommender
from recommender.models.blend import BlendModel
from recommender.models.ease import EASEModel
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.rp3beta import RP3BetaModel
from recommender.models.weighting import SCHEMES, Scheme

SearchSpace = Callable[[BaseTrial, int], Recommender]
logger = logging.getLogger(__name__)


def _ease(trial: BaseTrial, seed: int) -> EASEModel:
    return EASEModel(
        l2=trial.suggest_float("l2", 1.0, 30.0, log=True),
        min_users=trial.suggest_int("min_users", 2, 5),
        weighting="tfidf",
        tf_power=trial.suggest_float("tf_power", 0.1, 1.0),
    )


def _blend(trial: BaseTrial, seed: int) -> BlendModel:
    share = trial.suggest_float("ials_share", 0.0, 0.4)
    ials = IALSModel(factors=trial.suggest_categorical("factors", [32, 64, 128]), seed=seed)
    return BlendModel([_ease(trial, seed), ials], weights=[1.0 - share, share])


def _itemknn(trial: BaseTrial, seed: int) -> ItemKNNModel:
    return ItemKNNModel(
        k=trial.suggest_int("k", 10, 400, log=True),
        weighting=cast(Scheme, trial.suggest_categorical("weighting", list(SCHEMES))),
        tf_power=0.3,
    )


def _rp3beta(trial: BaseTrial, seed: int) -> RP3BetaModel:
    return RP3BetaModel(
        alpha=trial.suggest_float("alpha", 0.2, 1.5),
        beta=trial.suggest_float("beta", 0.0, 0.6),
        k=trial.suggest_int("k", 20, 400, log=True),
    )


SEARCH_SPACES: dict[str, SearchSpace] = {
    "ease": _ease,
    "blend": _blend,
    "itemknn": _itemknn,
    "rp3beta": _rp3beta,
}


@dataclass(frozen=True, slots=True)
class TuningResult:
    best_params: dict[str, Any]
    best_value: float
    trials: list[dict[str, Any]]  # one per finished trial, as logged


def tune(
    user_items: sp.csr_matrix,
    space: SearchSpace | str,
    *,
    n_trials: int,
    folds: int = 3,
    seed: int = 0,
    k: int = 10,
    timeout_s: float | None = None,
    trial_log: Path | None = None,
) -> TuningResult:
    """Maximise mean NDCG@``k`` over ``folds`` CV folds of ``user_items``."""
    build = SEARCH_SPACES[space] if isinstance(space, str) else space
    space_name = space if isinstance(space, str) else getattr(space, "__name__", "model")
    splits = kfold_splits(user_items, folds, seed)
    logged: list[dict[str, Any]] = []

    def objective(trial: optuna.Trial) -> float:
        values, fit_seconds = [], []
        factory = {space_name: partial(build, trial)}  # seed -> a model with this trial's params
        for split in splits:
            (result,) = evaluate_split(split, factory, seed=seed, k=k)
            values.append(result.metrics[f"ndcg@{k}"])
            fit_seconds.append(result.fit_seconds)
        value = statistics.fmean(values)
        record = {
            "trial": trial.number,
            "params": trial.params,
            "value": value,
            "fold_values": values,
            "fit_seconds": fit_seconds,
        }
        logged.append(record)
        logger.info("trial %d: ndcg@%d %.4f", trial.number, k, value, extra=record)
        if trial_log is not None:
            with trial_log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own log line says it all
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials, timeout=timeout_s)
    return TuningResult(dict(study.best_params), float(study.best_value), logged)


def best_model(space: SearchSpace | str, params: Mapping[str, Any], seed: int = 0) -> Recommender:
    """The model a search space builds from fixed ``params`` (e.g. a study's best)."""
    build = SEARCH_SPACES[space] if isinstance(space, str) else space
    return build(optuna.trial.FixedTrial(dict(params)), seed)
