"""DevicePlayback on the test world: queues start from play answers, move, refill, and pass
over tracks the catalog no longer has."""

from __future__ import annotations

import random
from dataclasses import replace

from listening.device_queue import END_OF_QUEUE_SPEECH, DevicePlayback, request_of
from nlu.parsed import ParsedRequest, Slot
from playback import queue as q
from playback.directives import track_id_of
from tests.fakes import World

RELAXING = ParsedRequest(
    intent="play_music", confidence=1.0, slots={"mood": Slot(text="chill", value="relaxing")}
)


def playback(world: World) -> DevicePlayback:
    return DevicePlayback(world.player, world.queues, rng=random.Random(1))


def test_start_queues_the_play_answer_and_its_upcoming_tracks(world: World) -> None:
    move = playback(world).start("k", "u1", RELAXING, "dev")
    assert move.answer.upcoming == ("t-relax-2", "t-jazz-1")
    assert move.queue is not None and move.queue.tracks == ("t-relax-1", "t-relax-2", "t-jazz-1")
    assert request_of(move.queue).slot_value("mood") == "relaxing"


def test_a_new_start_keeps_loop_shuffle_and_the_store_version(world: World) -> None:
    old = replace(q.new_queue("k", ["x"], "tok"), loop=True, shuffle=True, version=4)
    move = playback(world).start("k", "u1", RELAXING, "dev", old=old)
    assert move.queue is not None
    assert (move.queue.loop, move.queue.shuffle, move.queue.version) == (True, True, 4)
    assert move.queue.order[0] == 0  # the track playing now stays first


def test_skip_passes_over_tracks_the_catalog_no_longer_has(world: World) -> None:
    start = q.new_queue("k", ["t-relax-1", "t-vanished", "t-jazz-1"], "tok")
    move = playback(world).skip(start, "u1", "dev")
    assert move.answer.track is not None and move.answer.track.track_id == "t-jazz-1"
    assert move.queue is not None and move.queue.current is not None
    assert move.queue.current.position == 2


def test_at_the_end_the_queue_refills_with_more_for_its_request(world: World) -> None:
    start = q.new_queue("k", ["t-relax-1"], "tok", [("mood", "relaxing")])
    move = playback(world).following(start, "u1", "dev")
    assert move.answer.track is not None and move.answer.track.track_id == "t-relax-2"
    assert move.queue is not None and move.queue.enqueued is not None
    assert move.queue.tracks[:3] == ("t-relax-1", "t-relax-2", "t-jazz-1")


def test_when_nothing_is_left_the_queue_ends_politely(world: World) -> None:
    everything = [t.track_id for t in world.catalog.get_tracks(
        ["t-relax-1", "t-relax-2", "t-pop-1", "t-rock-1", "t-jazz-1"]).values()]  # fmt: skip
    start = q.playing(q.new_queue("k", everything, "tok"), len(everything) - 1, "tok-last")
    move = playback(world).skip(start, "u1", "dev")
    assert move.answer.track is None and move.answer.speech == END_OF_QUEUE_SPEECH
    assert move.queue == start


def test_adopting_a_stream_queues_general_picks_behind_it(world: World) -> None:
    adopted = playback(world).adopt("k", "t1.ab.t-pop-1", "u1", "dev")
    assert adopted is not None and adopted.current is not None
    assert adopted.current.token == "t1.ab.t-pop-1" and adopted.tracks[0] == "t-pop-1"
    assert "t-pop-1" not in adopted.tracks[1:]
    assert playback(world).adopt("k", "foreign", "u1", "dev") is None


def test_again_restarts_the_current_play_under_a_new_token(world: World) -> None:
    start = q.new_queue("k", ["t-relax-1", "t-jazz-1"], "t1.old.t-relax-1")
    move = playback(world).again(start)
    assert move.answer.token is not None and move.answer.token != "t1.old.t-relax-1"
    assert track_id_of(move.answer.token) == "t-relax-1" and move.answer.offset_ms == 0
