"""The feedback consumer as a real process, killed with SIGKILL at random moments while it
applies a stream of events (embedded SQLite backends, durable on disk). A last consumer
finishes the stream; the counts prove every event was applied exactly once."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playback.catalog import Track
from playback.events import PlaybackEvent
from playback.sqlite_catalog import SqliteTrackCatalog
from playback.sqlite_stream import SqliteEventStream
from recommender.feedback.consumer import FeedbackConsumer
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.sqlite_profiles import SqliteProfileStore

REPO = Path(__file__).resolve().parents[2]
KINDS = ("started", "started", "finished", "skipped", "skipped", "liked", "disliked", "stopped")
CONSUMER = """
import sys, time
from pathlib import Path
from playback.sqlite_catalog import SqliteTrackCatalog
from playback.sqlite_stream import SqliteEventStream
from recommender.feedback.consumer import FeedbackConsumer
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.sqlite_profiles import SqliteProfileStore

class Slow:  # a slow store widens the windows a kill can land in
    def __init__(self, inner):
        self.inner = inner
    def apply_events(self, *args):
        time.sleep(0.003)
        applied = self.inner.apply_events(*args)
        time.sleep(0.003)
        return applied
    def __getattr__(self, name):
        return getattr(self.inner, name)

d = Path(sys.argv[1])
consumer = FeedbackConsumer(
    SqliteEventStream(d / "events.db"), Slow(SqliteProfileStore(d / "profiles.db")),
    SqliteTrackCatalog(d / "catalog.db"), InProcessCache(), page_size=25,
)
print("ready", flush=True)
while consumer.run_once().read:
    pass
print("done", flush=True)
"""


def _events(rng: random.Random, users: int, count: int) -> list[PlaybackEvent]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        PlaybackEvent(
            event_id=f"ev-{i:05d}",
            kind=rng.choice(KINDS),  # type: ignore[arg-type]
            user_id=f"user-{rng.randrange(users)}",
            track_id=f"trk-{rng.randrange(40)}",
            offset_ms=rng.randrange(200_000),
            occurred_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def test_sigkilled_consumers_apply_every_event_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(11)
    catalog = SqliteTrackCatalog(tmp_path / "catalog.db")
    catalog.ensure_schema()
    genres = ("jazz", "rock", "pop", "folk")
    catalog.upsert_tracks(
        Track(f"trk-{i}", f"T{i}", "a", "A", genre=genres[i % 4], moods=("calm",))
        for i in range(40)
    )
    profiles = SqliteProfileStore(tmp_path / "profiles.db")
    profiles.ensure_schema()
    stream = SqliteEventStream(tmp_path / "events.db")
    stream.ensure_schema()
    events = _events(rng, users=30, count=300)
    stream.publish(events)
    stream.publish(rng.sample(events, 40))  # redelivered copies, as a spool replay may make

    kills = 0
    for _ in range(5):
        process = subprocess.Popen(
            [sys.executable, "-c", CONSUMER, str(tmp_path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.1, 0.5))
        if process.poll() is None:
            process.kill()  # SIGKILL: no cleanup, no except, no finally
            kills += 1
        process.wait(timeout=30)
    assert kills >= 1

    final = FeedbackConsumer(stream, profiles, catalog, InProcessCache(), page_size=25)
    while final.run_once().read:
        pass

    started = Counter(e.user_id for e in events if e.kind == "started")
    skipped = Counter(e.user_id for e in events if e.kind == "skipped")
    for user in {e.user_id for e in events}:
        profile = profiles.get(user)
        assert profile is not None
        assert (profile.play_count, profile.skip_count) == (started[user], skipped[user]), user
    day_counts = profiles.popularity_counts(
        sorted({e.occurred_at.strftime("%Y-%m-%d") for e in events})
    )
    assert sum(c.plays for c in day_counts.values()) == sum(started.values())
    assert sum(c.skips for c in day_counts.values()) == sum(skipped.values())
    with sqlite3.connect(tmp_path / "profiles.db") as conn:
        (applied,) = conn.execute("SELECT count(*) FROM applied_events").fetchone()
    conn.close()
    assert applied == len(events)
    for closable in (catalog, profiles, stream):
        closable.close()
