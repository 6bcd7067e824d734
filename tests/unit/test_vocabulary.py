"""The catalog's vocabulary: mood regions as calibrated on real audio features
(bench/nlu_moods.py), and genre spellings read the same way by the NLU and the ETL."""

from __future__ import annotations

import pytest

from nlu.phrase_matching import LexiconVocabulary
from playback.vocabulary import (
    GENRE_SYNONYMS,
    GENRES,
    genre_spellings,
    genre_synonyms,
    mood_of_features,
    phrase_key,
)
from recommender.data.datasets.tag_vocabulary import genre_of_tag
from recommender.data.generator.taste import GENRES as SIMULATED_GENRES


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


def test_bounds_are_inclusive() -> None:
    on_the_edge = mood_of_features(
        energy=0.4, valence=0.5, acousticness=0.4, danceability=0.3, tempo=115.0
    )
    assert "relaxing" in on_the_edge


def test_the_generator_simulates_the_vocabulary_genres() -> None:
    assert tuple(genre.name for genre in SIMULATED_GENRES) == GENRES


def test_synonyms_are_found_however_the_genre_is_spelled() -> None:
    assert genre_synonyms("Hip Hop") == genre_synonyms("hip-hop") == GENRE_SYNONYMS["hip-hop"]
    assert genre_synonyms("R&B") == GENRE_SYNONYMS["r&b"]
    assert genre_synonyms("polka") == ()


def test_a_catalog_genre_means_itself_not_the_genre_it_is_a_synonym_of() -> None:
    spellings = genre_spellings(["hip-hop", "rap", "  "])
    assert spellings["rap"] == "rap"
    assert spellings["hiphop"] == spellings["hip hop"] == "hip-hop"
    assert "" not in spellings


def test_the_nlu_and_the_tag_reader_read_every_genre_spelling_alike() -> None:
    """One rule (``genre_spellings``): the parser's lexicon and the ETL's tag reader."""
    lexicon = LexiconVocabulary(GENRES)
    for genre in GENRES:
        for spelling in (genre, phrase_key(genre), genre.upper(), *GENRE_SYNONYMS[genre]):
            assert lexicon.genre(spelling) == genre_of_tag(spelling) == genre, spelling
