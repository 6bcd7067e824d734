"""The rule parser: free text and Alexa slots to a ParsedRequest, fast and dependency free.

Free text goes through four steps: clean (cap the length, drop control characters, emoji and
edge punctuation), strip the wake word and politeness, match the control phrases ("pause",
"skip this song") through ``control_key`` and the out-of-scope words ("resume my audiobook":
``out_of_scope`` with its reason), else take off the play verb and read the rest as a play
request (``nlu.reading``) against the lexicon. It never raises: what it cannot read is a
``fallback`` with a ``reason``.

``RuleParser`` knows no catalog names: names stay open vocabulary. ``nlu.parser.MusicParser``
extends it through the three hooks below (``_matches``, ``_resolver``, ``_conclude``) with the
spaCy gazetteer, fuzzy catalog lookup and sentence embeddings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from nlu.candidates import NameKind, NameResolver, NoCatalog
from nlu.lexicon import (
    CONTROL_PHRASES,
    MUSIC_NOUNS,
    POLITE_PREFIXES,
    POLITE_SUFFIXES,
    SORT_SYNONYMS,
    STRONG_PLAY_VERBS,
    WAKE_PREFIXES,
    WEAK_PLAY_VERBS,
    control_key,
    control_table,
    era_of,
    out_of_scope_cue,
    particle_first,
    setting_intent,
)
from nlu.parsed import (
    AlexaSlot,
    Intent,
    OutOfScopeReason,
    ParsedRequest,
    Slot,
    SlotName,
    fallback,
    out_of_scope,
)
from nlu.phrase_matching import LexiconVocabulary, Match, match_keys
from nlu.reading import Reading, Verb, read_play
from nlu.text import MAX_TEXT_CHARS, clean_words, strip_phrases
from nlu.time_of_day import (
    TimeExpressions,
    part_of_word,
    recurrence_of,
    routine_name,
    routine_slots,
    take_leading,
    take_modifiers,
    take_trailing,
)
from playback.vocabulary import ACTIVITY_SYNONYMS, GENRE_SYNONYMS, canonical_mood, phrase_key

# Re-exported: the skill and the interaction model import these from here.
__all__ = [
    "ALEXA_INTENTS",
    "CONTROL_PHRASES",
    "GENRE_SYNONYMS",
    "MAX_TEXT_CHARS",
    "RuleParser",
    "Utterance",
    "clean_words",
    "phrase_key",
]

# fmt: off
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
_STRONG = tuple(sorted(STRONG_PLAY_VERBS, key=len, reverse=True))
_WEAK = tuple(sorted(WEAK_PLAY_VERBS, key=len, reverse=True))
_VERBS = (*_STRONG, *_WEAK)
_NAME_KINDS: frozenset[SlotName] = frozenset(("artist", "track", "album", "playlist"))
# PlayMusicIntent's name slots, by the slot name the interaction model gives them.
_NAME_SLOTS: dict[str, NameKind] = {
    "Artist": "artist", "Track": "track", "Album": "album", "Playlist": "playlist",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Utterance:
    """A cleaned request: ``words`` after the play verb, ``request`` before it (wake word and
    politeness already gone), and which kind of verb was said."""

    request: tuple[str, ...]
    words: tuple[str, ...]
    verb: Verb

    @property
    def keys(self) -> list[str]:
        return match_keys(self.words)


@dataclass(frozen=True, slots=True)
class Draft:
    """A play request read but not concluded: the words, their reading and the time
    expressions said around them."""

    utterance: Utterance
    reading: Reading
    times: TimeExpressions

    def finish(self, parsed: ParsedRequest) -> ParsedRequest:
        """``parsed`` with the time expressions, when it is a play request."""
        return _with_slots(parsed, self.times)


class RuleParser:
    """Parses requests with phrase tables; see the module docstring. Thread safe."""

    def __init__(self, genres: Iterable[str]) -> None:
        self._lexicon = LexiconVocabulary(genres)
        self._controls = control_table()
        # Words a part of the day may describe ("night music", "late night jazz").
        self._music_heads = MUSIC_NOUNS | frozenset(
            word for genre in genres for word in clean_words(genre)
        )

    def canonical_genre(self, text: str) -> str | None:
        """The catalog's spelling of the genre ``text`` names, or None."""
        return self._lexicon.genre(text)

    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest:
        """Parse free text. ``assume_play`` is for text that followed a play carrier phrase
        (Alexa's "play {Query}"), where a bare name is an artist rather than noise."""
        draft = self.draft(text, assume_play=assume_play)
        if isinstance(draft, ParsedRequest):
            return draft
        return draft.finish(self._conclude(draft.utterance, draft.reading))

    def draft(self, text: str, *, assume_play: bool = False) -> ParsedRequest | Draft:
        """The request when the words alone decide it (a control, a routine, nothing said),
        else the reading that ``_conclude`` turns into one."""
        if len(text) > MAX_TEXT_CHARS:
            return fallback("too_long")
        words = clean_words(text)
        while (
            strip_phrases(words, WAKE_PREFIXES)
            or strip_phrases(words, POLITE_PREFIXES)
            or strip_phrases(words, POLITE_SUFFIXES, suffix=True)
        ):
            pass
        words = particle_first(words)
        if not words:
            return fallback("empty")
        control = self._controls.get(control_key(words)) or setting_intent(words)
        if control is not None:
            return ParsedRequest(intent=control, confidence=0.95)
        cue = out_of_scope_cue(words)
        if cue is not None and not self._names_words(words, cue[1], cue[1] + 1):
            return out_of_scope(cast(OutOfScopeReason, cue[0]), 0.9)
        times = TimeExpressions()
        take_leading(words, times, _VERBS, keep=self._names_words)
        request = tuple(words)
        verb = _take_verb(words)
        if assume_play and verb != "strong":
            verb = "strong"
        routine = routine_name(words)
        if routine is not None:
            slots = {**times.slots(), **routine_slots(routine)}
            return ParsedRequest(intent="play_music", confidence=0.9, slots=slots)
        take_trailing(words, times, keep=self._names_words)
        take_modifiers(words, times, self._music_heads, keep=self._names_words)
        utterance = Utterance(request, tuple(words), verb)
        if not words:
            return ParsedRequest(intent="play_music", confidence=0.8, slots=times.slots())
        keys = utterance.keys
        reading = read_play(
            utterance.words, keys, self._matches(keys), verb=verb, resolver=self._resolver()
        )
        return Draft(utterance, reading, times)

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
        if intent_name == "PlayRoutineIntent":
            name = _slot_text(slots.get("Routine"))
            said = " ".join(clean_words(name)) if name else ""
            return ParsedRequest(intent="play_music", confidence=0.9, slots=routine_slots(said))
        if intent_name == "AMAZON.FallbackIntent":
            return fallback("alexa_fallback")
        intent = ALEXA_INTENTS.get(intent_name)
        if intent is None:
            return fallback(f"unknown_intent:{intent_name[:64]}")
        return ParsedRequest(intent=intent, confidence=1.0)

    # --- hooks ---------------------------------------------------------------------------

    def _matches(self, keys: list[str]) -> list[Match]:
        """Known phrases in the words: here the lexicon only."""
        return self._lexicon.matches(keys)

    def _resolver(self) -> NameResolver:
        """Where names are looked up: here nowhere, names stay as said."""
        return NoCatalog()

    def _names_words(self, words: Sequence[str], start: int, end: int) -> bool:
        """Whether a catalog name takes the time expression ``words[start:end]``: a longer
        name over it ("play tonight tonight"), or a name that is all the request says ("play
        tonight" with a track "Tonight"). The lexicon alone names nothing."""
        whole = start == 0 and end == len(words)
        return any(
            m.kind in _NAME_KINDS
            and m.start < end
            and start < m.end
            and (whole or m.start < start or m.end > end)
            for m in self._matches(match_keys(list(words)))
        )

    def _conclude(self, utterance: Utterance, reading: Reading) -> ParsedRequest:
        """The request a reading makes. Without a play verb, only lexicon words, catalog
        names, music nouns or name cues make it a music request."""
        if reading.not_music:
            return fallback("not_music")
        if utterance.verb == "none" and not reading.evidence:
            return fallback("no_match")
        return play_request(reading, utterance.verb)

    # --- Alexa slots -------------------------------------------------------------------------

    def _play_music_slots(self, slots: Mapping[str, str | AlexaSlot | None]) -> ParsedRequest:
        found: dict[SlotName, Slot] = {}
        for name, value in slots.items():
            slot = _as_alexa_slot(value)
            if slot is None or slot.text is None or not clean_words(slot.text):
                continue
            filled = self._alexa_slot(name, slot)
            if filled is not None:
                found[filled[0]] = filled[1]
        return ParsedRequest(intent="play_music", confidence=0.9 if found else 0.7, slots=found)

    def _alexa_slot(self, name: str, slot: AlexaSlot) -> tuple[SlotName, Slot] | None:
        """One PlayMusicIntent slot as (slot name, Slot), or None when its value is unknown."""
        text = slot.text or ""
        said = slot.resolved or text
        value: str | None
        if name == "Mood":
            value = canonical_mood(said) or canonical_mood(text)
            return ("mood", Slot(text=text, value=value, id=slot.resolved_id)) if value else None
        if name == "Genre":
            value = self.canonical_genre(said) or phrase_key(said)
            return ("genre", Slot(text=text, value=value, id=slot.resolved_id)) if value else None
        simple: dict[str, tuple[SlotName, Mapping[str, str]]] = {
            "Activity": ("activity", ACTIVITY_SYNONYMS), "Sort": ("sort", SORT_SYNONYMS),
        }  # fmt: skip
        if name in simple:
            kind, table = simple[name]
            value = table.get(phrase_key(said)) or table.get(phrase_key(text))
            return (kind, Slot(text=text, value=value, id=slot.resolved_id)) if value else None
        if name == "Era":
            value = era_of(" ".join(clean_words(said)))
            return ("era", Slot(text=text, value=value)) if value else None
        if name == "PartOfDay":
            value = part_of_word(" ".join(clean_words(said))) or part_of_word(text)
            return ("part_of_day", Slot(text=text, value=value)) if value else None
        if name == "Recurrence":
            value = recurrence_of(said) or recurrence_of(text)
            return ("recurrence", Slot(text=text, value=value)) if value else None
        kind_of_name = _NAME_SLOTS.get(name)
        if kind_of_name is None:
            return None
        if slot.resolved is not None:
            return kind_of_name, Slot(text=text, value=slot.resolved, id=slot.resolved_id)
        spoken = " ".join(clean_words(text))
        found = self._resolver().resolve(spoken, (kind_of_name,))
        if found and found[0].score >= 0.8:
            return kind_of_name, Slot(text=text, value=found[0].value, id=found[0].id)
        return kind_of_name, Slot(text=text, value=spoken)


