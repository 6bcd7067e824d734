"""Attribution through Alexa: a played recommendation's events say what served the track
(impression, position, path, model version, the request's context), from the play request
through the AudioPlayer reports to the voice skip, gapless enqueues included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playback.directives import track_id_of
from skill.alexa import handle_envelope
from tests.fakes import World
from tests.skill.golden import DEVICE, PLAYING_TOKEN, USER, load_envelope, only_play, playing_queue

Invoke = Callable[[str], dict[str, Any]]


def _report(world: World, name: str, token: str) -> None:
    """An AudioPlayer report (or an intent) about the stream ``token``."""
    envelope = load_envelope(name)
    if "token" in envelope["request"]:
        envelope["request"]["token"] = token
    audio = envelope["context"].get("AudioPlayer")
    if audio is not None:
        audio["token"] = token
    handle_envelope(world.skill, envelope)


def test_the_events_of_a_played_recommendation_say_what_served_it(
    invoke: Invoke, world: World
) -> None:
    token = only_play(invoke("play_music_mood_relaxing"))["token"]
    _report(world, "audio_started", token)
    _report(world, "audio_nearlyfinished", token)
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.enqueued is not None
    following = queue.enqueued.token
    _report(world, "audio_finished", token)
    _report(world, "audio_started", following)
    _report(world, "next_while_playing", following)

    events = world.published()
    assert [e.kind for e in events] == ["started", "finished", "started", "skipped"]
    first, second = events[0].served, events[2].served
    assert first is not None and second is not None
    # The golden listener is new to the test world: the cold-start path served the list.
    assert (first.path, first.position, first.context) == ("cold_start", 0, {"mood": "relaxing"})
    assert first.model_version  # the stored list's model
    assert events[1].served == first  # the same play, the same attribution
    # The enqueued track came from the same list, one place further down.
    assert (second.impression_id, second.position) == (first.impression_id, 1)
    assert (second.path, second.model_version) == (first.path, first.model_version)
    assert events[3].served == second and events[3].track_id == track_id_of(following)
    assert all(e.schema_version == 2 for e in events)


def test_a_new_play_request_is_a_new_impression(invoke: Invoke, world: World) -> None:
    first = only_play(invoke("play_music_mood_relaxing"))["token"]
    _report(world, "audio_started", first)
    second = only_play(invoke("play_music_mood_relaxing"))["token"]
    _report(world, "audio_started", second)
    before, after = (e.served for e in world.published())
    assert before is not None and after is not None
    assert before.impression_id != after.impression_id


def test_a_stream_we_have_no_queue_for_is_recorded_without_attribution(
    invoke: Invoke, world: World
) -> None:
    invoke("audio_started")  # the device plays PLAYING_TOKEN; the store has no queue for it
    (event,) = world.published()
    assert event.track_id == track_id_of(PLAYING_TOKEN) and event.served is None


def test_a_queue_saved_before_attribution_still_plays_and_records(
    invoke: Invoke, world: World
) -> None:
    world.queues.save(playing_queue())  # tracks with nothing known of what served them
    invoke("audio_started")
    (event,) = world.published()
    assert event.kind == "started" and event.served is None
