"""Golden Alexa request envelopes through the real skill, on the real SQLite adapters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes import STREAM_BASE, TRACKS, World
from golden import load_envelope

from playback.directives import track_id_of
from skill.alexa import InvalidEnvelope, handle_envelope

Invoke = Callable[[str], dict[str, Any]]
TITLES = {t.track_id: (t.title, t.artist_name) for t in TRACKS}
USER = load_envelope("launch")["context"]["System"]["user"]["userId"]
DEVICE = load_envelope("launch")["context"]["System"]["device"]["deviceId"]


def ssml(response: dict[str, Any]) -> str:
    text: str = response["outputSpeech"]["ssml"]
    assert text.startswith("<speak>") and text.endswith("</speak>")
    return text


def play_directive(response: dict[str, Any]) -> dict[str, Any]:
    directives: list[dict[str, Any]] = response["directives"]
    (directive,) = directives
    assert directive["type"] == "AudioPlayer.Play"
    assert directive["playBehavior"] == "REPLACE_ALL"
    return directive


def test_launch_welcomes_and_keeps_the_session_open(invoke: Invoke) -> None:
    response = invoke("launch")
    assert "Welcome to Philomath" in ssml(response)
    assert "What would you like to hear?" in response["reprompt"]["outputSpeech"]["ssml"]
    assert response["shouldEndSession"] is False
    assert "directives" not in response


@pytest.mark.parametrize(
    "name",
    ["play_music_mood_relaxing", "play_music_mood_resolved", "play_request_something_relaxing"],
)
def test_relaxing_request_plays_the_first_relaxing_track_the_catalog_has(
    invoke: Invoke, world: World, name: str
) -> None:
    response = invoke(name)
    stream = play_directive(response)["audioItem"]["stream"]
    metadata = play_directive(response)["audioItem"]["metadata"]
    # The chart starts with an id the catalog lacks; the next one wins.
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert stream["url"] == f"{STREAM_BASE}/t-relax-1"
    assert stream["url"].startswith("https://")
    assert stream["offsetInMilliseconds"] == 0
    assert (metadata["title"], metadata["subtitle"]) == TITLES["t-relax-1"]
    assert ssml(response) == (
        "<speak>Playing Morning Tide by Quiet Harbor, popular relaxing tracks.</speak>"
    )
    assert response["shouldEndSession"] is True
    assert world.published() == []  # events come from the device, not from the request


def test_each_play_gets_a_fresh_token(invoke: Invoke) -> None:
    first = play_directive(invoke("play_music_mood_relaxing"))["audioItem"]["stream"]["token"]
    second = play_directive(invoke("play_music_mood_relaxing"))["audioItem"]["stream"]["token"]
    assert first != second
    assert track_id_of(first) == track_id_of(second) == "t-relax-1"


@pytest.mark.parametrize(
    ("name", "kind", "offset_ms"),
    [
        ("audio_started", "started", 0),
        ("audio_finished", "finished", 201000),
        ("audio_stopped", "stopped", 42000),
        ("audio_failed", "failed", 1200),
    ],
)
def test_audio_events_are_published_and_answered_without_speech(
    invoke: Invoke, world: World, name: str, kind: str, offset_ms: int
) -> None:
    response = invoke(name)
    assert response == {}  # no speech, card, reprompt or directive
    (event,) = world.published()
    assert (event.kind, event.user_id, event.track_id) == (kind, USER, "t-relax-1")
    assert event.offset_ms == offset_ms
    assert event.device_id == DEVICE
    assert event.source == "alexa"


def test_nearly_finished_records_nothing_and_says_nothing(invoke: Invoke, world: World) -> None:
    assert invoke("audio_nearlyfinished") == {}
    assert world.published() == []


def test_next_records_a_skip_and_plays_another_track(invoke: Invoke, world: World) -> None:
    response = invoke("next_while_playing")
    stream = play_directive(response)["audioItem"]["stream"]
    assert track_id_of(stream["token"]) not in (None, "t-relax-1")
    assert "outputSpeech" not in response  # music just changes
    (event,) = world.published()
    assert (event.kind, event.track_id, event.offset_ms) == ("skipped", "t-relax-1", 15000)


def test_session_ended_answers_empty(invoke: Invoke, world: World) -> None:
    assert invoke("session_ended") == {}


def test_unknown_intent_gets_polite_fallback_speech(invoke: Invoke) -> None:
    response = invoke("unknown_intent")
    assert "Sorry, I didn't get that" in ssml(response)
    assert response["shouldEndSession"] is False
    assert "directives" not in response


@pytest.mark.parametrize(
    "name", ["malformed_unknown_request_type", "malformed_missing_request_type"]
)
def test_malformed_envelopes_raise_invalid_envelope(world: World, name: str) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, load_envelope(name))


def test_a_json_array_is_not_an_envelope(world: World) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, load_envelope("malformed_array"))