def _take_verb(words: list[str]) -> Verb:
    """Remove the play verb from ``words``: at the start, or after a preamble ("i'm sad,
    play something"); which kind of verb it was."""
    if strip_phrases(words, _STRONG):
        return "strong"
    if strip_phrases(words, _WEAK):
        return "weak"
    for i in range(1, len(words)):
        if words[i] == "play":
            rest = words[i:]
            strip_phrases(rest, _STRONG)
            words[i:] = rest
            return "strong"
    return "none"


def play_request(reading: Reading, verb: Verb) -> ParsedRequest:
    """A ``play_music`` request from a reading; unsure readings and requests without a verb
    are less certain."""
    confidence = reading.confidence
    if reading.unsure:
        confidence = min(confidence, 0.5)
    elif verb == "none":
        confidence -= 0.1
    return ParsedRequest(
        intent="play_music",
        confidence=round(max(0.05, confidence), 3),
        slots=reading.slots,
        alternatives=reading.alternatives,
    )


def _with_slots(parsed: ParsedRequest, times: TimeExpressions) -> ParsedRequest:
    """``parsed`` with the time expressions said around it, when it is a play request."""
    found = times.slots()
    if not found or parsed.intent != "play_music":
        return parsed
    return parsed.model_copy(update={"slots": {**parsed.slots, **found}})


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
