"""The rule parser: free text and Alexa slots to a ParsedRequest, fast and dependency free.

Free text goes through four steps: clean (cap the length, drop control characters, emoji and
edge punctuation), strip the wake word and politeness, match the whole phrase against the
control phrases ("pause", "next song"), else read it as a play request: "X by Y", "X radio",
or a scan for mood, genre, activity, era and popularity words, leaving an open-vocabulary
artist when nothing else matched. It never raises: what it cannot read is a ``fallback`` with
a ``reason``.

Moods come from ``nlu.moods`` (the single source of truth); genres from the catalog's genre
list handed to the constructor, plus the spelling variants in ``GENRE_SYNONYMS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nlu.moods import canonical_mood
from nlu.parsed import AlexaSlot, Intent, Interpretation, ParsedRequest, Slot, SlotName, fallback

# A spoken request is a sentence; anything longer is not one and is not worth scanning.
MAX_TEXT_CHARS = 500

# fmt: off
# Canonical genre keys (see ``phrase_key``) and other ways listeners say them.
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "hip hop": ("hiphop", "rap", "hip hop music"),
    "r and b": ("rnb", "r n b", "rhythm and blues"),
    "electronic": ("electronica", "edm", "electro"),
    "rock": ("rock and roll", "rock n roll", "rock 'n' roll"),
    "classical": ("orchestral", "classical music"),
    "metal": ("heavy metal",),
    "punk": ("punk rock",),
    "country": ("country music",),
    "pop": ("pop music",),
    "jazz": ("smooth jazz",),
    "blues": (),
    "folk": ("folk music",),
    "soul": (),
    "reggae": (),
    "indie": ("indie rock",),
    "ambient": (),
    "latin": ("reggaeton",),
    "dance": ("dance music",),
    "k pop": ("kpop", "korean pop"),
    "lo fi": ("lofi", "lofi beats", "lo fi beats"),
}

# Whole phrases (after cleaning) that are player controls, not play requests.
CONTROL_PHRASES: dict[Intent, tuple[str, ...]] = {
    "pause": ("pause", "pause it", "pause this", "pause the music", "pause music", "hold on"),
    "stop": ("stop", "stop it", "stop the music", "stop playing", "stop music", "turn it off",
             "turn off the music", "shut up", "cancel", "be quiet", "quiet"),
    "resume": ("resume", "resume the music", "resume playing", "continue", "continue playing",
               "unpause", "keep playing", "carry on"),
    "next": ("next", "next song", "next track", "next one", "skip", "skip it", "skip this",
             "skip song", "skip this song", "skip track", "play next", "play the next song",
             "play the next one", "play next song"),
    "previous": ("previous", "previous song", "previous track", "go back", "back",
                 "last song", "play the previous song", "play the last song"),
    "shuffle_on": ("shuffle", "shuffle on", "turn on shuffle", "shuffle the music"),
    "shuffle_off": ("shuffle off", "stop shuffling", "turn off shuffle", "unshuffle"),
    "loop_on": ("loop", "loop on", "turn on loop", "loop this", "loop this song"),
    "loop_off": ("loop off", "stop looping", "turn off loop"),
    "repeat": ("repeat", "repeat that", "repeat this", "repeat this song", "play it again",
               "play that again", "play this again"),
    "start_over": ("start over", "restart", "restart the song", "restart this song",
                   "from the beginning", "start from the beginning", "play from the start"),
    "like": ("like", "like this", "like this song", "i like this", "i like this song",
             "i love this", "i love this song", "thumbs up", "love this song"),
    "dislike": ("dislike", "dislike this", "i don't like this", "i don't like this song",
                "i hate this", "i hate this song", "thumbs down", "don't play this again"),
    "whats_playing": ("what's playing", "what is playing", "what's this", "what is this",
                      "what song is this", "what's this song", "what is this song",
                      "who is this", "who sings this", "who is singing", "what's on"),
    "help": ("help", "help me", "what can i say", "what can you do", "how does this work"),
}

_WAKE_PREFIXES = ("hey alexa", "ok alexa", "alexa", "ask philomath to", "tell philomath to",
                  "ask philomath", "philomath")
_POLITE_PREFIXES = ("please", "can you", "could you", "would you", "will you", "kindly",
                    "i'd like you to", "can i", "could i")
_POLITE_SUFFIXES = ("please", "for me", "right now", "now", "thanks", "thank you")
# Longest first, so "play me" wins over "play".
_PLAY_VERBS = tuple(sorted((
    "play", "play me", "put on", "turn on", "start", "start playing", "give me", "find me",
    "find", "search for", "queue up", "listen to", "let me hear", "let's hear", "lets hear",
    "let's listen to", "i want to hear", "i wanna hear", "i'd like to hear",
    "i would like to hear", "i want to listen to", "i wanna listen to", "i'd like to listen to",
    "i would like to listen to", "i want", "i need", "hear",
), key=len, reverse=True))

_MUSIC_NOUNS = frozenset(("music", "songs", "song", "tracks", "track", "tunes", "something",
                          "anything", "stuff", "playlist", "mix", "album"))
_FILLER = _MUSIC_NOUNS | frozenset((
    "some", "any", "a", "an", "the", "me", "my", "to", "for", "of", "with", "while", "from",
    "on", "in", "i", "am", "i'm", "im", "when", "good", "great", "nice", "little", "bit", "kind",
    "that", "is", "are", "it", "this", "more", "really", "very", "just", "few", "lot", "lots",
    "type", "style", "vibes", "vibe", "like", "get", "us", "our", "be", "today", "tonight",
    "evening", "morning", "afternoon", "night", "background", "new", "and", "or",
))
_SORT_PHRASES = frozenset(("top hits", "hits", "popular", "most popular", "trending",
                           "the charts", "charts", "top songs", "top tracks", "top 40",
                           "top forty", "chart toppers", "biggest hits", "greatest hits"))
# Activity words to the canonical activity; the mood they imply comes from nlu.moods.
_ACTIVITIES = {"study": "study", "studying": "study", "workout": "workout",
               "working out": "workout", "exercise": "workout", "exercising": "workout",
               "gym": "workout", "running": "running", "sleep": "sleep", "sleeping": "sleep",
               "cooking": "cooking", "driving": "driving", "reading": "reading",
               "work": "work", "working": "work", "party": "party", "partying": "party"}
_DECADE_WORDS = {"fifties": "1950s", "sixties": "1960s", "seventies": "1970s",
                 "eighties": "1980s", "nineties": "1990s"}
_DECADE = re.compile(r"^(19|20)?([0-9])0'?s$")
_EDGE_PUNCTUATION = ".,!?;:\"'()[]{}<>«»“”‘’`*~_"

# Alexa intent names to ours; PlayMusicIntent and PlayRequestIntent carry slots.
ALEXA_INTENTS: dict[str, Intent] = {
    "AMAZON.PauseIntent": "pause", "AMAZON.StopIntent": "stop", "AMAZON.CancelIntent": "stop",
    "AMAZON.NavigateHomeIntent": "stop", "AMAZON.ResumeIntent": "resume",
    "AMAZON.NextIntent": "next", "AMAZON.PreviousIntent": "previous",
    "AMAZON.ShuffleOnIntent": "shuffle_on", "AMAZON.ShuffleOffIntent": "shuffle_off",
    "AMAZON.LoopOnIntent": "loop_on", "AMAZON.LoopOffIntent": "loop_off",
    "AMAZON.RepeatIntent": "repeat", "AMAZON.StartOverIntent": "start_over",
    "AMAZON.HelpIntent": "help", "LikeIntent": "like", "DislikeIntent": "dislike",
    "WhatsPlayingIntent": "whats_playing",
}
# fmt: on


def phrase_key(text: str) -> str:
    """The lookup form of a phrase: lower case, ``&`` as "and", hyphens and slashes as
    spaces, single spaces. "Hip-Hop" and "hip hop" share a key; so do "R&B" and "r and b"."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[-_/]", " ", text).split())


