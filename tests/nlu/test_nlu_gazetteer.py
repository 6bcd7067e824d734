"""The gazetteer: built once from the catalog, loaded from disk, matched token for token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.gazetteer import (
    GazetteerError,
    build_gazetteer,
    lexicon_gazetteer,
    load_gazetteer,
)
from nlu.phrase_matching import match_keys
from playback.catalog import Track

TRACKS = [
    Track("t1", "Paint It Black", "a1", "The Rolling Stones", "l1", "Aftermath", "rock"),
    Track("t2", "Angie", "a1", "The Rolling Stones", "l2", "Goats Head Soup", "rock"),
    Track("t3", "Halo", "a2", "Beyoncé", "l3", "I Am... Sasha Fierce", "r&b"),
    Track("t4", "Halo", "a3", "Depeche Mode", "l4", "Violator", "electronic"),
    Track("t5", "Back in Black", "a4", "AC/DC", "l5", "Back in Black", "hip-hop"),
]


def kinds(gazetteer_matches: list) -> set[tuple[str, str, str | None]]:  # type: ignore[type-arg]
    return {(m.kind, m.value, m.id) for m in gazetteer_matches}


def test_build_writes_a_loadable_directory(tmp_path: Path) -> None:
    info = build_gazetteer(TRACKS, tmp_path / "gaz")
    assert (info.artists, info.tracks, info.albums) == (4, 4, 5)  # "Halo" once, two ids
    assert info.genres == ("electronic", "hip-hop", "r&b", "rock")
    assert {p.name for p in (tmp_path / "gaz").iterdir()} == {"info.json", "names.json", "spacy"}
    gazetteer = load_gazetteer(tmp_path / "gaz")
    words = ["play", "paint", "it", "black", "by", "the", "rolling", "stones"]
    found = kinds(gazetteer.matches(match_keys(words)))
    assert ("track", "Paint It Black", "t1") in found
    assert ("artist", "The Rolling Stones", "a1") in found
    assert ("genre", "rock", None) not in found


def test_names_match_as_typed_and_as_spoken(tmp_path: Path) -> None:
    gazetteer = load_gazetteer(_built(tmp_path))
    for said in ("ac/dc", "ac dc", "beyonce", "beyoncé", "hip hop", "hip-hop", "rap", "r&b"):
        keys = match_keys(said.split())
        whole = [m for m in gazetteer.matches(keys) if (m.start, m.end) == (0, len(keys))]
        assert whole, said


def test_a_title_several_artists_recorded_resolves_to_each(tmp_path: Path) -> None:
    names = load_gazetteer(_built(tmp_path)).names
    assert names.resolve("halo", ("track",), artist_id="a3")[0].id == "t4"
    assert names.resolve("halo", ("track",), artist_id="a2")[0].id == "t3"


def test_rebuild_replaces_the_directory_whole(tmp_path: Path) -> None:
    path = _built(tmp_path)
    build_gazetteer(TRACKS[:1], path)
    gazetteer = load_gazetteer(path)
    assert gazetteer.names.resolve("beyonce", ("artist",)) == []
    assert not (tmp_path / "gaz.tmp").exists() and not (tmp_path / "gaz.old").exists()


def test_other_format_versions_and_missing_files_are_refused(tmp_path: Path) -> None:
    path = _built(tmp_path)
    info = json.loads((path / "info.json").read_text())
    (path / "info.json").write_text(json.dumps({**info, "version": 99}))
    with pytest.raises(GazetteerError):
        load_gazetteer(path)
    with pytest.raises(GazetteerError):
        load_gazetteer(tmp_path / "nowhere")


def test_genres_new_since_the_build_are_added_at_load(tmp_path: Path) -> None:
    gazetteer = load_gazetteer(_built(tmp_path), extra_genres=["jazz", "rock"])
    assert gazetteer.genre("smooth jazz") == "jazz"
    assert gazetteer.genres.count("rock") == 1


def test_lexicon_gazetteer_knows_genres_but_no_names() -> None:
    gazetteer = lexicon_gazetteer(["k-pop"])
    assert gazetteer.genre("kpop") == "k-pop"
    assert gazetteer.genre("jazz") is None
    assert len(gazetteer.names) == 0


def _built(tmp_path: Path) -> Path:
    build_gazetteer(TRACKS, tmp_path / "gaz")
    return tmp_path / "gaz"
