"""Ranking and catalog metrics against hand-computed values and a per-user loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluation.metrics import (
    catalog_coverage,
    hits,
    novelty,
    popularity_bias,
    ranking_metrics,
)
from recommender.evaluation.segments import SegmentRule, segment_users


def _relevant(sets: list[list[int]], n_items: int = 10) -> sp.csr_matrix:
    rows = [row for row, items in enumerate(sets) for _ in items]
    cols = [item for items in sets for item in items]
    return sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(sets), n_items))


RECOMMENDED = np.array([[1, 2, 3], [4, 0, -1], [9, -1, -1]])
RELEVANT = _relevant([[2, 5], [4, 0, 7, 8], []])


def test_hits_mark_relevant_items_and_never_padding() -> None:
    assert hits(RECOMMENDED, RELEVANT).tolist() == [
        [False, True, False],
        [True, True, False],
        [False, False, False],
    ]


def test_ranking_metrics_by_hand() -> None:
    m = ranking_metrics(RECOMMENDED, RELEVANT, k=3)
    log3 = 1 / math.log2(3)
    # User 0: one hit at rank 2 of 2 relevant. User 1: hits at ranks 1, 2 of 4 relevant.
    np.testing.assert_allclose(m.precision[:2], [1 / 3, 2 / 3])
    np.testing.assert_allclose(m.recall[:2], [1 / 2, 2 / 4])
    np.testing.assert_allclose(m.ndcg[:2], [log3 / (1 + log3), (1 + log3) / (1 + log3 + 0.5)])
    np.testing.assert_allclose(m.average_precision[:2], [(1 / 2) / 2, (1 + 1) / 3])
    # User 2 has nothing relevant: excluded from every mean.
    assert np.isnan([m.precision[2], m.recall[2], m.ndcg[2], m.average_precision[2]]).all()
    means = m.means()
    assert means["precision@3"] == pytest.approx(0.5)
    assert means["ndcg@3"] == pytest.approx((m.ndcg[0] + m.ndcg[1]) / 2)


def test_k_below_list_length_cuts_and_perfect_lists_score_one() -> None:
    m = ranking_metrics(np.array([[4, 0, 7]]), _relevant([[4, 0, 7]]), k=2)
    assert m.precision[0] == 1.0 and m.ndcg[0] == pytest.approx(1.0)
    assert m.recall[0] == pytest.approx(2 / 3)
    assert m.average_precision[0] == pytest.approx(1.0)


def _loop_reference(recommended: np.ndarray, relevant: sp.csr_matrix, k: int) -> np.ndarray:
    out = []
    for row in range(len(recommended)):
        truth = set(relevant[row].indices.tolist())
        hit = [int(item in truth) for item in recommended[row][:k]]
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hit))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(k, len(truth))))
        ap = sum(h * sum(hit[: i + 1]) / (i + 1) for i, h in enumerate(hit))
        out.append([sum(hit) / k, sum(hit) / len(truth), dcg / idcg, ap / min(k, len(truth))])
    return np.array(out)


def test_vectorised_metrics_match_a_per_user_loop() -> None:
    rng = np.random.default_rng(7)
    recommended = np.array([rng.permutation(40)[:10] for _ in range(50)])
    relevant = _relevant(
        [rng.choice(40, rng.integers(1, 15), replace=False).tolist() for _ in range(50)], 40
    )
    m = ranking_metrics(recommended, relevant, k=10)
    got = np.column_stack([m.precision, m.recall, m.ndcg, m.average_precision])
    np.testing.assert_allclose(got, _loop_reference(recommended, relevant, 10))


TRAIN = sp.csr_matrix(
    # Users per item: 4, 2, 1, 0.
    np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], dtype=float)
)


def test_catalog_coverage_counts_distinct_items() -> None:
    assert catalog_coverage(RECOMMENDED, 10) == pytest.approx(6 / 10)


def test_novelty_is_mean_self_information() -> None:
    # -log2(users / 4): item 0 -> 0 bits, 1 -> 1, 2 -> 2, 3 (nobody, counted as 1) -> 2.
    assert novelty(np.array([[0, 1], [2, 3]]), TRAIN) == pytest.approx(1.25)


def test_popularity_bias_is_mean_popularity_percentile() -> None:
    # Percentiles: item 0 -> 1, item 1 -> 2/3, item 2 -> 1/3, item 3 -> 0.
    assert popularity_bias(np.array([[0, 1, -1]]), TRAIN) == pytest.approx((1 + 2 / 3) / 2)
    assert popularity_bias(np.array([[3, 2]]), TRAIN) == pytest.approx(1 / 6)


def test_segments_by_training_history() -> None:
    sizes = [3, 10, 29, 30]
    train = sp.csr_matrix(np.array([[1.0] * s + [0.0] * (40 - s) for s in sizes]))
    assert segment_users(train, [0, 1, 2, 3]).tolist() == ["new", "light", "light", "heavy"]
    assert segment_users(train, [3, 0], SegmentRule(4, 5)).tolist() == ["heavy", "new"]
    with pytest.raises(ValueError):
        SegmentRule(10, 5)
