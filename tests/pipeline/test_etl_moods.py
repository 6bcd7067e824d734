"""The ETL's Ibis mood rules agree with nlu.moods: regions, bounds, missing values, synonyms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from nlu.moods import MOOD_SYNONYMS, MOODS
from recommender.data.engines import duckdb_backend, load_table
from recommender.data.unify import FEATURE_RANGES, canonical_mood, mood_conditions
from tests.mood_cases import expected_moods, probe_features


def test_mood_conditions_equal_mood_of_features(tmp_path: Path) -> None:
    n = 400
    features = probe_features(3, n)
    con = duckdb_backend()
    table = load_table(
        con,
        "features",
        pa.table(
            {"i": np.arange(n), **{k: pa.array(v, from_pandas=True) for k, v in features.items()}}
        ),
        tmp_path,
    )
    conditions = mood_conditions({name: table[name] for name in FEATURE_RANGES})
    rows = con.to_pyarrow(table.select("i", **conditions).order_by("i")).to_pylist()
    for row in rows:
        i = row["i"]
        assert tuple(m for m in MOODS if row[m]) == expected_moods(features, i), i


def test_every_listener_word_maps_to_its_mood(tmp_path: Path) -> None:
    words = [*MOOD_SYNONYMS, "  Chill ", "LAID   back", "summer hits", ""]
    con = duckdb_backend()
    table = load_table(con, "words", pa.table({"word": words}), tmp_path)
    found = con.to_pyarrow(table.select(mood=canonical_mood(table.word))).column("mood")
    expected = [*MOOD_SYNONYMS.values(), "relaxing", "relaxing", None, None]
    assert found.to_pylist() == expected
