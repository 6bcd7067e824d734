"""Live plays reach training, the loop closed end to end: events published to the stream are
applied and archived by the feedback consumer, the retrain trigger finds them and reruns the
resumable pipeline, the unified interactions the model trains on now hold them, once each,
however often the page is replayed, and the model trained on them goes through the
promotion gate, whose decision is in the pipeline's report and the HTML report."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from playback.events import PlaybackEvent, Served
from playback.sqlite_stream import SqliteEventStream
from recommender.data.etl import unified
from recommender.feedback.consumer import FeedbackConsumer
from recommender.offline.retrain_trigger import RetrainTrigger
from recommender.storage.listen_archive import LIVE_LISTENS_DIR
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.memory_cache import InProcessCache
from tests.pipeline.test_pipeline_resume import World

LIVE_PLAYS = 12


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.close()


def live_event_ids(world: World) -> set[str]:
    path = world.work / "unified" / "interactions.parquet"
    rows = duckdb.connect().execute(f"SELECT event_id FROM '{path}' WHERE event_id LIKE 'live-%'")
    return {str(event_id) for (event_id,) in rows.fetchall()}


def test_archived_live_plays_rerun_the_pipeline_and_reach_the_training_table(
    world: World, tmp_path: Path
) -> None:
    first = world.run()
    user = world.first_user()
    tracks = [t.track_id for t in unified.tracks(world.work / "unified")][:LIVE_PLAYS]
    served = Served(impression_id="imp-1", position=0, path="personalized", model_version="x")
    # Plays from the recent past: the feed's own days are long gone by the time it runs.
    start = datetime.now(UTC) - timedelta(hours=1)
    events = [
        PlaybackEvent(
            event_id=f"live-{i}", kind="finished" if i % 3 else "skipped", user_id=user,
            track_id=track, offset_ms=150_000 if i % 3 else 8_000,
            occurred_at=start + timedelta(minutes=i), served=served.at(i),
        )
        for i, track in enumerate(tracks)
    ] + [PlaybackEvent(kind="liked", user_id=user, track_id=tracks[0])]  # fmt: skip
    stream = SqliteEventStream(tmp_path / "events.db")
    stream.ensure_schema()
    stream.publish(events)
    archive = LocalListenArchive(world.raw / LIVE_LISTENS_DIR)

    def consume(name: str) -> None:
        FeedbackConsumer(
            stream, world.profiles, world.catalog, InProcessCache(), archive=archive, name=name
        ).run_once()

    consume("feedback")
    trigger = RetrainTrigger(archive, world.work, min_plays=LIVE_PLAYS, every_h=24)
    outcome = trigger.run_if_due(world.run)
    assert outcome.ran and outcome.result is not None
    assert live_event_ids(world) == {f"live-{i}" for i in range(LIVE_PLAYS)}
    # The pipeline before knew none of them: the ETL and training reran on them.
    retrained = outcome.result
    assert "etl" not in retrained.skipped and "train" not in retrained.skipped
    assert retrained.etl.unified_rows["interactions"] == (
        first.etl.unified_rows["interactions"] + LIVE_PLAYS
    )
    assert retrained.training_run != first.training_run
    # The model trained on them was gated against the one in service, and the report says so.
    gate = retrained.promotion
    assert gate["in_service"] == f"{first.model_version}/{first.model_run}"
    assert gate["challenger"] and gate["reason"]
    assert isinstance(gate["promoted"], bool)
    assert retrained.report_path is not None
    assert html.escape(gate["reason"]) in retrained.report_path.read_text()

    # The consumer crashed before its checkpoint and replays the page: nothing new.
    consume("replay")
    decision, _ = trigger.check()
    assert not decision.due and decision.new_plays == 0
    again = world.run()
    assert "etl" in again.skipped and "train" in again.skipped  # same bytes, same inputs
    assert live_event_ids(world) == {f"live-{i}" for i in range(LIVE_PLAYS)}
    stream.close()


def test_the_trigger_reruns_the_pipeline_once_enough_plays_arrived(
    world: World, tmp_path: Path
) -> None:
    world.run()
    archive = LocalListenArchive(world.raw / LIVE_LISTENS_DIR)
    trigger = RetrainTrigger(archive, world.work, min_plays=3, every_h=24)
    assert trigger.run_if_due(world.run).ran  # the first check: it never ran
    user = world.first_user()
    track = next(iter(unified.tracks(world.work / "unified"))).track_id
    stream = SqliteEventStream(tmp_path / "events.db")
    stream.ensure_schema()
    consumer = FeedbackConsumer(
        stream, world.profiles, world.catalog, InProcessCache(), archive=archive, page_size=2
    )
    now = datetime.now(UTC)
    for i in range(3):
        stream.publish([PlaybackEvent(event_id=f"live-{i}", kind="finished", user_id=user,
                                      track_id=track, occurred_at=now)])  # fmt: skip
        consumer.run_once()
        outcome = trigger.run_if_due(world.run)
        assert outcome.ran == (i == 2), outcome.decision
    assert outcome.result is not None and "train" not in outcome.result.skipped
    assert live_event_ids(world) == {"live-0", "live-1", "live-2"}
    stream.close()
