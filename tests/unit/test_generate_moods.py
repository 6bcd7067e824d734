"""The generator's bulk mood form (numpy masks) agrees with ``mood_of_features``, the
vocabulary's form for one track (the ETL's Ibis form is pinned in
tests/pipeline/test_etl_moods.py)."""

from __future__ import annotations

import numpy as np

from playback.vocabulary import MOODS
from recommender.data.moodtags import mood_mask
from tests.mood_cases import bound_grid, expected_moods, probe_features


def _moods(mask: np.ndarray, i: int) -> tuple[str, ...]:
    return tuple(m for j, m in enumerate(MOODS) if mask[i, j])


def test_numpy_mask_equals_mood_of_features() -> None:
    features = probe_features(1, 2_000)
    mask = mood_mask(features)
    for i in range(2_000):
        assert _moods(mask, i) == expected_moods(features, i)


def test_numpy_mask_equals_mood_of_features_on_every_bound() -> None:
    features = bound_grid()
    mask = mood_mask(features)
    assert mask.any(axis=0).all()  # the grid reaches inside every region
    for i in range(len(mask)):
        assert _moods(mask, i) == expected_moods(features, i), i
