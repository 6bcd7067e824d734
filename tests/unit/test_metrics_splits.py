"""Evaluation splits: partition, sizes, seeding, time order, folds."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluation.splits import (
    Split,
    holdout_split,
    keep_users_with,
    kfold_splits,
    last_n_split,
    time_cut_split,
)


def _matrix(sizes: list[int], n_items: int = 30, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(len(sizes)), sizes)
    cols = np.concatenate([rng.choice(n_items, size, replace=False) for size in sizes])
    plays = rng.integers(1, 100, len(cols)).astype(float)
    return sp.csr_matrix((plays, (rows, cols)), shape=(len(sizes), n_items))


def _assert_partition(split: Split, data: sp.csr_matrix) -> None:
    assert split.train.shape == split.test.shape == data.shape
    assert split.train.multiply(split.test).nnz == 0
    assert abs(split.train + split.test - data).max() == 0  # values kept too


def test_holdout_holds_out_a_rounded_fraction_within_one_and_all_but_one() -> None:
    data = _matrix([1, 2, 5, 10, 13, 20])
    split = holdout_split(data, 0.2, seed=0)
    _assert_partition(split, data)
    # round(0.2 * n) clipped to [1, n - 1]; a user with one item keeps it for training.
    assert np.diff(split.test.indptr).tolist() == [0, 1, 1, 2, 3, 4]
    assert split.test_users().tolist() == [1, 2, 3, 4, 5]


def test_holdout_is_seeded() -> None:
    data = _matrix([20] * 10)
    first, again = holdout_split(data, 0.3, seed=1), holdout_split(data, 0.3, seed=1)
    other = holdout_split(data, 0.3, seed=2)
    assert (first.test != again.test).nnz == 0
    assert (first.test != other.test).nnz > 0
    with pytest.raises(ValueError):
        holdout_split(data, 1.0, seed=0)


def test_keep_users_with_min_items() -> None:
    kept, rows = keep_users_with(_matrix([4, 5, 9, 1]), 5)
    assert rows.tolist() == [1, 2] and kept.shape == (2, 30)
    assert np.diff(kept.indptr).tolist() == [5, 9]


def _times(data: sp.csr_matrix) -> sp.csr_matrix:
    """Entry time = 1000 * row + 10 * column + 1: later columns are later."""
    times = data.copy()
    rows = np.repeat(np.arange(data.shape[0]), np.diff(data.indptr))
    times.data = 1000.0 * rows + 10.0 * data.indices + 1
    return times


def test_last_n_holds_out_each_users_latest_items() -> None:
    data = _matrix([1, 3, 6])
    split = last_n_split(data, _times(data), 2)
    _assert_partition(split, data)
    for user in range(3):
        items = np.sort(data[user].indices)
        held = min(2, len(items) - 1)
        assert sorted(split.test[user].indices.tolist()) == items[len(items) - held :].tolist()


def test_time_cut_holds_out_everything_at_or_after_the_cut() -> None:
    data = _matrix([5, 5, 5])
    times = _times(data)
    split = time_cut_split(data, times, cut=1000.0)
    _assert_partition(split, data)
    assert split.train.nnz == 5 and split.test.nnz == 10
    with pytest.raises(ValueError, match="time for every"):
        time_cut_split(data, sp.csr_matrix(data.shape), cut=0.0)


def test_kfold_tests_every_entry_once_with_balanced_folds() -> None:
    data = _matrix([1, 3, 7, 12, 25])
    folds = kfold_splits(data, 5, seed=4)
    assert len(folds) == 5
    for fold in folds:
        _assert_partition(fold, data)
    tested = sum((fold.test > 0).astype(int) for fold in folds)
    assert tested.nnz == data.nnz and tested.max() == 1
    per_user = np.array([np.diff(fold.test.indptr) for fold in folds])
    assert (per_user.max(axis=0) - per_user.min(axis=0) <= 1).all()
    again = kfold_splits(data, 5, seed=4)
    assert all((a.test != b.test).nnz == 0 for a, b in zip(folds, again, strict=True))
