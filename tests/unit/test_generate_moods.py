"""The generator's bulk mood form (numpy masks) agrees with nlu.moods (the ETL's Ibis form is
pinned in tests/pipeline/test_etl_moods.py)."""

from __future__ import annotations

import numpy as np

from nlu.moods import MOODS, mood_of_features
from recommender.data.moodtags import FEATURES, mood_mask


def _features(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = {name: rng.random(n) for name in FEATURES}
    features["tempo"] = rng.uniform(60, 180, n)
    # Bounds exactly, and missing values, are where a translation would slip.
    features["energy"][:20] = 0.4
    features["tempo"][20:40] = 115.0
    for k, name in enumerate(FEATURES):
        features[name][100 + k * 10 : 105 + k * 10] = np.nan
    return features


def _expected(features: dict[str, np.ndarray], i: int) -> tuple[str, ...]:
    return mood_of_features(
        **{
            name: None if np.isnan(values[i]) else float(values[i])
            for name, values in features.items()
        }
    )


def test_numpy_mask_equals_mood_of_features() -> None:
    features = _features(1, 2_000)
    mask = mood_mask(features)
    for i in range(2_000):
        assert tuple(m for j, m in enumerate(MOODS) if mask[i, j]) == _expected(features, i)
