"""Fit and evaluate several models on one split, the same way for all of them.

Every model is built fresh by its factory (``seed -> Recommender``), fitted on ``split.train``
and asked for the top ``max(k, *cutoffs)`` of every test user (or of ``users``, a seeded
sample from ``sample_users`` on a large data set) with the user's training items excluded,
among every item (or among ``items``, the candidates a large catalog's retrieval keeps); its
result holds the ranking metrics at ``k`` and at every cutoff (``ndcg@5``...), catalog
measures at ``k``, per-segment means at ``k`` and wall-clock times.

``measures`` add figures computed from the same recommendations: each takes the evaluated
users (rows of the split) and their top ids, and returns one value per user (NaN where it
cannot tell); its mean lands in the metrics as ``<name>@<cutoff>`` and, at ``k``, in every
segment. Listener satisfaction on the embedded data is one (``satisfaction``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.evaluation.metrics import (
    FloatArray,
    IntArray,
    catalog_coverage,
    novelty,
    popularity_bias,
    ranking_metrics,
)
from recommender.evaluation.segments import SEGMENTS, SegmentRule, segment_users
from recommender.evaluation.splits import Split
from recommender.models.base import Recommender

ModelFactory = Callable[[int], Recommender]
# (evaluated users, their top ids: users x cutoff) -> one value per user, NaN where unknown
UserMeasure = Callable[[IntArray, IntArray], FloatArray]
CUTOFFS: tuple[int, ...] = (1, 5, 10, 20)
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelResult:
    """One model's figures on one split."""

    label: str
    version: str
    fit_seconds: float
    recommend_seconds: float
    metrics: dict[str, float]  # precision@k, recall@k, ndcg@k, map@k, coverage, novelty, ...
    segments: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "version": self.version,
            "fit_seconds": self.fit_seconds,
            "recommend_seconds": self.recommend_seconds,
            "metrics": self.metrics,
            "segments": self.segments,
        }


def evaluate_split(
    split: Split,
    models: Mapping[str, ModelFactory],
    *,
    seed: int,
    k: int = 10,
    segment_rule: SegmentRule | None = None,
    cutoffs: Sequence[int] = CUTOFFS,
    measures: Mapping[str, UserMeasure] | None = None,
    users: IntArray | None = None,
    items: IntArray | None = None,
) -> list[ModelResult]:
    """Fit every model on ``split.train`` and measure it on ``split.test``, in order: on
    ``users`` (rows with held-out items; all of them when None), ranking ``items`` (every
    item when None)."""
    users = split.test_users() if users is None else users
    truth = split.test[users]
    history = split.train[users]
    segment = segment_users(split.train, users, segment_rule or SegmentRule())
    extra = sorted({cut for cut in cutoffs if cut != k})
    results = []
    for label, factory in models.items():
        model = factory(seed)
        started = time.perf_counter()
        model.fit(split.train)
        fitted = time.perf_counter()
        ids, _ = model.recommend(
            users, history, n=max([k, *extra]), filter_already_liked=True, items=items
        )
        done = time.perf_counter()
        top = ids[:, :k]
        per_user = ranking_metrics(top, truth, k)
        metrics = {
            **per_user.means(),
            "coverage": catalog_coverage(top, split.train.shape[1]),
            "novelty": novelty(top, split.train),
            "popularity_bias": popularity_bias(top, split.train),
        }
        for cut in extra:
            metrics.update(ranking_metrics(ids, truth, cut).means())
        measured = {name: measure(users, top) for name, measure in (measures or {}).items()}
        for name, measure in (measures or {}).items():
            metrics[f"{name}@{k}"] = _nanmean(measured[name])
            for cut in extra:
                metrics[f"{name}@{cut}"] = _nanmean(measure(users, ids[:, :cut]))
        segments = {
            name: {
                "users": float(np.sum(segment == name)),
                **per_user.subset(segment == name).means(),
                **{f"{m}@{k}": _nanmean(values[segment == name]) for m, values in measured.items()},
            }
            for name in SEGMENTS
        }
        at_k = {key: value for key, value in metrics.items() if not _other_cutoff(key, k)}
        logger.info("evaluated %s", label, extra={"fit_seconds": fitted - started, **at_k})
        results.append(
            ModelResult(label, model.version, fitted - started, done - fitted, metrics, segments)
        )
    return results


def sample_users(users: IntArray, max_users: int, seed: int) -> IntArray:
    """At most ``max_users`` of ``users``, drawn without replacement from ``seed``, ascending;
    all of them, unchanged, when there are no more than that."""
    if len(users) <= max_users:
        return users
    drawn = np.random.default_rng(seed).choice(len(users), size=max_users, replace=False)
    return np.sort(users[drawn])


def _other_cutoff(key: str, k: int) -> bool:
    return "@" in key and not key.endswith(f"@{k}")


def _nanmean(values: FloatArray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")
