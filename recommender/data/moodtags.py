"""``nlu.moods.MOOD_REGIONS`` in two bulk forms: numpy masks (generator) and SQL (ETL).

Both are derived from the regions table, never restated, and follow ``mood_of_features``'s
rule that a bounded feature which is missing (NaN / NULL) puts the track outside the region.
``tests/unit/test_generate_moods.py`` pins both to ``mood_of_features``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from nlu.moods import MOOD_REGIONS, MOOD_SYNONYMS, MOODS
from recommender.data.sql import sql_string

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


def mood_sql(columns: Mapping[str, str] | None = None) -> dict[str, str]:
    """Per mood, a SQL condition over the feature columns (NULL counts as outside)."""
    columns = columns or {name: name for name in FEATURES}
    conditions: dict[str, str] = {}
    for mood in MOODS:
        region = MOOD_REGIONS[mood]
        parts: list[str] = []
        for name in FEATURES:
            low, high = getattr(region, name)
            column = columns[name]
            if low is not None:
                parts.append(f"{column} >= {float(low)!r}")
            if high is not None:
                parts.append(f"{column} <= {float(high)!r}")
        # A comparison with NULL is NULL; coalesce makes "missing" mean "not in the region".
        conditions[mood] = f"coalesce(({' AND '.join(parts) or 'TRUE'}), FALSE)"
    return conditions


def synonyms_sql_map() -> str:
    """A DuckDB MAP literal from listener words to canonical moods."""
    pairs = ", ".join(
        f"{sql_string(word)}: {sql_string(mood)}" for word, mood in MOOD_SYNONYMS.items()
    )
    return f"MAP {{{pairs}}}"


def words_for_moods() -> dict[str, tuple[str, ...]]:
    """Per canonical mood, the listener words that mean it (the mood itself excluded)."""
    words: dict[str, list[str]] = {mood: [] for mood in MOODS}
    for word, mood in MOOD_SYNONYMS.items():
        if word != mood:
            words[mood].append(word)
    return {mood: tuple(sorted(found)) for mood, found in words.items()}
