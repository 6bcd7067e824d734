"""The trained parser: the joint model's intent and spans, with the rules where they are
measurably better.

- Rules first for what they do exactly: over-long or empty text, whole-request player controls
  and settings ("pause", "turn off shuffle"), and requests with a podcast, audiobook or volume
  word ("resume my audio book"). Those never reach the model. The prototype classifier is
  asked only when the model leaves words of a play request unplaced.
- The model decides the rest: out-of-scope requests (podcasts, audiobooks, volume, other
  domains: ``out_of_scope`` with the reason), the other intents it is sure of ("i really like
  this one", "what album is this from"), and, for play requests, the names: an artist, track,
  album or playlist is the span the model tagged, never the words around it ("on Spotify" is
  a ``service`` span and stays out). A genre or era it tags must be one (the lexicon, the
  genre names of ``nlu.genre_names``), or it is the name the rules read there; a lone name
  that nothing calls a track, album or playlist is an artist. Each name is then grounded in
  the catalog (its spelling, id and kind when found, the words as said when not).
- The lexicon still canonicalises genres, moods, activities, eras, sorts and item types; a
  genre or era the lexicon does not know keeps the words the model tagged.

Without a model artifact ``load_parser`` gives the ``MusicParser`` alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import cast

from nlu.candidates import ACCEPT_SCORE, NameKind
from nlu.embeddings import PrototypeClassifier
from nlu.gazetteer import Gazetteer
from nlu.genre_names import is_genre
from nlu.joint_model import JointModelUnavailable, Prediction, Tagger
from nlu.lexicon import (
    DESCRIPTION_CUES,
    FILLER,
    ITEM_TYPES,
    PLAY_VERBS,
    SORT_SYNONYMS,
    era_of,
    particle_first,
)
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
from nlu.reading import Reading
from nlu.rules import Draft, RuleParser
from nlu.text import MAX_TEXT_CHARS, clean_words, name_key
from nlu.time_of_day import without_phrases
from nlu.training.examples import tagged_spans
from playback.vocabulary import ACTIVITY_SYNONYMS, canonical_mood, phrase_key

logger = logging.getLogger(__name__)

OUT_OF_SCOPE_MIN = 0.5  # the model's probability for an out-of-scope label to be taken
OTHER_OVER_MUSIC = 0.9  # for "another domain" to override a request the lexicon reads as music
INTENT_MIN = 0.6  # for another non-play intent to override the rules' reading
PLAY_MIN = 0.5  # for a play request the rules could not read
_POSSESSIVE = re.compile(r"(?<=\w)'s?$")
_NAMES: tuple[NameKind, ...] = ("artist", "track", "album", "playlist")
_LEXICON_KINDS: tuple[SlotName, ...] = ("genre", "mood", "activity", "era", "sort", "item_type")
# Kinds said with the same words: a close spelling of one may be the other ("play X by Y");
# another kind takes the name only when the catalog has it exactly (not "Jolene" for "Jeff
# Lynne").
_SAME_CARRIER: dict[NameKind, tuple[NameKind, ...]] = {
    "artist": ("artist",), "track": ("track", "album"), "album": ("album", "track"),
    "playlist": ("playlist",),
}  # fmt: skip
_EXACT = 0.99
# Words that say which kind a name is (or, "by", that a title comes before an artist).
_KIND_WORDS = frozenset(("song", "track", "album", "record", "ep", "lp", "single", "tune",
                         "playlist", "soundtrack", "list", "cd", "mixtape"))  # fmt: skip
_OPEN_NAME_WORDS = 4  # longer, the rules' open name is a sentence they could not read
_DROPPED = "dropped"  # a span kind nothing reads
_TIME_SLOTS: tuple[SlotName, ...] = ("part_of_day", "recurrence")
# Words that carry a play request around its content ("open X and play", "i need to hear"):
# nothing for the prototype classifier to read. A description cue ("for", "to") is not one:
# "songs for a lazy afternoon" is described, whatever the model tagged.
_CARRIER_WORDS = (
    FILLER
    | {w for verb in PLAY_VERBS for w in verb.split()}
    | {"use", "open", "service", "app", "wish"}
) - DESCRIPTION_CUES
# Words that lead into the request, not into a description, where they stand before these (see
# ``_leading_words``): "i wish to hear", "use itunes to play", "with google music", "the year
# 1996"; not "music to get me fired up".
_VERBS_AFTER_TO = frozenset(("play", "hear", "listen", "put", "start", "stream", "queue"))
_LEAD_WORDS = frozenset(("to", "with", "want", "year"))


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
        if self._model is None or len(text) > MAX_TEXT_CHARS:
            return super().parse(text, assume_play=assume_play)
        # The rules read first without the prototype classifier; it is asked only when the
        # model has not settled the request (a sure "other domain" needs no mood read).
        draft = self.draft(text, assume_play=assume_play)
        pending: Draft | None = None
        if isinstance(draft, ParsedRequest):
            ruled = draft
        else:
            ruled = draft.finish(RuleParser._conclude(self, draft.utterance, draft.reading))
            if self.asks_prototypes(draft.utterance, draft.reading):
                pending = draft
        if _rules_decide(ruled):
            return ruled
        # Time expressions the rules took out stay out of the model's spans ("at night" is
        # never an artist), and come back as the rules' slots.
        times = {k: v for k, v in ruled.slots.items() if k in _TIME_SLOTS}
        words = particle_first(
            without_phrases(clean_words(text), [slot.text for slot in times.values()])
        )
        if assume_play and words[:1] != ["play"]:
            words = ["play", *words]  # what the listener said: Alexa's carrier took the verb
        try:
            prediction = self._model.predict(words)
        except JointModelUnavailable:
            logger.warning("the trained NLU model is unavailable; rules only", exc_info=True)
            self._model = None
            return super().parse(text, assume_play=assume_play)
        if pending is not None and not self._settled(prediction, words, pending.reading):
            ruled = pending.finish(self._conclude(pending.utterance, pending.reading))
            if _rules_decide(ruled):
                return ruled
        combined = self._combine(ruled, prediction, words, assume_play=assume_play)
        if not times or combined.intent != "play_music":
            return combined
        return combined.model_copy(update={"slots": {**combined.slots, **times}})

    def _combine(
        self, ruled: ParsedRequest, prediction: Prediction, words: list[str], *, assume_play: bool
    ) -> ParsedRequest:
        label, probability = prediction.intent, round(prediction.probability, 3)
        reason = label.removeprefix("out_of_scope:")
        # "i'm feeling blue today": the lexicon's music words outweigh a doubtful "other".
        described = any(k in ("mood", "activity", "genre") for k in ruled.slots)
        doubtful = reason == "other" and described and probability < OTHER_OVER_MUSIC
        if reason != label and probability >= OUT_OF_SCOPE_MIN and not doubtful:
            return out_of_scope(_reason(reason), probability)
        if label not in ("play_music", "help") and reason == label and probability >= INTENT_MIN:
            return ParsedRequest(intent=cast(Intent, label), confidence=probability)
        if label != "play_music" and ruled.intent == "fallback":
            return ruled
        if ruled.intent == "fallback" and probability < PLAY_MIN and not assume_play:
            return ruled
        slots = self._slots(ruled.slots, tagged_spans(words, prediction.tags), words)
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
        self, ruled: dict[SlotName, Slot], spans: list[tuple[str, str]], words: Sequence[str]
    ) -> dict[SlotName, Slot]:
        """Who knows which words, in order:

        1. names the catalog confirmed in the rules' reading (with an id) stand, and any model
           span over their words is dropped ("maroon five" tagged a genre);
        2. the other names are the model's spans, grounded in the catalog, except a lone name
           made of lexicon words with no item type said ("play something sad", "songs for a
           road trip"): that is a description, and the lexicon's ("my country playlist"
           says its kind);
        3. genres, moods, activities, eras, sorts and item types come from the lexicon, which
           knows its words: where a rules slot covers a model span's words, the rules' reading
           wins (with the model's words as its text when the kinds agree); a lexicon word
           inside a name ("rap" in the album "Rap Album One") is the name's.
        """
        confirmed: dict[SlotName, Slot] = {
            k: v for k, v in ruled.items() if k in _NAMES and v.id is not None
        }
        spans = [self._confirmed(k, said, ruled) for k, said in spans]
        taken = {w for slot in confirmed.values() for w in _words(slot.text)}
        spans = [(k, said) for k, said in spans if not set(_words(said)) & taken]
        covered = {w: kind for kind, slot in ruled.items() if kind in _LEXICON_KINDS
                   for w in _words(slot.text)}  # fmt: skip
        names = [(k, said) for k, said in spans if k in _NAMES]
        if not confirmed and all(k in ("item_type", "service") for k, _ in spans):
            # The model found nothing to play: the rules' short open name, if any.
            spanned = {w for _, said in spans for w in _words(said)}  # "on spotify" is not it
            names = [(k, v.text) for k, v in ruled.items()
                     if k in _NAMES and _plausible_name(v.text, spanned)][:1]  # fmt: skip
        if len(names) == 1 and names[0][0] != "artist" and not _KIND_WORDS & {*words, "by"}:
            # "put on arctic monkeys", "play glass animals radio": nothing says a track, an
            # album or a playlist, and a lone name said so is an artist's far more often.
            artist = ruled.get("artist")
            if artist is not None and _words(artist.text) in _same_name(names[0][1]):
                names = [("artist", artist.text)]
        kinds_said = any(k == "item_type" for k, _ in spans) or "item_type" in ruled
        if names[:1] and names[0][0] == "playlist" and "playlist" in words:
            kinds_said = True  # "my country playlist": a playlist, whatever its words
        if len(names) == 1 and not kinds_said and set(_words(names[0][1])) & set(covered):
            names = []
        named: dict[SlotName, Slot] = dict(confirmed)
        for name_kind, said in names:
            if name_kind in _NAMES and name_kind not in named:
                grounded_kind, grounded = self._ground(name_kind, said, ruled)
                named.setdefault(grounded_kind, grounded)
        name_words = {w for slot in named.values() for w in _words(slot.text)}
        slots: dict[SlotName, Slot] = {
            kind: slot
            for kind, slot in ruled.items()
            if kind in _LEXICON_KINDS and not set(_words(slot.text)) <= name_words
        }
        for span_kind, said in spans:
            if span_kind not in _LEXICON_KINDS:
                continue
            if span_kind == "genre":
                said = _bare_genre(said)
            overlap = {covered[w] for w in _words(said) if w in covered}
            if span_kind in slots and overlap == {span_kind}:  # the same reading: the model's words
                slots[span_kind] = slots[span_kind].model_copy(update={"text": said})
            elif span_kind not in slots and not overlap:
                found = _lexicon_slot(self, span_kind, said)
                if found is not None:
                    slots[span_kind] = found
        return {**slots, **named}

    def _settled(self, prediction: Prediction, words: list[str], reading: Reading) -> bool:
        """The model's answer leaves nothing for the prototype classifier: out of scope or
        another sure intent, which ``_combine`` takes whatever the rules read (help aside,
        which the rules may overrule), or a play request whose spans (of any kind but a genre
        or era no one calls one) hold every word the rules could not place, but for the words
        that only carry a request ("open deezer and play the newest song of 1951": a service,
        a sort, an item type and an era leave nothing to describe; "play some psychadelic
        music": a genre, not a mood to guess)."""
        label, probability = prediction.intent, prediction.probability
        reason = label.removeprefix("out_of_scope:")
        if reason != label:
            return probability >= (OTHER_OVER_MUSIC if reason == "other" else OUT_OF_SCOPE_MIN)
        if label != "play_music":
            return label != "help" and probability >= INTENT_MIN
        placed = {w for kind, said in tagged_spans(words, prediction.tags)
                  if self._stands(kind, said)
                  for w in said.split()}  # fmt: skip
        left = set(reading.description) - placed - _CARRIER_WORDS
        left -= _leading_words(words, prediction.tags)
        return probability >= PLAY_MIN and not left

    def _is_genre(self, said: str) -> bool:
        return bool(self.canonical_genre(said)) or is_genre(_bare_genre(said))

    def _stands(self, kind: str, said: str) -> bool:
        """Whether a span is what the model called it: any kind but a genre or an era does;
        those must be known ones (the lexicon, the genre names, a decade or a year)."""
        if kind == "genre":
            return self._is_genre(said)
        if kind == "era":
            return bool(era_of(phrase_key(said))) or any(c.isdigit() for c in said)
        return True

    def _confirmed(self, kind: str, said: str, ruled: dict[SlotName, Slot]) -> tuple[str, str]:
        """A genre or era span is one when the lexicon or the genre names know it. Else,
        where the rules read a name, it is that name ("the xx" is no era, "the lumineers"), or
        an artist ("play some arctic monkeys" is said like "play some booty bass"); where they
        read none, it is dropped (the prototypes described "something to calm my nerves")."""
        if self._stands(kind, said):
            return kind, said
        words = _words(said)
        for name_kind, slot in ruled.items():
            if name_kind in _NAMES and _words(slot.text) in _same_name(said):
                return name_kind, slot.text
        overlaps = any(set(words) & set(_words(slot.text)) for k, slot in ruled.items()
                       if k in _NAMES)  # fmt: skip
        return ("artist" if kind == "genre" and overlaps else _DROPPED), said

    def _ground(
        self, kind: NameKind, said: str, ruled: dict[SlotName, Slot]
    ) -> tuple[NameKind, Slot]:
        """The name's kind and slot: as the catalog spells it (with its id) when found, else
        as said; a possessive is not part of it ("gil parris's" is "gil parris"). The words
        around a name seldom say its kind ("play X by Y" reads the same for a track and an
        album, "put on X" for an artist and an album): when the catalog has X only as
        another kind, that is what it is."""
        said = _POSSESSIVE.sub("", said)
        earlier = ruled.get(kind)
        if earlier is not None and earlier.id and name_key(earlier.text) == name_key(said):
            return kind, earlier
        kinds: tuple[NameKind, ...] = (kind, *(k for k in _NAMES if k != kind))
        found = [
            c
            for c in self._resolver().resolve(said, kinds)
            if c.score >= (ACCEPT_SCORE if c.kind in _SAME_CARRIER[kind] else _EXACT)
        ]
        best = next((c for c in found if c.kind == kind), found[0] if found else None)
        if best is None:
            return kind, Slot(text=said, value=said)
        return best.kind, Slot(text=said, value=best.value, id=best.id)


_GENRE_TAILS = frozenset(("music", "songs", "song", "station", "stations", "radio", "genre",
                          "tracks", "tunes"))  # fmt: skip


def _leading_words(words: Sequence[str], tags: Sequence[str]) -> set[str]:
    """Words that, wherever ``words`` say them, only lead into the request: "to" after
    "listen" or before a play verb or a service, "want" before such a "to", "with" before a
    service, "year" before an era."""
    leading: set[str] = set()
    describing: set[str] = set()
    for i, word in enumerate(words):
        if word not in _LEAD_WORDS:
            continue
        before = words[i - 1] if i else ""
        after, then = (*words[i + 1 : i + 3], "", "")[:2]
        tag = tags[i + 1] if i + 1 < len(tags) else "O"
        if word == "to":
            leads = (
                after in _VERBS_AFTER_TO
                or before in ("listen", "listening")
                or tag.endswith("-service")
            )
        elif word == "want":
            leads = after == "to" and then in _VERBS_AFTER_TO
        elif word == "with":
            leads = tag.endswith("-service")
        else:  # "year"
            leads = tag.endswith("-era")
        (leading if leads else describing).add(word)
    return leading - describing


def _bare_genre(said: str) -> str:
    """A genre without the music noun after it ("rock station", "swing music")."""
    words = said.split()
    while len(words) > 1 and words[-1] in _GENRE_TAILS:
        words.pop()
    return " ".join(words)


def _same_name(said: str) -> tuple[list[str], list[str]]:
    """The words of a name as the model tagged it, and with the article it left out."""
    words = _words(said)
    return words, ["the", *words]


def _plausible_name(text: str, spanned: set[str]) -> bool:
    """Whether the rules' open name may be one: short, none of its words in the model's
    spans ("on spotify"), and not ending on a word no name ends with ("showcase the")."""
    words = _words(text)
    return (
        0 < len(words) <= _OPEN_NAME_WORDS
        and not set(words) & spanned
        and words[-1] not in FILLER | DESCRIPTION_CUES
    )


def _rules_decide(ruled: ParsedRequest) -> bool:
    """The rules' answer stands without the model: a control phrase or a setting matched
    whole, nothing said, too long, or a routine ("play my night routine")."""
    if ruled.intent not in ("play_music", "fallback") or ruled.reason in ("empty", "too_long"):
        return True
    return "routine" in ruled.slots


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


def _words(text: str) -> list[str]:
    """The matching words of a slot's text (case, accents and punctuation do not count)."""
    return name_key(text).split()


def _reason(reason: str) -> OutOfScopeReason:
    for known in OUT_OF_SCOPE_REASONS:
        if known == reason:
            return known
    return "other"
