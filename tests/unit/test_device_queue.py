"""The device queue's pure moves and its persisted form."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from pydantic import ValidationError

from playback import queue as q


def queue(*tracks: str) -> q.DeviceQueue:
    return q.new_queue("k", tracks or ("a", "b", "c", "d"), "tok-a", [("mood", "sad")])


def test_a_new_queue_plays_the_first_track_and_drops_duplicates() -> None:
    made = q.new_queue("k", ["a", "b", "a", "c"], "tok-a")
    assert made.tracks == ("a", "b", "c") and made.order == (0, 1, 2)
    assert made.current == q.Play("tok-a", "a", 0)
    with pytest.raises(ValueError):
        q.new_queue("k", [], "tok")


def test_next_previous_and_the_end() -> None:
    played = q.playing(queue(), 3, "tok-d")
    assert q.next_position(queue()) == 1
    assert q.next_position(played) is None
    assert q.next_position(q.with_loop(played, True)) == 0
    assert q.previous_position(played) == 2
    assert q.previous_position(queue()) is None


def test_enqueue_then_start_makes_the_enqueued_play_current() -> None:
    lined = q.enqueued(queue(), 1, "tok-b")
    assert q.next_position(lined, lined.enqueued) == 2
    moved = q.started(replace(lined, failures=2), "tok-b")
    assert moved.current == q.Play("tok-b", "b", 1)
    assert (moved.enqueued, moved.failures) == (None, 0)
    assert q.started(lined, "tok-unknown") == lined


def test_promotion_does_not_forgive_failures() -> None:
    lined = replace(q.enqueued(queue(), 1, "tok-b"), failures=2)
    assert q.promoted(lined, "tok-b").failures == 2


def test_stopped_keeps_the_offset_of_the_current_play_only() -> None:
    assert q.stopped(queue(), "tok-a", 42_000).offset_ms == 42_000
    assert q.stopped(queue(), "tok-other", 42_000).offset_ms == 0


def test_shuffle_keeps_what_is_lined_up_and_off_restores_the_order() -> None:
    lined = q.enqueued(queue(*"abcdefgh"), 1, "tok-b")
    shuffled = q.with_shuffle(lined, True, random.Random(3))
    assert shuffled.order[:2] == (0, 1)
    assert sorted(shuffled.order) == list(range(8)) and shuffled.order != lined.order
    assert q.with_shuffle(shuffled, False, random.Random(3)).order == lined.order


def test_played_covers_what_played_and_what_is_lined_up() -> None:
    lined = q.enqueued(q.playing(queue(), 1, "tok-b"), 2, "tok-c")
    assert q.played(lined) == {"a", "b", "c"}


def test_refills_append_new_tracks_only() -> None:
    more = q.with_tracks(queue(), ["c", "e", "e", "f"])
    assert more.tracks == ("a", "b", "c", "d", "e", "f")
    assert more.order == (0, 1, 2, 3, 4, 5)


def test_a_full_playlist_forgets_what_played_before_growing() -> None:
    full = q.playing(q.new_queue("k", [f"t{i}" for i in range(q.MAX_TRACKS)], "tok"), 150, "x")
    more = q.with_tracks(full, ["new-1", "new-2"])
    assert more.current is not None and more.current.position == 0
    assert more.current.track_id == "t150"
    assert more.tracks[-2:] == ("new-1", "new-2")
    assert len(more.tracks) == q.MAX_TRACKS - 150 + 2


def test_keys_are_stable_hashes_without_ids() -> None:
    key = q.queue_key("amzn1.ask.account.me", "device-1")
    assert key == q.queue_key("amzn1.ask.account.me", "device-1")
    assert key != q.queue_key("amzn1.ask.account.me", "device-2")
    assert "amzn1" not in key and len(key) == 40


def test_the_persisted_form_round_trips_and_refuses_garbage() -> None:
    made = replace(q.enqueued(q.with_loop(queue(), True), 1, "tok-b"), offset_ms=9, version=7)
    assert q.decode_queue("k", 7, q.encode_queue(made)) == made
    with pytest.raises(ValidationError):
        q.decode_queue("k", 1, '{"tracks": ["a"], "order": [0], "schema_version": 3}')
