"""The music parser: the rule parser with the catalog's names, fuzzy lookup and embeddings.

``MusicParser`` keeps ``RuleParser``'s front (cleaning, control phrases, play verbs, Alexa
slots) and reading (``nlu.reading``), and fills its three hooks:

- matching: the spaCy gazetteer (catalog artists, tracks and albums plus the lexicon), and a
  close misspelling of a lexicon word ("clasical", "relaxin") when nothing else matched;
- names: ``NameIndex`` resolves them against the catalog, exactly, partly or fuzzily;
- unsure readings (a description the lexicon cannot place, no verb and nothing known, a
  weak verb before an unknown name) go to the MiniLM prototype classifier, which picks the
  intent, a mood and an activity. Only then is the model loaded.

Build one with ``nlu.loading.load_parser``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from nlu.candidates import NameResolver
from nlu.embeddings import EmbeddingsUnavailable, PrototypeClassifier, Scores
from nlu.gazetteer import Gazetteer, gazetteer_component
from nlu.lexicon import DESCRIPTION_CUES, FILLER
from nlu.names import sound_key
from nlu.parsed import Intent, ParsedRequest, Slot, SlotName, fallback
from nlu.phrase_matching import Match
from nlu.reading import Reading
from nlu.rules import RuleParser, Utterance, play_request

logger = logging.getLogger(__name__)

# Thresholds on cosine similarity to the nearest prototype, set on nlu/eval/dev.jsonl.
MOOD_MIN = 0.5  # a description names this mood
ACTIVITY_MIN = 0.65
ACTIVITY_MARGIN = 0.04
CONTROL_MIN = 0.6  # a request without verb or music words is this control
CONTROL_MARGIN = 0.05
OUT_OF_DOMAIN_MIN = 0.5
PLAY_MIN = 0.5  # a request without verb or music words is a play request
_FUZZY_LEXICON_CUTOFF = 88
_FUZZY_SOUND_CUTOFF = 80
_FUZZY_KINDS: frozenset[SlotName] = frozenset(("genre", "mood", "activity"))


class MusicParser(RuleParser):
    """See the module docstring. Thread safe."""

    def __init__(self, gazetteer: Gazetteer, classifier: PrototypeClassifier | None = None) -> None:
        super().__init__(gazetteer.genres)
        self._gazetteer = gazetteer
        self._classifier = classifier
        self._fuzzy = _single_words(gazetteer)
        self._fuzzy_keys = list(self._fuzzy)
        self._fuzzy_sounds = {sound_key(k): k for k in self._fuzzy_keys if len(k) >= 3}

    @property
    def gazetteer(self) -> Gazetteer:
        return self._gazetteer

    def warm(self) -> None:
        """Load the embedding model and prototypes now (at startup) instead of on the first
        unsure request; a missing model is logged, not raised."""
        if self._classifier is not None:
            try:
                self._classifier.warm()
            except EmbeddingsUnavailable:
                logger.warning("sentence embeddings unavailable; rules only", exc_info=True)

    # --- hooks ---------------------------------------------------------------------------

    def _matches(self, keys: list[str]) -> list[Match]:
        found = self._gazetteer.matches(keys)
        covered = {i for m in found for i in range(m.start, m.end)}
        for i, key in enumerate(keys):
            if i not in covered and key not in FILLER and key not in DESCRIPTION_CUES:
                found.extend(self._fuzzy_lexicon(i, key))
        return found

    def _resolver(self) -> NameResolver:
        return self._gazetteer.names

    def asks_prototypes(self, utterance: Utterance, reading: Reading) -> bool:
        """Whether ``_conclude`` consults the prototype classifier for this reading: the rules
        are unsure, or nothing says music and no verb asked for it."""
        if self._classifier is None or reading.not_music:
            return False
        return reading.unsure or (utterance.verb == "none" and not reading.evidence)

    def _conclude(self, utterance: Utterance, reading: Reading) -> ParsedRequest:
        if reading.not_music:
            return fallback("not_music")
        no_evidence = utterance.verb == "none" and not reading.evidence
        if self._classifier is None or not self.asks_prototypes(utterance, reading):
            return super()._conclude(utterance, reading)
        try:
            scores = self._classifier.classify(" ".join(utterance.request))
        except EmbeddingsUnavailable:
            logger.warning("sentence embeddings unavailable; rules only", exc_info=True)
            self._classifier = None
            return super()._conclude(utterance, reading)
        intent, score = scores.best("intent")
        asked_to_play = utterance.verb == "strong"
        if (
            intent == "out_of_domain"
            and score >= OUT_OF_DOMAIN_MIN
            and not asked_to_play
            and not reading.specific
        ):
            return fallback("out_of_domain")
        if self._is_control(utterance, reading, scores):
            control: Intent = intent  # type: ignore[assignment]
            return ParsedRequest(intent=control, confidence=round(score, 3))
        activity = scores.best("activity") if scores.margin("activity") >= ACTIVITY_MARGIN else None
        described = self._describe(utterance, reading, scores.best("mood"), activity)
        if no_evidence and not described and (intent != "play_music" or score < PLAY_MIN):
            return fallback("no_match")
        return play_request(reading, utterance.verb)

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _is_control(utterance: Utterance, reading: Reading, scores: Scores) -> bool:
        """A player control the phrases missed: no verb, nothing named or described, and a
        clear nearest control ("can you make it stop")."""
        intent, score = scores.best("intent")
        if intent in ("play_music", "out_of_domain") or utterance.verb != "none":
            return False
        if reading.specific or (reading.description and reading.open_name is None):
            return False  # named something, or described music ("music to unwind with")
        return score >= CONTROL_MIN and scores.margin("intent") >= CONTROL_MARGIN

    def _describe(
        self,
        utterance: Utterance,
        reading: Reading,
        mood: tuple[str, float],
        activity: tuple[str, float] | None,
    ) -> bool:
        """Add the mood and activity the request describes; True when it described one.
        An open name that was really a description ("rainy day music") is dropped."""
        slots = reading.slots
        text = " ".join(reading.description) or " ".join(utterance.words)
        described = False
        if "mood" not in slots and "genre" not in slots and mood[1] >= MOOD_MIN:
            slots["mood"] = Slot(text=text, value=mood[0])
            described = True
        if activity is not None and "activity" not in slots and activity[1] >= ACTIVITY_MIN:
            slots["activity"] = Slot(text=text, value=activity[0])
            described = True
        if described and reading.open_name is not None:
            name = slots.get(reading.open_name)
            if name is not None and name.id is None:
                del slots[reading.open_name]
                reading.alternatives = []
        if described:
            reading.unsure = False
            reading.confidence = min(reading.confidence, 0.6)
        return described

    def _fuzzy_lexicon(self, index: int, key: str) -> list[Match]:
        """A lexicon word said or heard slightly wrong ("clasical", "jaz")."""
        word: str | None = None
        if len(key) >= 5:
            best = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio,
                                      score_cutoff=_FUZZY_LEXICON_CUTOFF)  # fmt: skip
            word = best[0] if best is not None else None
        if word is None and len(key) >= 3:
            # Same sound and close spelling: "jaz", "rok"; not "blah" for "blue".
            word = self._fuzzy_sounds.get(sound_key(key))
            if word is not None and fuzz.ratio(key, word) < _FUZZY_SOUND_CUTOFF:
                word = None
        if word is None:
            return []
        return [Match(index, index + 1, kind, value) for kind, value in self._fuzzy[word]]


def _single_words(gazetteer: Gazetteer) -> dict[str, list[tuple[SlotName, str]]]:
    """One-word genre, mood and activity phrases, with what they mean."""
    words: dict[str, list[tuple[SlotName, str]]] = {}
    for match_kind, value, word in _lexicon_words(gazetteer):
        words.setdefault(word, []).append((match_kind, value))
    return words


def _lexicon_words(gazetteer: Gazetteer) -> Iterable[tuple[SlotName, str, str]]:
    component = gazetteer_component(gazetteer.nlp)
    kinds: dict[str, SlotName] = {kind: kind for kind in _FUZZY_KINDS}
    for (kind, value, _), forms in zip(component.entries, component.variants, strict=True):
        if kind in kinds:
            for form in forms:
                if len(form) == 1:
                    yield kinds[kind], value, form[0]
