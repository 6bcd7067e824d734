"""Catalog names and how a spoken name finds them: exactly, partly, misspelt or misheard.

``NameIndex.resolve`` tries, per kind: the exact ``name_key`` (with or without a leading
"the"); a partial name whose words all belong to one entry ("the stones" -> "The Rolling
Stones"), worth less when the words fit many entries; then fuzzy matching with rapidfuzz on
the name without spaces ("radiohed", "cold play") and on a rough sound key ("ed sharon" ->
"Ed Sheeran", "maroon five" -> "Maroon 5"). Scores are in [0, 1]; 1 is exact.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nlu.candidates import Candidate, NameKind
from nlu.text import name_key

# Below this fuzzy score (0-100) a candidate is not considered at all.
FUZZY_CUTOFF = 78
_SHORTEST_FUZZY = 4  # characters; shorter names only match exactly
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")  # fmt: skip
_NUMBERS = {word: str(i) for i, word in enumerate(_NUMBER_WORDS)}
_SOUNDS = ((re.compile(r"ph"), "f"), (re.compile(r"ck|q"), "k"), (re.compile(r"c(?=[eiy])"), "s"),
           (re.compile(r"c"), "k"), (re.compile(r"z"), "s"), (re.compile(r"x"), "ks"),
           (re.compile(r"(?<=.)h"), ""), (re.compile(r"[aeiouy]+"), "a"),
           (re.compile(r"(.)\1+"), r"\1"))  # fmt: skip
_WEAK_TOKENS = frozenset(("the", "and", "a", "of"))


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One catalog name; several catalog ids may share it (a title many artists recorded)."""

    kind: NameKind
    name: str
    ids: tuple[str, ...]
    artist_ids: tuple[str, ...] = ()  # tracks and albums: whose they are, in ``ids`` order

    @property
    def key(self) -> str:
        return name_key(self.name)


def squash(key: str) -> str:
    """A name key without spaces, number words as digits: "maroon five" -> "maroon5"."""
    return "".join(_NUMBERS.get(word, word) for word in key.split())


def sound_key(key: str) -> str:
    """A rough sound of a name key: similar spellings of one sound meet, vowels blur."""
    sound = re.sub(r"[^a-z0-9]", "", squash(key))
    for pattern, replacement in _SOUNDS:
        sound = pattern.sub(replacement, sound)
    return sound


class _KindIndex:
    """The names of one kind, by key, by word, by squashed and by sound key."""

    def __init__(self, entries: Iterable[NameEntry]) -> None:
        self.by_key: dict[str, NameEntry] = {}
        for entry in entries:
            key = entry.key
            if not key:
                continue
            known = self.by_key.get(key)
            if known is not None:  # same name, more ids
                entry = NameEntry(entry.kind, known.name, known.ids + entry.ids,
                                  known.artist_ids + entry.artist_ids)  # fmt: skip
            self.by_key[key] = entry
        self.keys = list(self.by_key)
        self.squashed = _ByLength((squash(k), k) for k in self.keys)
        self.sounds = _ByLength((sound_key(k), k) for k in self.keys)
        self.by_token: dict[str, set[str]] = defaultdict(set)
        for key in self.keys:
            for token in set(key.split()) - _WEAK_TOKENS:
                self.by_token[token].add(key)

    def scored(self, query: str) -> dict[str, float]:
        """Keys that ``query`` may mean, with scores."""
        scores: dict[str, float] = {}
        for variant, score in ((query, 1.0), (query.removeprefix("the "), 0.97),
                               (f"the {query}", 0.97)):  # fmt: skip
            if variant in self.by_key:
                scores[variant] = max(scores.get(variant, 0.0), score)
        if scores:
            return scores
        self._partial(query, scores)
        if len(squash(query)) >= _SHORTEST_FUZZY:
            self._fuzzy(query, scores)
        return scores

    def _partial(self, query: str, scores: dict[str, float]) -> None:
        tokens = set(query.split()) - _WEAK_TOKENS
        if not tokens:
            return
        keys = set.intersection(*(self.by_token.get(t, set()) for t in tokens))
        for key in keys:
            coverage = len("".join(tokens)) / max(1, len(squash(key)))
            score = 0.8 + 0.15 * coverage - 0.05 * (len(keys) - 1)
            scores[key] = max(scores.get(key, 0.0), round(score, 3))

    def _fuzzy(self, query: str, scores: dict[str, float]) -> None:
        for forms, target, weight in ((self.squashed, squash(query), 0.95),
                                      (self.sounds, sound_key(query), 0.9)):  # fmt: skip
            for key, ratio in forms.near(target):
                scores[key] = max(scores.get(key, 0.0), round(weight * ratio / 100, 3))


