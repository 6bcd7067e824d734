"""Play events' attribution: the v2 schema (v1 records still read), and the device queue
keeping what served each of its tracks through refills, compaction and its stored form."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from playback import queue as q
from playback.events import PlaybackEvent, Served, parse_record

SERVED = Served(
    impression_id="imp-1",
    position=0,
    path="personalized",
    model_version="ease.v1",
    context={"mood": "relaxing"},
)


def test_a_v2_event_round_trips_with_what_served_it() -> None:
    event = PlaybackEvent(kind="finished", user_id="u1", track_id="t1", served=SERVED.at(3))
    back = parse_record(event.model_dump_json(), "1")
    assert back == event and back is not None
    assert back.schema_version == 2 and back.served == SERVED.at(3)


def test_a_v1_record_already_in_a_stream_still_parses() -> None:
    body = (
        '{"schema_version": 1, "event_id": "e1", "kind": "skipped", "user_id": "u1",'
        ' "track_id": "t1", "device_id": null, "offset_ms": 1200,'
        ' "occurred_at": "2026-12-01T10:00:00Z", "source": "alexa"}'
    )
    event = parse_record(body, "1")
    assert event is not None
    assert (event.schema_version, event.kind, event.served) == (1, "skipped", None)


def test_attribution_is_checked() -> None:
    with pytest.raises(ValidationError):  # v1 had no attribution
        PlaybackEvent(schema_version=1, kind="started", user_id="u", track_id="t", served=SERVED)
    with pytest.raises(ValidationError):
        Served(impression_id="i", position=-1, path="popular")
    with pytest.raises(ValidationError):
        Served.model_validate({**SERVED.model_dump(), "surprise": 1})
    assert parse_record('{"kind": "started", "user_id": "u", "track_id": "t",'
                        ' "served": {"impression_id": ""}}', "9") is None  # fmt: skip


def test_a_queue_knows_what_served_each_track() -> None:
    made = q.new_queue("k", ["a", "b", "a", "c"], "tok-a", served=SERVED)
    assert made.tracks == ("a", "b", "c")
    assert [s.position if s else None for s in made.served] == [0, 1, 3]
    assert q.served_for(made, "tok-a") == SERVED
    lined = q.enqueued(made, 1, "tok-b")
    assert q.served_for(lined, "tok-b") == SERVED.at(1)
    assert q.served_for(lined, "tok-unknown") is None and q.served_for(None, "tok-a") is None


def test_a_refill_brings_its_own_impression_and_compaction_keeps_them_aligned() -> None:
    refill = Served(impression_id="imp-2", position=0, path="popular")
    start = q.new_queue("k", [f"t{i}" for i in range(q.MAX_TRACKS - 1)], "tok", served=SERVED)
    moved = q.playing(start, 150, "tok-150")
    full = q.with_tracks(moved, ["t3", "new-1", "new-2"], refill)
    assert full.tracks[0] == "t150"  # compacted: what played before is forgotten
    assert full.served_at(0) == SERVED.at(150)
    assert full.served_at(len(full.order) - 2) == refill.at(1)  # t3 was already there
    assert full.served_at(len(full.order) - 1) == refill.at(2)


def test_the_stored_queue_keeps_attribution_and_old_records_read_without() -> None:
    refill = Served(impression_id="imp-2", position=0, path="popular")
    made = q.with_tracks(q.new_queue("k", ["a", "b"], "tok-a", served=SERVED), ["c"], refill)
    body = q.encode_queue(made)
    assert body.count("imp-1") == 1  # each impression stored once, not once per track
    assert q.decode_queue("k", 0, body) == made
    old = '{"schema_version": 1, "tracks": ["a"], "order": [0]}'
    decoded = q.decode_queue("k", 1, old)
    assert decoded.served == () and decoded.served_at(0) is None
    unattributed = q.with_tracks(decoded, ["b"], refill)
    assert unattributed.served_at(0) is None and unattributed.served_at(1) == refill


def test_a_stored_reference_to_no_impression_reads_as_unattributed() -> None:
    made = q.new_queue("k", ["a", "b", "c"], "tok-a", served=SERVED)
    body = json.loads(q.encode_queue(made))
    body["served"] = [[0, 4], [1, 0], [-1, 0]]  # one impression stored: only index 0 is one
    decoded = q.decode_queue("k", 1, json.dumps(body))
    assert decoded.served_at(0) == SERVED.at(4)
    assert decoded.served_at(1) is None and decoded.served_at(2) is None
