"""The checked-in interaction model: its layout, freshness, and agreement with the parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nlu.interaction_model import (
    BUILT_IN_INTENTS,
    CORPUS_CONTROL_CARRIERS,
    CORPUS_PLAY_MUSIC_CARRIERS,
    DEFAULT_GENRES,
    MODEL_PATH,
    PLAY_MUSIC_SAMPLES,
    PLAY_MUSIC_SLOTS,
    build_interaction_model,
    is_current,
    render,
    write_interaction_model,
)
from nlu.lexicon import era_of
from nlu.loading import load_parser
from nlu.rules import ALEXA_INTENTS, RuleParser, phrase_key
from playback.vocabulary import MOODS

SLOT = re.compile(r"\{(\w+)\}")
SLOT_NAMES = {"PartOfDay": "part_of_day"}  # Alexa's slot name -> ParsedRequest's
# Both parsers must read every sample back: the plain rules and the gazetteer parser (here
# without a catalog and without embeddings, so names stay open vocabulary).
PARSERS = {
    "rules": RuleParser(DEFAULT_GENRES),
    "music": load_parser(None, genres=DEFAULT_GENRES, embeddings=False),
}
PARSER = PARSERS["rules"]
ARTISTS = ("Norah Jones", "Radiohead", "The Weeknd")
TRACKS = ("Bohemian Rhapsody", "Yellow Submarine", "Paranoid Android")
ALBUMS = ("Abbey Road", "Kind of Blue", "OK Computer")
PLAYLISTS = ("road trip", "Sunday Morning", "workout")


def language_model() -> dict[str, object]:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert set(model) == {"interactionModel"}
    assert set(model["interactionModel"]) == {"languageModel"}
    lm: dict[str, object] = model["interactionModel"]["languageModel"]
    return lm


def intents() -> dict[str, dict[str, object]]:
    return {i["name"]: i for i in language_model()["intents"]}  # type: ignore[attr-defined]


def test_file_on_disk_is_what_the_generator_produces() -> None:
    assert MODEL_PATH.read_text(encoding="utf-8") == render(build_interaction_model())


def test_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "en-US.json"
    stale.write_text("{}", encoding="utf-8")
    assert not is_current(stale)
    write_interaction_model(stale)
    assert is_current(stale)


def test_layout_and_invocation_name() -> None:
    lm = language_model()
    assert lm["invocationName"] == "philomath"
    assert set(lm) == {"invocationName", "intents", "types"}
    found = intents()
    for name in ("PlayMusicIntent", "PlayRequestIntent", *BUILT_IN_INTENTS):
        assert name in found, name
    for name in BUILT_IN_INTENTS:
        assert found[name]["samples"] == []


def test_slots_and_types() -> None:
    found = intents()
    assert found["PlayMusicIntent"]["slots"] == [
        {"name": name, "type": kind} for name, kind in PLAY_MUSIC_SLOTS
    ]
    assert {"Mood", "Genre", "Artist", "Track", "Album", "Activity", "Era"} <= {
        name for name, _ in PLAY_MUSIC_SLOTS
    }
    assert found["PlayRequestIntent"]["slots"] == [{"name": "Query", "type": "AMAZON.SearchQuery"}]
    types = {t["name"]: t for t in language_model()["types"]}  # type: ignore[attr-defined]
    assert [v["name"]["value"] for v in types["MOOD"]["values"]] == list(MOODS)
    relaxing = types["MOOD"]["values"][0]["name"]
    assert "chill" in relaxing["synonyms"]
    genres = {v["name"]["value"]: v for v in types["GENRE"]["values"]}
    assert "rnb" in genres["r and b"]["name"]["synonyms"]
    for value in types["ERA"]["values"]:
        for word in [value["name"]["value"], *value["name"]["synonyms"]]:
            assert era_of(word) == value["id"], word


def test_every_sample_uses_declared_slots_and_slots_never_touch() -> None:
    for intent in intents().values():
        declared = {slot["name"] for slot in intent.get("slots", [])}  # type: ignore[attr-defined]
        for sample in intent["samples"]:  # type: ignore[attr-defined]
            assert set(SLOT.findall(sample)) <= declared, sample
            assert "}{" not in sample.replace(" ", ""), sample
            words = SLOT.sub("", sample)
            assert words == words.lower(), sample


def test_real_corpus_carriers_are_in_the_model() -> None:
    found = intents()
    play: list[str] = found["PlayMusicIntent"]["samples"]  # type: ignore[assignment]
    for sample in (
        "play {Track} by {Artist}",
        "let me hear {Artist}",
        "play some {Genre} music",
        "i want to hear {Track} by {Artist}",
        "play music from {Era}",
    ):
        assert sample in play, sample
    assert set(CORPUS_PLAY_MUSIC_CARRIERS) <= set(play)
    assert len(play) == len(set(play))
    names = {
        "like": "LikeIntent",
        "dislike": "DislikeIntent",
        "whats_playing": "WhatsPlayingIntent",
    }
    for intent, carriers in CORPUS_CONTROL_CARRIERS.items():
        samples: list[str] = found[names[intent]]["samples"]  # type: ignore[assignment]
        assert set(carriers) <= set(samples), intent
        assert len(samples) == len(set(samples)), intent
    assert "i like this song" in found["LikeIntent"]["samples"]  # type: ignore[operator]
    assert "what is this song" in found["WhatsPlayingIntent"]["samples"]  # type: ignore[operator]


def test_no_sample_has_touching_slots_or_characters_alexa_rejects() -> None:
    # Alexa: slots separated by words; only letters, spaces, periods and apostrophes besides.
    allowed = re.compile(r"[a-z .']+")
    for intent in intents().values():
        for sample in intent["samples"]:  # type: ignore[attr-defined]
            assert re.search(r"\}\s*\{", sample) is None, sample
            assert allowed.fullmatch(SLOT.sub("x", sample)), sample


def test_search_query_samples_have_a_carrier_phrase() -> None:
    for sample in intents()["PlayRequestIntent"]["samples"]:  # type: ignore[attr-defined]
        assert sample != "{Query}"
        assert sample.replace("{Query}", "").strip(), sample


def test_no_sample_is_shared_between_intents() -> None:
    seen: dict[str, str] = {}
    for name, intent in intents().items():
        for sample in intent["samples"]:  # type: ignore[attr-defined]
            shape = SLOT.sub("{}", sample)
            assert seen.setdefault(shape, name) == name, f"{sample!r} in {name} and {seen[shape]}"


def _slot_values(types: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {
        "Mood": MOODS,
        "Genre": tuple(phrase_key(g) for g in DEFAULT_GENRES),
        "Activity": tuple(types["ACTIVITY"]),
        "Sort": tuple(types["SORT"]),
        "Era": tuple(types["ERA"]),
        "Artist": ARTISTS,
        "Track": TRACKS,
        "Album": ALBUMS,
        "Playlist": PLAYLISTS,
        "PartOfDay": tuple(types["PART_OF_DAY"]),
        "Recurrence": tuple(types["RECURRENCE"]),
    }


def _fillings() -> list[tuple[str, dict[str, str]]]:
    """Every PlayMusicIntent sample with every value of its slot types filled in (names from
    a few examples), as Alexa would hear them."""
    types = {
        t["name"]: [v["name"]["value"] for v in t["values"]]
        for t in build_interaction_model()["interactionModel"]["languageModel"]["types"]
    }
    values = _slot_values(types)
    cases = []
    for sample in PLAY_MUSIC_SAMPLES:
        names = SLOT.findall(sample)
        rounds = max((len(values[name]) for name in names), default=1)
        for i in range(rounds):
            filled = {name: values[name][i % len(values[name])] for name in names}
            text = sample
            for name, value in filled.items():
                text = text.replace("{" + name + "}", value)
            cases.append((text, filled))
    return cases


def _expected(name: str, value: str) -> str:
    """The slot value a parser should give for what Alexa heard."""
    if name == "Era":
        return era_of(value) or value
    types = build_interaction_model()["interactionModel"]["languageModel"]["types"]
    for kind in types:
        if kind["name"] == name.upper():
            return value  # canonical values of custom types are what the parser gives
    return value


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(("text", "filled"), _fillings())
def test_play_music_samples_parse_back_to_play_music(
    parser: str, text: str, filled: dict[str, str]
) -> None:
    parsed = PARSERS[parser].parse(text)
    assert parsed.intent == "play_music", parsed
    for name, value in filled.items():
        got = parsed.slot_value(SLOT_NAMES.get(name, name.lower()))  # type: ignore[arg-type]
        assert got is not None, (text, name, parsed)
        want = _expected(name, value)
        if name == "Genre":
            want = PARSERS[parser].canonical_genre(value) or value
        assert phrase_key(got) == phrase_key(want), (text, name, got)


QUERIES = ("something relaxing", "jazz", "radiohead", "songs by norah jones", "80s rock")
ROUTINES = ("night", "morning", "meditation", "sunday cleaning")


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_every_other_sample_parses_back_to_its_intent(parser: str) -> None:
    """Carrier phrases with a query are play requests; control samples are their control."""
    for name, intent in intents().items():
        for sample in intent["samples"]:  # type: ignore[attr-defined]
            if name == "PlayMusicIntent":
                continue
            if name == "PlayRequestIntent":
                for query in QUERIES:
                    text = sample.replace("{Query}", query)
                    assert PARSERS[parser].parse(text).intent == "play_music", text
                    via_slot = PARSERS[parser].from_alexa_slots(name, {"Query": query})
                    assert via_slot.intent == "play_music", query
                continue
            if name == "PlayRoutineIntent":
                for routine in ROUTINES:
                    text = sample.replace("{Routine}", routine)
                    assert PARSERS[parser].parse(text).slot_value("routine") == routine, text
                    via_slot = PARSERS[parser].from_alexa_slots(name, {"Routine": routine})
                    assert via_slot.slot_value("routine") == routine, routine
                continue
            assert PARSERS[parser].parse(sample).intent == ALEXA_INTENTS[name], sample


def test_the_generated_catalog_genres_are_all_known() -> None:
    # The data generator's genre names must have a GENRE value, or Alexa cannot hear them.
    taste = pytest.importorskip("recommender.data.generator.taste")
    known = {phrase_key(g) for g in DEFAULT_GENRES}
    assert {phrase_key(g.name) for g in taste.GENRES} <= known