class _ByLength:
    """Name forms blocked by first character and sorted by length: a fuzzy search looks only
    at forms that start alike (slips rarely touch the first sound) and whose length allows
    ``FUZZY_CUTOFF`` (ratio 2m / (a + b) cannot reach it when one is much longer)."""

    _SPAN = FUZZY_CUTOFF / (200 - FUZZY_CUTOFF)  # shortest / longest that can still match

    def __init__(self, forms: Iterable[tuple[str, str]]) -> None:
        blocks: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for form, key in forms:
            if form:
                blocks[form[0]].append((form, key))
        self.blocks: dict[str, tuple[list[str], list[str], list[int]]] = {}
        for first, pairs in blocks.items():
            pairs.sort(key=lambda pair: len(pair[0]))
            self.blocks[first] = ([f for f, _ in pairs], [k for _, k in pairs],
                                  [len(f) for f, _ in pairs])  # fmt: skip

    def near(self, target: str) -> list[tuple[str, float]]:
        """(key, ratio) of the closest forms, at most five."""
        if not target or target[0] not in self.blocks:
            return []
        forms, keys, lengths = self.blocks[target[0]]
        low = bisect_left(lengths, math.ceil(len(target) * self._SPAN))
        high = bisect_right(lengths, math.floor(len(target) / self._SPAN))
        found = process.extract(target, forms[low:high], scorer=fuzz.ratio, limit=5,
                                score_cutoff=FUZZY_CUTOFF)  # fmt: skip
        return [(keys[low + i], ratio) for _, ratio, i in found]


class NameIndex:
    """Every catalog name, per kind, ready for ``resolve``. Implements ``NameResolver``."""

    def __init__(self, entries: Iterable[NameEntry]) -> None:
        per_kind: dict[NameKind, list[NameEntry]] = defaultdict(list)
        for entry in entries:
            per_kind[entry.kind].append(entry)
        self._kinds = {kind: _KindIndex(found) for kind, found in per_kind.items()}

    def __len__(self) -> int:
        return sum(len(index.by_key) for index in self._kinds.values())

    def entries(self) -> Iterable[NameEntry]:
        for index in self._kinds.values():
            yield from index.by_key.values()

    def resolve(
        self, text: str, kinds: Sequence[NameKind], artist_id: str | None = None
    ) -> list[Candidate]:
        """Catalog entities ``text`` may name, best first; titles of ``artist_id`` first."""
        query = name_key(text)
        if not query:
            return []
        found: list[Candidate] = []
        for kind in kinds:
            index = self._kinds.get(kind)
            if index is None:
                continue
            for key, score in index.scored(query).items():
                entry = index.by_key[key]
                found.append(_candidate(entry, score, artist_id))
        order = {kind: i for i, kind in enumerate(kinds)}
        found.sort(key=lambda c: (-c.score, order[c.kind], c.value))
        return found[:5]


def _candidate(entry: NameEntry, score: float, artist_id: str | None) -> Candidate:
    """The entry as a candidate: for a title, the recording by ``artist_id`` when there is
    one (a small bonus), else the first; a title by another artist scores lower."""
    entity_id = entry.ids[0]
    if artist_id is not None and entry.artist_ids:
        if artist_id in entry.artist_ids:
            entity_id = entry.ids[entry.artist_ids.index(artist_id)]
            score = min(1.0, score + 0.02)
        else:
            score *= 0.85
    return Candidate(entry.kind, entry.name, entity_id, round(score, 3))
