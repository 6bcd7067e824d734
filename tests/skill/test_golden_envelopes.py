"""Golden Alexa request envelopes through the real skill, on the real SQLite adapters: launch,
every voice intent, session end and Alexa's error reports. Each test asserts the directives,
tokens, speech or its absence, and what changed in the device's queue.

AudioPlayer and PlaybackController requests are in ``test_golden_audio``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listening.device_queue import NOTHING_BEFORE_SPEECH
from playback.directives import track_id_of
from skill.alexa import InvalidEnvelope, handle_envelope
from skill.alexa.actions import (
    DISLIKED_SPEECH,
    FALLBACK_SPEECH,
    HELP_SPEECH,
    LIKED_SPEECH,
    NO_AUDIO_SPEECH,
    SETTING_SPEECH,
)
from tests.fakes import STREAM_BASE, TRACKS, World
from tests.skill.golden import (
    DEVICE,
    PLAYING_TOKEN,
    RELAXING,
    USER,
    load_envelope,
    only_play,
    playing_queue,
    ssml,
)

Invoke = Callable[[str], dict[str, Any]]
TITLES = {t.track_id: (t.title, t.artist_name) for t in TRACKS}


def test_launch_welcomes_and_keeps_the_session_open(invoke: Invoke, world: World) -> None:
    response = invoke("launch")
    assert "Welcome to Philomath" in ssml(response)
    assert "What would you like to hear?" in response["reprompt"]["outputSpeech"]["ssml"]
    assert response["shouldEndSession"] is False
    assert "directives" not in response
    assert world.queue_of(USER, DEVICE) is None


@pytest.mark.parametrize(
    "name",
    ["play_music_mood_relaxing", "play_music_mood_resolved", "play_request_something_relaxing"],
)
def test_relaxing_request_plays_the_first_relaxing_track_and_queues_the_rest(
    invoke: Invoke, world: World, name: str
) -> None:
    response = invoke(name)
    stream = only_play(response)
    # The chart starts with an id the catalog lacks; the next one wins.
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert stream["url"].startswith(f"{STREAM_BASE}/t-relax-1?exp=") and "&sig=" in stream["url"]
    assert stream["offsetInMilliseconds"] == 0
    assert "expectedPreviousToken" not in stream
    assert (stream["metadata"]["title"], stream["metadata"]["subtitle"]) == TITLES["t-relax-1"]
    assert ssml(response) == "Playing Morning Tide by Quiet Harbor, popular relaxing tracks."
    assert response["shouldEndSession"] is True
    assert world.published() == []  # events come from the device, not from the request
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.tracks == RELAXING
    assert queue.current is not None and queue.current.token == stream["token"]
    assert ("mood", "relaxing") in queue.request


def test_each_play_gets_a_fresh_short_token(invoke: Invoke) -> None:
    first = only_play(invoke("play_music_mood_relaxing"))["token"]
    second = only_play(invoke("play_music_mood_relaxing"))["token"]
    assert first != second
    assert track_id_of(first) == track_id_of(second) == "t-relax-1"
    assert len(first) < 32


def test_an_artist_request_queues_the_artist_s_tracks(invoke: Invoke, world: World) -> None:
    stream = only_play(invoke("play_music_artist"))
    assert track_id_of(stream["token"]) == "t-jazz-1"
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.tracks == ("t-jazz-1",)
    assert ("artist", "norah vale") in queue.request


def test_a_device_without_audio_player_gets_a_spoken_answer(invoke: Invoke, world: World) -> None:
    response = invoke("play_music_no_audio")
    assert ssml(response) == NO_AUDIO_SPEECH
    assert "directives" not in response
    assert response["shouldEndSession"] is True
    assert world.queue_of(USER, DEVICE) is None


def test_next_records_a_skip_and_plays_the_queue_s_next_track(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    response = invoke("next_while_playing")
    stream = only_play(response)
    assert track_id_of(stream["token"]) == "t-relax-2"
    assert "outputSpeech" not in response  # music just changes
    (event,) = world.published()
    assert (event.kind, event.track_id, event.offset_ms) == ("skipped", "t-relax-1", 15000)
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.current is not None
    assert (queue.current.token, queue.current.position) == (stream["token"], 1)


def test_next_without_a_queue_picks_another_track(invoke: Invoke, world: World) -> None:
    stream = only_play(invoke("next_while_playing"))
    assert track_id_of(stream["token"]) not in (None, "t-relax-1")
    assert world.queue_of(USER, DEVICE) is not None  # a new queue starts there


def test_previous_goes_back_one_track_with_a_new_token(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    invoke("next_while_playing")
    stream = only_play(invoke("intent_previous"))
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert stream["token"] != PLAYING_TOKEN
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.current is not None and queue.current.position == 0


def test_previous_on_the_first_track_says_so_and_keeps_playing(
    invoke: Invoke, world: World
) -> None:
    world.queues.save(playing_queue())
    response = invoke("intent_previous")
    assert ssml(response) == NOTHING_BEFORE_SPEECH
    assert "directives" not in response


@pytest.mark.parametrize(
    "name", ["intent_pause", "intent_stop", "intent_cancel", "intent_navigate_home"]
)
def test_pause_and_stop_stop_the_stream_silently(invoke: Invoke, world: World, name: str) -> None:
    world.queues.save(playing_queue())
    response = invoke(name)
    assert response["directives"] == [{"type": "AudioPlayer.Stop"}]
    assert "outputSpeech" not in response
    assert response["shouldEndSession"] is True
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.version == 1  # untouched: PlaybackStopped keeps the offset


def test_resume_plays_the_same_token_from_the_stored_offset(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    invoke("audio_stopped")  # the device stopped at 42 s
    response = invoke("intent_resume")  # its context says 15 s: the stored offset wins
    stream = only_play(response)
    assert (stream["token"], stream["offsetInMilliseconds"]) == (PLAYING_TOKEN, 42000)
    assert "outputSpeech" not in response


def test_resume_without_a_queue_uses_what_the_device_reports(invoke: Invoke) -> None:
    stream = only_play(invoke("intent_resume"))
    assert (stream["token"], stream["offsetInMilliseconds"]) == (PLAYING_TOKEN, 15000)


@pytest.mark.parametrize("name", ["intent_start_over", "intent_repeat"])
def test_start_over_and_repeat_restart_the_track_as_a_new_play(
    invoke: Invoke, world: World, name: str
) -> None:
    world.queues.save(playing_queue())
    stream = only_play(invoke(name))
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert stream["token"] != PLAYING_TOKEN and stream["offsetInMilliseconds"] == 0
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.current is not None
    assert queue.current.token == stream["token"]


def test_like_records_the_track_and_says_so(invoke: Invoke, world: World) -> None:
    response = invoke("intent_like")
    assert ssml(response) == LIKED_SPEECH
    assert "directives" not in response
    (event,) = world.published()
    assert (event.kind, event.track_id, event.user_id) == ("liked", "t-relax-1", USER)


def test_dislike_records_the_track_and_skips_it(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    response = invoke("intent_dislike")
    assert ssml(response) == DISLIKED_SPEECH
    assert track_id_of(only_play(response)["token"]) == "t-relax-2"
    (event,) = world.published()
    assert (event.kind, event.track_id) == ("disliked", "t-relax-1")


def test_whats_playing_names_the_track(invoke: Invoke) -> None:
    response = invoke("intent_whats_playing")
    assert ssml(response) == "This is Morning Tide by Quiet Harbor."
    assert "directives" not in response


@pytest.mark.parametrize(
    ("name", "setting", "value"),
    [("intent_shuffle_on", "shuffle", True), ("intent_shuffle_off", "shuffle", False),
     ("intent_loop_on", "loop", True), ("intent_loop_off", "loop", False)],
)  # fmt: skip
def test_shuffle_and_loop_change_the_queue_and_say_so(
    invoke: Invoke, world: World, name: str, setting: str, value: bool
) -> None:
    world.queues.save(playing_queue())
    response = invoke(name)
    intent = name.removeprefix("intent_")
    assert ssml(response) == SETTING_SPEECH[intent]  # type: ignore[index]
    assert "directives" not in response
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and getattr(queue, setting) is value
    assert queue.current is not None and queue.current.token == PLAYING_TOKEN


def test_help_explains_and_reprompts(invoke: Invoke) -> None:
    response = invoke("intent_help")
    assert ssml(response) == HELP_SPEECH
    assert response["shouldEndSession"] is False


@pytest.mark.parametrize("name", ["intent_fallback", "unknown_intent"])
def test_fallback_and_unknown_intents_get_polite_speech(invoke: Invoke, name: str) -> None:
    response = invoke(name)
    assert ssml(response) == FALLBACK_SPEECH
    assert response["shouldEndSession"] is False
    assert "directives" not in response


def test_session_ended_answers_empty(invoke: Invoke, world: World) -> None:
    assert invoke("session_ended") == {}
    assert world.published() == []


def test_system_exception_is_answered_empty(invoke: Invoke, world: World) -> None:
    assert invoke("system_exception") == {}


@pytest.mark.parametrize(
    "name", ["malformed_unknown_request_type", "malformed_missing_request_type"]
)
def test_malformed_envelopes_raise_invalid_envelope(world: World, name: str) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, load_envelope(name))


def test_a_json_array_is_not_an_envelope(world: World) -> None:
    with pytest.raises(InvalidEnvelope):
        handle_envelope(world.skill, load_envelope("malformed_array"))


def test_every_request_is_counted_by_the_metrics_interceptor(invoke: Invoke, world: World) -> None:
    invoke("launch")
    invoke("intent_help")
    counts = world.metrics.counts
    assert counts[("LaunchRequest", None, "ok")] == 1
    assert counts[("IntentRequest", "AMAZON.HelpIntent", "ok")] == 1
