"""The ETL's Ibis mood rules agree with playback.vocabulary's Python forms: regions, bounds,
missing values, synonyms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from playback.vocabulary import MOOD_SYNONYMS, MOODS
from playback.vocabulary import canonical_mood as canonical_mood_of_word
from recommender.data.etl.engines import duckdb_backend, load_table
from recommender.data.etl.unify import FEATURE_RANGES, canonical_mood, mood_conditions
from tests.mood_cases import bound_grid, expected_moods, probe_features


def _assert_conditions_match(features: dict[str, np.ndarray], tmp_path: Path) -> None:
    n = len(features["energy"])
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
    assert len(rows) == n
    for row in rows:
        i = row["i"]
        assert tuple(m for m in MOODS if row[m]) == expected_moods(features, i), i


def test_mood_conditions_equal_mood_of_features(tmp_path: Path) -> None:
    _assert_conditions_match(probe_features(3, 400), tmp_path)


def test_mood_conditions_equal_mood_of_features_on_every_bound(tmp_path: Path) -> None:
    _assert_conditions_match(bound_grid(), tmp_path)


def test_every_listener_word_maps_to_its_mood(tmp_path: Path) -> None:
    words = [*MOOD_SYNONYMS, "  Chill ", "LAID   back", "summer hits", ""]
    con = duckdb_backend()
    table = load_table(con, "words", pa.table({"word": words}), tmp_path)
    found = con.to_pyarrow(table.select(mood=canonical_mood(table.word))).column("mood")
    expected = [*MOOD_SYNONYMS.values(), "relaxing", "relaxing", None, None]
    assert found.to_pylist() == expected


def test_the_column_and_the_word_forms_agree(tmp_path: Path) -> None:
    """Every mood word, spelled as teams and listeners spell it, and near misses."""
    spellings = [
        form
        for word in [*MOOD_SYNONYMS, "summer hits", "laid-back", "sad  songs!"]
        for form in (word, word.upper(), word.title(), f"  {word} ", word.replace(" ", "   "))
    ]
    con = duckdb_backend()
    table = load_table(con, "words", pa.table({"word": spellings}), tmp_path)
    found = con.to_pyarrow(table.select(mood=canonical_mood(table.word))).column("mood")
    assert found.to_pylist() == [canonical_mood_of_word(word) for word in spellings]
