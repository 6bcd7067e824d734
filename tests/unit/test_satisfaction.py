"""Listener satisfaction against a hand-built ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.data.generator.taste import (
    TRUTH_FEATURES,
    GroundTruth,
    finish_probability,
    match_score,
)
from recommender.evaluation.satisfaction import TRUTH_FILE, ListenerSatisfaction

# Two genres; listener a loves genre 0 and low energy, b genre 1 and high energy.
# Track t0 suits a, t1 suits b, t2 is in between.
TRUTH = GroundTruth(
    genres=("jazz", "rock"),
    user_ids=np.array(["a", "b"]),
    user_genre_weights=np.array([[0.9, 0.1], [0.1, 0.9]], dtype=np.float32),
    user_point=np.array([[0.2, 0.5], [0.9, 0.5]], dtype=np.float32),
    track_ids=np.array(["t0", "t1", "t2"]),
    track_genre=np.array([0, 1, 0], dtype=np.int64),
    track_features=np.array(
        [[0.2, 0.5, 90, 0.8, 0.3], [0.9, 0.5, 150, 0.1, 0.7], [0.55, 0.5, 120, 0.5, 0.5]]
    ),
    track_popularity=np.array([1.0, 1.0, 1.0]),
)


def _expected(user: int, track: int) -> float:
    energy, valence = TRUTH_FEATURES.index("energy"), TRUTH_FEATURES.index("valence")
    match = match_score(
        TRUTH.user_genre_weights[[user]],
        TRUTH.user_point[[user]],
        TRUTH.track_genre[[track]],
        TRUTH.track_features[[track], energy],
        TRUTH.track_features[[track], valence],
    )
    return float(finish_probability(match)[0])


def test_per_user_is_the_mean_finish_probability_of_the_list() -> None:
    # The model's vocabularies differ from the truth's order: b first, and an unknown track.
    measure = ListenerSatisfaction(TRUTH, ["b", "a"], ["t1", "t0", "t2", "x9"])
    values = measure.per_user([1, 0], np.array([[1, 0], [0, 2]]))
    assert values[0] == pytest.approx(np.mean([_expected(0, 0), _expected(0, 1)]))
    assert values[1] == pytest.approx(np.mean([_expected(1, 1), _expected(1, 2)]))
    assert _expected(0, 0) > _expected(0, 1)  # the fixture means what it says


def test_padding_and_unknown_ids_count_for_nothing() -> None:
    measure = ListenerSatisfaction(TRUTH, ["a", "zz"], ["t0", "t1", "x9"])
    values = measure.per_user([0, 1, 0], np.array([[0, -1, 2], [0, 1, -1], [-1, 2, -1]]))
    assert values[0] == pytest.approx(_expected(0, 0))  # -1 and the unknown x9 skipped
    assert np.isnan(values[1])  # a listener the truth does not know
    assert np.isnan(values[2])  # nothing scorable
    assert measure.mean([0, 1, 0], np.array([[0, -1, 2], [0, 1, -1], [-1, 2, -1]])) == (
        pytest.approx(_expected(0, 0))
    )


def test_a_list_that_fits_the_taste_scores_higher() -> None:
    measure = ListenerSatisfaction(TRUTH, ["a", "b"], ["t0", "t1", "t2"])
    fitting = measure.mean([0, 1], np.array([[0], [1]]))
    opposite = measure.mean([0, 1], np.array([[1], [0]]))
    assert 0 < opposite < fitting < 1


def test_rows_must_match_users() -> None:
    measure = ListenerSatisfaction(TRUTH, ["a", "b"], ["t0", "t1", "t2"])
    with pytest.raises(ValueError, match="one row of recommendations per user"):
        measure.per_user([0, 1], np.array([[0, 1]]))


def test_from_raw_reads_the_truth_or_says_there_is_none(tmp_path: Path) -> None:
    assert ListenerSatisfaction.from_raw(tmp_path, ["a"], ["t0"]) is None
    TRUTH.save(tmp_path / TRUTH_FILE)
    loaded = ListenerSatisfaction.from_raw(tmp_path, ["a", "b"], ["t0", "t1", "t2"])
    assert loaded is not None
    assert loaded.mean([0], np.array([[0]])) == pytest.approx(_expected(0, 0))
