"""Telemetry: the ports' null adapters, ``timed`` ports, and what the router, consumer and
batch record, read back from the real Prometheus adapter's registry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playback.catalog import Track
from playback.events import PlaybackEvent
from playback.sqlite_catalog import SqliteTrackCatalog
from playback.sqlite_stream import SqliteEventStream
from recommender.feedback.consumer import FeedbackConsumer
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.recommendations import POPULAR_USER
from recommender.storage.sqlite_profiles import SqliteProfileStore
from skill.alexa.metrics import LogSkillMetrics
from telemetry import NullMetrics, Telemetry, names
from telemetry.instrumented import timed
from telemetry.prometheus import PrometheusMetrics
from tests.unit.router_fakes import DictProfiles, DictStore, SwitchCache, rlist


def sample(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def stage_count(metrics: PrometheusMetrics, stage: str) -> float:
    return sample(metrics, "philomath_stage_duration_seconds_count", stage=stage)


def test_the_router_counts_cache_hits_and_misses_and_its_route_stage() -> None:
    metrics = PrometheusMetrics()
    store = DictStore([rlist(POPULAR_USER, "all", "p1", "p2")])
    router = Router(store, DictProfiles(), SwitchCache(), telemetry=Telemetry(metrics))

    def lookups() -> tuple[float, float]:
        return (
            sample(metrics, "philomath_cache_lookups_total", result="hit"),
            sample(metrics, "philomath_cache_lookups_total", result="miss"),
        )

    router.recommend(RecommendationRequest("nobody"))
    hits, misses = lookups()
    router.recommend(RecommendationRequest("nobody"))

    assert misses > 0
    assert lookups()[1] == misses and lookups()[0] > hits  # the second: the cache alone
    assert stage_count(metrics, "route") == 2
    assert sample(metrics, "philomath_degraded_answers_total", cause="store") == 0


def test_a_degraded_answer_is_counted_once_per_cause() -> None:
    metrics = PrometheusMetrics()
    store = DictStore([rlist(POPULAR_USER, "all", "p1")])
    cache = SwitchCache()
    router = Router(store, DictProfiles(), cache, telemetry=Telemetry(metrics))
    store.down = cache.down = True

    answer = router.recommend(RecommendationRequest("nobody"))

    assert {"store", "cache", "empty"} <= answer.causes
    for cause in answer.causes:
        assert sample(metrics, "philomath_degraded_answers_total", cause=cause) == 1


class Port:
    def __init__(self) -> None:
        self.closed = False

    def read(self, value: int) -> int:
        if value < 0:
            raise ValueError("negative")
        return value * 2

    def close(self) -> None:
        self.closed = True


def test_a_timed_port_times_each_call_as_its_stage_and_counts_failures() -> None:
    metrics = PrometheusMetrics()
    port = timed(Port(), "store", Telemetry(metrics))

    assert port.read(2) == 4
    with pytest.raises(ValueError):
        port.read(-1)
    port.close()  # lifecycle is not request work

    assert stage_count(metrics, "store") == 2
    assert sample(metrics, "philomath_stage_errors_total", stage="store") == 1


def test_with_telemetry_off_a_port_is_not_wrapped() -> None:
    port = Port()
    assert timed(port, "store", Telemetry()) is port
    assert not Telemetry(NullMetrics()).enabled
    assert Telemetry(PrometheusMetrics()).enabled


def test_the_consumer_reports_its_lag_and_the_kinds_it_applied(tmp_path: Path) -> None:
    stream = SqliteEventStream(tmp_path / "events.db")
    profiles = SqliteProfileStore(tmp_path / "profiles.db")
    catalog = SqliteTrackCatalog(tmp_path / "catalog.db")
    for port in (stream, profiles, catalog):
        port.ensure_schema()
    catalog.upsert_tracks([Track("t1", "One", "a1", "Artist", genre="pop")])
    occurred = datetime.fromtimestamp(NOW - 90, UTC)
    events = [
        PlaybackEvent(kind=kind, user_id="u1", track_id="t1", occurred_at=occurred)
        for kind in ("started", "skipped", "started", "finished")
    ]
    stream.publish(events)
    metrics = PrometheusMetrics()
    consumer = FeedbackConsumer(
        stream, profiles, catalog, InProcessCache(), metrics=metrics, clock=lambda: NOW
    )

    consumer.run_once()
    assert sample(metrics, "philomath_consumer_lag_seconds") == 90
    consumer.run_once()  # caught up: nothing to read

    assert sample(metrics, "philomath_consumer_lag_seconds") == 0
    assert sample(metrics, "philomath_consumer_last_pass_timestamp_seconds") == NOW
    kinds = {k: sample(metrics, "philomath_play_events_total", kind=k) for k in KINDS}
    assert kinds == {"started": 2, "skipped": 1, "finished": 1}
    for port in (stream, profiles, catalog):
        port.close()


KINDS = ("started", "skipped", "finished")
NOW = 1_800_000_000.0

_WORKER = """
import sys
from telemetry.prometheus import PrometheusMetrics
metrics = PrometheusMetrics()
for _ in range(int(sys.argv[1])):
    metrics.http_request("/alexa", "POST", 200, 0.01)
"""


def test_several_processes_report_one_merged_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Multiprocess mode: each worker process writes its values under the folder, and any
    process's exposition sums them all (what a scrape of ``serve --processes N`` sees)."""
    folder = tmp_path / "multiproc"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for count in (2, 3):
        subprocess.run([sys.executable, "-c", _WORKER, str(count)], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))

    text = PrometheusMetrics().exposition()[0].decode()

    assert 'philomath_http_requests_total{method="POST",route="/alexa",status="200"} 5.0' in text


def test_the_emf_line_and_prometheus_share_one_vocabulary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="philomath.metrics")
    LogSkillMetrics().observe("IntentRequest", "PlayMusicIntent", 0.05, failed=True)
    (record,) = caplog.records
    emf = record._aws["CloudWatchMetrics"][0]  # type: ignore[attr-defined]

    metric_names = {metric["Name"] for metric in emf["Metrics"]}
    assert metric_names == {names.SKILL_REQUESTS, names.SKILL_DURATION}
    dimensions = {name for group in emf["Dimensions"] for name in group}
    assert dimensions == set(names.LABELS[names.SKILL_REQUESTS])
    assert vars(record)["outcome"] == "failed" and vars(record)[names.SKILL_REQUESTS] == 1
