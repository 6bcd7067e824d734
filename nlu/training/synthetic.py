"""Utterances generated from templates for what the real corpora lack: moods, activities,
genres of our vocabulary, like and dislike, what's playing, player controls and settings, and
out-of-scope requests (podcasts, audiobooks, volume, other domains).

Names come from the caller (the training fold's own spans), so cross-validation never sees a
held-out fold's names here. Vocabulary comes from the single sources (``playback.vocabulary``,
``nlu.lexicon``). ``generate`` is seeded: the same names and seed give the same utterances.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from nlu.genre_names import OPEN_GENRES
from nlu.lexicon import CONTROL_PHRASES, DECADE_WORDS, SORT_SYNONYMS
from nlu.training.examples import LabeledUtterance, from_segments
from playback.vocabulary import ACTIVITY_SYNONYMS, GENRE_SYNONYMS, MOOD_SYNONYMS

_FIELD = re.compile(r"\{(\w+)\}")
_PREFIXES = ("", "", "", "alexa ", "please ", "can you ", "hey alexa ", "could you ", "ok ")
_SUFFIXES = ("", "", "", " please", " now", " for me", " thanks")
_ERAS = (*DECADE_WORDS, "80s", "90s", "the 80s", "2000s", "1999", "2012", "the seventies")
_ITEMS = ("song", "songs", "track", "album", "record", "ep", "single", "tune", "playlist",
          "soundtrack")  # fmt: skip
_SERVICES = ("spotify", "youtube", "deezer", "pandora", "apple music", "iheart", "soundcloud",
             "tidal", "amazon music", "napster")  # fmt: skip
_GENRES = tuple(g for genre, synonyms in GENRE_SYNONYMS.items() for g in (genre, *synonyms))
# Playlist names made of music words: a playlist is what "my ... playlist" names, whatever its
# words ("my country playlist", "late night jazz"), not a genre or a mood.
_PLAYLIST_WORDS = ("chill", "country", "workout", "dinner", "road trip", "party", "jazz",
                   "summer", "sad songs", "morning", "focus", "indie", "throwback", "rainy day",
                   "sleep", "running", "happy", "love songs", "rock classics", "study")  # fmt: skip
_PLAYLIST_TAILS = ("", "", "", " mix", " hits", " vibes", " essentials", " favorites",
                   " classics", " jams")  # fmt: skip

# fmt: off
_PLAY = (
    "play {mood} music", "play something {mood}", "i want {mood} songs", "put on {mood} music",
    "play some {mood} {genre}", "i'm feeling {mood} play something", "{mood} music please",
    "play music for {activity}", "play something for {activity}", "music for {activity}",
    "i need songs for {activity}", "play {genre} for {activity}", "put on some {genre}",
    "play {genre}", "play {genre} music", "i wanna hear some {genre}", "play {era} {genre}",
    "play {sort} {genre} {item_type}", "play the {sort} {item_type} by {artist}",
    "play {artist}", "play {artist} on {service}", "play {track} by {artist}",
    "play the {item_type} {album} by {artist}", "play {playlist}", "play my {playlist} playlist",
    "play {mood} songs by {artist}", "play some {artist} for {activity}",
    "play the {album} {item_type}", "let me hear {track}", "play {track} from {era}",
    "put on {artist} {sort} {item_type}", "play something like {artist}",
    "play {artist} radio", "shuffle {artist}", "shuffle my {playlist} playlist",
    "play {genre} from {era} on {service}", "i want to hear {artist}'s {sort} {item_type}",
    "play the {sort} {item_type}", "play {era} music", "play something",
    "play some music", "play music", "surprise me", "play something good",
)
# Open genres (``genre_names``) in the places people put them.
_GENRE = (
    "play some {genre} music", "play {genre}", "play {genre} music", "put on some {genre}",
    "play the music genre {genre}", "play a {genre} {item_type}", "i want to hear {genre}",
    "play some {genre} music on {service}", "can i listen to some {genre}",
    "play {genre} from the {era}", "play a {genre} {item_type} from {era}",
    "play something in the {genre} genre", "play me some {genre} please",
    "play the {sort} {genre} {item_type}", "i'd like to hear {genre} music",
)
_PLAYLIST = (
    "play my {playlist} playlist", "play the {playlist} playlist", "play the playlist {playlist}",
    "put on my {playlist} playlist", "play {playlist} playlist on {service}",
    "play music from my {playlist} playlist", "start the {playlist} playlist",
    "shuffle my {playlist} playlist", "play something off my {playlist} playlist",
    "i want to hear my {playlist} playlist",
)
# "play X" names an artist far more often than anything else in real traffic: these teach it.
_ARTIST = (
    "play {artist}", "{artist} please", "put on {artist}", "i want to listen to {artist}",
    "play {artist} songs", "play music by {artist}", "{artist} radio",
    "play something similar to {artist}", "start a {artist} radio station",
    "play songs like {artist}", "let me hear some {artist}", "i'd like to hear {artist}",
    "{artist}", "{artist} songs", "{artist} music", "some {artist}", "{artist} now",
    "play the {artist}", "play some {artist} for me",
)
# Described, not named: what the prototypes read ("something to help me focus").
_DESCRIBED = (
    "play something to help me {verb}", "music to {verb} to", "something to {verb} to",
    "i need music that helps me {verb}", "play songs that make me feel {feeling}",
    "something {feeling} please", "i'm feeling {feeling} play something",
    "play music for when i'm {feeling}",
)
_VERBS = ("relax", "focus", "unwind", "get going", "wake up", "fall asleep", "calm down",
          "cheer up", "think", "get pumped")  # fmt: skip
_FEELINGS = ("good", "better", "down", "great", "lonely", "excited", "nostalgic", "calm",
             "sleepy", "bright and cheerful")  # fmt: skip
_HELP = ("what can you do", "what are my options", "help me out", "what commands do you know",
         "what should i say", "how does this skill work", "i don't know what to say")  # fmt: skip
_LIKE = (
    "i like this song", "i really like this one", "i love this track", "this song is great",
    "add this to my favorites", "save this song", "i like {artist}", "i love {genre}",
    "my favorite singer is {artist}", "remember that i like this song", "this is my jam",
    "thumbs up on this", "more like this please", "great tune", "i'm loving this",
    "favorite this song", "save this song to my favorites", "i like {genre}",
    "that song was awesome", "add this song to my favorites list", "i'm a big fan of {artist}",
    "remember that i love {genre}", "rate this song five stars", "i enjoy {genre} music",
    "this song is amazing", "mark this as a favorite",
)
_DISLIKE = (
    "i don't like this song", "i hate this track", "never play this again", "thumbs down",
    "this song is terrible", "i don't like {artist}", "never play {genre} again",
    "don't play this artist again", "i'm sick of this song", "not this one again",
    "i dislike {genre}", "this is awful", "no more of this song",
)
_WHATS_PLAYING = (
    "what song is this", "what is this song called", "who is singing this",
    "what's the name of this track", "who sings this song", "what am i listening to",
    "which band is this", "what album is this from", "tell me the name of the song",
    "what is playing right now", "who's this artist", "what was that song",
    "what's the title of this song", "what song is playing on the radio",
    "what is the name of the music playing now", "who is the artist of this song",
    "what is the title of the song that is playing", "tell me the artist name",
    "which song is that", "who sang this", "what music is this",
    "give me information on the song that's playing", "what year is this song from",
    "who is the lead singer of this band", "what's the name of this band",
    "what are the lyrics of this song", "who wrote this song", "what genre is this",
    "what's the current song", "name of this song please",
)
_SETTINGS = {
    "shuffle_on": ("shuffle my music", "turn on shuffle", "put it on shuffle",
                   "shuffle the playlist", "shuffle this album", "mix up the songs",
                   "shuffle the current album", "shuffle this playlist on {service}"),
    "shuffle_off": ("turn off shuffle", "stop shuffling", "disable shuffle",
                    "play the songs in order", "no more shuffle"),
    "loop_on": ("loop this song", "put this on repeat", "turn on repeat", "repeat this album",
                "keep repeating this track", "loop the playlist", "repeat the current song",
                "loop this track", "repeat this song again", "play this song on repeat"),
    "loop_off": ("turn off repeat", "stop looping", "disable loop", "stop repeating songs"),
}
_OUT_OF_SCOPE = {
    "podcast": (
        "play the {name} podcast", "play the latest episode of {name}", "resume my podcast",
        "play a podcast about {topic}", "any new podcast episodes", "play {name} podcast",
        "play the newest episode of my podcast", "find a podcast on {topic}",
        "continue the podcast i was listening to", "next episode", "play the daily podcast",
    ),
    "audiobook": (
        "read me {name}", "play the audiobook {name}", "continue my audiobook",
        "resume the audiobook", "read {name} by {artist}", "play my book",
        "continue reading {name}", "play an audiobook", "start the audio book {name}",
        "read the next chapter",
    ),
    "volume": (
        "turn it up", "turn the volume up", "volume up", "louder", "turn it down",
        "volume down", "quieter please", "set the volume to {number}", "mute",
        "mute the speaker", "unmute", "make it louder", "lower the volume", "volume {number}",
        "can you turn it down a bit", "increase the volume", "decrease the volume",
    ),
    "other": (
        "what's the weather today", "set an alarm for {number} am", "turn on the lights",
        "what time is it", "tell me a joke", "add milk to my shopping list",
        "call mom", "order a pizza", "how far is the moon", "what's on my calendar",
        "play a game", "let's play trivia", "read my emails", "turn off the kitchen lights",
        "book a taxi to the airport", "what's the news", "how do you spell {topic}",
        "remind me to call {artist} tomorrow", "who won the game last night",
        "start the vacuum", "make me a coffee", "what is the capital of france",
    ),
}
_TOPICS = ("history", "science", "cooking", "true crime", "football", "technology",
           "business", "health", "comedy", "politics")  # fmt: skip
# fmt: on


def generate(
    names: Mapping[str, Sequence[str]], *, seed: int = 0, per_template: int = 6
) -> list[LabeledUtterance]:
    """Utterances from every template, ``per_template`` fillings each (controls once per
    phrase and prefix). ``names`` maps artist, track, album and playlist to names to fill in;
    missing kinds fall back to a few made-up ones."""
    rng = random.Random(seed)
    values: dict[str, Sequence[str]] = {
        "mood": tuple(MOOD_SYNONYMS), "activity": tuple(ACTIVITY_SYNONYMS), "genre": _GENRES,
        "era": _ERAS, "sort": tuple(SORT_SYNONYMS), "item_type": _ITEMS, "service": _SERVICES,
        "topic": _TOPICS, "number": ("five", "seven", "3", "ten", "six"), "verb": _VERBS,
        "feeling": _FEELINGS,
        "open_genre": OPEN_GENRES,
        "playlist_words": tuple(f"{w}{t}" for w in _PLAYLIST_WORDS for t in _PLAYLIST_TAILS),
        **{kind: names.get(kind) or ("the blue notes", "river song", "night drive")
           for kind in ("artist", "track", "album", "playlist")},
    }  # fmt: skip
    values["name"] = tuple(values["track"]) + tuple(values["album"])
    out: list[LabeledUtterance] = []
    groups: list[tuple[str, Sequence[str]]] = [
        ("play_music", _PLAY), ("play_music", _ARTIST), ("play_music", _DESCRIBED),
        ("play_music", _GENRE), ("play_music", _PLAYLIST),
        ("help", _HELP), ("like", _LIKE), ("dislike", _DISLIKE),
        ("whats_playing", _WHATS_PLAYING), *_SETTINGS.items(),
        *((f"out_of_scope:{reason}", templates) for reason, templates in _OUT_OF_SCOPE.items()),
    ]  # fmt: skip
    for intent, templates in groups:
        for template in templates:
            fillings = per_template if _FIELD.search(template) else 2
            if templates is _ARTIST or templates is _GENRE:
                fillings *= 3  # the open classes: many names, few carriers
            elif templates is _PLAYLIST:
                fillings *= 2
            filled = _values_for(templates, values)
            for _ in range(fillings):
                out.append(_fill(template, intent, filled, rng))
    for control, phrases in CONTROL_PHRASES.items():
        for phrase in phrases:
            out.append(_fill(phrase, control, values, rng))
    return out


def _values_for(
    templates: Sequence[str], values: Mapping[str, Sequence[str]]
) -> Mapping[str, Sequence[str]]:
    """Open genres for the genre templates, playlists of music words for the playlist ones
    (half the time: real names too)."""
    if templates is _GENRE:
        return {**values, "genre": values["open_genre"]}
    if templates is _PLAYLIST:
        return {**values, "playlist": (*values["playlist"], *values["playlist_words"])}
    return values


def _fill(
    template: str, intent: str, values: Mapping[str, Sequence[str]], rng: random.Random
) -> LabeledUtterance:
    segments: list[tuple[str, str | None]] = [(rng.choice(_PREFIXES), None)]
    position = 0
    for match in _FIELD.finditer(template):
        segments.append((template[position : match.start()], None))
        field = match.group(1)
        slot = field if field not in ("topic", "number", "name", "verb", "feeling") else None
        if intent == "out_of_scope:audiobook" and field == "artist":
            slot = None  # an author, not an artist
        segments.append((rng.choice(values[field]), slot))
        position = match.end()
    segments.append((template[position:] + rng.choice(_SUFFIXES), None))
    return from_segments(segments, intent, "generated", intent)
