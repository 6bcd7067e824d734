"""EventRecorder: play events published in order, spooled to disk while the stream is down,
replayed after a restart, never dropped."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from listening.events import EventRecorder
from playback.events import PlaybackEvent
from playback.spool import EventSpool
from tests.fakes import World


def event(kind: str = "started", track_id: str = "t-pop-1") -> PlaybackEvent:
    return PlaybackEvent(kind=kind, user_id="u1", track_id=track_id)  # type: ignore[arg-type]


def _recorder(world: World, directory: Path, retry_after_s: float = 5.0) -> EventRecorder:
    spool = EventSpool(directory / "recorder-spool.db")
    return EventRecorder(world.events, spool, stream_retry_after_s=retry_after_s)


def test_record_publishes(world: World) -> None:
    assert world.recorder.record(event()) is True
    assert [e.kind for e in world.published()] == ["started"]


def test_stream_outage_spools_events_and_the_next_publish_replays_them_in_order(
    world: World, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    recorder = _recorder(world, tmp_path, retry_after_s=0.0)
    world.events.down = True
    with caplog.at_level(logging.ERROR):
        assert recorder.record(event("started")) is False
        assert recorder.record(event("skipped")) is False
    assert recorder.pending_events == 2
    assert world.published() == []
    assert any(r.levelno == logging.ERROR and "spool" in r.getMessage() for r in caplog.records)

    world.events.down = False
    assert recorder.record(event("finished")) is True
    assert recorder.pending_events == 0
    assert [e.kind for e in world.published()] == ["started", "skipped", "finished"]


def test_spooled_events_survive_a_restart_and_are_replayed(world: World, tmp_path: Path) -> None:
    world.events.down = True
    first = _recorder(world, tmp_path)
    for track in ("t-1", "t-2", "t-3"):
        first.record(event(track_id=track))
    assert first.pending_events == 3

    world.events.down = False
    restarted = _recorder(world, tmp_path)  # a new process on the same spool file
    assert restarted.pending_events == 3
    assert restarted.replay_events() == 3
    assert restarted.pending_events == 0
    assert [e.track_id for e in world.published()] == ["t-1", "t-2", "t-3"]


def test_an_outage_pauses_the_stream_so_requests_do_not_wait_on_it(
    world: World, tmp_path: Path
) -> None:
    recorder = _recorder(world, tmp_path, retry_after_s=3600.0)
    world.events.down = True
    recorder.record(event(track_id="t-1"))
    calls = world.events.publish_calls
    world.events.down = False
    assert recorder.record(event(track_id="t-2")) is False  # still paused: straight to disk
    assert world.events.publish_calls == calls
    assert recorder.replay_events() == 2  # a timer's replay ignores the pause
    assert [e.track_id for e in world.published()] == ["t-1", "t-2"]


def test_an_unexpected_publish_error_keeps_the_spool(world: World, tmp_path: Path) -> None:
    recorder = _recorder(world, tmp_path, retry_after_s=0.0)
    world.events.down = True
    recorder.record(event(track_id="t-1"))

    def broken(events: object) -> None:
        raise RuntimeError("bug")

    world.events.publish = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        recorder.record(event(track_id="t-2"))
    assert recorder.pending_events == 1  # the spooled event is still there


def test_spooled_events_go_out_without_another_publish_once_the_stream_is_back(
    world: World, tmp_path: Path
) -> None:
    recorder = _recorder(world, tmp_path, retry_after_s=0.05)
    world.events.down = True
    recorder.record(event(track_id="t-1"))
    recorder.record(event(track_id="t-2"))
    world.events.down = False  # and the device says nothing more
    deadline = time.monotonic() + 10
    while recorder.pending_events and time.monotonic() < deadline:
        time.sleep(0.02)
    assert recorder.pending_events == 0
    assert [e.track_id for e in world.published()] == ["t-1", "t-2"]
