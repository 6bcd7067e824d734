"""Time expressions and routines: "tonight", "every morning", "play my night routine".

A time expression says *when* music is for, never *what* music: it is taken out of the words
before they are read, so "at night" cannot become an artist and "tonight" no longer hides in
the filler. It fills two slots:

- ``part_of_day``: ``morning``, ``afternoon``, ``evening`` or ``night`` (``PARTS_OF_DAY``);
  "tonight", "at night", "late at night", "before bed" are ``night``;
- ``recurrence``: ``daily``, ``weekdays`` or ``weekends`` ("every day", "every morning",
  "on weekdays").

Expressions are taken only where listeners put them: at the end of the request ("play
something relaxing tonight", "play meditation at night every day"), or before the play verb
("tonight, play some jazz"). Words in the middle stay ("play tonight tonight by the smashing
pumpkins"), and the caller keeps the words when the catalog names them (``keep`` below).

A routine request is "play my morning routine", "start my meditation routine", "my night
routine": the ``routine`` slot holds its name, and a name that is a part of the day also
fills ``part_of_day``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nlu.parsed import Slot, SlotName
from playback.day_parts import PARTS_OF_DAY, PartOfDay

Recurrence = str  # "daily" | "weekdays" | "weekends"
RECURRENCES: tuple[str, ...] = ("daily", "weekdays", "weekends")

_PART_WORDS: dict[str, PartOfDay] = {
    "morning": "morning", "mornings": "morning", "afternoon": "afternoon",
    "afternoons": "afternoon", "evening": "evening", "evenings": "evening", "night": "night",
    "nights": "night", "tonight": "night", "bedtime": "night", "bed": "night",
    "nighttime": "night", "late night": "night", "midnight": "night", "sleep": "night",
    "wind down": "night", "wake up": "morning", "wakeup": "morning",
}  # fmt: skip

# Phrase -> (part of day, recurrence).
_PHRASES: dict[str, tuple[PartOfDay | None, Recurrence | None]] = {
    "tonight": ("night", None), "late tonight": ("night", None),
    "at night": ("night", None), "late at night": ("night", None),
    "in the night": ("night", None), "during the night": ("night", None),
    "at midnight": ("night", None), "late night": ("night", None),
    "all night": ("night", None), "all night long": ("night", None),
    "for tonight": ("night", None), "for the night": ("night", None),
    "for the evening": ("evening", None), "for this evening": ("evening", None),
    "for the morning": ("morning", None), "for this morning": ("morning", None),
    "before bed": ("night", None), "before going to bed": ("night", None),
    "before i go to bed": ("night", None), "before sleep": ("night", None),
    "at bedtime": ("night", None), "every night": ("night", "daily"),
    "each night": ("night", "daily"), "nightly": ("night", "daily"),
    "every night before bed": ("night", "daily"),
    "this morning": ("morning", None), "in the morning": ("morning", None),
    "in the mornings": ("morning", None), "tomorrow morning": ("morning", None),
    "early in the morning": ("morning", None), "every morning": ("morning", "daily"),
    "each morning": ("morning", "daily"),
    "this afternoon": ("afternoon", None), "in the afternoon": ("afternoon", None),
    "in the afternoons": ("afternoon", None), "every afternoon": ("afternoon", "daily"),
    "each afternoon": ("afternoon", "daily"),
    "this night": ("night", None), "this evening": ("evening", None),
    "in the evening": ("evening", None),
    "in the evenings": ("evening", None), "tomorrow evening": ("evening", None),
    "every evening": ("evening", "daily"), "each evening": ("evening", "daily"),
    "every day": (None, "daily"), "each day": (None, "daily"), "daily": (None, "daily"),
    "every single day": (None, "daily"), "everyday": (None, "daily"),
    "on weekdays": (None, "weekdays"), "every weekday": (None, "weekdays"),
    "on weekends": (None, "weekends"), "every weekend": (None, "weekends"),
    "on the weekend": (None, "weekends"), "at the weekend": (None, "weekends"),
    "at weekends": (None, "weekends"), "weekdays": (None, "weekdays"),
    "weekends": (None, "weekends"),
}  # fmt: skip
_LONGEST_FIRST = sorted(_PHRASES, key=lambda p: len(p.split()), reverse=True)
_ROUTINE_WORDS = frozenset(("routine", "routines"))
_MAX_ROUTINE_NAME_WORDS = 4


@dataclass
class TimeExpressions:
    """What ``take_time_expressions`` found: each slot at most once (the first said wins)."""

    part_of_day: PartOfDay | None = None
    recurrence: Recurrence | None = None
    said: dict[str, str] = field(default_factory=dict)  # slot -> the words said

    def slots(self) -> dict[SlotName, Slot]:
        found: dict[SlotName, Slot] = {}
        if self.part_of_day is not None:
            found["part_of_day"] = Slot(text=self.said["part_of_day"], value=self.part_of_day)
        if self.recurrence is not None:
            found["recurrence"] = Slot(text=self.said["recurrence"], value=self.recurrence)
        return found

    def add(self, phrase: str) -> None:
        part, recurrence = _PHRASES[phrase]
        if part is not None and self.part_of_day is None:
            self.part_of_day, self.said["part_of_day"] = part, phrase
        if recurrence is not None and self.recurrence is None:
            self.recurrence, self.said["recurrence"] = recurrence, phrase


# Whether the words ``start:end`` of the full list are (part of) a catalog name.
NamedSpan = Callable[[Sequence[str], int, int], bool]


def _never_named(words: Sequence[str], start: int, end: int) -> bool:
    return False


def take_trailing(words: list[str], found: TimeExpressions, keep: NamedSpan = _never_named) -> None:
    """Remove time expressions from the end of ``words``, in place, into ``found``, unless
    ``keep`` says the catalog names those words."""
    while words:
        phrase = _phrase_at_end(words)
        if phrase is None:
            return
        n = len(phrase.split())
        if keep(words, len(words) - n, len(words)):
            return
        del words[-n:]
        found.add(phrase)
        if words and words[-1] in ("and", "at"):  # "tonight and every day"
            words.pop()


def take_leading(
    words: list[str], found: TimeExpressions, verbs: Sequence[str], keep: NamedSpan = _never_named
) -> None:
    """Remove time expressions said before a play verb ("tonight, play some jazz")."""
    while words:
        phrase = next((p for p in _LONGEST_FIRST if _starts_with(words, p)), None)
        if phrase is None:
            return
        n = len(phrase.split())
        rest = words[n:]
        if not any(_starts_with(rest, verb) for verb in verbs) and not _starts_with_time(rest):
            return
        if keep(words, 0, n):
            return
        del words[:n]
        found.add(phrase)


# Parts of the day said as a kind of music ("night music", "late night jazz"). "Morning
# music" is the vocabulary's activity ``morning`` and stays one.
_MODIFIERS: dict[str, PartOfDay] = {
    "late night": "night", "night": "night", "nighttime": "night", "evening": "evening",
    "afternoon": "afternoon",
}  # fmt: skip


def take_modifiers(
    words: list[str],
    found: TimeExpressions,
    heads: frozenset[str],
    keep: NamedSpan = _never_named,
) -> None:
    """Remove a part of the day said before a music noun or a genre in ``heads`` ("play
    some late night jazz", "evening music"), unless the catalog names those words."""
    for phrase in sorted(_MODIFIERS, key=lambda p: len(p.split()), reverse=True):
        parts = phrase.split()
        n = len(parts)
        for start in range(len(words) - n):
            if words[start : start + n] != parts or words[start + n] not in heads:
                continue
            if keep(words, start, start + n):
                return
            del words[start : start + n]
            if found.part_of_day is None:
                found.part_of_day, found.said["part_of_day"] = _MODIFIERS[phrase], phrase
            return


def routine_name(words: Sequence[str]) -> str | None:
    """The routine a request names after its verb ("my morning routine" -> "morning"; "my
    routine" -> ""), or None when it names none."""
    if not words or words[-1] not in _ROUTINE_WORDS:
        return None
    name = list(words[:-1])
    if name[:1] in (["my"], ["the"], ["our"]):
        name = name[1:]
    if len(name) > _MAX_ROUTINE_NAME_WORDS or any(w in _ROUTINE_WORDS for w in name):
        return None
    return " ".join(name)


def routine_slots(name: str) -> dict[SlotName, Slot]:
    """The slots of a routine request: ``routine`` and, for a part-of-day name ("night",
    "bedtime"), ``part_of_day``."""
    slots: dict[SlotName, Slot] = {"routine": Slot(text=name or "routine", value=name)}
    part = _PART_WORDS.get(name)
    if part is not None:
        slots["part_of_day"] = Slot(text=name, value=part)
    return slots


def part_words() -> dict[str, PartOfDay]:
    """Words for each part of the day (the Alexa slot type's synonyms)."""
    return dict(_PART_WORDS)


def recurrence_words() -> dict[str, Recurrence]:
    """Phrases for each recurrence alone ("every day" -> daily), and the values themselves."""
    words = {phrase: r for phrase, (part, r) in _PHRASES.items() if r and part is None}
    return {**{r: r for r in RECURRENCES}, **words}


def recurrence_of(phrase: str) -> Recurrence | None:
    """The recurrence a phrase says ("every day", "weekdays"), or None."""
    key = " ".join(phrase.lower().split())
    return recurrence_words().get(key) or (_PHRASES.get(key, (None, None))[1])


def part_of_word(word: str) -> PartOfDay | None:
    """The part of the day a routine name or a slot value names ("bedtime" -> night)."""
    key = word.strip().lower()
    for part in PARTS_OF_DAY:
        if part == key:
            return part
    return _PART_WORDS.get(key)


def without_phrases(words: list[str], phrases: Sequence[str]) -> list[str]:
    """``words`` without the last occurrence of each phrase (the time expressions the rules
    took out, removed again from the words another reader sees)."""
    kept = list(words)
    for phrase in dict.fromkeys(phrases):
        parts = phrase.split()
        for start in range(len(kept) - len(parts), -1, -1):
            if parts and kept[start : start + len(parts)] == parts:
                del kept[start : start + len(parts)]
                break
    return kept


def _phrase_at_end(words: Sequence[str]) -> str | None:
    for phrase in _LONGEST_FIRST:
        parts = phrase.split()
        if list(words[-len(parts) :]) == parts:
            return phrase
    return None


def _starts_with(words: Sequence[str], phrase: str) -> bool:
    parts = phrase.split()
    return list(words[: len(parts)]) == parts


def _starts_with_time(words: Sequence[str]) -> bool:
    return any(_starts_with(words, p) for p in _LONGEST_FIRST)