def clean_words(text: str) -> list[str]:
    """Lower-case words of ``text`` with control characters, emoji and symbols removed and
    punctuation stripped from word edges (inner punctuation such as "p!nk" stays)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    # Only letters, digits, punctuation and spaces can be part of a spoken word.
    kept = "".join(c if unicodedata.category(c)[0] in "LMNP" else " " for c in text)
    words = []
    for raw in kept.lower().split():
        word = "and" if raw == "&" else raw.strip(_EDGE_PUNCTUATION)
        if any(c.isalnum() for c in word):
            words.append(word)
    return words


def _strip_phrases(words: list[str], prefixes: Iterable[str], *, suffix: bool = False) -> bool:
    """Remove one of ``prefixes`` from the start (or end) of ``words`` in place."""
    for phrase in prefixes:
        parts = phrase.split()
        n = len(parts)
        if suffix and words[-n:] == parts and len(words) > n:
            del words[-n:]
            return True
        if not suffix and words[:n] == parts:
            del words[:n]
            return True
    return False


@dataclass
class _Scan:
    """What a vocabulary scan found in a run of words."""

    slots: dict[SlotName, Slot] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    music_noun: bool = False


class RuleParser:
    """Parses requests with phrase tables; see the module docstring. Thread safe."""

    def __init__(self, genres: Iterable[str]) -> None:
        self._genres: dict[str, str] = {}
        catalog = [g for g in genres if g and g.strip()]
        for genre in catalog:  # spelling variants first, so exact catalog names win below
            for variant in GENRE_SYNONYMS.get(phrase_key(genre), ()):
                self._genres[phrase_key(variant)] = genre
        for genre in catalog:
            self._genres[phrase_key(genre)] = genre
        self._controls = {p: i for i, phrases in CONTROL_PHRASES.items() for p in phrases}

    def canonical_genre(self, text: str) -> str | None:
        """The catalog's spelling of the genre ``text`` names, or None."""
        return self._genres.get(phrase_key(text))

    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest:
        """Parse free text. ``assume_play`` is for text that followed a play carrier phrase
        (Alexa's "play {Query}"), where a bare name is an artist rather than noise."""
        if len(text) > MAX_TEXT_CHARS:
            return fallback("too_long")
        words = clean_words(text)
        while (
            _strip_phrases(words, _WAKE_PREFIXES)
            or _strip_phrases(words, _POLITE_PREFIXES)
            or _strip_phrases(words, _POLITE_SUFFIXES, suffix=True)
        ):
            pass
        if not words:
            return fallback("empty")
        control = self._controls.get(" ".join(words))
        if control is not None:
            return ParsedRequest(intent=control, confidence=0.95)
        has_verb = _strip_phrases(words, _PLAY_VERBS)
        return self._play(words, explicit=has_verb or assume_play)

    def from_alexa_slots(
        self, intent_name: str, slots: Mapping[str, str | AlexaSlot | None]
    ) -> ParsedRequest:
        """Map an Alexa intent and its slots. Plain strings are the spoken values; an
        ``AlexaSlot`` also carries entity resolution's canonical value, which wins."""
        if intent_name == "PlayRequestIntent":
            query = _slot_text(slots.get("Query"))
            if query is None:
                return ParsedRequest(intent="play_music", confidence=0.7)
            return self.parse(query, assume_play=True)
        if intent_name == "PlayMusicIntent":
            return self._play_music_slots(slots)
        if intent_name == "AMAZON.FallbackIntent":
            return fallback("alexa_fallback")
        intent = ALEXA_INTENTS.get(intent_name)
        if intent is None:
            return fallback(f"unknown_intent:{intent_name[:64]}")
        return ParsedRequest(intent=intent, confidence=1.0)

    def _play_music_slots(self, slots: Mapping[str, str | AlexaSlot | None]) -> ParsedRequest:
        found: dict[SlotName, Slot] = {}
        mood = _as_alexa_slot(slots.get("Mood"))
        if mood is not None and mood.text is not None:
            canonical = canonical_mood(mood.resolved or mood.text) or canonical_mood(mood.text)
            if canonical is not None:
                found["mood"] = Slot(text=mood.text, value=canonical, id=mood.resolved_id)
        genre = _as_alexa_slot(slots.get("Genre"))
        if genre is not None and genre.text is not None:
            said = genre.resolved or genre.text
            value = self.canonical_genre(said) or phrase_key(said)
            if value:
                found["genre"] = Slot(text=genre.text, value=value, id=genre.resolved_id)
        artist = _as_alexa_slot(slots.get("Artist"))
        name = " ".join(clean_words(artist.text)) if artist and artist.text else ""
        if artist is not None and artist.text is not None and name:
            found["artist"] = Slot(text=artist.text, value=artist.resolved or name,
                                   id=artist.resolved_id)  # fmt: skip
        return ParsedRequest(intent="play_music", confidence=0.9 if found else 0.7, slots=found)

    def _play(self, words: list[str], *, explicit: bool) -> ParsedRequest:
        """Read ``words`` (verb removed) as a play request."""
        if not words:
            return ParsedRequest(intent="play_music", confidence=0.8)
        radio = len(words) > 1 and words[-1] == "radio"
        if radio:
            words = words[:-1]
        slots: dict[SlotName, Slot] = {}
        by = _split_by(words)
        if by is not None:
            words, artist = by
            slots["artist"] = _slot(artist)
        item_types: tuple[SlotName, ...] = ("album", "playlist")
        for item_type in item_types:
            named = _after_marker(words, item_type)
            if named:
                slots.update({item_type: _slot(named), "item_type": _slot(item_type)})
                return ParsedRequest(intent="play_music", confidence=0.8, slots=slots)
        scan = self._scan(words)
        slots.update(scan.slots)
        if by is not None:
            return self._by(words, slots, scan)
        if slots:
            confidence = 0.9 if not scan.leftovers else 0.75
            return ParsedRequest(intent="play_music", confidence=confidence, slots=slots)
        name = _trim_filler(words)
        if not name:
            if explicit or scan.music_noun:
                return ParsedRequest(intent="play_music", confidence=0.8 if explicit else 0.6)
            return fallback("no_match")
        if not (explicit or radio):
            return fallback("no_match")
        named = " ".join(name)
        return ParsedRequest(
            intent="play_music",
            confidence=0.7 if radio else 0.6,
            slots={"artist": _slot(named)},
            alternatives=[
                Interpretation(intent="play_music", confidence=0.3, slots={"track": _slot(named)})
            ],
        )

    @staticmethod
    def _by(before: list[str], slots: dict[SlotName, Slot], scan: _Scan) -> ParsedRequest:
        """ "<something> by <artist>": ``before`` is vocabulary, filler or a track title."""
        title = _trim_filler(before)
        alternatives = []
        if not scan.slots and title:
            slots["track"] = _slot(" ".join(title))
            # "stand by me" may be one title rather than "stand" by "me".
            whole = f"{' '.join(title)} by {slots['artist'].value}"
            alternatives.append(
                Interpretation(intent="play_music", confidence=0.3, slots={"track": _slot(whole)})
            )
        return ParsedRequest(
            intent="play_music", confidence=0.85, slots=slots, alternatives=alternatives
        )

    def _scan(self, words: list[str]) -> _Scan:
        """Longest-first match of 3, 2 and 1 word phrases against the vocabulary."""
        scan = _Scan()
        i = 0
        while i < len(words):
            for n in (3, 2, 1):
                if i + n <= len(words) and self._take(" ".join(words[i : i + n]), scan):
                    i += n
                    break
            else:
                scan.leftovers.append(words[i])
                i += 1
        return scan

    def _take(self, phrase: str, scan: _Scan) -> bool:
        """Record ``phrase`` in ``scan`` if it is vocabulary; False when it is not."""
        genre = self._genres.get(phrase_key(phrase))
        if genre is not None:
            scan.slots.setdefault("genre", Slot(text=phrase, value=genre))
            return True
        mood, activity = canonical_mood(phrase), _ACTIVITIES.get(phrase)
        if mood is not None or activity is not None:
            if mood is not None:
                scan.slots.setdefault("mood", Slot(text=phrase, value=mood))
            if activity is not None:
                scan.slots.setdefault("activity", Slot(text=phrase, value=activity))
            return True
        if phrase in _SORT_PHRASES:
            scan.slots.setdefault("sort", Slot(text=phrase, value="popular"))
            return True
        era = _era(phrase)
        if era is not None:
            scan.slots.setdefault("era", Slot(text=phrase, value=era))
            return True
        if phrase in _FILLER:
            scan.music_noun |= phrase in _MUSIC_NOUNS
            return True
        return False


