"""Fit and evaluate several models on one split, the same way for all of them.

Every model is built fresh by its factory (``seed -> Recommender``), fitted on ``split.train``
and asked for the top ``k`` of every test user with the user's training items excluded; its
result holds the ranking metrics, catalog measures, per-segment means and wall-clock times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.evaluation.metrics import (
    catalog_coverage,
    novelty,
    popularity_bias,
    ranking_metrics,
)
from recommender.evaluation.segments import SEGMENTS, SegmentRule, segment_users
from recommender.evaluation.splits import Split
from recommender.models.base import Recommender

ModelFactory = Callable[[int], Recommender]
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
) -> list[ModelResult]:
    """Fit every model on ``split.train`` and measure it on ``split.test``, in order."""
    users = split.test_users()
    truth = split.test[users]
    history = split.train[users]
    segment = segment_users(split.train, users, segment_rule or SegmentRule())
    results = []
    for label, factory in models.items():
        model = factory(seed)
        started = time.perf_counter()
        model.fit(split.train)
        fitted = time.perf_counter()
        ids, _ = model.recommend(users, history, n=k, filter_already_liked=True)
        done = time.perf_counter()
        per_user = ranking_metrics(ids, truth, k)
        metrics = {
            **per_user.means(),
            "coverage": catalog_coverage(ids, split.train.shape[1]),
            "novelty": novelty(ids, split.train),
            "popularity_bias": popularity_bias(ids, split.train),
        }
        segments = {
            name: {
                "users": float(np.sum(segment == name)),
                **per_user.subset(segment == name).means(),
            }
            for name in SEGMENTS
        }
        logger.info("evaluated %s", label, extra={"fit_seconds": fitted - started, **metrics})
        results.append(
            ModelResult(label, model.version, fitted - started, done - fitted, metrics, segments)
        )
    return results
