"""The mood regions of ``playback.vocabulary`` as numpy masks, for the generator and the
Spotify loader: ``region_contains`` applied to whole columns, so the rule is the vocabulary's
(the ETL applies the same function to Ibis columns in ``unify``). A bounded feature that is
missing (NaN) puts the track outside the region. ``tests/unit/test_vocabulary.py`` checks
the three forms (one track, numpy, Ibis) agree on a grid of features.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from playback.vocabulary import MOOD_REGIONS, MOODS, region_contains

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def mood_mask(features: Mapping[str, FloatArray]) -> BoolArray:
    """(n, len(MOODS)) booleans: track i lies in mood j's region. NaN means missing."""
    n = len(next(iter(features.values())))
    mask = np.ones((n, len(MOODS)), dtype=bool)
    for j, mood in enumerate(MOODS):
        mask[:, j] = region_contains(MOOD_REGIONS[mood], features, mask[:, j])
    return mask
