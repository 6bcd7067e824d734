"""Reading a play request: which words name what.

The words (play verb removed) are read in four steps:

1. cues that type a name: "songs like X" and "X radio" (item_type ``radio``), an item word
   ("the album X", "my X playlist", "the song X", "the band X"), "X by Y" (Y an artist),
   "Y's X" (Y an artist);
2. known phrases (``nlu.phrase_matching`` matches) cover what they can, longest first; a genre
   wins over a mood said with the same word, catalog names give way to lexicon words;
3. what is left is a name when a cue or a play verb says so, a description when it holds
   description words ("music for a rainy sunday"), else unexplained;
4. names go to a ``NameResolver`` (the catalog, fuzzily, in ``MusicParser``; nothing in the
   plain ``RuleParser``), unresolved names stay open vocabulary with the words as said.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from nlu.candidates import ACCEPT_SCORE, Candidate, NameKind, NameResolver
from nlu.lexicon import DESCRIPTION_CUES, FILLER, MUSIC_NOUNS, NOT_MUSIC
from nlu.parsed import Interpretation, Slot, SlotName
from nlu.phrase_matching import Match
from playback.vocabulary import ACTIVITY_MOODS

Verb = Literal["strong", "weak", "none"]

# Same-size overlaps: the earlier kind wins. Lexicon words beat catalog names ("play blue").
_ORDER: tuple[SlotName, ...] = (
    "genre", "mood", "activity", "sort", "era", "item_type", "artist", "album", "track",
)  # fmt: skip
_PRIORITY: dict[SlotName, int] = {kind: rank for rank, kind in enumerate(_ORDER)}
_CATALOG_KINDS = frozenset(("artist", "track", "album"))
_NAME_SLOTS = frozenset(("artist", "track", "album", "playlist"))
_SIMILAR_CUES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(cue.split())
            for cue in (
                "songs like",
                "music like",
                "something like",
                "stuff like",
                "more like",
                "anything like",
                "tracks like",
                "artists like",
                "bands like",
                "similar to",
                "sounds like",
                "something that sounds like",
                "music that sounds like",
                "songs that sound like",
                "stuff that sounds like",
                "in the style of",
                "inspired by",
                "along the lines of",
            )
        ),  # fmt: skip
        key=len,
        reverse=True,
    )
)
_NAME_DETERMINERS = frozenset(("the", "my", "our", "a", "an", "your"))


@dataclass
class Reading:
    """What the words of a play request say. ``description`` holds the words that describe
    music rather than name it; ``unsure`` says the rules could not place every word."""

    slots: dict[SlotName, Slot] = field(default_factory=dict)
    confidence: float = 0.9
    alternatives: list[Interpretation] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    unsure: bool = False
    not_music: bool = False
    evidence: bool = False  # see _Reader._evidence
    specific: bool = False  # see _Reader._specific
    open_name: SlotName | None = None  # an open-vocabulary name that may be a description


@dataclass
class _Range:
    start: int
    end: int
    name_kind: NameKind | None = None  # the words name one thing of this kind


def read_play(
    words: Sequence[str],
    keys: Sequence[str],
    matches: Sequence[Match],
    *,
    verb: Verb,
    resolver: NameResolver,
) -> Reading:
    """Read ``words`` (their match ``keys`` and vocabulary ``matches``) as a play request."""
    return _Reader(words, keys, matches, resolver).read(verb)


class _Reader:
    def __init__(
        self,
        words: Sequence[str],
        keys: Sequence[str],
        matches: Sequence[Match],
        resolver: NameResolver,
    ) -> None:
        self.words, self.keys, self.matches, self.resolver = words, keys, matches, resolver
        self.reading = Reading()
        self.name_cue = False  # a cue marked some words as a name

    def read(self, verb: Verb) -> Reading:
        start, end = 0, len(self.words)
        end = self._radio_suffix(start, end)
        start, similar = self._similar_prefix(start, end)
        ranges = self._item_ranges(start, end, similar)
        artist_range = self._by_split(ranges)
        if artist_range is not None:  # first, so that a title can be looked up by artist
            self._name(artist_range.start, artist_range.end, "artist")
        self._title_of_artist(ranges)
        leftovers: list[tuple[int, int]] = []
        for part in ranges:
            if part.name_kind is not None:
                self._name(part.start, part.end, part.name_kind)
            else:
                leftovers.extend(self._cover(part.start, part.end))
        self._leftovers(leftovers, verb, similar)
        self._imply_mood()
        return self.reading

    # --- cues --------------------------------------------------------------------------

    def _radio_suffix(self, start: int, end: int) -> int:
        for tail in (("radio", "station"), ("radio",), ("station",)):
            n = len(tail)
            if end - start > n and tuple(self.keys[end - n : end]) == tail:
                self._set("item_type", Slot(text=" ".join(self.words[end - n : end]),
                                            value="radio"))  # fmt: skip
                self.name_cue = True
                return end - n
        return end

    def _similar_prefix(self, start: int, end: int) -> tuple[int, bool]:
        for i in range(start, end):
            for cue in _SIMILAR_CUES:
                n = len(cue)
                if tuple(self.keys[i : i + n]) == cue and i + n < end:
                    if not all(k in FILLER for k in self.keys[start:i]):
                        self._cover(start, i)  # "some chill songs like X": chill is a mood
                    text = " ".join(self.words[i : i + n])
                    self._set("item_type", Slot(text=text, value="radio"))
                    self.name_cue = True
                    return i + n, True
        return start, False

    def _item_ranges(self, start: int, end: int, similar: bool) -> list[_Range]:
        """Split off "the album X" / "my X playlist" / "the song X" names."""
        if similar:
            return [_Range(start, end, "artist")]
        for match in sorted(self._inside(start, end, ("item_type",)), key=lambda m: m.start):
            kind = _name_kind(match.value)
            head = [k for k in self.keys[start : match.start] if k not in _NAME_DETERMINERS]
            item = Slot(text=" ".join(self.words[match.start : match.end]), value=match.value)
            if kind is None:
                self._set("item_type", item)
                continue
            named = self._item_name(start, end, match, kind, head)
            # "a calming song" names no kind to play; "the song X" and "an album" do.
            if named is not None or kind != "track":
                self._set("item_type", item)
            if named is not None:
                self.name_cue = True
                return [named]
            return [_Range(start, match.start), _Range(match.end, end)]
        return [_Range(start, end)]

    def _item_name(
        self, start: int, end: int, match: Match, kind: NameKind, head: list[str]
    ) -> _Range | None:
        """The range naming the item: "the album X (by Y)", "my X playlist"."""
        by_next = match.end < end and self.keys[match.end] == "by"
        if not head and match.end < end and not by_next:
            return _Range(match.end, end, kind)
        own = start < match.start and self.keys[start] in ("my", "the", "our", "your")
        if match.end == end and own and kind in ("album", "playlist"):
            return _Range(start + 1, match.start, kind)
        return None

    def _by_split(self, ranges: list[_Range]) -> _Range | None:
        """Take "by Y" off the end of the last range; Y is returned as the artist's words."""
        part = ranges[-1]
        for i in range(part.end - 1, part.start - 1, -1):
            if self.keys[i] != "by" or self._in_catalog_name(i):
                continue
            artist = _trim(self.keys, i + 1, part.end)
            if artist is None:
                return None
            ranges[-1] = _Range(part.start, i, part.name_kind)
            if part.name_kind is None and self._all_words_unknown(part.start, i):
                ranges[-1].name_kind = "track"  # "bohemian rhapsody by queen"
            self.name_cue = True
            return _Range(*artist)
        return None

    def _title_of_artist(self, ranges: list[_Range]) -> None:
        """ "work by rihanna": words that could be lexicon are a title when the artist has a
        track of that name."""
        artist = self.reading.slots.get("artist")
        part = ranges[-1]
        trimmed = _trim(self.keys, part.start, part.end)
        if artist is None or artist.id is None or part.name_kind or trimmed is None:
            return
        text = " ".join(self.words[trimmed[0] : trimmed[1]])
        found = self.resolver.resolve(text, ("track",), artist.id)
        if found and found[0].score >= 0.95:
            part.start, part.end, part.name_kind = trimmed[0], trimmed[1], "track"

    # --- covering known phrases ------------------------------------------------------------

    def _inside(self, start: int, end: int, kinds: Sequence[SlotName]) -> list[Match]:
        return [m for m in self.matches if start <= m.start and m.end <= end and m.kind in kinds]

    def _in_catalog_name(self, i: int) -> bool:
        return any(m.start < i < m.end and m.kind in _CATALOG_KINDS for m in self.matches)

    def _all_words_unknown(self, start: int, end: int) -> bool:
        """Whether nothing in ``start:end`` is lexicon (so the words are a title)."""
        trimmed = _trim(self.keys, start, end)
        if trimmed is None:
            return False
        return not any(
            m.kind not in _CATALOG_KINDS and trimmed[0] <= m.start and m.end <= trimmed[1]
            for m in self.matches
        )

    def _cover(self, start: int, end: int) -> list[tuple[int, int]]:
        """Fill slots from the best non-overlapping matches in ``start:end``; the runs of
        uncovered words, trimmed of filler, are returned."""
        chosen: list[Match] = []
        taken = [False] * len(self.words)
        candidates = [m for m in self.matches if start <= m.start and m.end <= end]
        candidates.sort(key=lambda m: (-m.size, _PRIORITY[m.kind], m.start))
        for match in candidates:
            if match.kind in _CATALOG_KINDS and not self._plausible_name(match, start):
                continue
            span = range(match.start, match.end)
            if any(taken[i] for i in span):
                same = [c for c in chosen if (c.start, c.end) == (match.start, match.end)]
                if same and _coexist(same, match):
                    chosen.append(match)
                continue
            for i in span:
                taken[i] = True
            chosen.append(match)
        # A word with one meaning fills its slot before a word with two ("party music for
        # driving": driving is the activity, party the mood).
        spans = Counter((m.start, m.end) for m in chosen)
        for match in sorted(chosen, key=lambda m: (spans[m.start, m.end], m.start)):
            text = " ".join(self.words[match.start : match.end])
            self._set(match.kind, Slot(text=text, value=match.value, id=match.id))
        runs, i = [], start
        while i < end:
            if taken[i]:
                i += 1
                continue
            j = i
            while j < end and not taken[j]:
                j += 1
            trimmed = _trim(self.keys, i, j)
            if trimmed is not None:
                runs.append(trimmed)
            i = j
        return runs

    def _plausible_name(self, match: Match, start: int) -> bool:
        """A catalog title made only of common words ("Something"), or one that follows a
        description word ("songs for a Rainy Day"), is not taken as a name."""
        keys = self.keys[match.start : match.end]
        if all(k in FILLER or k in DESCRIPTION_CUES for k in keys):
            return False
        before = self.keys[match.start - 1] if match.start > start else None
        return before is None or before not in DESCRIPTION_CUES or match.kind == "artist"

    # --- names and leftovers -----------------------------------------------------------------

    def _leftovers(self, runs: list[tuple[int, int]], verb: Verb, similar: bool) -> None:
        reading = self.reading
        for start, end in runs:
            keys = self.keys[start:end]
            followed = end < len(self.keys) and self.keys[end] in MUSIC_NOUNS
            if keys[-1].endswith("'s") and end - start <= 4:  # "adele's new album"
                self._name(start, end, "artist", strip_possessive=True)
            elif keys[0] in DESCRIPTION_CUES or _descriptive(self.keys, start):
                reading.description.extend(self.words[start:end])
            elif any(k in NOT_MUSIC for k in keys) and not self._evidence():
                reading.not_music = True
            elif "artist" in reading.slots and "track" not in reading.slots:
                self._name(start, end, "track")  # "play hello adele"
            else:
                kind = self._name(start, end, None)
                # "born to run" or "music to run to"; "radiohead songs" or "rainy day songs":
                # a name unless the catalog says otherwise, but worth a second look.
                described = any(k in DESCRIPTION_CUES for k in keys) or followed
                if kind is None and described and not similar:
                    reading.open_name = "artist"
                    reading.description.extend(self.words[start:end])
                if kind is None and verb != "strong" and not (self.name_cue or similar):
                    reading.unsure = True
        if reading.description and not ({"mood", "genre"} & reading.slots.keys()):
            reading.unsure = True
        if reading.description:
            reading.confidence = min(reading.confidence, 0.6)
        reading.specific = self._specific()
        reading.evidence = self._evidence()

    def _specific(self) -> bool:
        """Whether a lexicon word, a catalog name or a name cue is in the request."""
        slots = self.reading.slots
        known = any(kind not in _NAME_SLOTS or slot.id is not None for kind, slot in slots.items())
        return known or self.name_cue

    def _evidence(self) -> bool:
        """Whether anything but a play verb says this is a music request: something
        ``_specific`` or a music noun ("end the music" is still a control)."""
        return self._specific() or any(k in MUSIC_NOUNS for k in self.keys)

    def _name(
        self, start: int, end: int, kind: NameKind | None, *, strip_possessive: bool = False
    ) -> NameKind | None:
        """Resolve ``words[start:end]`` as a name of ``kind`` (artist or track when None);
        returns the catalog kind it resolved to, None when it stays open vocabulary."""
        trimmed = _trim(self.keys, start, end) if kind is None else (start, end)
        if trimmed is None or trimmed[0] >= trimmed[1]:
            return None
        start, end = trimmed
        text = " ".join(self.words[start:end])
        if strip_possessive:
            text = text.removesuffix("'s")
        kinds: tuple[NameKind, ...] = ("artist", "track") if kind is None else (kind,)
        artist = self.reading.slots.get("artist")
        found = [] if kind == "playlist" else self.resolver.resolve(
            text, kinds, artist.id if artist is not None else None
        )  # fmt: skip
        best = found[0] if found and found[0].score >= ACCEPT_SCORE else None
        slot_kind: NameKind = best.kind if best else (kind or "artist")
        if best is not None:
            self._set(slot_kind, Slot(text=text, value=best.value, id=best.id))
            self.reading.confidence = min(self.reading.confidence, 0.6 + 0.3 * best.score)
        else:
            self._set(slot_kind, Slot(text=text, value=text))
            self.reading.confidence = min(self.reading.confidence, 0.7 if self.name_cue else 0.6)
        self._alternatives(slot_kind, text, found, best, open_kind=kind is None)
        return best.kind if best is not None else None

    def _alternatives(
        self,
        slot_kind: NameKind,
        text: str,
        found: list[Candidate],
        best: Candidate | None,
        *,
        open_kind: bool,
    ) -> None:
        """Other readings of a name: runner-up catalog entities, and for an untyped name
        the same words as a track title."""
        others: list[tuple[SlotName, Slot, float]] = [
            (c.kind, Slot(text=text, value=c.value, id=c.id), c.score)
            for c in found
            if c is not best and c.score >= ACCEPT_SCORE * 0.75
        ]
        if open_kind and best is None:
            others.append(("track", Slot(text=text, value=text), 0.3))
        for kind, slot, score in others[:3]:
            slots = {k: v for k, v in self.reading.slots.items() if k != slot_kind}
            slots[kind] = slot
            confidence = round(min(score, self.reading.confidence) * 0.9, 3)
            self.reading.alternatives.append(
                Interpretation(intent="play_music", confidence=confidence, slots=slots)
            )

    def _set(self, kind: SlotName, slot: Slot) -> None:
        self.reading.slots.setdefault(kind, slot)

    def _imply_mood(self) -> None:
        slots = self.reading.slots
        activity = slots.get("activity")
        if activity is not None and "mood" not in slots and activity.value in ACTIVITY_MOODS:
            slots["mood"] = Slot(text=activity.text, value=ACTIVITY_MOODS[activity.value])


def _name_kind(item_type: str) -> NameKind | None:
    return {"song": "track", "album": "album", "artist": "artist", "playlist": "playlist"}.get(
        item_type
    )  # type: ignore[return-value]


def _coexist(chosen: list[Match], match: Match) -> bool:
    """One word can be a mood and an activity ("workout"), but a genre excludes a mood
    ("dance") and a catalog name never doubles a lexicon word."""
    kinds = {c.kind for c in chosen} | {match.kind}
    if kinds & _CATALOG_KINDS:
        return False
    return not ({"genre", "mood"} <= kinds) and match.kind not in {c.kind for c in chosen}


def _descriptive(keys: Sequence[str], start: int) -> bool:
    """Leftovers right after "something" or "music" describe it ("something sunny")."""
    return start > 0 and keys[start - 1] in ("something", "anything", "stuff")


def _trim(keys: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    """``start:end`` without leading filler (but "the", which names keep) and trailing music
    nouns; None when only filler is left."""
    while start < end and keys[start] in FILLER and keys[start] != "the":
        start += 1
    while end > start and keys[end - 1] in MUSIC_NOUNS:
        end -= 1
    if all(k in FILLER or k in DESCRIPTION_CUES for k in keys[start:end]):
        return None
    return start, end
