"""DevicePlayback on the test world: queues start from play answers, move, refill, and pass
over tracks the catalog no longer has."""

from __future__ import annotations

import random

from listening.device_queue import END_OF_QUEUE_SPEECH, DevicePlayback, request_of
from nlu.parsed import ParsedRequest, Slot
from playback import queue as q
from playback.directives import track_id_of
from playback.queue import queue_key
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
    old = q.QueueSettings(version=4, loop=True, shuffle=True)
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


class CountingLoads:
    """The world's queue store, counting whole-queue and settings-only loads."""

    def __init__(self, inner: q.QueueStore) -> None:
        self.inner = inner
        self.loads = 0
        self.settings_loads = 0

    def load(self, key: str) -> q.DeviceQueue | None:
        self.loads += 1
        return self.inner.load(key)

    def load_settings(self, key: str) -> q.QueueSettings | None:
        self.settings_loads += 1
        return self.inner.load_settings(key)

    def save(self, queue: q.DeviceQueue) -> q.DeviceQueue | None:
        return self.inner.save(queue)


def test_a_play_replaces_the_stored_queue_reading_only_its_settings(world: World) -> None:
    store = CountingLoads(world.queues)
    device_playback = DevicePlayback(world.player, store, rng=random.Random(1))  # type: ignore[arg-type]
    stored = q.with_loop(q.new_queue(queue_key("u1", "dev"), ["t-pop-1"], "tok"), True)
    world.queues.save(stored)
    state = device_playback.state("u1", "dev")
    answer = device_playback.play(state, RELAXING)
    assert answer.track is not None
    assert (store.loads, store.settings_loads) == (0, 1)
    assert state.commit() is True  # the stored version was read: the save wins
    saved = world.queues.load(state.key)
    assert saved is not None and saved.version == 2 and saved.loop is True
    assert saved.tracks[0] == answer.track.track_id
    assert store.loads == 0


def test_a_play_after_the_queue_was_read_takes_its_settings_from_it(world: World) -> None:
    store = CountingLoads(world.queues)
    device_playback = DevicePlayback(world.player, store, rng=random.Random(1))  # type: ignore[arg-type]
    world.queues.save(q.new_queue(queue_key("u1", "dev"), ["t-pop-1"], "tok"))
    state = device_playback.state("u1", "dev")
    assert state.queue is not None
    device_playback.play(state, RELAXING)
    assert (store.loads, store.settings_loads) == (1, 0)
    assert state.commit() is True
