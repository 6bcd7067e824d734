"""The Alexa interaction model, generated from nlu's vocabulary so the two cannot drift.

The MOOD slot type comes from ``playback.vocabulary`` (canonical moods and their synonyms),
GENRE from the genre list passed in (the catalog's, or ``DEFAULT_GENRES``) with the
vocabulary's genre synonyms, ACTIVITY from the vocabulary too, SORT and ERA from
``nlu.lexicon``, and the Like / Dislike / WhatsPlaying samples
from the control phrases. Names use Alexa's music slot types (MusicGroup, MusicRecording,
MusicAlbum, MusicPlaylist); free text arrives through PlayRequestIntent's SearchQuery. The
checked in ``interaction_models/en-US.json`` is ``render(build_interaction_model())``;
regenerate it with ``philomath nlu interaction-model`` (``--check`` only compares).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlu.lexicon import CONTROL_PHRASES, DECADE_WORDS, SORT_SYNONYMS
from nlu.parsed import Intent
from playback.vocabulary import (
    ACTIVITY_SYNONYMS,
    GENRES,
    MOODS,
    genre_synonyms,
    phrase_key,
    words_for_moods,
)

INVOCATION_NAME = "philomath"
MODEL_PATH = Path(__file__).resolve().parent.parent / "interaction_models" / "en-US.json"
# The vocabulary's genres in lookup form ("hip hop"): what a parser without a catalog answers.
DEFAULT_GENRES: tuple[str, ...] = tuple(phrase_key(genre) for genre in GENRES)

# Alexa's built-in intents a skill with AudioPlayer must declare (plus Help, Fallback and
# NavigateHome, which every custom skill has).
BUILT_IN_INTENTS = (
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NextIntent",
    "AMAZON.PreviousIntent",
    "AMAZON.StartOverIntent",
    "AMAZON.LoopOnIntent",
    "AMAZON.LoopOffIntent",
    "AMAZON.ShuffleOnIntent",
    "AMAZON.ShuffleOffIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.NavigateHomeIntent",
)

# Slots never touch each other: Alexa cannot tell where one ends and the next begins.
PLAY_MUSIC_SAMPLES = (
    "play music",
    "play some music",
    "play something",
    "play {Mood} music",
    "play some {Mood} music",
    "play something {Mood}",
    "play {Mood} songs",
    "put on some {Mood} music",
    "i want to hear something {Mood}",
    "{Mood} music",
    "play {Genre}",
    "play some {Genre}",
    "play {Genre} music",
    "put on some {Genre}",
    "i want to hear {Genre}",
    "{Genre} music",
    "play {Artist}",
    "play some {Artist}",
    "play songs by {Artist}",
    "play music by {Artist}",
    "play something by {Artist}",
    "put on {Artist}",
    "play {Artist} radio",
    "songs by {Artist}",
    "play {Genre} by {Artist}",
    "play {Mood} songs by {Artist}",
    "play songs like {Artist}",
    "play music similar to {Artist}",
    "play music for {Activity}",
    "play something for {Activity}",
    "play {Activity} music",
    "play {Mood} music for {Activity}",
    "play the {Sort} songs",
    "play {Sort} music",
    "play music from the {Era}",
    "play songs from the {Era}",
    "play {Genre} from the {Era}",
    "play {Track} by {Artist}",
    "play the song {Track}",
    "play the song {Track} by {Artist}",
    "play the album {Album}",
    "play the album {Album} by {Artist}",
    "play my {Playlist} playlist",
    "play the playlist {Playlist}",
)
PLAY_MUSIC_SLOTS: tuple[tuple[str, str], ...] = (
    ("Mood", "MOOD"),
    ("Genre", "GENRE"),
    ("Activity", "ACTIVITY"),
    ("Sort", "SORT"),
    ("Era", "ERA"),
    ("Artist", "AMAZON.MusicGroup"),
    ("Track", "AMAZON.MusicRecording"),
    ("Album", "AMAZON.MusicAlbum"),
    ("Playlist", "AMAZON.MusicPlaylist"),
)

# Carrier phrases for free text; distinct from PlayMusicIntent's so the two never collide.
PLAY_REQUEST_SAMPLES = (
    "play me {Query}",
    "find {Query}",
    "search for {Query}",
    "look for {Query}",
    "i'm in the mood for {Query}",
    "i feel like listening to {Query}",
    "i would like to listen to {Query}",
)

_CUSTOM_CONTROL_INTENTS: dict[str, Intent] = {
    "LikeIntent": "like",
    "DislikeIntent": "dislike",
    "WhatsPlayingIntent": "whats_playing",
}


def build_interaction_model(genres: Iterable[str] = DEFAULT_GENRES) -> dict[str, Any]:
    """The en-US interaction model in the ASK CLI layout."""
    intents: list[dict[str, Any]] = [
        {
            "name": "PlayMusicIntent",
            "slots": [{"name": name, "type": kind} for name, kind in PLAY_MUSIC_SLOTS],
            "samples": list(PLAY_MUSIC_SAMPLES),
        },
        {
            "name": "PlayRequestIntent",
            "slots": [{"name": "Query", "type": "AMAZON.SearchQuery"}],
            "samples": list(PLAY_REQUEST_SAMPLES),
        },
    ]
    for name, intent in _CUSTOM_CONTROL_INTENTS.items():
        samples = [p for p in CONTROL_PHRASES[intent] if len(p.split()) > 1]
        intents.append({"name": name, "samples": samples})
    intents.extend({"name": name, "samples": []} for name in BUILT_IN_INTENTS)
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": INVOCATION_NAME,
                "intents": intents,
                "types": [
                    _mood_type(),
                    _genre_type(genres),
                    _table_type("ACTIVITY", ACTIVITY_SYNONYMS),
                    _table_type("SORT", SORT_SYNONYMS),
                    _table_type("ERA", _era_words()),
                ],
            }
        }
    }


def render(model: dict[str, Any]) -> str:
    """The model as the file holds it: stable two-space JSON with a final newline."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def write_interaction_model(
    path: Path = MODEL_PATH, genres: Iterable[str] = DEFAULT_GENRES
) -> None:
    path.write_text(render(build_interaction_model(genres)), encoding="utf-8")


