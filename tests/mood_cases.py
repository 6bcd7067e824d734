"""Audio features that probe a mood rule where a translation of ``playback.vocabulary``'s
regions would slip (values exactly on a bound, missing values), and the moods
``mood_of_features`` gives them: the generator's numpy form and the ETL's Ibis form are both
checked against these."""

from __future__ import annotations

import itertools

import numpy as np

from playback.vocabulary import MOOD_FEATURES, MOOD_REGIONS, mood_of_features

# How far off a bound the grid steps, on either side.
_STEP = 0.001


def probe_features(seed: int, n: int) -> dict[str, np.ndarray]:
    """``n`` tracks (n >= 150) of random features, some on bounds, some missing (NaN)."""
    rng = np.random.default_rng(seed)
    features = {name: rng.random(n) for name in MOOD_FEATURES}
    features["tempo"] = rng.uniform(60, 180, n)
    features["energy"][:20] = 0.4
    features["tempo"][20:40] = 115.0
    for k, name in enumerate(MOOD_FEATURES):
        features[name][100 + k * 10 : 105 + k * 10] = np.nan
    return features


def bound_grid() -> dict[str, np.ndarray]:
    """Every combination, over the features, of each bound any region puts on the feature,
    the values just below and just above it, and a missing value (NaN): about 100,000
    tracks, every edge of every region."""
    axes = []
    for name in MOOD_FEATURES:
        bounds = {
            bound
            for region in MOOD_REGIONS.values()
            for feature, low, high in region.bounds()
            if feature == name
            for bound in (low, high)
            if bound is not None
        }
        values = {v for b in bounds for v in (b - _STEP, b, b + _STEP)}
        axes.append([*sorted(values), np.nan])
    grid = np.array(list(itertools.product(*axes)), dtype=np.float64)
    return {name: grid[:, k].copy() for k, name in enumerate(MOOD_FEATURES)}


def expected_moods(features: dict[str, np.ndarray], i: int) -> tuple[str, ...]:
    """The moods of track ``i`` by the single source of truth."""
    return mood_of_features(
        **{
            name: None if np.isnan(values[i]) else float(values[i])
            for name, values in features.items()
        }
    )
