"""The generator's bulk mood form (numpy masks) agrees with nlu.moods (the ETL's Ibis form is
pinned in tests/pipeline/test_etl_moods.py)."""

from __future__ import annotations

from nlu.moods import MOODS
from recommender.data.moodtags import mood_mask
from tests.mood_cases import expected_moods, probe_features


def test_numpy_mask_equals_mood_of_features() -> None:
    features = probe_features(1, 2_000)
    mask = mood_mask(features)
    for i in range(2_000):
        assert tuple(m for j, m in enumerate(MOODS) if mask[i, j]) == expected_moods(features, i)
