"""The feedback consumer archives each applied page's plays for training: which events are
plays and as what, one partition per page however often it is replayed, and a failed write
fails the pass with the checkpoint unmoved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playback.events import PlaybackEvent
from recommender.errors import ArchiveUnavailable
from recommender.feedback.consumer import FeedbackConsumer
from recommender.feedback.listens import listen_row
from recommender.storage.listen_archive import ListenRow, decode_rows
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.memory_cache import InProcessCache
from tests.fakes import TRACKS, World

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def ev(kind: str, event_id: str, offset_ms: int = 0, source: str = "alexa") -> PlaybackEvent:
    return PlaybackEvent(
        event_id=event_id, kind=kind, user_id="usr-1", track_id="t-jazz-1",  # type: ignore[arg-type]
        offset_ms=offset_ms, occurred_at=WHEN, source=source,  # type: ignore[arg-type]
    )  # fmt: skip


def test_plays_that_ended_become_feed_rows_and_other_events_do_not() -> None:
    tracks = {t.track_id: t for t in TRACKS}
    duration = tracks["t-jazz-1"].duration_ms
    row = listen_row(ev("skipped", "e-1", 12_000), tracks)
    assert row == ListenRow("e-1", "usr-1", "t-jazz-1", int(WHEN.timestamp() * 1000), 12_000,
                            "skipped", "alexa")  # fmt: skip
    stopped = listen_row(ev("stopped", "e-2", 90_000, source="app"), tracks)
    assert stopped is not None and (stopped.end_reason, stopped.device) == ("stopped", "app")
    # Alexa reports where a finished stream ended; an app may say nothing: the whole track.
    finished = listen_row(ev("finished", "e-3", 0), tracks)
    assert finished is not None and finished.ms_played == duration
    said = listen_row(ev("finished", "e-4", 170_000), tracks)
    assert said is not None and said.ms_played == 170_000
    for kind in ("started", "failed", "liked", "disliked"):
        assert listen_row(ev(kind, "e-x"), tracks) is None


class BrokenArchive(LocalListenArchive):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.down = True

    def write_page(self, shard: str, first_position: str, rows: Sequence[ListenRow]) -> str:
        if self.down:
            raise ArchiveUnavailable("disk full (test)")
        return super().write_page(shard, first_position, rows)


def _consumer(
    world: World, archive: LocalListenArchive, page_size: int = 500, name: str = "feedback"
) -> FeedbackConsumer:
    return FeedbackConsumer(
        world.events, world.profiles, world.catalog, InProcessCache(), archive=archive,
        page_size=page_size, name=name,
    )  # fmt: skip


def test_each_page_is_archived_once_and_a_replayed_page_overwrites_its_partition(
    world: World, tmp_path: Path
) -> None:
    archive = LocalListenArchive(tmp_path / "live")
    world.events.publish(
        [ev("started", "e-1"), ev("finished", "e-2", 170_000), ev("skipped", "e-3", 9_000)]
    )
    consumer = _consumer(world, archive, page_size=2)
    assert consumer.run_once().read == 2
    assert consumer.run_once().read == 1
    assert archive.plays() == {"shard=0/1.csv": 1, "shard=0/3.csv": 1}
    # A consumer that never committed (killed before its checkpoint) reads from the first
    # record again, the whole stream in one page now: the same partition, rewritten.
    replay = _consumer(world, archive, name="replay")
    page = replay.run_once()
    assert (page.read, page.applied, page.duplicates) == (3, 0, 3)
    assert archive.plays() == {"shard=0/1.csv": 2, "shard=0/3.csv": 1}
    rows = decode_rows((tmp_path / "live/shard=0/1.csv").read_bytes(), "")
    assert [r.event_id for r in rows] == ["e-2", "e-3"]


def test_a_failed_archive_write_fails_the_pass_and_keeps_the_checkpoint(
    world: World, tmp_path: Path
) -> None:
    archive = BrokenArchive(tmp_path / "live")
    world.events.publish([ev("finished", "e-1", 170_000)])
    consumer = _consumer(world, archive)
    with pytest.raises(ArchiveUnavailable):
        consumer.run_once()
    assert world.profiles.get_checkpoint("feedback") is None
    archive.down = False
    assert consumer.run_once().read == 1  # the retry archives the same page
    assert archive.plays() == {"shard=0/1.csv": 1}
