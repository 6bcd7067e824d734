"""Test doubles for the skill and HTTP tests, and a tiny world on the real SQLite adapters.

``build_world`` writes a five-track catalog, popular charts and one known listener into
SQLite files (the embedded default adapters, not fakes) and wires the listening use cases,
parser and skill on top. The wrappers below inject outages into any adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ask_sdk_core.skill import CustomSkill

from listening import Listening
from listening.device_queue import DevicePlayback
from listening.events import EventRecorder
from listening.memory_routines import MemoryRoutineStore
from listening.player import MusicPlayer
from nlu.rules import RuleParser
from playback.catalog import Artist, Track, TrackCatalog
from playback.errors import CatalogUnavailable, StreamUnavailable
from playback.events import EventStream, PlaybackEvent, StreamRecord
from playback.queue import DeviceQueue
from playback.spool import EventSpool
from playback.sqlite_catalog import SqliteTrackCatalog
from playback.sqlite_queue import SqliteQueueStore
from playback.sqlite_stream import SqliteEventStream
from playback.stream_urls import StreamUrls
from playback.url_signing import UrlSigner
from recommender.serving.bandit import Reranker
from recommender.serving.router import Router
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import POPULAR_USER, RecommendationList
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore
from skill.alexa import build_skill
from skill.alexa.metrics import MemorySkillMetrics

STREAM_BASE = "https://media.test/tracks"
SIGNING_KEY = b"philomath-tests-stream-signing-key"
KNOWN_USER = "amzn1.ask.account.known"

TRACKS = (
    Track("t-relax-1", "Morning Tide", "a-qh", "Quiet Harbor", genre="ambient",
          moods=("relaxing",), release_year=2021),
    Track("t-relax-2", "Slow River", "a-qh", "Quiet Harbor", genre="folk",
          moods=("relaxing", "sad"), release_year=2019),
    Track("t-pop-1", "Neon Lights", "a-br", "The Brights", genre="pop",
          moods=("happy", "party"), release_year=2023),
    Track("t-rock-1", "Rock & Roll <Heart>", "a-ss", "Stone & Steel", genre="rock",
          moods=("energetic",), release_year=2020),
    Track("t-jazz-1", "Blue Smoke", "a-nv", "Norah Vale", genre="jazz",
          moods=("relaxing", "romantic"), release_year=2018),
)  # fmt: skip

# Charts start with an id the catalog lacks: the player must skip it.
CHARTS = {
    "all": ("t-missing", "t-pop-1", "t-rock-1", "t-relax-1"),
    "mood:relaxing": ("t-gone", "t-relax-1", "t-relax-2", "t-jazz-1"),
    "genre:jazz": ("t-jazz-1",),
}
PERSONAL = {"all": ("t-jazz-1", "t-relax-2", "t-pop-1")}


@dataclass
class World:
    """Real SQLite adapters; ``catalog`` and ``events`` can be switched ``down``."""

    catalog: SwitchableCatalog
    store: SqliteRecommendationStore
    profiles: SqliteProfileStore
    events: SwitchableStream
    router: Router
    stream_urls: StreamUrls
    listening: Listening
    parser: RuleParser
    skill: CustomSkill
    queues: SqliteQueueStore
    metrics: MemorySkillMetrics

    @property
    def player(self) -> MusicPlayer:
        return self.listening.player

    @property
    def recorder(self) -> EventRecorder:
        return self.listening.events

    def queue_of(self, user_id: str, device_id: str | None) -> DeviceQueue | None:
        from playback.queue import queue_key

        return self.queues.load(queue_key(user_id, device_id))

    def published(self) -> list[PlaybackEvent]:
        return [record.event for record in self.events.read(None, limit=1000)]

    def close(self) -> None:
        # The stream back up first: a spool drainer a test left behind then empties its spool
        # and stops, instead of warning "still unavailable" into the tests that follow.
        self.events.down = False
        for port in (self.catalog, self.store, self.profiles, self.events, self.queues):
            port.close()


def build_world(directory: Path, reranker: Reranker | None = None) -> World:
    """The world, its SQLite files in ``directory``; its router re-ranks with ``reranker``."""
    catalog = SwitchableCatalog(SqliteTrackCatalog(directory / "catalog.db"))
    store = SqliteRecommendationStore(directory / "recommendations.db")
    profiles = SqliteProfileStore(directory / "profiles.db")
    events = SwitchableStream(SqliteEventStream(directory / "events.db"))
    for port in (catalog, store, profiles, events):
        port.ensure_schema()
    catalog.upsert_tracks(TRACKS)
    lists = [_list(POPULAR_USER, context, ids) for context, ids in CHARTS.items()]
    lists += [_list(KNOWN_USER, context, ids) for context, ids in PERSONAL.items()]
    store.put_lists(lists)
    profiles.put_many([UserProfile(KNOWN_USER, play_count=42)])
    router = Router(store, profiles, InProcessCache(), catalog=catalog, reranker=reranker)
    stream_urls = StreamUrls(STREAM_BASE, UrlSigner(SIGNING_KEY))
    routines = MemoryRoutineStore()
    player = MusicPlayer(catalog, router, stream_urls, routines)
    queues = SqliteQueueStore(directory / "queues.db")
    queues.ensure_schema()
    listening = Listening(
        player,
        DevicePlayback(player, queues),
        EventRecorder(events, EventSpool(directory / "spool.db")),
        routines=routines,
    )
    parser = RuleParser(catalog.genres())
    metrics = MemorySkillMetrics()
    skill = build_skill(listening, parser, metrics=metrics)
    return World(
        catalog, store, profiles, events, router, stream_urls, listening, parser, skill, queues,
        metrics,
    )  # fmt: skip


def _list(user_id: str, context: str, ids: Sequence[str]) -> RecommendationList:
    scores = tuple(float(len(ids) - i) for i in range(len(ids)))
    return RecommendationList(user_id, context, "test.v1", tuple(ids), scores, 1_700_000_000.0)


class SwitchableCatalog:
    """Delegates to a real catalog; raises CatalogUnavailable while ``down``."""

    def __init__(self, inner: TrackCatalog) -> None:
        self.inner = inner
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise CatalogUnavailable("catalog is down (test)")

    def ensure_schema(self) -> None:
        self.inner.ensure_schema()

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        self._check()
        return self.inner.upsert_tracks(tracks)

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        self._check()
        return self.inner.get_tracks(track_ids)

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        self._check()
        return self.inner.find_artists(name, limit)

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        self._check()
        return self.inner.tracks_by_artist(artist_id, limit)

    def genres(self) -> list[str]:
        self._check()
        return self.inner.genres()

    def count(self) -> int:
        self._check()
        return self.inner.count()

    def close(self) -> None:
        self.inner.close()


class SwitchableStream:
    """Delegates to a real event stream; publish raises StreamUnavailable while ``down``."""

    def __init__(self, inner: EventStream) -> None:
        self.inner = inner
        self.down = False
        self.publish_calls = 0

    def ensure_schema(self) -> None:
        self.inner.ensure_schema()

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        self.publish_calls += 1
        if self.down:
            raise StreamUnavailable("stream is down (test)")
        self.inner.publish(events)

    def read(self, after: str | None, limit: int = 100) -> list[StreamRecord]:
        return self.inner.read(after, limit)

    def close(self) -> None:
        self.inner.close()


class AtomicCalls:
    """A boto3 client whose calls run one at a time. moto's in-process backends are not
    thread-safe (two concurrent conditional writes can both pass), whereas each call to the
    real services is atomic; serializing calls restores that, and races between calls, which
    the adapters must handle themselves, still happen."""

    _lock = threading.Lock()

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


class FakeClock:
    """A clock for TTL tests: it stands still until ``advance`` moves it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
