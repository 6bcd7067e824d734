"""The interaction models and the skill agree: every intent and slot in
``interaction_models/`` has a handler that reads it, every handler's intent is in every
model, and the ASK CLI skill package carries the same models with a sound manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args
from unittest.mock import MagicMock

import pytest

from nlu.parsed import Intent
from nlu.rules import RuleParser
from skill.alexa.actions import Actions
from skill.alexa.intent_handlers import INTENT_HANDLERS, PlayMusicHandler, handled_intents
from skill.skill_package import MODELS_DIR, PACKAGE_DIR, SOURCE_DIR, package_problems, stale_models

MODELS = sorted(SOURCE_DIR.glob("*.json"))
# Values for built-in slot types when a test needs to fill one.
BUILT_IN_VALUES = {"AMAZON.MusicGroup": "Norah Vale", "AMAZON.SearchQuery": "something calm"}


def language_model(path: Path) -> dict[str, Any]:
    model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model["interactionModel"]["languageModel"]  # type: ignore[no-any-return]


def model_intents(path: Path) -> dict[str, dict[str, str]]:
    """Intent name -> {slot name: slot type}."""
    return {
        intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for intent in language_model(path)["intents"]
    }


def test_there_is_a_model_per_locale() -> None:
    assert [p.name for p in MODELS] == ["en-US.json"]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_intent_and_slot_of_the_model_has_a_handler(path: Path) -> None:
    handled = handled_intents()
    for intent, slots in model_intents(path).items():
        assert intent in handled, f"{path.name}: no handler declares {intent}"
        unread = set(slots) - set(handled[intent])
        assert not unread, f"{path.name}: the {intent} handler reads none of {sorted(unread)}"


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_handler_intent_is_in_the_model(path: Path) -> None:
    missing = set(handled_intents()) - set(model_intents(path))
    assert not missing, f"{path.name} lacks {sorted(missing)}"


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_each_intent_reaches_an_action_and_not_the_fallback(path: Path) -> None:
    parser = RuleParser([])
    for intent in model_intents(path):
        parsed = parser.from_alexa_slots(intent, {})
        if intent == "AMAZON.FallbackIntent":
            assert parsed.intent == "fallback"
        else:
            assert parsed.intent != "fallback", f"nlu does not map {intent}"


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_each_play_music_slot_in_the_model_is_read_into_the_request(path: Path) -> None:
    model = language_model(path)
    types = {t["name"]: t["values"][0]["name"]["value"] for t in model.get("types", [])}
    genres = [v["name"]["value"] for t in model.get("types", []) if t["name"] == "GENRE"
              for v in t["values"]]  # fmt: skip
    parser = RuleParser(genres)
    for slot, slot_type in model_intents(path)["PlayMusicIntent"].items():
        value = types.get(slot_type) or BUILT_IN_VALUES.get(slot_type, "twenty twenty")
        parsed = parser.from_alexa_slots("PlayMusicIntent", {slot: value})
        assert parsed.slots, f"filling {slot} with {value!r} changed nothing"
    assert set(model_intents(path)["PlayMusicIntent"]) <= set(
        PlayMusicHandler.intents["PlayMusicIntent"]
    )


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_samples_only_use_slots_their_intent_declares(path: Path) -> None:
    for intent in language_model(path)["intents"]:
        declared = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            used = set(re.findall(r"\{(\w+)\}", sample))
            assert used <= declared, f"{intent['name']}: {sample!r}"


def test_actions_answer_every_parsed_intent() -> None:
    actions = Actions(MagicMock())
    assert actions.intents == frozenset(get_args(Intent))


def test_the_catch_all_intent_handler_comes_last() -> None:
    assert INTENT_HANDLERS[-1].__name__ == "UnknownIntentHandler"
    assert not INTENT_HANDLERS[-1].intents


# -- the ASK CLI skill package ------------------------------------------------------------------


def test_the_packaged_models_are_the_generated_ones() -> None:
    assert stale_models() == [], "run philomath skill-package"
    assert sorted(p.name for p in MODELS_DIR.glob("*.json")) == [p.name for p in MODELS]


def test_stale_models_are_detected(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "pkg"
    source.mkdir()
    target.mkdir()
    (source / "en-US.json").write_text("{}")
    (target / "en-US.json").write_text('{"old": 1}')
    (target / "de-DE.json").write_text("{}")
    assert stale_models(source, target) == ["de-DE.json", "en-US.json"]


def test_the_manifest_declares_an_audio_skill_for_every_locale() -> None:
    manifest = json.loads((PACKAGE_DIR / "skill.json").read_text(encoding="utf-8"))["manifest"]
    assert manifest["manifestVersion"] == "1.0"
    custom = manifest["apis"]["custom"]
    assert {"type": "AUDIO_PLAYER"} in custom["interfaces"]
    assert custom["endpoint"]["uri"].startswith("arn:aws:lambda:")
    locales = manifest["publishingInformation"]["locales"]
    assert sorted(f"{name}.json" for name in locales) == [p.name for p in MODELS]
    for name, info in locales.items():
        model = language_model(SOURCE_DIR / f"{name}.json")
        invocation = model["invocationName"]
        samples = [s for i in model["intents"] for s in i.get("samples", [])]
        for phrase in info["examplePhrases"]:
            assert invocation in phrase.lower(), phrase
            asked = phrase.lower().split(f"ask {invocation} to ", 1)
            if len(asked) == 2:  # the request after the invocation is one of the samples
                utterance = asked[1]
                assert any(re.fullmatch(re.sub(r"\{\w+\}", ".+", s), utterance)
                           for s in samples), phrase  # fmt: skip


def test_ask_resources_points_at_the_package() -> None:
    resources = json.loads((PACKAGE_DIR.parent / "ask-resources.json").read_text())
    src = resources["profiles"]["default"]["skillMetadata"]["src"]
    assert (PACKAGE_DIR.parent / src).resolve() == PACKAGE_DIR


def test_the_package_links_accounts_and_subscribes_to_skill_disabled() -> None:
    assert package_problems() == []


def test_package_problems_are_named(tmp_path: Path) -> None:
    manifest, linking = tmp_path / "skill.json", tmp_path / "accountLinking.json"
    manifest.write_text(json.dumps({"manifest": {"apis": {}}}))
    request = {
        "type": "IMPLICIT",
        "authorizationUrl": "http://auth.example/authorize",
        "accessTokenUrl": "https://auth.example/token",
        "clientSecret": "s3cret",
        "scopes": ["philomath/play"],
    }
    linking.write_text(json.dumps({"accountLinkingRequest": request}))
    assert package_problems(manifest, linking) == [
        "accountLinkingRequest.type must be AUTH_CODE",
        "accountLinkingRequest.authorizationUrl must be an https URL",
        "accountLinkingRequest.clientId is missing",
        "accountLinkingRequest.clientSecret must not be committed",
        "accountLinkingRequest.scopes lacks recommendations:read, events:write",
        "skill.json must subscribe to SKILL_DISABLED (erasure)",
    ]
