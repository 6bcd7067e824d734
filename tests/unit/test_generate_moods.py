"""The bulk mood forms (numpy for the generator, SQL for the ETL) agree with nlu.moods."""

from __future__ import annotations

import duckdb
import numpy as np

from nlu.moods import MOOD_SYNONYMS, MOODS, mood_of_features
from recommender.data.moodtags import FEATURES, mood_mask, mood_sql, synonyms_sql_map


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


def test_sql_conditions_equal_mood_of_features() -> None:
    features = _features(2, 500)
    con = duckdb.connect()
    con.execute("CREATE TABLE f (i INTEGER, " + ", ".join(f"{n} DOUBLE" for n in FEATURES) + ")")
    rows = [
        (i, *(None if np.isnan(features[n][i]) else float(features[n][i]) for n in FEATURES))
        for i in range(500)
    ]
    con.executemany(f"INSERT INTO f VALUES ({', '.join('?' * (len(FEATURES) + 1))})", rows)
    conditions = mood_sql()
    select = ", ".join(f'{conditions[m]} AS "{m}"' for m in MOODS)
    for i, *flags in con.execute(f"SELECT i, {select} FROM f ORDER BY i").fetchall():
        assert tuple(m for m, flag in zip(MOODS, flags, strict=True) if flag) == _expected(
            features, i
        )


def test_sql_synonyms_map_every_listener_word() -> None:
    con = duckdb.connect()
    mapping = synonyms_sql_map()
    for word, mood in MOOD_SYNONYMS.items():
        assert con.execute(f"SELECT ({mapping})[?]", [word]).fetchone() == (mood,)
    assert con.execute(f"SELECT ({mapping})['summer hits']").fetchone() == (None,)
