"""Mood regions, as calibrated on real audio features (bench/nlu_moods.py)."""

from __future__ import annotations

import pytest

from nlu.moods import mood_of_features


@pytest.mark.parametrize(
    ("features", "inside", "outside"),
    [
        # A quiet piano piece: low valence in Spotify's terms, but calm, not sad.
        ((0.05, 0.12, 0.99, 0.30, 80.0), {"relaxing"}, {"sad"}),
        # A slow, sparse ballad with some voice: sad.
        ((0.30, 0.15, 0.70, 0.40, 76.0), {"sad"}, {"party", "happy"}),
        # A dark, danceable club track: energetic and party, not angry.
        ((0.90, 0.25, 0.01, 0.80, 128.0), {"energetic", "party"}, {"angry"}),
        # Metal: loud, dark and not for dancing.
        ((0.95, 0.20, 0.01, 0.40, 150.0), {"energetic", "angry"}, {"relaxing"}),
    ],
)
def test_regions(
    features: tuple[float, float, float, float, float], inside: set[str], outside: set[str]
) -> None:
    energy, valence, acousticness, danceability, tempo = features
    moods = set(
        mood_of_features(
            energy=energy,
            valence=valence,
            acousticness=acousticness,
            danceability=danceability,
            tempo=tempo,
        )
    )
    assert inside <= moods
    assert not outside & moods


def test_a_missing_bounded_feature_is_outside() -> None:
    assert "sad" not in mood_of_features(
        energy=None, valence=0.1, acousticness=0.5, danceability=0.4, tempo=80.0
    )
