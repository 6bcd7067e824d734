"""Names the catalog does not have, by voice: the listener hears that before what plays
instead ("I couldn't find Imogen Heap; here is something close."), never something else
silently."""

from __future__ import annotations

from typing import Any

from playback.directives import track_id_of
from skill.alexa import envelopes, handle_envelope
from tests.fakes import World

USER = "amzn1.ask.account.grounding"


def _play(world: World, **slots: str) -> dict[str, Any]:
    env = envelopes.intent_request("PlayMusicIntent", slots, USER)
    response: dict[str, Any] = handle_envelope(world.skill, env)["response"]
    return response


def _speech(response: dict[str, Any]) -> str:
    text: str = response["outputSpeech"]["ssml"]
    return text.removeprefix("<speak>").removesuffix("</speak>")


def _playing(response: dict[str, Any]) -> str | None:
    (directive,) = response["directives"]
    assert directive["type"] == "AudioPlayer.Play"
    return track_id_of(directive["audioItem"]["stream"]["token"])


def test_an_unknown_artist_is_said_before_something_close_plays(world: World) -> None:
    response = _play(world, Artist="Imogen Heap")
    assert _speech(response) == (
        "I couldn't find Imogen Heap; here is something close. "
        "Playing Neon Lights by The Brights, popular tracks right now."
    )
    assert _playing(response) == "t-pop-1"
    assert response["shouldEndSession"] is True
    queue = world.queue_of(USER, envelopes.DEFAULT_DEVICE_ID)
    assert queue is not None and len(queue.tracks) > 1  # more close tracks lined up


def test_an_unknown_title_of_a_known_artist_is_said(world: World) -> None:
    response = _play(world, Artist="Norah Vale", Track="Hide and Seek")
    assert _speech(response).startswith(
        "I couldn't find Hide and Seek by Norah Vale; here is something close. Playing Blue Smoke"
    )
    assert _playing(response) == "t-jazz-1"


def test_a_name_the_catalog_has_plays_without_a_notice(world: World) -> None:
    response = _play(world, Artist="Quiet Harbor", Track="Slow River")
    assert _speech(response) == "Playing Slow River by Quiet Harbor, as you asked."
    assert _playing(response) == "t-relax-2"
