"""Canonical moods, the words listeners use for them, and where each sits in audio-feature space.

This module is the single source of truth for moods: the data generator and the ETL tag tracks
with ``mood_of_features``, the NLU maps words to moods with ``MOOD_SYNONYMS``, and the
interaction model's MOOD slot type is generated from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MoodRegion:
    """A box in audio-feature space; bounds are inclusive, None means unbounded."""

    energy: tuple[float | None, float | None] = (None, None)
    valence: tuple[float | None, float | None] = (None, None)
    acousticness: tuple[float | None, float | None] = (None, None)
    danceability: tuple[float | None, float | None] = (None, None)
    tempo: tuple[float | None, float | None] = (None, None)


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


def _within(value: float | None, bounds: tuple[float | None, float | None]) -> bool:
    low, high = bounds
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def mood_of_features(
    *,
    energy: float | None,
    valence: float | None,
    acousticness: float | None,
    danceability: float | None,
    tempo: float | None,
) -> tuple[str, ...]:
    """Every canonical mood whose region contains these features, in ``MOODS`` order."""
    features = {
        "energy": energy,
        "valence": valence,
        "acousticness": acousticness,
        "danceability": danceability,
        "tempo": tempo,
    }
    return tuple(
        mood
        for mood, region in MOOD_REGIONS.items()
        if all(_within(features[name], getattr(region, name)) for name in features)
    )


def canonical_mood(word: str) -> str | None:
    """The canonical mood for a word or phrase, or None."""
    return MOOD_SYNONYMS.get(" ".join(word.lower().split()))
