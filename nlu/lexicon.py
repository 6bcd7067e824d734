"""The words of music requests that are about language: sorts, item types, eras, control
phrases, play verbs, politeness and filler, shared by the parsers, the gazetteer and the
interaction model. What a listener asks for by name (genres, moods, activities) is the
catalog's vocabulary, ``playback.vocabulary``.

Keys are lower case and in ``phrase_key`` form. Control phrases are written as listeners say
them (they double as Alexa sample utterances) and matched through ``control_key``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nlu.parsed import Intent

# fmt: off
# Ordering words to the canonical sort.
SORT_SYNONYMS: dict[str, str] = {
    "popular": "popular", "most popular": "popular", "hits": "popular", "top hits": "popular",
    "biggest hits": "popular", "greatest hits": "popular", "the charts": "popular",
    "charts": "popular", "top songs": "popular", "top tracks": "popular", "top 40": "popular",
    "top forty": "popular", "chart toppers": "popular", "best": "popular", "top": "popular",
    "best of": "popular", "classics": "popular", "new": "new", "newest": "new",
    "latest": "new", "new releases": "new", "recent": "new", "brand new": "new",
    "fresh": "new", "trending": "trending", "viral": "trending", "what's hot": "trending",
    "hot right now": "trending", "what's trending": "trending", "buzzing": "trending",
}

# Words naming the kind of thing to play.
ITEM_TYPES: dict[str, str] = {
    "song": "song", "track": "song", "single": "song", "album": "album", "record": "album",
    "lp": "album", "ep": "album", "artist": "artist", "band": "artist", "group": "artist",
    "singer": "artist", "playlist": "playlist", "radio": "radio", "station": "radio",
    "radio station": "radio",
}

DECADE_WORDS: dict[str, str] = {
    "twenties": "1920s", "thirties": "1930s", "forties": "1940s", "fourties": "1940s",
    "fifties": "1950s", "sixties": "1960s", "seventies": "1970s", "eighties": "1980s",
    "nineties": "1990s", "two thousands": "2000s", "noughties": "2000s",
    "twenty tens": "2010s",
}

# Whole requests (as said) that are player controls, not play requests.
CONTROL_PHRASES: dict[Intent, tuple[str, ...]] = {
    "pause": ("pause", "pause it", "pause this", "pause the music", "hold on", "hold it",
              "wait", "pause for a second"),
    "stop": ("stop", "stop it", "stop the music", "stop playing", "turn it off",
             "turn off the music", "shut up", "cancel", "be quiet", "quiet", "enough",
             "that's enough", "exit", "quit", "switch it off", "shut it off", "silence"),
    "resume": ("resume", "resume the music", "resume playing", "continue", "continue playing",
               "unpause", "keep playing", "carry on", "keep going", "go on",
               "pick up where we left off"),
    "next": ("next", "next song", "next track", "next one", "skip", "skip it", "skip this",
             "skip this song", "skip ahead", "skip to the next song", "go to the next song",
             "play the next song", "play next", "move on", "another one", "another song",
             "play something else", "something else", "change the song", "forward"),
    "previous": ("previous", "previous song", "previous track", "go back", "back",
                 "last song", "play the previous song", "play the last song", "skip back",
                 "go back a song", "the one before"),
    "shuffle_on": ("shuffle", "shuffle on", "turn on shuffle", "turn shuffle on",
                   "shuffle the music", "shuffle my music", "shuffle mode", "mix it up",
                   "enable shuffle"),
    "shuffle_off": ("shuffle off", "stop shuffling", "turn off shuffle", "turn shuffle off",
                    "unshuffle", "no shuffle", "disable shuffle", "play in order"),
    "loop_on": ("loop", "loop on", "turn on loop", "turn loop on", "loop this",
                "loop this song", "put it on loop", "put this on repeat", "turn on repeat",
                "keep repeating this", "enable loop"),
    "loop_off": ("loop off", "stop looping", "turn off loop", "turn loop off", "no loop",
                 "turn off repeat", "stop repeating", "disable loop"),
    "repeat": ("repeat", "repeat that", "repeat this", "repeat this song", "play it again",
               "play that again", "play this again", "one more time", "once more", "again",
               "replay", "replay this song"),
    "start_over": ("start over", "restart", "restart the song", "restart this song",
                   "from the beginning", "start from the beginning", "play from the start",
                   "back to the beginning", "from the top", "start it again"),
    "like": ("like", "like this", "like this song", "i like this", "i like this song",
             "i love this", "i love this song", "thumbs up", "love this song", "i like it",
             "i love it", "great song", "this is a great song", "add this to my favorites"),
    "dislike": ("dislike", "dislike this", "i don't like this", "i don't like this song",
                "i hate this", "i hate this song", "thumbs down", "don't play this again",
                "never play this again", "never play this song again", "this song sucks",
                "i'm tired of this song", "i don't like it", "i dislike this"),
    "whats_playing": ("what's playing", "what is playing", "what's this", "what is this",
                      "what song is this", "what's this song", "what is this song",
                      "who is this", "who sings this", "who is singing", "what's on",
                      "who sang this", "what's the name of this song", "who's the artist",
                      "what am i listening to", "name this song", "what's this song called",
                      "who is the singer"),
    "help": ("help", "help me", "what can i say", "what can you do", "how does this work",
             "what are my options", "i need help", "how do i use this"),
}

# Words that carry no meaning in a control phrase: "skip this song" means "skip".
_CONTROL_SOFT_WORDS = frozenset((
    "the", "this", "that", "it", "song", "track", "tune", "music", "one", "current", "a",
    "an", "please", "now", "me", "us", "my", "right", "just", "second", "sec", "moment",
    "minute", "bit", "mode", "songs", "tracks", "playback",
))
# Words that switch a player setting ("shuffle", "loop") and the words that turn it off.
SETTING_WORDS: dict[str, tuple[Intent, Intent]] = {
    "shuffle": ("shuffle_on", "shuffle_off"), "shuffling": ("shuffle_on", "shuffle_off"),
    "shuffled": ("shuffle_on", "shuffle_off"), "loop": ("loop_on", "loop_off"),
    "looping": ("loop_on", "loop_off"), "looped": ("loop_on", "loop_off"),
}
_SETTING_CONTEXT = frozenset(("turn", "put", "set", "switch", "enable", "keep", "start", "on",
                              "is", "be", "go", "get", "play", "playing", "can", "you", "i",
                              "want", "to", "in", "everything", "all", "mix"))
OFF_WORDS = frozenset(("off", "stop", "disable", "no", "don't", "dont", "not", "cancel", "end",
                       "quit", "without", "unshuffle"))

WAKE_PREFIXES = ("hey alexa", "ok alexa", "okay alexa", "alexa", "ask philomath to",
                 "tell philomath to", "ask philomath", "philomath")
POLITE_PREFIXES = ("please", "can you", "could you", "would you", "will you", "kindly",
                   "i'd like you to", "can i", "could i", "hey", "um", "uh", "ok", "okay", "so")
POLITE_SUFFIXES = ("please", "for me", "right now", "now", "thanks", "thank you")
# The words of those phrases, and other assistants' wake words, said around "put X on".
_BEFORE_PUT = frozenset(
    {w for phrase in (*WAKE_PREFIXES, *POLITE_PREFIXES) for w in phrase.split()}
    | {"just", "now", "olly", "google", "siri"}
)
_AFTER_PARTICLE = frozenset({w for phrase in POLITE_SUFFIXES for w in phrase.split()} | {"alexa"})

# Verbs that ask for music whatever follows: "play X" is a music request even when X is
# unknown. Weak verbs also start other requests ("turn on the lights", "i need a taxi").
STRONG_PLAY_VERBS = ("play", "play me", "play us", "play some", "start playing", "listen to",
                     "let me hear", "let's hear", "lets hear", "let's listen to",
                     "i want to hear", "i wanna hear", "i'd like to hear",
                     "i would like to hear", "i want to listen to", "i wanna listen to",
                     "i'd like to listen to", "i would like to listen to", "queue up",
                     "queue", "blast", "spin", "throw on", "crank up", "bump",
                     "i feel like listening to", "i feel like hearing", "stream")
WEAK_PLAY_VERBS = ("put on", "turn on", "start", "give me", "get me", "find me", "find",
                   "search for", "look for", "pull up", "i want", "i need", "i'd like",
                   "how about", "let's have", "can we get", "can we have", "i'm in the mood for",
                   "in the mood for", "do you have", "hear")
# Longest first, so "play me" wins over "play".
PLAY_VERBS: tuple[str, ...] = tuple(sorted((*STRONG_PLAY_VERBS, *WEAK_PLAY_VERBS),
                                           key=len, reverse=True))

MUSIC_NOUNS = frozenset(("music", "songs", "song", "tracks", "track", "tunes", "tune",
                         "something", "anything", "stuff", "mix", "jams", "beats", "sounds",
                         "melodies", "records", "playlist", "album", "bangers", "numbers"))
# Words that are never a name by themselves and never change the request.
FILLER = MUSIC_NOUNS | frozenset((
    "some", "any", "a", "an", "the", "me", "my", "of", "on", "in", "i", "am", "i'm", "im",
    "good", "great", "nice", "little", "bit", "kind", "sort", "is", "are", "it", "this",
    "more", "really", "very", "just", "few", "lot", "lots", "type", "style", "vibes", "vibe",
    "get", "us", "our", "be", "today",
    "background", "and", "or", "please", "again", "also", "too", "maybe", "cool", "nice",
    "awesome", "ones", "one", "that's", "thats", "all", "whole", "totally", "super", "pretty",
    "from", "by", "off", "out", "up", "you", "your", "we", "what's", "whats", "mostly",
))
# Words that make leftovers a description ("music for a rainy day") rather than a name.
DESCRIPTION_CUES = frozenset((
    "for", "to", "while", "when", "that", "which", "makes", "make", "help", "helps", "feel",
    "feeling", "about", "during", "after", "before", "with", "like", "where", "because",
    "want", "so", "fit", "fits", "suits", "suit", "match", "matches", "im", "i'm", "mood",
))
# Things listeners ask a speaker to play that are not music.
NOT_MUSIC = frozenset(("game", "games", "podcast", "podcasts", "audiobook", "audiobooks",
                       "news", "video", "videos", "movie", "movies", "trivia", "weather",
                       "lights", "light", "tv", "television", "alarm", "timer", "heating",
                       "fan", "oven"))
# fmt: on

# Words that say a request is for something the skill does not play, whatever else it says
# ("resume my audiobook", "play the latest episode", "set the volume to five").
OUT_OF_SCOPE_CUES: dict[str, frozenset[str]] = {
    "podcast": frozenset(("podcast", "podcasts", "episode", "episodes")),
    "audiobook": frozenset(("audiobook", "audiobooks", "audible", "chapter")),
    "volume": frozenset(("volume", "mute", "unmute", "muted")),
}
_CUE_COMPOUNDS = {("audio", "book"): "audiobook", ("audio", "books"): "audiobook"}
# Before "volume 3" or "episode 6" these words start a request; any other word ends a title
# ("Los Hombres Calientes Volume 3").
_CUE_LEADS = frozenset(("set", "the", "turn", "change", "put", "at", "to", "play", "next",
                        "last", "latest", "new", "newest", "first", "this", "my", "read",
                        "resume", "continue", "start", "from", "of", "in"))  # fmt: skip
_NUMBER = re.compile(
    r"^([0-9]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|twenty|thirty|forty|fifty|hundred)$"
)

_DECADE = re.compile(r"^(19|20)?([0-9])0'?s$")
_YEAR = re.compile(r"^(19[5-9][0-9]|20[0-2][0-9])$")


def control_key(words: Iterable[str]) -> str:
    """The lookup form of a control request: its words without soft words."""
    return " ".join(w for w in words if w not in _CONTROL_SOFT_WORDS)


def control_table() -> dict[str, Intent]:
    """``control_key`` of every control phrase to its intent. A phrase whose key is empty
    (all soft words) is dropped: it cannot tell one control from another."""
    table: dict[str, Intent] = {}
    for intent, phrases in CONTROL_PHRASES.items():
        for phrase in phrases:
            key = control_key(phrase.split())
            if key:
                table.setdefault(key, intent)
    return table


def setting_intent(keys: Sequence[str]) -> Intent | None:
    """A request about shuffle or loop and nothing else: which way it turns the setting
    ("turn off shuffling", "keep looping this")."""
    found = [SETTING_WORDS[k] for k in keys if k in SETTING_WORDS]
    known = _CONTROL_SOFT_WORDS | OFF_WORDS | SETTING_WORDS.keys() | _SETTING_CONTEXT
    if len(found) != 1 or not all(k in known for k in keys):
        return None
    on, off = found[0]
    return off if any(k in OFF_WORDS for k in keys) else on


def out_of_scope_cue(words: Sequence[str]) -> tuple[str, int] | None:
    """The reason and position of the first word that says the request is for a podcast,
    an audiobook or the volume; a numbered "volume" or "episode" after a title word is the
    title's ("Metal Hammer Episode 6"), and a volume word after a play verb a name's."""
    for i, word in enumerate(words):
        reason = next((r for r, cues in OUT_OF_SCOPE_CUES.items() if word in cues), None)
        if reason is None:
            reason = _CUE_COMPOUNDS.get((word, words[i + 1] if i + 1 < len(words) else ""))
        if reason is None:
            continue
        numbered = i + 1 < len(words) and _NUMBER.match(words[i + 1]) is not None
        if numbered and i > 0 and words[i - 1] not in _CUE_LEADS:
            continue
        if reason == "volume" and {"play", "listen"} & set(words[:i]):
            continue  # "play mute math": a name; nobody asks to play the volume
        return reason, i
    return None


def era_of(phrase: str) -> str | None:
    """The era a phrase names: a decade ("80s", "the eighties" -> "1980s") or a year."""
    phrase = phrase.removeprefix("the ")
    if phrase in DECADE_WORDS:
        return DECADE_WORDS[phrase]
    if _YEAR.match(phrase):
        return phrase
    match = _DECADE.match(phrase)
    if match is None:
        return None
    century, decade = match.groups()
    if century is None:
        century = "20" if decade in "012" else "19"
    return f"{century}{decade}0s"


def particle_first(words: list[str]) -> list[str]:
    """Reads "put X on" as "put on X": an "on" said last belongs to the verb, so the request
    reads as the play request it is ("put taylor swift on please"), and no "on" is left to
    start a playlist's name ("put X on my workout playlist" is unchanged, and so is a title
    such as "play put your records on", where "put" does not start the request)."""
    end = len(words)
    while end and words[end - 1] in _AFTER_PARTICLE:
        end -= 1
    verb = next((i for i, w in enumerate(words[:end]) if w not in _BEFORE_PUT), end)
    if verb + 2 >= end or words[verb] != "put" or words[end - 1] != "on":
        return words
    if words[verb + 1 : end - 1] in (["it"], ["this"], ["that"], ["them"]):
        return words  # "put it on": no name to bring forward
    return [*words[: verb + 1], "on", *words[verb + 1 : end - 1], *words[end:]]
