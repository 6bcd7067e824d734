"""A small generated world end to end: feeds -> ETL -> catalog, profiles, trained and promoted
model, lists, report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from playback.catalog import TrackCatalog
from playback.sqlite_catalog import SqliteTrackCatalog
from playback.vocabulary import MOODS
from recommender.data.generator.feeds import generate_feeds
from recommender.models.registry import ModelRegistry
from recommender.models.zoo import load_model
from recommender.offline.pipeline import STEPS, PipelineReport, run_pipeline
from recommender.storage.profiles import ProfileStore
from recommender.storage.recommendations import POPULAR_USER, RecommendationStore
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore
from tests.pipeline.memory_ports import MemoryCatalog, MemoryProfiles, MemoryStore

PER_USER = 30


@dataclass
class Run:
    report: PipelineReport
    catalog: TrackCatalog
    profiles: ProfileStore
    store: RecommendationStore
    work_dir: Path

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        unified = self.work_dir / "unified"
        sql = sql.replace("{unified}", str(unified))
        return duckdb.connect().execute(sql).fetchall()


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    generate_feeds(root, users=60, tracks=400, events=4_000, seed=21, progress=False)
    return root


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def run(
    request: pytest.FixtureRequest, raw_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Run]:
    work_dir = tmp_path_factory.mktemp(f"work-{request.param}")
    catalog: TrackCatalog
    profiles: ProfileStore
    store: RecommendationStore
    if request.param == "memory":
        catalog, profiles, store = MemoryCatalog(), MemoryProfiles(), MemoryStore()
    else:
        catalog = SqliteTrackCatalog(work_dir / "catalog.db")
        profiles = SqliteProfileStore(work_dir / "profiles.db")
        store = SqliteRecommendationStore(work_dir / "recommendations.db")
    report = run_pipeline(
        raw_dir=raw_dir,
        work_dir=work_dir,
        catalog=catalog,
        profiles=profiles,
        store=store,
        per_user=PER_USER,
        progress=False,
    )
    yield Run(report, catalog, profiles, store, work_dir)
    for port in (catalog, profiles, store):
        port.close()


def _users(run: Run) -> list[str]:
    return [str(u) for (u,) in run.query("SELECT user_id FROM '{unified}/users.parquet'")]


def test_every_listener_gets_a_list_without_tracks_they_heard(run: Run) -> None:
    heard: dict[str, set[str]] = defaultdict(set)
    for user, track in run.query("SELECT user_id, track_id FROM '{unified}/interactions.parquet'"):
        heard[str(user)].add(str(track))
    users = _users(run)
    assert len(users) >= 55  # a few profiles are dirty on purpose
    assert run.report.user_lists == len(users)
    # An overall list each, plus lists for leading contexts and new tracks.
    assert run.report.lists_written > len(users)
    assert run.store.snapshot_pointer().current == run.report.snapshot
    for user in users:
        stored = run.store.get_list(user, "all")
        assert stored is not None, user
        assert stored.model_version == run.report.model_version
        assert len(stored.track_ids) == PER_USER
        assert not set(stored.track_ids) & heard[user]
        assert list(stored.scores) == sorted(stored.scores, reverse=True)


def test_explicit_tracks_are_kept_from_listeners_who_filter_them(run: Run) -> None:
    blocked = [
        str(u)
        for (u,) in run.query(
            "SELECT user_id FROM '{unified}/users.parquet' WHERE NOT explicit_allowed"
        )
    ]
    explicit = {
        str(t)
        for (t,) in run.query("SELECT track_id FROM '{unified}/tracks.parquet' WHERE explicit")
    }
    assert blocked and explicit
    for user in blocked:
        stored = run.store.get_list(user, "all")
        assert stored is not None and not set(stored.track_ids) & explicit
    allowed = [u for u in _users(run) if u not in blocked]
    lists = [run.store.get_list(u, "all") for u in allowed]
    assert any(set(item.track_ids) & explicit for item in lists if item)


def test_charts_cover_every_mood_and_genre_and_hold_only_matching_tracks(run: Run) -> None:
    genres = run.catalog.genres()
    assert len(genres) >= 15
    for mood in MOODS:
        chart = run.store.get_list(POPULAR_USER, f"mood:{mood}")
        assert chart is not None and chart.track_ids, mood
        tracks = run.catalog.get_tracks(chart.track_ids)
        assert len(tracks) == len(chart.track_ids)
        assert all(mood in track.moods and not track.explicit for track in tracks.values())
    for genre in genres:
        chart = run.store.get_list(POPULAR_USER, f"genre:{genre}")
        assert chart is not None, genre
        assert all(t.genre == genre for t in run.catalog.get_tracks(chart.track_ids).values())
    overall = run.store.get_list(POPULAR_USER, "all")
    assert overall is not None and len(overall.track_ids) == PER_USER
    regions = {
        str(c).lower()
        for (c,) in run.query(
            "SELECT country FROM '{unified}/users.parquet' WHERE country IS NOT NULL"
        )
    }
    region_charts = [c for c in regions if run.store.get_list(POPULAR_USER, f"region:{c}")]
    assert region_charts  # demographics charts for listeners' regions
    assert run.report.charts >= 1 + len(MOODS) + len(genres) + len(region_charts)


def test_catalog_and_profiles_are_loaded_from_the_unified_tables(run: Run) -> None:
    [(tracks,)] = run.query("SELECT count(*) FROM '{unified}/tracks.parquet'")
    assert run.catalog.count() == tracks == run.report.tracks
    counts = run.query("""
        SELECT user_id, count(*), count(*) FILTER (WHERE end_reason = 'skipped'),
               list(track_id ORDER BY event_time DESC)
        FROM '{unified}/interactions.parquet' GROUP BY user_id""")
    assert counts
    for user, plays, skips, recent in counts:
        profile = run.profiles.get(str(user))
        assert profile is not None
        assert (profile.play_count, profile.skip_count) == (plays, skips)
        assert profile.recent_track_ids[0] == recent[0]
        assert len(profile.recent_track_ids) == min(20, len(set(recent)))
        assert all(-1.0 < value < 1.0 for value in profile.genre_affinity.values())
    assert run.report.profiles == len(_users(run))


def test_the_promoted_model_its_artifact_and_the_report_are_written(run: Run) -> None:
    report = run.report
    registry = ModelRegistry(run.work_dir / "models")
    promoted = registry.promoted()
    assert promoted is not None
    assert (promoted.name, promoted.run) == (report.model_version, report.model_run)
    assert promoted.run == report.training_run
    assert report.model_path == registry.artifact(promoted)
    assert load_model(report.model_path).version == report.model_version != "popularity.v1"
    assert report.model_metrics == promoted.metrics and "ndcg@10" in report.model_metrics
    # Every candidate of the run is registered, each with its held-out figures.
    trained = [m for m in registry.models() if m.run == report.training_run]
    assert {m.label for m in trained} >= {"popularity", "itemknn", "ials", "ease", "blend"}
    assert all("ndcg@10" in m.metrics and "satisfaction@10" in m.metrics for m in trained)
    assert report.report_path is not None and report.report_path.is_file()
    assert (run.work_dir / "reports" / "latest.html").read_text() == report.report_path.read_text()
    assert set(report.timings) == set(STEPS) and report.skipped == ()
    assert report.interactions == report.etl.unified_rows["interactions"] > 3_000
    assert (run.work_dir / "quality_report.json").is_file()


def test_etl_removes_duplicated_events(run: Run) -> None:
    [(rows, distinct)] = run.query(
        "SELECT count(*), count(DISTINCT event_id) FROM '{unified}/interactions.parquet'"
    )
    assert rows == distinct
    duplicates = run.report.etl.quarantined["events"].get("duplicate_event", 0)
    assert duplicates > 0
