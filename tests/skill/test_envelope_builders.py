"""The envelope builders the CLI uses produce envelopes the SDK and the skill accept."""

from __future__ import annotations

import json

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope

from playback.directives import track_id_of
from skill.alexa import envelopes, handle_envelope
from tests.fakes import World


def test_intent_request_is_a_realistic_envelope() -> None:
    env = envelopes.intent_request("PlayMusicIntent", {"Mood": "happy"}, "u1", "d1")
    assert env["version"] == "1.0"
    system = env["context"]["System"]
    assert system["user"]["userId"] == env["session"]["user"]["userId"] == "u1"
    assert system["device"] == {"deviceId": "d1", "supportedInterfaces": {"AudioPlayer": {}}}
    request = env["request"]
    assert request["locale"] == "en-US"
    assert request["requestId"].startswith("amzn1.echo-api.request.")
    assert request["timestamp"].endswith("Z")
    assert request["intent"]["slots"]["Mood"]["value"] == "happy"
    parsed = DefaultSerializer().deserialize(json.dumps(env), RequestEnvelope)
    assert parsed.request.intent.slots["Mood"].value == "happy"


def test_devices_without_audio_say_so() -> None:
    env = envelopes.launch_request("u1", supports_audio=False)
    assert env["context"]["System"]["device"]["supportedInterfaces"] == {}
    assert "AudioPlayer" not in env["context"]


def test_search_request_plays_through_the_skill(world: World) -> None:
    answer = handle_envelope(world.skill, envelopes.search_request("songs by norah vale", "u1"))
    (directive,) = answer["response"]["directives"]
    assert track_id_of(directive["audioItem"]["stream"]["token"]) == "t-jazz-1"
    assert "Blue Smoke by Norah Vale" in answer["response"]["outputSpeech"]["ssml"]


def test_audio_player_request_round_trip(world: World) -> None:
    env = envelopes.audio_player_request("PlaybackFinished", "t1.ab.t-pop-1", 1000, "u1")
    assert "session" not in env
    assert handle_envelope(world.skill, env)["response"] == {}
    (event,) = world.published()
    assert (event.kind, event.track_id, event.offset_ms) == ("finished", "t-pop-1", 1000)
