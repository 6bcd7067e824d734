"""Finding known phrases in an utterance: the lexicon (genres, moods, activities, sorts, eras,
item types) and, through the spaCy gazetteer, the catalog's names.

Both matchers see the same ``match_keys`` of the words and return every ``Match``, overlaps
included; ``nlu.reading`` decides which ones to keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from nlu.lexicon import ITEM_TYPES, SORT_SYNONYMS, era_of
from nlu.parsed import SlotName
from nlu.text import clean_words, fold, name_key
from playback.vocabulary import ACTIVITY_SYNONYMS, MOOD_SYNONYMS, genre_spellings, phrase_key

# Kinds a lexicon phrase can have; catalog names add artist, track and album.
LEXICON_KINDS: tuple[SlotName, ...] = ("genre", "mood", "activity", "sort", "item_type")
# Longest phrase the lexicon scanner looks for, in words.
MAX_PHRASE_WORDS = 4


@dataclass(frozen=True, slots=True)
class Match:
    """Words ``start:end`` name ``value`` of ``kind``; ``id`` is the catalog key for names."""

    start: int
    end: int
    kind: SlotName
    value: str
    id: str | None = None

    @property
    def size(self) -> int:
        return self.end - self.start


class Vocabulary(Protocol):
    """Finds known phrases in the match keys of an utterance's words."""

    def matches(self, keys: Sequence[str]) -> list[Match]: ...


def match_keys(words: Sequence[str]) -> list[str]:
    """The form words are matched in: lower case, accents folded ("beyoncé" -> "beyonce")."""
    return [fold(word) for word in words]


def phrase_variants(phrase: str) -> set[tuple[str, ...]]:
    """Token sequences under which a phrase is recognised: as typed ("hip-hop", "ac/dc") and
    as spoken ("hip hop", "ac dc")."""
    variants = {tuple(match_keys(clean_words(phrase))), tuple(name_key(phrase).split())}
    return {v for v in variants if v}


def lexicon_entries(genres: Iterable[str]) -> Iterator[tuple[SlotName, str, str]]:
    """Every lexicon phrase as (kind, phrase, canonical value). Genres are the catalog's
    spellings with their synonyms (``genre_spellings``); only genres the catalog has are
    entries. A genre comes after its synonyms and is yielded as the catalog spells it, so
    that its typed form ("hip-hop") is an entry too."""
    catalog = [g for g in genres if g and g.strip()]
    for key, genre in genre_spellings(catalog).items():
        if key != phrase_key(genre):
            yield "genre", key, genre
    for genre in catalog:
        yield "genre", genre, genre
    for word, mood in MOOD_SYNONYMS.items():
        yield "mood", word, mood
    for word, activity in ACTIVITY_SYNONYMS.items():
        yield "activity", word, activity
    for word, sort in SORT_SYNONYMS.items():
        yield "sort", word, sort
    for word, item_type in ITEM_TYPES.items():
        yield "item_type", word, item_type


class LexiconVocabulary:
    """The lexicon as a dictionary of token sequences: no dependencies, no catalog names."""

    def __init__(self, genres: Iterable[str]) -> None:
        self._table: dict[tuple[str, ...], dict[SlotName, str]] = {}
        for kind, phrase, value in lexicon_entries(genres):
            for variant in phrase_variants(phrase):
                self._table.setdefault(variant, {})[kind] = value

    def genre(self, text: str) -> str | None:
        """The catalog's spelling of the genre ``text`` names, or None."""
        for variant in phrase_variants(text):
            genre = self._table.get(variant, {}).get("genre")
            if genre is not None:
                return genre
        return None

    def matches(self, keys: Sequence[str]) -> list[Match]:
        found = era_matches(keys)
        for start in range(len(keys)):
            for end in range(start + 1, min(len(keys), start + MAX_PHRASE_WORDS) + 1):
                phrase = tuple(keys[start:end])
                for kind, value in self._table.get(phrase, {}).items():
                    found.append(Match(start, end, kind, value))
        return found


def era_matches(keys: Sequence[str]) -> list[Match]:
    """Decades and years: "80s", "the eighties", "1999" (one or two words)."""
    found = []
    for start in range(len(keys)):
        for end in (start + 1, start + 2):
            era = era_of(" ".join(keys[start:end])) if end <= len(keys) else None
            if era is not None:
                found.append(Match(start, end, "era", era))
    return found