def _era(phrase: str) -> str | None:
    if phrase in _DECADE_WORDS:
        return _DECADE_WORDS[phrase]
    match = _DECADE.match(phrase)
    if match is None:
        return None
    century, decade = match.groups()
    if century is None:
        century = "20" if decade in "012" else "19"
    return f"{century}{decade}0s"


def _split_by(words: list[str]) -> tuple[list[str], str] | None:
    """(words before the last "by", the artist after it), or None when no artist follows."""
    if "by" not in words:
        return None
    split = len(words) - 1 - words[::-1].index("by")
    artist = _trim_filler(words[split + 1 :])
    return (words[:split], " ".join(artist)) if artist else None


def _after_marker(words: list[str], marker: str) -> str | None:
    """The name in "the album X", "album X", "my X playlist", "playlist X"; else None."""
    if marker in words[:2]:
        rest = words[words.index(marker) + 1 :]
        return " ".join(rest) or None
    if len(words) > 1 and words[-1] == marker and words[0] in ("my", "the"):
        return " ".join(words[1:-1]) or None
    return None


def _trim_filler(words: list[str]) -> list[str]:
    """``words`` without leading filler and trailing music nouns ("some radiohead songs" ->
    "radiohead"); a leading "the" and trailing words such as "me" can be part of a name."""
    start, end = 0, len(words)
    while start < end and words[start] in _FILLER and words[start] != "the":
        start += 1
    while end > start and words[end - 1] in _MUSIC_NOUNS:
        end -= 1
    trimmed = words[start:end]
    return [] if all(w in _FILLER for w in trimmed) else trimmed


def _slot(text: str) -> Slot:
    return Slot(text=text, value=text)


def _as_alexa_slot(value: str | AlexaSlot | None) -> AlexaSlot | None:
    """The slot with its spoken text capped like free text (slots come from the network)."""
    if value is None:
        return None
    slot = value if isinstance(value, AlexaSlot) else AlexaSlot(text=value)
    if slot.text is not None and len(slot.text) > MAX_TEXT_CHARS:
        return AlexaSlot(slot.text[:MAX_TEXT_CHARS], slot.resolved, slot.resolved_id)
    return slot


def _slot_text(value: str | AlexaSlot | None) -> str | None:
    slot = _as_alexa_slot(value)
    if slot is None or slot.text is None or not slot.text.strip():
        return None
    return slot.text
