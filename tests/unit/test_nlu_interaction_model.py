"""The checked-in interaction model: its layout, freshness, and agreement with the parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nlu.interaction_model import (
    BUILT_IN_INTENTS,
    DEFAULT_GENRES,
    MODEL_PATH,
    PLAY_MUSIC_SAMPLES,
    build_interaction_model,
    main,
    render,
)
from nlu.moods import MOODS
from nlu.rules import RuleParser, phrase_key

SLOT = re.compile(r"\{(\w+)\}")
PARSER = RuleParser(DEFAULT_GENRES)
ARTISTS = ("Norah Jones", "Radiohead", "The Weeknd")


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
    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0


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
        {"name": "Mood", "type": "MOOD"},
        {"name": "Genre", "type": "GENRE"},
        {"name": "Artist", "type": "AMAZON.MusicGroup"},
    ]
    assert found["PlayRequestIntent"]["slots"] == [{"name": "Query", "type": "AMAZON.SearchQuery"}]
    types = {t["name"]: t for t in language_model()["types"]}  # type: ignore[attr-defined]
    assert [v["name"]["value"] for v in types["MOOD"]["values"]] == list(MOODS)
    relaxing = types["MOOD"]["values"][0]["name"]
    assert "chill" in relaxing["synonyms"]
    genres = {v["name"]["value"]: v for v in types["GENRE"]["values"]}
    assert "rnb" in genres["r and b"]["name"]["synonyms"]


def test_every_sample_uses_declared_slots_and_slots_never_touch() -> None:
    for intent in intents().values():
        declared = {slot["name"] for slot in intent.get("slots", [])}  # type: ignore[attr-defined]
        for sample in intent["samples"]:  # type: ignore[attr-defined]
            assert set(SLOT.findall(sample)) <= declared, sample
            assert "}{" not in sample.replace(" ", ""), sample
            words = SLOT.sub("", sample)
            assert words == words.lower(), sample


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


def _fillings() -> list[tuple[str, dict[str, str]]]:
    """Every PlayMusicIntent sample with every mood, genre and a few artists filled in."""
    cases = []
    for sample in PLAY_MUSIC_SAMPLES:
        names = SLOT.findall(sample)
        for i in range(max(len(MOODS), len(DEFAULT_GENRES), len(ARTISTS))):
            values = {
                "Mood": MOODS[i % len(MOODS)],
                "Genre": phrase_key(DEFAULT_GENRES[i % len(DEFAULT_GENRES)]),
                "Artist": ARTISTS[i % len(ARTISTS)],
            }
            text = sample
            for name in names:
                text = text.replace("{" + name + "}", values[name])
            cases.append((text, {n.lower(): values[n] for n in names}))
            if not names:
                break
    return cases


@pytest.mark.parametrize(("text", "filled"), _fillings())
def test_play_music_samples_parse_back_to_play_music(text: str, filled: dict[str, str]) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "play_music", parsed
    for name, value in filled.items():
        got = parsed.slot_value(name)  # type: ignore[arg-type]
        assert got is not None, (text, name, parsed)
        assert phrase_key(got) == phrase_key(value), (text, name, got)


def test_the_generated_catalog_genres_are_all_known() -> None:
    # The data generator's genre names must have a GENRE value, or Alexa cannot hear them.
    taste = pytest.importorskip("recommender.data.taste")
    known = {phrase_key(g) for g in DEFAULT_GENRES}
    assert {phrase_key(g.name) for g in taste.GENRES} <= known
