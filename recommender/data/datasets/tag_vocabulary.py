"""Free-text music tags (Last.fm tags, Spotify genre strings) mapped onto the project's genres
and moods.

Nothing here restates a list kept elsewhere: genre names and the other ways to say them are
the catalog vocabulary's (``playback.vocabulary``: ``GENRES``, what the ETL produces, and
``genre_spellings``, the rule the NLU reads genres with); mood words are its
``MOOD_SYNONYMS``, and activities imply moods through its ``ACTIVITY_MOODS`` ("workout" is
energetic). Only what those tables cannot know is added below, reviewed by hand against the
most frequent Last.fm tags.

A tag is compared in ``phrase_key`` form ("Hip-Hop" and "hip hop" meet). Its genre is, in
order: a genre name or synonym spelled exactly; an entry of ``EXTRA_GENRE_TAGS``; else
the genre its last words name ("melodic death metal" is metal, "post-punk" is punk,
"east coast hip hop" is hip-hop). Its mood is a mood word or activity spelled exactly, or an
entry of ``EXTRA_MOOD_TAGS``. A tag may name a genre and a mood ("dance"), or neither
("seen live", "80s", "female vocalists").
"""

from __future__ import annotations

from collections.abc import Sequence

import scipy.sparse as sp

from playback.vocabulary import (
    ACTIVITY_MOODS,
    ACTIVITY_SYNONYMS,
    GENRES,
    MOOD_SYNONYMS,
    MOODS,
    genre_spellings,
    phrase_key,
)
from recommender.data.content_features import indicator

# Styles whose name does not end in a genre's name, by the project genre they belong to.
# fmt: off
EXTRA_GENRE_TAGS: dict[str, str] = {
    "trip hop": "electronic", "idm": "electronic", "ebm": "electronic",
    "electronica": "electronic", "downtempo": "electronic", "trance": "electronic",
    "darkwave": "electronic", "synthwave": "electronic", "drum and bass": "electronic",
    "dubstep": "electronic", "breakbeat": "electronic", "minimal": "electronic",
    "house": "dance", "eurodance": "dance", "electro house": "dance",
    "synthpop": "pop", "electropop": "pop", "new wave": "pop", "britpop": "indie",
    "shoegaze": "indie", "indie pop": "indie", "grunge": "rock", "emo": "rock",
    "metalcore": "metal", "deathcore": "metal", "grindcore": "metal", "nu metal": "metal",
    "hardcore": "punk", "post hardcore": "punk", "screamo": "punk",
    "rnb": "r&b", "r and b": "r&b", "contemporary r and b": "r&b", "urban": "r&b",
    "funk": "soul", "neo soul": "soul", "motown": "soul",
    "singer songwriter": "folk", "americana": "country",
    "mpb": "latin", "bossa nova": "latin", "reggaeton": "latin", "salsa": "latin",
    "samba": "latin", "tango": "latin",
    "ska": "reggae", "dub": "reggae", "dancehall": "reggae",
    "new age": "ambient", "opera": "classical", "rock opera": "rock", "baroque": "classical",
    "chillhop": "lo-fi", "lofi": "lo-fi",
}
# fmt: on

# Mood words Last.fm listeners use that the vocabulary's synonyms do not hold.
EXTRA_MOOD_TAGS: dict[str, str] = {
    "chill out": "relaxing",
    "easy listening": "relaxing",
    "sleep": "relaxing",
    "downtempo": "relaxing",
    "depressing": "sad",
    "depressive": "sad",
    "melancholic": "sad",
    "sexy": "romantic",
    "love songs": "romantic",
    "ballad": "romantic",
    "fun": "happy",
    "feel good music": "happy",
    "party music": "party",
    "energy": "energetic",
}

# Words the NLU reads as moods that mean something else as a Last.fm tag: "love" there says
# the listener loves the artist, not that the music is romantic.
NOT_MOOD_TAGS: frozenset[str] = frozenset({"love"})


def _genre_by_key() -> dict[str, str]:
    """Every exact spelling (phrase key) of a project genre, to the genre's name."""
    by_key = genre_spellings(GENRES)
    for tag, name in EXTRA_GENRE_TAGS.items():
        by_key.setdefault(phrase_key(tag), name)
    return by_key


def _mood_by_key() -> dict[str, str]:
    by_key = {phrase_key(word): mood for word, mood in MOOD_SYNONYMS.items()}
    for word, activity in ACTIVITY_SYNONYMS.items():
        if activity in ACTIVITY_MOODS:
            by_key.setdefault(phrase_key(word), ACTIVITY_MOODS[activity])
    for tag, mood in EXTRA_MOOD_TAGS.items():
        by_key.setdefault(phrase_key(tag), mood)
    for tag in NOT_MOOD_TAGS:
        by_key.pop(phrase_key(tag), None)
    return by_key


_GENRE_BY_KEY = _genre_by_key()
_MOOD_BY_KEY = _mood_by_key()
# Suffixes ("metal", "hip hop") tried longest first, so "east coast hip hop" is hip-hop.
_GENRE_SUFFIXES = sorted(
    ((key.split(), name) for key, name in _GENRE_BY_KEY.items()), key=lambda kv: -len(kv[0])
)


def genre_of_tag(tag: str) -> str | None:
    """The project genre a tag names, or None."""
    key = phrase_key(tag)
    if key in _GENRE_BY_KEY:
        return _GENRE_BY_KEY[key]
    words = key.split()
    for suffix, name in _GENRE_SUFFIXES:
        if len(words) > len(suffix) and words[-len(suffix) :] == suffix:
            return name
    return None


def mood_of_tag(tag: str) -> str | None:
    """The canonical mood (one of ``MOODS``) a tag names, or None."""
    return _MOOD_BY_KEY.get(phrase_key(tag))


def tag_facet_matrices(tags: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(tags x ``GENRES``, tags x ``MOODS``) 0/1 matrices: which genre and mood each
    tag names. Multiply an items x tags count matrix by them to count votes per facet."""
    genre_col = {name: i for i, name in enumerate(GENRES)}
    mood_col = {mood: i for i, mood in enumerate(MOODS)}
    genre_pairs = [(row, genre_col[g]) for row, t in enumerate(tags) if (g := genre_of_tag(t))]
    mood_pairs = [(row, mood_col[m]) for row, t in enumerate(tags) if (m := mood_of_tag(t))]
    return (
        indicator(genre_pairs, (len(tags), len(GENRES))),
        indicator(mood_pairs, (len(tags), len(MOODS))),
    )


def leading_genres(votes: sp.csr_matrix, names: Sequence[str] = GENRES) -> list[str | None]:
    """Per row of an items x genres vote matrix, the most voted genre (ties by column
    order), or None for an item without votes: its genre in the unified schema's sense."""
    matrix = sp.csr_matrix(votes)
    leaders: list[str | None] = []
    for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True):
        columns, counts = matrix.indices[start:stop], matrix.data[start:stop]
        voted = counts > 0
        if not voted.any():
            leaders.append(None)
            continue
        best = counts[voted].max()
        leaders.append(names[int(columns[voted][counts[voted] == best].min())])
    return leaders


def voted_moods(votes: sp.csr_matrix, names: Sequence[str] = MOODS) -> list[tuple[str, ...]]:
    """Per row of an items x moods vote matrix, every mood with a vote, in column order."""
    matrix = sp.csr_matrix(votes)
    return [
        tuple(names[m] for m in sorted(matrix.indices[start:stop][matrix.data[start:stop] > 0]))
        for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]
