"""Requests a music skill does not serve (``out_of_scope``): a podcast, an audiobook, the
volume, a playlist edit, anything else. Each is said plainly and never starts music."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, get_args

import pytest

from nlu.parsed import (
    OUT_OF_SCOPE_REASONS,
    AlexaSlot,
    OutOfScopeReason,
    ParsedRequest,
    out_of_scope,
)
from playback.directives import new_token
from skill.alexa import envelopes, handle_envelope
from skill.alexa.actions import OUT_OF_SCOPE_SPEECH, REPROMPT_SPEECH, out_of_scope_reason
from tests.fakes import World

USER = "amzn1.ask.account.out-of-scope"


def _parsed_as(
    world: World, monkeypatch: pytest.MonkeyPatch, parsed: ParsedRequest
) -> list[tuple[str, Mapping[str, str | AlexaSlot | None]]]:
    """Have the parser read every Alexa intent as ``parsed``; the calls it got."""
    calls: list[tuple[str, Mapping[str, str | AlexaSlot | None]]] = []

    def from_alexa_slots(
        intent_name: str, slots: Mapping[str, str | AlexaSlot | None]
    ) -> ParsedRequest:
        calls.append((intent_name, slots))
        return parsed

    monkeypatch.setattr(world.parser, "from_alexa_slots", from_alexa_slots)
    return calls


def _ask(world: World, query: str, token: str | None = None) -> dict[str, Any]:
    env = envelopes.intent_request("PlayRequestIntent", {"Query": query}, USER, player_token=token)
    response: dict[str, Any] = handle_envelope(world.skill, env)["response"]
    return response


def _speech(response: dict[str, Any]) -> str:
    text: str = response["outputSpeech"]["ssml"]
    return text.removeprefix("<speak>").removesuffix("</speak>")


def test_every_reason_has_its_own_speech() -> None:
    assert set(OUT_OF_SCOPE_SPEECH) == set(OUT_OF_SCOPE_REASONS) == set(get_args(OutOfScopeReason))
    assert len(set(OUT_OF_SCOPE_SPEECH.values())) == len(OUT_OF_SCOPE_SPEECH)


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("podcast", "Sorry, I can only play music, not podcasts."),
        ("audiobook", "Sorry, I can only play music, not audiobooks."),
        ("playlist_edit", "Sorry, I can't change playlists yet."),
        ("other", "Sorry, I can only help with music."),
    ],
)
def test_out_of_scope_is_said_plainly_and_asks_what_to_play(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    reason: OutOfScopeReason,
    said: str,
) -> None:
    calls = _parsed_as(world, monkeypatch, out_of_scope(reason, 0.9))
    with caplog.at_level(logging.INFO, logger="skill.alexa.actions"):
        response = _ask(world, "something that is not music")
    assert calls[0][0] == "PlayRequestIntent"
    assert _speech(response) == f"{said} {REPROMPT_SPEECH}"
    assert response["reprompt"]["outputSpeech"]["ssml"] == f"<speak>{REPROMPT_SPEECH}</speak>"
    assert response["shouldEndSession"] is False
    assert "directives" not in response  # no music, ever
    assert world.queue_of(USER, envelopes.DEFAULT_DEVICE_ID) is None
    assert world.published() == []
    (logged,) = [r for r in caplog.records if r.getMessage() == "out of scope"]
    assert (logged.levelno, logged.__dict__["reason"]) == (logging.INFO, reason)


def test_volume_is_the_device_s_and_the_music_plays_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _parsed_as(world, monkeypatch, out_of_scope("volume", 0.95))
    response = _ask(world, "turn it up", token=new_token("t-pop-1"))
    assert _speech(response) == OUT_OF_SCOPE_SPEECH["volume"]
    assert "volume up" in OUT_OF_SCOPE_SPEECH["volume"]
    assert response["shouldEndSession"] is True
    assert "directives" not in response  # neither a Play nor a Stop: what plays goes on
    assert world.published() == []


def test_out_of_scope_on_a_device_without_audio_is_said_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _parsed_as(world, monkeypatch, out_of_scope("podcast", 0.9))
    env = envelopes.intent_request(
        "PlayRequestIntent", {"Query": "the daily"}, USER, supports_audio=False
    )
    response = handle_envelope(world.skill, env)["response"]
    assert _speech(response).startswith(OUT_OF_SCOPE_SPEECH["podcast"])
    assert "directives" not in response


@pytest.mark.parametrize("reason", [None, "", "weather"])
def test_an_unknown_reason_is_answered_as_other(reason: str | None) -> None:
    parsed = ParsedRequest(intent="out_of_scope", confidence=0.5, reason=reason)
    assert out_of_scope_reason(parsed) == "other"
    assert out_of_scope_reason(out_of_scope("audiobook", 0.5)) == "audiobook"
