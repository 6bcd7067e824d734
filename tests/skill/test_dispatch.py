"""Envelope dispatch: invalid envelopes, controls, button presses and the catch-all handler."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from listening.player import BACKEND_DOWN_SPEECH
from playback.directives import new_token, track_id_of
from skill.alexa import InvalidEnvelope, envelopes, handle_envelope
from skill.alexa.actions import (
    ERROR_SPEECH,
    HELP_SPEECH,
    NO_AUDIO_SPEECH,
    NOTHING_PLAYING_SPEECH,
)
from skill.alexa.handlers import SPOKEN_UNSERVED, UNSERVED_SPEECH
from tests.fakes import World

USER = "amzn1.ask.account.dispatch"


def respond(world: World, envelope: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handle_envelope(world.skill, envelope)["response"]
    return response


def speech(response: dict[str, Any]) -> str:
    text: str = response["outputSpeech"]["ssml"]
    return text.removeprefix("<speak>").removesuffix("</speak>")


def intent(name: str, token: str | None = None, **slots: str) -> dict[str, Any]:
    return envelopes.intent_request(name, slots, USER, player_token=token, player_offset_ms=7000)


def button(command: str, token: str | None) -> dict[str, Any]:
    env = envelopes.intent_request("x", {}, USER, player_token=token, player_offset_ms=7000)
    env.pop("session")
    env["request"] = {**env["request"], "type": f"PlaybackController.{command}"}
    env["request"].pop("intent")
    env["request"].pop("dialogState")
    return env


def _no_user() -> dict[str, Any]:
    env = envelopes.launch_request(USER)
    del env["context"]["System"]["user"]
    del env["session"]["user"]
    return env


@pytest.mark.parametrize(
    "envelope",
    [
        None,
        "LaunchRequest",
        [1, 2],
        {},
        {"request": "LaunchRequest"},
        {"request": {"type": 7}},
        {"version": "1.0", "request": {"type": "IntentRequest"}},
        _no_user(),
    ],
)
def test_invalid_envelopes_raise_invalid_envelope(world: World, envelope: Any) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, envelope)


def test_devices_without_audio_get_speech_instead_of_a_directive(world: World) -> None:
    env = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER,
                                   supports_audio=False)  # fmt: skip
    response = respond(world, env)
    assert speech(response) == NO_AUDIO_SPEECH
    assert "directives" not in response
    assert response["shouldEndSession"] is True


def test_pause_stops_the_stream_silently(world: World) -> None:
    response = respond(world, intent("AMAZON.PauseIntent", new_token("t-pop-1")))
    assert response["directives"] == [{"type": "AudioPlayer.Stop"}]
    assert "outputSpeech" not in response
    assert response["shouldEndSession"] is True


def test_resume_plays_the_same_token_from_its_offset(world: World) -> None:
    token = new_token("t-pop-1")
    (directive,) = respond(world, intent("AMAZON.ResumeIntent", token))["directives"]
    assert directive["audioItem"]["stream"]["token"] == token
    assert directive["audioItem"]["stream"]["offsetInMilliseconds"] == 7000


def test_resume_with_nothing_to_resume_says_so(world: World) -> None:
    response = respond(world, intent("AMAZON.ResumeIntent"))
    assert "nothing to resume" in speech(response)
    assert "directives" not in response


def test_like_records_the_current_track(world: World) -> None:
    response = respond(world, intent("LikeIntent", new_token("t-jazz-1")))
    assert speech(response) == "Glad you like it."
    (event,) = world.published()
    assert (event.kind, event.track_id, event.user_id) == ("liked", "t-jazz-1", USER)


def test_dislike_without_a_track_records_nothing(world: World) -> None:
    response = respond(world, intent("DislikeIntent"))
    assert "Play something first" in speech(response)
    assert world.published() == []


def test_whats_playing_and_help_and_shuffle_without_a_queue(world: World) -> None:
    assert speech(respond(world, intent("WhatsPlayingIntent", new_token("t-jazz-1")))) == (
        "This is Blue Smoke by Norah Vale."
    )
    help_response = respond(world, intent("AMAZON.HelpIntent"))
    assert speech(help_response) == HELP_SPEECH
    assert help_response["shouldEndSession"] is False
    assert speech(respond(world, intent("AMAZON.ShuffleOnIntent"))) == NOTHING_PLAYING_SPEECH


def test_speech_is_escaped_ssml(world: World) -> None:
    response = respond(world, intent("PlayMusicIntent", Artist="Stone and Steel"))
    assert speech(response) == (
        "Playing Rock &amp; Roll &lt;Heart&gt; by Stone &amp; Steel, one of their latest tracks."
    )
    metadata = response["directives"][0]["audioItem"]["metadata"]
    assert metadata == {"title": "Rock & Roll <Heart>", "subtitle": "Stone & Steel"}


def test_catalog_outage_is_answered_politely(world: World) -> None:
    world.catalog.down = True
    response = respond(world, intent("PlayMusicIntent", Mood="relaxing"))
    assert speech(response) == BACKEND_DOWN_SPEECH
    assert response["shouldEndSession"] is True
    assert "directives" not in response


def test_stream_outage_during_an_audio_event_is_silent_and_buffered(world: World) -> None:
    world.events.down = True
    env = envelopes.audio_player_request("PlaybackStarted", new_token("t-pop-1"), 0, USER)
    assert respond(world, env) == {}
    assert world.recorder.pending_events == 1


def test_next_button_skips_without_speech(world: World) -> None:
    response = respond(world, button("NextCommandIssued", new_token("t-pop-1")))
    (directive,) = response["directives"]
    assert track_id_of(directive["audioItem"]["stream"]["token"]) != "t-pop-1"
    assert "outputSpeech" not in response and "shouldEndSession" not in response
    assert [e.kind for e in world.published()] == ["skipped"]


def test_pause_and_previous_buttons(world: World) -> None:
    paused = respond(world, button("PauseCommandIssued", new_token("t-pop-1")))
    assert paused["directives"] == [{"type": "AudioPlayer.Stop"}]
    assert respond(world, button("PreviousCommandIssued", new_token("t-pop-1"))) == {}


def test_system_exception_is_logged_and_answered_empty(world: World) -> None:
    env = envelopes.launch_request(USER)
    env.pop("session")
    env["request"] = {**env["request"], "type": "System.ExceptionEncountered",
                      "error": {"type": "INVALID_RESPONSE", "message": "bad directive"},
                      "cause": {"requestId": "amzn1.echo-api.request.1"}}  # fmt: skip
    assert respond(world, env) == {}


def test_handler_crash_is_logged_with_traceback_and_answered_politely(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(world.player, "play", crash)
    monkeypatch.setattr(world.recorder, "record", crash)
    with caplog.at_level(logging.ERROR):
        response = respond(world, intent("PlayMusicIntent", Mood="relaxing"))
        silent = respond(
            world, envelopes.audio_player_request("PlaybackStarted", "t1.a.t-1", 0, USER)
        )
    assert speech(response) == ERROR_SPEECH
    assert silent == {}
    crashes = [r for r in caplog.records if r.exc_info and "boom" in str(r.exc_info[1])]
    assert len(crashes) == 2


def _unserved(kind: str, **fields: object) -> dict[str, Any]:
    env = envelopes.launch_request(USER)
    env["request"] = {**env["request"], "type": kind, **fields}
    return env


UNSERVED = [
    ("Display.ElementSelected", {"token": "x"}),
    ("Alexa.Presentation.APL.UserEvent", {"token": "x", "arguments": ["play"]}),
    ("AlexaSkillEvent.SkillEnabled", {"eventCreationTime": "2024-01-01T00:00:00Z"}),
    ("Messaging.MessageReceived", {"message": {"text": "hi"}}),
    ("CanFulfillIntentRequest", {"intent": {"name": "PlayMusicIntent", "slots": {}}}),
    ("Connections.Response", {"name": "Buy", "status": {"code": "200"}, "token": "x"}),
]


@pytest.mark.parametrize(("kind", "fields"), UNSERVED, ids=[kind for kind, _ in UNSERVED])
def test_an_unserved_request_type_is_a_warning_and_a_graceful_answer(
    world: World, caplog: pytest.LogCaptureFixture, kind: str, fields: dict[str, object]
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = respond(world, _unserved(kind, **fields))
    if kind in SPOKEN_UNSERVED:  # a listener touched a screen: a short, polite answer
        assert speech(response) == UNSERVED_SPEECH
        assert response["shouldEndSession"] is False
    else:  # an event: no speech at all
        assert response == {}
    assert "directives" not in response
    # The skill's own records: a spool drainer of another test may warn meanwhile.
    ours = [r for r in caplog.records if r.name.startswith("skill.")]
    (warning,) = [r for r in ours if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == f"unserved request type {kind}"
    assert warning.__dict__["request_type"] == kind
    assert not any(r.exc_info or r.exc_text or r.stack_info for r in caplog.records)
    assert "Traceback" not in caplog.text
    assert world.metrics.counts[(kind, None, "ok")] == 1  # served, not failed
    assert world.published() == []


def test_a_type_the_sdk_does_not_know_is_still_an_invalid_envelope(world: World) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, _unserved("Alexa.Teleport.Requested"))


def test_a_turn_is_one_log_line_with_what_was_understood(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        respond(world, intent("PlayMusicIntent", Mood="relaxing"))
    (line,) = [r for r in caplog.records if r.name.startswith("skill.")]
    assert line.getMessage() == "alexa turn"
    assert line.__dict__["alexa_intent"] == "PlayMusicIntent"
    assert line.__dict__["intent"] == "play_music"
    assert 0.0 < float(line.__dict__["confidence"]) <= 1.0
    assert USER not in caplog.text  # the listener is hashed, never logged raw
