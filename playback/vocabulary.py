"""The catalog's vocabulary: the values a Track's ``genre`` and ``moods`` take, the words
listeners and tags use for them, and where each mood sits in audio-feature space.

This module is the single source of truth for that vocabulary. The NLU maps words to genres,
moods and activities with it and generates the Alexa interaction model's slot types from it;
the ETL normalises the teams' genres and mood tags and derives moods from audio features with
it; the feed generator tags its tracks and listeners with it; the recommender keys its mood
lists by ``MOODS``. It lives in playback, the bottom layer, because a Track is the domain every
package shares; it imports nothing of ours.

Each rule is written once. ``region_contains`` is the mood-region test for a single track
(``mood_of_features``), a numpy column (the generator) and an Ibis column (the ETL) alike;
``phrase_key`` is the one lookup form of a genre, mood or activity phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol, TypeVar

# The audio features a mood region may bound, in the order of MoodRegion's fields.
MOOD_FEATURES: tuple[str, ...] = ("energy", "valence", "acousticness", "danceability", "tempo")


@dataclass(frozen=True, slots=True)
class MoodRegion:
    """A box in audio-feature space; bounds are inclusive, None means unbounded."""

    energy: tuple[float | None, float | None] = (None, None)
    valence: tuple[float | None, float | None] = (None, None)
    acousticness: tuple[float | None, float | None] = (None, None)
    danceability: tuple[float | None, float | None] = (None, None)
    tempo: tuple[float | None, float | None] = (None, None)

    def bounds(self) -> Iterator[tuple[str, float | None, float | None]]:
        """(feature, low, high) of every feature the region bounds on at least one side."""
        for field in fields(self):
            low, high = getattr(self, field.name)
            if low is not None or high is not None:
                yield (
                    field.name,
                    None if low is None else float(low),
                    None if high is None else float(high),
                )


# Calibrated against real Spotify audio features (bench/nlu_moods.py, BENCHMARKS.md "## NLU"):
# on 2,700 tracks of 27 genres each region is largest in the genres it should be (relaxing in
# classical, opera and soundtracks; party in reggaeton and hip-hop; energetic in ska and
# electronic). Two bounds came from that check: "sad" needs some energy (0.15), else most
# classical music was sad; "angry" excludes danceable tracks, else a fifth of electronic was.
MOOD_REGIONS: dict[str, MoodRegion] = {
    "relaxing": MoodRegion(energy=(None, 0.4), acousticness=(0.4, None), tempo=(None, 115)),
    "energetic": MoodRegion(energy=(0.75, None), tempo=(115, None)),
    "happy": MoodRegion(valence=(0.65, None), energy=(0.45, None)),
    "sad": MoodRegion(valence=(None, 0.3), energy=(0.15, 0.5)),
    "focus": MoodRegion(energy=(0.2, 0.55), valence=(0.3, 0.7), danceability=(None, 0.55)),
    "party": MoodRegion(danceability=(0.7, None), energy=(0.65, None)),
    "romantic": MoodRegion(valence=(0.45, 0.8), energy=(0.2, 0.55), acousticness=(0.3, None)),
    "angry": MoodRegion(energy=(0.8, None), valence=(None, 0.35), danceability=(None, 0.55)),
}

MOODS: tuple[str, ...] = tuple(MOOD_REGIONS)

# Words and phrases listeners use, mapped to the canonical mood. Canonical names map to
# themselves. Lower case; multi-word phrases allowed.
MOOD_SYNONYMS: dict[str, str] = {
    **{mood: mood for mood in MOODS},
    "relaxed": "relaxing",
    "relax": "relaxing",
    "chill": "relaxing",
    "chilled": "relaxing",
    "chillout": "relaxing",
    "calm": "relaxing",
    "calming": "relaxing",
    "mellow": "relaxing",
    "soothing": "relaxing",
    "peaceful": "relaxing",
    "laid back": "relaxing",
    "unwind": "relaxing",
    "wind down": "relaxing",
    "winding down": "relaxing",
    "energizing": "energetic",
    "upbeat": "energetic",
    "pumped": "energetic",
    "workout": "energetic",
    "intense": "energetic",
    "high energy": "energetic",
    "cheerful": "happy",
    "joyful": "happy",
    "feel good": "happy",
    "uplifting": "happy",
    "melancholy": "sad",
    "melancholic": "sad",
    "sad songs": "sad",
    "gloomy": "sad",
    "blue": "sad",
    "heartbreak": "sad",
    "concentration": "focus",
    "concentrate": "focus",
    "study": "focus",
    "studying": "focus",
    "focused": "focus",
    "dance": "party",
    "danceable": "party",
    "partying": "party",
    "love": "romantic",
    "romance": "romantic",
    "date night": "romantic",
    "aggressive": "angry",
    "rage": "angry",
}

# fmt: off
# The catalog's genres as a Track spells them (what the ETL produces), each with the other
# ways listeners and tags say it, in ``phrase_key`` form, transcription slips included
# ("low fi").
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "pop": ("pop music",),
    "hip-hop": ("hiphop", "rap", "hip hop music", "rap music"),
    "rock": ("rock and roll", "rock n roll", "rock 'n' roll", "rock music"),
    "electronic": ("electronica", "edm", "electro", "electronic music", "techno"),
    "dance": ("dance music", "club music", "disco"),
    "r&b": ("rnb", "r n b", "rhythm and blues", "r b"),
    "latin": ("reggaeton", "latin music", "salsa"),
    "indie": ("indie rock", "indie music", "alternative", "alt rock"),
    "country": ("country music",),
    "metal": ("heavy metal", "metal music"),
    "jazz": ("smooth jazz", "jazz music", "jazzy"),
    "classical": ("orchestral", "classical music", "symphonic"),
    "k-pop": ("kpop", "korean pop"),
    "folk": ("folk music",),
    "ambient": ("ambient music",),
    "blues": ("blues music",),
    "soul": ("soul music", "motown"),
    "reggae": ("reggae music",),
    "punk": ("punk rock",),
    "lo-fi": ("lofi", "lofi beats", "lo fi beats", "low fi", "lofi hip hop", "lo fi hip hop",
              "chillhop"),
}

# Activity words to the canonical activity.
ACTIVITY_SYNONYMS: dict[str, str] = {
    "study": "study", "studying": "study", "homework": "study", "exam": "study",
    "workout": "workout", "working out": "workout", "exercise": "workout",
    "exercising": "workout", "gym": "workout", "the gym": "workout", "lifting": "workout",
    "training": "workout", "running": "running", "my run": "running", "a run": "running",
    "morning run": "running", "jog": "running",
    "jogging": "running", "sleep": "sleep", "sleeping": "sleep", "bedtime": "sleep",
    "falling asleep": "sleep", "nap": "sleep", "cooking": "cooking", "baking": "cooking",
    "driving": "driving", "road trip": "driving", "the drive": "driving", "commute": "driving",
    "reading": "reading", "work": "work", "working": "work", "the office": "work",
    "party": "party", "partying": "party", "house party": "party", "dinner": "dinner",
    "dinner party": "dinner", "cleaning": "cleaning", "chores": "cleaning",
    "meditation": "meditation", "meditating": "meditation", "yoga": "meditation",
    "gaming": "gaming", "waking up": "morning", "wake up": "morning", "morning": "morning",
}

# The mood an activity implies when the listener names no mood ("music for sleeping").
ACTIVITY_MOODS: dict[str, str] = {
    "study": "focus", "reading": "focus", "work": "focus", "workout": "energetic",
    "running": "energetic", "sleep": "relaxing", "meditation": "relaxing", "party": "party",
}
# fmt: on

GENRES: tuple[str, ...] = tuple(GENRE_SYNONYMS)


def phrase_key(text: str) -> str:
    """The lookup form of a phrase: lower case, ``&`` as "and", hyphens and slashes as
    spaces, single spaces. "Hip-Hop" and "hip hop" share a key; so do "R&B" and "r and b"."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[-_/]", " ", text).split())


