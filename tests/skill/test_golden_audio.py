"""Golden AudioPlayer and PlaybackController envelopes: events recorded, no speech ever, the
queue moved; PlaybackNearlyFinished enqueues the next track gaplessly, once per token."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from listening.device_queue import DevicePlayback
from playback.directives import track_id_of
from playback.queue import MAX_FAILURES, DeviceQueue, QueueSettings, enqueued
from playback.sqlite_queue import SqliteQueueStore
from skill.alexa import build_skill, handle_envelope
from tests.fakes import World
from tests.skill.golden import DEVICE, PLAYING_TOKEN, USER, load_envelope, only_play, playing_queue

Invoke = Callable[[str], dict[str, Any]]
ENQUEUED_TOKEN = "t1.feedf00d.t-relax-2"


def test_started_records_the_play(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    assert invoke("audio_started") == {}
    (event,) = world.published()
    assert (event.kind, event.user_id, event.track_id) == ("started", USER, "t-relax-1")
    assert (event.offset_ms, event.device_id, event.source) == (0, DEVICE, "alexa")


def test_started_for_the_enqueued_token_makes_it_current(world: World) -> None:
    world.queues.save(enqueued(playing_queue(), 1, ENQUEUED_TOKEN))
    envelope = load_envelope("audio_started")
    envelope["request"]["token"] = ENQUEUED_TOKEN
    assert handle_envelope(world.skill, envelope)["response"] == {}
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.current is not None
    assert (queue.current.token, queue.current.position, queue.enqueued) == (
        ENQUEUED_TOKEN, 1, None,
    )  # fmt: skip


def test_nearly_finished_enqueues_the_next_track_behind_the_current_token(
    invoke: Invoke, world: World
) -> None:
    world.queues.save(playing_queue())
    response = invoke("audio_nearlyfinished")
    assert "outputSpeech" not in response and "shouldEndSession" not in response
    stream = only_play(response, "ENQUEUE")
    assert stream["expectedPreviousToken"] == PLAYING_TOKEN
    assert track_id_of(stream["token"]) == "t-relax-2"
    assert stream["offsetInMilliseconds"] == 0
    assert world.published() == []  # nothing happened to the track itself
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.enqueued is not None
    assert (queue.enqueued.token, queue.enqueued.position) == (stream["token"], 1)
    assert queue.current is not None and queue.current.token == PLAYING_TOKEN


def test_nearly_finished_enqueues_once_per_token(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    first = invoke("audio_nearlyfinished")
    assert only_play(first, "ENQUEUE")
    assert invoke("audio_nearlyfinished") == {}  # Alexa retried: nothing more to enqueue


def test_of_two_racing_nearly_finished_reports_one_enqueues(world: World) -> None:
    """Both requests load the queue before either saves: the version check lets one win."""
    world.queues.save(playing_queue())
    store = BarrierStore(world.queues, parties=2)
    playback = DevicePlayback(world.player, store)
    skill = build_skill(replace(world.listening, playback=playback), world.parser)
    answers: list[dict[str, Any]] = []

    def report() -> None:
        answers.append(handle_envelope(skill, load_envelope("audio_nearlyfinished"))["response"])

    threads = [threading.Thread(target=report) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(bool(a.get("directives")) for a in answers) == [False, True]
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.enqueued is not None


class BarrierStore:
    """A queue store whose loads wait until ``parties`` requests have loaded."""

    def __init__(self, inner: SqliteQueueStore, parties: int) -> None:
        self._inner = inner
        self._barrier = threading.Barrier(parties, timeout=5)

    def ensure_schema(self) -> None:
        self._inner.ensure_schema()

    def load(self, key: str) -> DeviceQueue | None:
        found = self._inner.load(key)
        self._barrier.wait()
        return found

    def load_settings(self, key: str) -> QueueSettings | None:
        found = self._inner.load_settings(key)
        self._barrier.wait()
        return found

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        return self._inner.save(queue)

    def delete(self, key: str) -> None:
        self._inner.delete(key)

    def forget(self, user_id: str) -> int:
        return self._inner.forget(user_id)

    def close(self) -> None:
        self._inner.close()


def test_nearly_finished_without_a_queue_adopts_the_stream(invoke: Invoke, world: World) -> None:
    stream = only_play(invoke("audio_nearlyfinished"), "ENQUEUE")
    assert stream["expectedPreviousToken"] == PLAYING_TOKEN
    assert track_id_of(stream["token"]) not in (None, "t-relax-1")
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.current is not None
    assert queue.current.token == PLAYING_TOKEN


def test_nearly_finished_for_a_foreign_or_stale_token_enqueues_nothing(world: World) -> None:
    envelope = load_envelope("audio_nearlyfinished")
    envelope["request"]["token"] = "someone-elses-token"
    assert handle_envelope(world.skill, envelope)["response"] == {}
    world.queues.save(playing_queue())
    envelope["request"]["token"] = "t1.00000000.t-pop-1"  # ours, but no longer current
    assert handle_envelope(world.skill, envelope)["response"] == {}


def test_nearly_finished_at_the_end_refills_from_recommendations(
    invoke: Invoke, world: World
) -> None:
    world.queues.save(playing_queue(("t-relax-1",)))
    stream = only_play(invoke("audio_nearlyfinished"), "ENQUEUE")
    assert track_id_of(stream["token"]) == "t-relax-2"  # more relaxing picks
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.tracks[:2] == ("t-relax-1", "t-relax-2")


def test_nearly_finished_with_loop_on_goes_back_to_the_top(invoke: Invoke, world: World) -> None:
    world.queues.save(replace(playing_queue(("t-relax-1",)), loop=True))
    stream = only_play(invoke("audio_nearlyfinished"), "ENQUEUE")
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert stream["token"] != PLAYING_TOKEN


def test_finished_records_the_play(invoke: Invoke, world: World) -> None:
    assert invoke("audio_finished") == {}
    (event,) = world.published()
    assert (event.kind, event.offset_ms) == ("finished", 201000)


def test_stopped_records_and_keeps_the_offset_for_resume(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    assert invoke("audio_stopped") == {}
    (event,) = world.published()
    assert (event.kind, event.offset_ms) == ("stopped", 42000)
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.offset_ms == 42000


def test_failed_records_and_skips_to_the_next_track_silently(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    response = invoke("audio_failed")
    assert "outputSpeech" not in response
    assert track_id_of(only_play(response)["token"]) == "t-relax-2"
    (event,) = world.published()
    assert (event.kind, event.offset_ms) == ("failed", 1200)
    queue = world.queue_of(USER, DEVICE)
    assert queue is not None and queue.failures == 1


def test_failures_in_a_row_stop_the_skipping(invoke: Invoke, world: World) -> None:
    world.queues.save(replace(playing_queue(), failures=MAX_FAILURES - 1))
    assert invoke("audio_failed") == {}


def test_play_button_resumes_where_the_device_stopped(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    invoke("audio_stopped")
    response = invoke("controller_play")
    stream = only_play(response)
    assert (stream["token"], stream["offsetInMilliseconds"]) == (PLAYING_TOKEN, 42000)
    assert "outputSpeech" not in response and "shouldEndSession" not in response


def test_pause_button_stops_silently(invoke: Invoke) -> None:
    response = invoke("controller_pause")
    assert response == {"directives": [{"type": "AudioPlayer.Stop"}]}


def test_next_button_skips_silently(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    response = invoke("controller_next")
    assert track_id_of(only_play(response)["token"]) == "t-relax-2"
    assert "outputSpeech" not in response and "shouldEndSession" not in response
    assert [e.kind for e in world.published()] == ["skipped"]


def test_previous_button_goes_back_silently(invoke: Invoke, world: World) -> None:
    world.queues.save(playing_queue())
    invoke("controller_next")
    response = invoke("controller_previous")
    assert track_id_of(only_play(response)["token"]) == "t-relax-1"
    assert "outputSpeech" not in response
    assert invoke("controller_previous") == {}  # at the first track: nothing, silently


@pytest.mark.parametrize(
    "name",
    ["audio_started", "audio_nearlyfinished", "audio_finished", "audio_stopped", "audio_failed",
     "controller_play", "controller_pause", "controller_next", "controller_previous"],
)  # fmt: skip
def test_no_audio_or_button_request_ever_gets_speech(
    world: World, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.queues.save(playing_queue())
    for crash in (False, True):
        if crash:  # even the catch-all answer stays silent
            monkeypatch.setattr(world.recorder, "record", _boom)
            monkeypatch.setattr(world.player, "replay", _boom)
            monkeypatch.setattr(world.player, "play", _boom)
        response = handle_envelope(world.skill, copy.deepcopy(load_envelope(name)))["response"]
        assert not {"outputSpeech", "reprompt", "card"} & set(response), (name, crash)


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")
