"""The Alexa interaction model, generated from nlu's vocabulary so the two cannot drift.

The MOOD slot type comes from ``playback.vocabulary`` (canonical moods and their synonyms),
GENRE from the genre list passed in (the catalog's, or ``DEFAULT_GENRES``) with the
vocabulary's genre synonyms, ACTIVITY from the vocabulary too, SORT and ERA from
``nlu.lexicon``, and the Like / Dislike / WhatsPlaying samples
from the control phrases. Carrier phrases real people use (``CORPUS_PLAY_MUSIC_CARRIERS``,
``CORPUS_CONTROL_CARRIERS``, drawn from the Snips 2017 and SLURP training corpora) join the
written samples. Names use Alexa's music slot types (MusicGroup, MusicRecording,
MusicAlbum, MusicPlaylist); free text arrives through PlayRequestIntent's SearchQuery. The
checked in ``interaction_models/en-US.json`` is ``render(build_interaction_model())``;
regenerate it with ``philomath nlu interaction-model`` (``--check`` only compares).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlu.lexicon import CONTROL_PHRASES, DECADE_WORDS, SORT_SYNONYMS, era_of
from nlu.parsed import Intent
from nlu.time_of_day import part_words, recurrence_words
from playback.day_parts import PARTS_OF_DAY
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
_WRITTEN_PLAY_MUSIC_SAMPLES = (
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
    "play {Mood} music in the {PartOfDay}",
    "play some {Genre} in the {PartOfDay}",
    "play something {Mood} this {PartOfDay}",
    "play {Mood} music every {PartOfDay}",
    "play {Activity} music {Recurrence}",
)
# Carrier phrases real people use around music names, drawn from the Snips 2017 (PlayMusic)
# and SLURP devel (play_music) training corpora in nlu/training/corpora: each utterance with
# its tagged names replaced by our slots, counted, roughly most frequent first. Kept where slots
# never touch, with service words ("on spotify"), wake words and "please" / "can you"
# dropped, and only carriers both parsers read back to the same slots ("{Track} from
# {Artist}" and "{Artist} from the {Era}" are frequent but the rules do not read them yet).
CORPUS_PLAY_MUSIC_CARRIERS = (
    "play some {Genre} music",
    "play music from {Era}",
    "play some {Era} music",
    "play {Era} music",
    "play a song by {Artist}",
    "play some music by {Artist}",
    "play some {Era} music by {Artist}",
    "play the {Sort} music by {Artist}",
    "play {Era}",
    "play some music from the {Era}",
    "play some music from {Era}",
    "play me a song by {Artist}",
    "play me some {Genre} music",
    "play the {Sort} songs by {Artist}",
    "play playlist {Playlist}",
    "play a track by {Artist}",
    "play a tune by {Artist}",
    "play music from {Artist}",
    "play music from {Era} by {Artist}",
    "play the {Sort} song by {Artist}",
    "play a {Sort} song by {Artist}",
    "play a {Era} song by {Artist}",
    "i want to hear {Track} by {Artist}",
    "play {Era} tunes",
    "play {Artist} tunes",
    "play {Artist} music",
    "play some {Artist} music",
    "play a {Era} song",
    "play me a {Era} song",
    "play something from the {Era}",
    "play something from {Era}",
    "play something from {Era} by {Artist}",
    "start playing my {Playlist} playlist",
    "i want to hear some {Genre}",
    "i want to hear some {Genre} music",
    "play {Sort} music by {Artist}",
    "play some music from {Artist}",
    "play a {Artist} song",
    "play the {Album} album",
    "play the track {Track} by {Artist}",
    "play the track {Track}",
    "play me {Track} by {Artist}",
    "play music from the artist {Artist}",
    "i want to listen to {Genre}",
    "listen to {Genre}",
    "put on {Track} by {Artist}",
    "put on {Genre}",
    "let me hear {Artist}",
    "let me hear the {Album} album",
    "i'd like to hear {Artist}",
    "i'd like to hear {Track} by {Artist}",
    "i'd like to hear some {Genre}",
    "i want to hear music from the {Era}",
    "i want to hear the album {Album}",
    "i want to listen to {Track} by {Artist}",
    "can i hear some {Artist}",
    "can i hear a song by {Artist}",
    "i want to listen to my {Playlist} playlist",
    "play something {Genre}",
)
# Like / Dislike / WhatsPlaying phrasings from SLURP devel (music_likeness, music_dislikeness,
# music_query) that the control phrases lack; merged with them into the samples.
CORPUS_CONTROL_CARRIERS: dict[Intent, tuple[str, ...]] = {
    "like": ("add this song to my favorites",),
    "dislike": ("i don't like that song",),
    "whats_playing": ("what is the song playing", "what music is it"),
}
PLAY_MUSIC_SAMPLES: tuple[str, ...] = tuple(
    dict.fromkeys((*_WRITTEN_PLAY_MUSIC_SAMPLES, *CORPUS_PLAY_MUSIC_CARRIERS))
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
    ("PartOfDay", "PART_OF_DAY"),
    ("Recurrence", "RECURRENCE"),
)
# "play my night routine", "start my meditation routine": the routine's name is open (the
# listener named it), so its custom type only lists the parts of the day as examples.
PLAY_ROUTINE_SAMPLES = (
    "play my {Routine} routine",
    "start my {Routine} routine",
    "put on my {Routine} routine",
    "my {Routine} routine",
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
        {
            "name": "PlayRoutineIntent",
            "slots": [{"name": "Routine", "type": "ROUTINE"}],
            "samples": list(PLAY_ROUTINE_SAMPLES),
        },
    ]
    for name, intent in _CUSTOM_CONTROL_INTENTS.items():
        phrases = (*CONTROL_PHRASES[intent], *CORPUS_CONTROL_CARRIERS.get(intent, ()))
        samples = list(dict.fromkeys(p for p in phrases if len(p.split()) > 1))
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
                    _table_type("PART_OF_DAY", {**{p: p for p in PARTS_OF_DAY}, **part_words()}),
                    _table_type("RECURRENCE", recurrence_words()),
                    _table_type("ROUTINE", {p: p for p in PARTS_OF_DAY}),
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
        if era_of(decade[2:]) == decade:  # "80s", but "20s" is the 2020s, not the 1920s
            words[decade[2:]] = decade
    return words