# --- moods ------------------------------------------------------------------------------------


class _Mask(Protocol):
    """What ``&`` combines: a bool, a numpy boolean array, an Ibis boolean column."""

    def __and__(self, other: Any, /) -> Any: ...


_MaskT = TypeVar("_MaskT", bound=_Mask)


def region_contains(region: MoodRegion, features: Mapping[str, Any], everywhere: _MaskT) -> _MaskT:
    """``everywhere`` narrowed to where ``features`` lie in ``region``.

    The one statement of the region test, written with ``>=``, ``<=`` and ``&`` only so that
    it runs on floats (``everywhere`` True), numpy arrays (an all-True mask) and Ibis columns
    (``ibis.literal(True)``) alike. A missing value must compare False, as NaN does; a bounded
    feature that is missing therefore puts the track outside (Ibis callers fill NULL False).
    """
    inside = everywhere
    for name, low, high in region.bounds():
        value = features[name]
        if low is not None:
            inside = inside & (value >= low)
        if high is not None:
            inside = inside & (value <= high)
    return inside


def mood_of_features(
    *,
    energy: float | None,
    valence: float | None,
    acousticness: float | None,
    danceability: float | None,
    tempo: float | None,
) -> tuple[str, ...]:
    """Every canonical mood whose region contains these features, in ``MOODS`` order."""
    given = {
        "energy": energy,
        "valence": valence,
        "acousticness": acousticness,
        "danceability": danceability,
        "tempo": tempo,
    }
    # NaN stands for a missing value: it compares False, as region_contains requires.
    features = {name: float("nan") if value is None else value for name, value in given.items()}
    return tuple(
        mood for mood, region in MOOD_REGIONS.items() if region_contains(region, features, True)
    )


def canonical_mood(word: str) -> str | None:
    """The canonical mood for a word or phrase, or None."""
    return MOOD_SYNONYMS.get(" ".join(word.lower().split()))


def words_for_moods() -> dict[str, tuple[str, ...]]:
    """Per canonical mood, the listener words that mean it (the mood itself excluded), sorted."""
    words: dict[str, list[str]] = {mood: [] for mood in MOODS}
    for word, mood in MOOD_SYNONYMS.items():
        if word != mood:
            words[mood].append(word)
    return {mood: tuple(sorted(found)) for mood, found in words.items()}


# --- genres -----------------------------------------------------------------------------------

_SYNONYMS_BY_KEY = {phrase_key(genre): synonyms for genre, synonyms in GENRE_SYNONYMS.items()}


def genre_synonyms(genre: str) -> tuple[str, ...]:
    """The other ways to say ``genre``, however the genre is spelled ("Hip Hop", "hip-hop")."""
    return _SYNONYMS_BY_KEY.get(phrase_key(genre), ())


def genre_spellings(genres: Iterable[str]) -> dict[str, str]:
    """Every way to say one of ``genres`` (a catalog's spellings), in ``phrase_key`` form, to
    that spelling: the genre itself and its synonyms. A catalog genre always means itself,
    never another genre it is a synonym of ("rap", in a catalog that has "rap")."""
    named = [genre for genre in genres if genre.strip()]
    spellings = {phrase_key(s): genre for genre in named for s in genre_synonyms(genre)}
    spellings.update((phrase_key(genre), genre) for genre in named)
    return spellings
