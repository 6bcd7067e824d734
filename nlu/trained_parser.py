"""The trained parser: the joint model's intent and spans, with the rules where they are
measurably better.

- Rules first for what they do exactly: over-long or empty text, whole-request player controls
  and settings ("pause", "turn off shuffle"). Those never reach the model.
- The model decides the rest: out-of-scope requests (podcasts, audiobooks, volume, other
  domains: ``out_of_scope`` with the reason), the other intents it is sure of ("i really like
  this one", "what album is this from"), and, for play requests, the names: an artist, track,
  album or playlist is the span the model tagged, never the words around it ("on Spotify" is
  a ``service`` span and stays out). Each name is then grounded in the catalog (its spelling
  and id when found, the words as said when not).
- The lexicon still canonicalises genres, moods, activities, eras, sorts and item types; a
  genre or era the lexicon does not know keeps the words the model tagged.

Without a model artifact ``load_parser`` gives the ``MusicParser`` alone.
"""

from __future__ import annotations

import logging
from typing import cast

from nlu.candidates import ACCEPT_SCORE, NameKind
from nlu.embeddings import PrototypeClassifier
from nlu.gazetteer import Gazetteer
from nlu.joint_model import JointModelUnavailable, Prediction, Tagger
from nlu.lexicon import ITEM_TYPES, SORT_SYNONYMS, era_of
from nlu.parsed import (
    OUT_OF_SCOPE_REASONS,
    Intent,
    OutOfScopeReason,
    ParsedRequest,
    Slot,
    SlotName,
    out_of_scope,
)
from nlu.parser import MusicParser
from nlu.text import MAX_TEXT_CHARS, clean_words, name_key
from nlu.training.examples import tagged_spans
from playback.vocabulary import ACTIVITY_SYNONYMS, canonical_mood, phrase_key

logger = logging.getLogger(__name__)

OUT_OF_SCOPE_MIN = 0.5  # the model's probability for an out-of-scope label to be taken
INTENT_MIN = 0.6  # for another non-play intent to override the rules' reading
PLAY_MIN = 0.5  # for a play request the rules could not read
_NAMES: tuple[NameKind, ...] = ("artist", "track", "album", "playlist")
_LEXICON_KINDS: tuple[SlotName, ...] = ("genre", "mood", "activity", "era", "sort", "item_type")


class TrainedParser(MusicParser):
    """See the module docstring. Thread safe."""

    def __init__(
        self, gazetteer: Gazetteer, classifier: PrototypeClassifier | None, model: Tagger
    ) -> None:
        super().__init__(gazetteer, classifier)
        self._model: Tagger | None = model

    def warm(self) -> None:
        super().warm()
        if self._model is not None:
            try:
                self._model.warm()
            except JointModelUnavailable:
                logger.warning("the trained NLU model is unavailable; rules only", exc_info=True)
                self._model = None

    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest:
        ruled = super().parse(text, assume_play=assume_play)
        if self._model is None or len(text) > MAX_TEXT_CHARS:
            return ruled
        if ruled.intent not in ("play_music", "fallback") or ruled.reason in ("empty", "too_long"):
            return ruled  # a control phrase or a setting, matched whole
        words = clean_words(text)
        try:
            prediction = self._model.predict(words)
        except JointModelUnavailable:
            logger.warning("the trained NLU model is unavailable; rules only", exc_info=True)
            self._model = None
            return ruled
        return self._combine(ruled, prediction, words, assume_play=assume_play)

    def _combine(
        self, ruled: ParsedRequest, prediction: Prediction, words: list[str], *, assume_play: bool
    ) -> ParsedRequest:
        label, probability = prediction.intent, round(prediction.probability, 3)
        reason = label.removeprefix("out_of_scope:")
        if reason != label and probability >= OUT_OF_SCOPE_MIN and not assume_play:
            return out_of_scope(_reason(reason), probability)
        if label not in ("play_music", "help") and reason == label and probability >= INTENT_MIN:
            return ParsedRequest(intent=cast(Intent, label), confidence=probability)
        if label != "play_music" and ruled.intent == "fallback":
            return ruled
        if ruled.intent == "fallback" and probability < PLAY_MIN and not assume_play:
            return ruled
        slots = self._slots(ruled.slots, tagged_spans(words, prediction.tags))
        names_kept = all(ruled.slots.get(k) == slots.get(k) for k in _NAMES)
        confidence = ruled.confidence if ruled.intent == "play_music" else probability
        return ParsedRequest(
            intent="play_music",
            confidence=round(
                min(confidence, probability) if label != "play_music" else confidence, 3
            ),
            slots=slots,
            alternatives=ruled.alternatives if names_kept else [],
        )

    def _slots(
        self, ruled: dict[SlotName, Slot], spans: list[tuple[str, str]]
    ) -> dict[SlotName, Slot]:
        """The rules' lexicon slots, the model's names grounded in the catalog, and lexicon
        kinds only the model found."""
        slots: dict[SlotName, Slot] = {k: v for k, v in ruled.items() if k in _LEXICON_KINDS}
        named: dict[SlotName, Slot] = {}
        for kind, said in spans:
            if kind in _NAMES and kind not in named:
                named[kind] = self._ground(kind, said, ruled)
            elif kind in _LEXICON_KINDS and kind not in slots:
                slot = _lexicon_slot(self, kind, said)
                if slot is not None:
                    slots[kind] = slot
        if not named:  # the model heard no name: keep only names the catalog confirmed
            named = {k: v for k, v in ruled.items() if k in _NAMES and v.id is not None}
        return {**slots, **named}

    def _ground(self, kind: NameKind, said: str, ruled: dict[SlotName, Slot]) -> Slot:
        """The name as the catalog spells it (with its id) when found, else as said."""
        earlier = ruled.get(kind)
        if earlier is not None and name_key(earlier.text) == name_key(said):
            return earlier
        found = self._resolver().resolve(said, (kind,))
        if found and found[0].score >= ACCEPT_SCORE:
            return Slot(text=said, value=found[0].value, id=found[0].id)
        return Slot(text=said, value=said)


def _lexicon_slot(parser: MusicParser, kind: str, said: str) -> Slot | None:
    """A genre, mood, activity, era, sort or item type the model tagged, canonicalised by the
    lexicon; open genres and eras keep their words, unknown moods and activities are dropped
    (the prototype classifier has had its say on those)."""
    key = phrase_key(said)
    value: str | None
    if kind == "genre":
        value = parser.canonical_genre(said) or key
    elif kind == "mood":
        value = canonical_mood(said)
    elif kind == "activity":
        value = ACTIVITY_SYNONYMS.get(key)
    elif kind == "era":
        value = era_of(key) or key
    elif kind == "sort":
        value = SORT_SYNONYMS.get(key) or key
    else:
        value = ITEM_TYPES.get(key) or key
    return Slot(text=said, value=value) if value else None


def _reason(reason: str) -> OutOfScopeReason:
    for known in OUT_OF_SCOPE_REASONS:
        if known == reason:
            return known
    return "other"
