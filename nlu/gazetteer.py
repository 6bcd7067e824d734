"""The gazetteer: the catalog's names and the lexicon as a spaCy pipeline, built once offline
and loaded from disk.

``build_gazetteer`` (the offline pipeline calls it after the ETL) writes a directory::

    info.json      counts, genres, format version
    names.json     artists, tracks and albums with their catalog ids (for ``NameIndex``)
    spacy/         spacy.blank("en") + the ``music_gazetteer`` component: every name and
                   lexicon phrase as PhraseMatcher token patterns, in both the typed and the
                   spoken form ("ac/dc" and "ac dc")

``load_gazetteer`` reads it back; nothing is recomputed from the catalog at load. The
pipeline is fed pre-cleaned words (``nlu.text.clean_words``), never raw text, so catalog
names and utterances are tokenised by one function.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nlu.imports import spacy_without_torch

with spacy_without_torch():
    import spacy
    from spacy.language import Language
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc, Span
    from spacy.vocab import Vocab

from nlu.names import NameEntry, NameIndex  # noqa: E402
from nlu.parsed import SlotName  # noqa: E402
from nlu.phrase_matching import Match, era_matches, lexicon_entries, phrase_variants  # noqa: E402
from playback.catalog import Track  # noqa: E402

FORMAT_VERSION = 1
SPAN_KEY = "music"
COMPONENT = "music_gazetteer"


class GazetteerError(Exception):
    """The gazetteer directory is missing, unreadable or of another format version."""


@dataclass(frozen=True, slots=True)
class GazetteerInfo:
    """What a built gazetteer holds."""

    path: Path
    artists: int
    tracks: int
    albums: int
    genres: tuple[str, ...]
    patterns: int
    version: int = FORMAT_VERSION


class MusicGazetteer:
    """spaCy component: marks every known phrase as a span in ``doc.spans["music"]``; the
    span label is the entry's index into ``entries`` (kind, value, catalog id)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.entries: list[tuple[str, str, str | None]] = []
        self.variants: list[list[list[str]]] = []
        self.matcher = PhraseMatcher(vocab, attr="ORTH")

    def add(
        self, kind: str, value: str, entity_id: str | None, variants: Iterable[Sequence[str]]
    ) -> None:
        forms = [list(v) for v in variants if v]
        if not forms:
            return
        index = len(self.entries)
        self.entries.append((kind, value, entity_id))
        self.variants.append(forms)
        self.matcher.add(str(index), [Doc(self.vocab, words=form) for form in forms])

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[SPAN_KEY] = [
            Span(doc, start, end, label=match_id) for match_id, start, end in self.matcher(doc)
        ]
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        rows = [[*entry, forms] for entry, forms in zip(self.entries, self.variants, strict=True)]
        (path / "entries.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> MusicGazetteer:
        rows = json.loads((Path(path) / "entries.json").read_text("utf-8"))
        for kind, value, entity_id, forms in rows:
            self.add(kind, value, entity_id, forms)
        return self


@Language.factory(COMPONENT)
def make_music_gazetteer(nlp: Language, name: str) -> MusicGazetteer:
    return MusicGazetteer(nlp.vocab)


def gazetteer_component(nlp: Language) -> MusicGazetteer:
    """The pipeline's ``music_gazetteer`` component."""
    component = nlp.get_pipe(COMPONENT)
    if not isinstance(component, MusicGazetteer):
        raise GazetteerError(f"{COMPONENT} is a {type(component).__name__}")
    return component


class Gazetteer:
    """A loaded gazetteer: phrase matching (``nlu.phrase_matching.Vocabulary``), catalog names
    for resolution, and the catalog's genres."""

    def __init__(self, nlp: Language, names: NameIndex, genres: Sequence[str]) -> None:
        self.nlp = nlp
        self.names = names
        self.genres = tuple(genres)
        self._component = gazetteer_component(nlp)

    def matches(self, keys: Sequence[str]) -> list[Match]:
        if not keys:
            return []
        doc = self.nlp(Doc(self.nlp.vocab, words=list(keys)))
        found = era_matches(keys)
        for span in doc.spans[SPAN_KEY]:
            kind, value, entity_id = self._component.entries[int(span.label_)]
            found.append(Match(span.start, span.end, _slot_name(kind), value, entity_id))
        return found

    def genre(self, text: str) -> str | None:
        """The catalog's spelling of the genre ``text`` names, or None."""
        for variant in phrase_variants(text):
            for match in self.matches(list(variant)):
                if match.kind == "genre" and (match.start, match.end) == (0, len(variant)):
                    return match.value
        return None


def build_gazetteer(tracks: Iterable[Track], out_dir: Path) -> GazetteerInfo:
    """Build the gazetteer for ``tracks`` into ``out_dir`` (replaced whole, so a reader never
    sees half of one)."""
    entries, genres = _catalog_entries(tracks)
    names = NameIndex(entries)
    nlp = _pipeline(genres, names.entries())
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    nlp.to_disk(tmp / "spacy")
    rows = [[e.kind, e.name, list(e.ids), list(e.artist_ids)] for e in names.entries()]
    (tmp / "names.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    counts = Counter(e.kind for e in names.entries())
    info = GazetteerInfo(
        path=out_dir,
        artists=counts["artist"],
        tracks=counts["track"],
        albums=counts["album"],
        genres=tuple(genres),
        patterns=sum(len(v) for v in gazetteer_component(nlp).variants),
    )
    record: dict[str, Any] = {**asdict(info), "path": None}
    (tmp / "info.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return info


def load_gazetteer(path: Path, extra_genres: Iterable[str] = ()) -> Gazetteer:
    """Read a gazetteer built by ``build_gazetteer``; ``extra_genres`` (the live catalog's,
    when it gained some since the build) are added to the lexicon."""
    try:
        info = json.loads((path / "info.json").read_text("utf-8"))
        if info.get("version") != FORMAT_VERSION:
            raise GazetteerError(f"{path}: format {info.get('version')}, need {FORMAT_VERSION}")
        nlp = spacy.load(path / "spacy")
        rows = json.loads((path / "names.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise GazetteerError(f"cannot read the gazetteer in {path}: {exc}") from exc
    names = NameIndex(NameEntry(kind, name, tuple(ids), tuple(artist_ids))
                      for kind, name, ids, artist_ids in rows)  # fmt: skip
    genres = list(info["genres"])
    new = [g for g in extra_genres if g and g not in genres]
    _add_lexicon(gazetteer_component(nlp), new)
    return Gazetteer(nlp, names, genres + new)


def lexicon_gazetteer(genres: Iterable[str]) -> Gazetteer:
    """A gazetteer of the lexicon alone, built in memory (milliseconds): for when no catalog
    gazetteer has been built yet."""
    genres = [g for g in genres if g and g.strip()]
    return Gazetteer(_pipeline(genres, ()), NameIndex(()), genres)


def _pipeline(genres: Sequence[str], names: Iterable[NameEntry]) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe(COMPONENT)
    component = gazetteer_component(nlp)
    _add_lexicon(component, genres, lexicon=True)
    for entry in names:
        component.add(entry.kind, entry.name, entry.ids[0], phrase_variants(entry.name))
    return nlp


def _add_lexicon(
    component: MusicGazetteer, genres: Sequence[str], *, lexicon: bool = False
) -> None:
    """Lexicon entries: with ``lexicon`` every one, else only the genres' (added genres)."""
    for kind, phrase, value in lexicon_entries(genres):
        if lexicon or kind == "genre":
            component.add(kind, value, None, phrase_variants(phrase))


def _catalog_entries(tracks: Iterable[Track]) -> tuple[list[NameEntry], list[str]]:
    artists: dict[str, NameEntry] = {}
    entries: list[NameEntry] = []
    albums: dict[str, NameEntry] = {}
    genres: set[str] = set()
    for track in tracks:
        if track.genre:
            genres.add(track.genre)
        if track.artist_name and track.artist_id not in artists:
            artists[track.artist_id] = NameEntry("artist", track.artist_name, (track.artist_id,))
        if track.title:
            entries.append(NameEntry("track", track.title, (track.track_id,), (track.artist_id,)))
        if track.album_id and track.album_title and track.album_id not in albums:
            albums[track.album_id] = NameEntry(
                "album", track.album_title, (track.album_id,), (track.artist_id,)
            )
    return [*artists.values(), *entries, *albums.values()], sorted(genres)


def _slot_name(kind: str) -> SlotName:
    names: dict[str, SlotName] = {k: k for k in (
        "genre", "mood", "activity", "sort", "item_type", "artist", "track", "album", "era",
    )}  # fmt: skip
    return names[kind]
