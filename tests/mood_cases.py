"""Audio features that probe a mood rule where a translation of ``nlu.moods`` would slip
(values exactly on a bound, missing values), and the moods ``mood_of_features`` gives them:
the generator's numpy form and the ETL's Ibis form are both checked against these."""

from __future__ import annotations

import numpy as np

from nlu.moods import mood_of_features
from recommender.data.moodtags import FEATURES


def probe_features(seed: int, n: int) -> dict[str, np.ndarray]:
    """``n`` tracks (n >= 150) of random features, some on bounds, some missing (NaN)."""
    rng = np.random.default_rng(seed)
    features = {name: rng.random(n) for name in FEATURES}
    features["tempo"] = rng.uniform(60, 180, n)
    features["energy"][:20] = 0.4
    features["tempo"][20:40] = 115.0
    for k, name in enumerate(FEATURES):
        features[name][100 + k * 10 : 105 + k * 10] = np.nan
    return features


def expected_moods(features: dict[str, np.ndarray], i: int) -> tuple[str, ...]:
    """The moods of track ``i`` by the single source of truth."""
    return mood_of_features(
        **{
            name: None if np.isnan(values[i]) else float(values[i])
            for name, values in features.items()
        }
    )