def is_current(path: Path = MODEL_PATH, genres: Iterable[str] = DEFAULT_GENRES) -> bool:
    """Whether ``path`` holds exactly what the generator produces now."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    return current == render(build_interaction_model(genres))


def _mood_type() -> dict[str, Any]:
    words = words_for_moods()
    values = [
        {"id": mood, "name": {"value": mood, "synonyms": list(words[mood])}} for mood in MOODS
    ]
    return {"name": "MOOD", "values": values}


def _genre_type(genres: Iterable[str]) -> dict[str, Any]:
    values = []
    for key in sorted({phrase_key(g) for g in genres if g.strip()}):
        synonyms = sorted({phrase_key(s) for s in genre_synonyms(key)} - {key})
        values.append({"id": key.replace(" ", "_"), "name": {"value": key, "synonyms": synonyms}})
    return {"name": "GENRE", "values": values}


def _table_type(name: str, table: dict[str, str]) -> dict[str, Any]:
    """A slot type from a word -> canonical value table, canonical values in first-seen order."""
    values = []
    for canonical in dict.fromkeys(table.values()):
        synonyms = sorted(w for w, v in table.items() if v == canonical and w != canonical)
        values.append({"id": canonical, "name": {"value": canonical, "synonyms": synonyms}})
    return {"name": name, "values": values}


def _era_words() -> dict[str, str]:
    """Decades as listeners say them: "eighties", "the eighties", "80s", "1980s"."""
    words: dict[str, str] = {}
    for word, decade in DECADE_WORDS.items():
        words.setdefault(decade, decade)
        words[word] = decade
        words[f"the {word}"] = decade
        words[decade[2:]] = decade
    return words
