"""The training example: an utterance's clean words, one BIO tag per word and the intent label.

Words are ``nlu.text.clean_words`` of the text, exactly what the served model sees. Intent
labels are Philomath's intents (``nlu.parsed.Intent``) plus one ``out_of_scope:<reason>`` label
per reason; ``TAG_SLOTS`` are the slot kinds the model tags (``service`` is tagged so that its
words stay out of names, ``entity`` is the song or album a listener adds to a playlist, whose
kind the corpus does not say; neither is a slot of ``ParsedRequest``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nlu.parsed import OUT_OF_SCOPE_REASONS
from nlu.text import clean_words

TAG_SLOTS: tuple[str, ...] = (
    "artist", "track", "album", "playlist", "genre", "mood", "activity", "era", "sort",
    "item_type", "service", "entity",
)  # fmt: skip
TAGS: tuple[str, ...] = ("O", *(f"{p}-{s}" for s in TAG_SLOTS for p in ("B", "I")))
INTENT_LABELS: tuple[str, ...] = (
    "play_music", "next", "previous", "pause", "resume", "stop", "shuffle_on", "shuffle_off",
    "loop_on", "loop_off", "repeat", "start_over", "like", "dislike", "whats_playing", "help",
    *(f"out_of_scope:{reason}" for reason in OUT_OF_SCOPE_REASONS),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabeledUtterance:
    """One training or evaluation utterance. ``source_intent`` is the corpus's own label
    (``PlayMusic``, ``play_radio``...), kept for per-family scoring."""

    text: str
    words: tuple[str, ...]
    tags: tuple[str, ...]
    intent: str
    corpus: str
    source_intent: str

    def spans(self) -> list[tuple[str, str]]:
        """The tagged spans as (slot, words joined by spaces), in order."""
        return tagged_spans(self.words, self.tags)


def from_segments(
    segments: Iterable[tuple[str, str | None]], intent: str, corpus: str, source_intent: str
) -> LabeledUtterance:
    """An utterance from its text pieces, each with the slot it fills (None: no slot)."""
    words: list[str] = []
    tags: list[str] = []
    text = []
    for piece, slot in segments:
        text.append(piece)
        piece_words = clean_words(piece)
        words.extend(piece_words)
        if slot is None:
            tags.extend("O" for _ in piece_words)
        else:
            tags.extend(f"{'I' if i else 'B'}-{slot}" for i in range(len(piece_words)))
    if intent not in INTENT_LABELS:
        raise ValueError(f"unknown intent label {intent!r}")
    spoken = " ".join("".join(text).split())
    return LabeledUtterance(spoken, tuple(words), tuple(tags), intent, corpus, source_intent)


def tagged_spans(words: Sequence[str], tags: Sequence[str]) -> list[tuple[str, str]]:
    """(slot, text) for each B-/I- run; an I- tag without its B- starts a span too."""
    spans: list[tuple[str, list[str]]] = []
    previous = "O"
    for word, tag in zip(words, tags, strict=True):
        if tag == "O":
            previous = tag
            continue
        prefix, slot = tag.split("-", 1)
        if prefix == "I" and previous != "O" and previous.split("-", 1)[1] == slot:
            spans[-1][1].append(word)
        else:
            spans.append((slot, [word]))
        previous = tag
    return [(slot, " ".join(ws)) for slot, ws in spans]
