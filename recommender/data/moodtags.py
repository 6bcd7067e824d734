"""``nlu.moods.MOOD_REGIONS`` as numpy masks for the generator (the ETL's Ibis form lives in
``unify``), derived from the regions table, never restated, and following
``mood_of_features``'s rule that a bounded feature which is missing (NaN) puts the track
outside the region. ``tests/unit/test_generate_moods.py`` pins it to ``mood_of_features``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from nlu.moods import MOOD_REGIONS, MOOD_SYNONYMS, MOODS

FEATURES: tuple[str, ...] = ("energy", "valence", "acousticness", "danceability", "tempo")

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def mood_mask(features: Mapping[str, FloatArray]) -> BoolArray:
    """(n, len(MOODS)) booleans: track i lies in mood j's region. NaN means missing."""
    n = len(next(iter(features.values())))
    mask = np.ones((n, len(MOODS)), dtype=bool)
    for j, mood in enumerate(MOODS):
        region = MOOD_REGIONS[mood]
        for name in FEATURES:
            low, high = getattr(region, name)
            if low is None and high is None:
                continue
            values = features[name]
            # NaN compares False, so a missing bounded feature leaves the region.
            inside = ~np.isnan(values)
            if low is not None:
                inside &= values >= low
            if high is not None:
                inside &= values <= high
            mask[:, j] &= inside
    return mask


def words_for_moods() -> dict[str, tuple[str, ...]]:
    """Per canonical mood, the listener words that mean it (the mood itself excluded)."""
    words: dict[str, list[str]] = {mood: [] for mood in MOODS}
    for word, mood in MOOD_SYNONYMS.items():
        if word != mood:
            words[mood].append(word)
    return {mood: tuple(sorted(found)) for mood, found in words.items()}
