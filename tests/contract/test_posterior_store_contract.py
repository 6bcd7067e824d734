"""The ``PosteriorStore`` contract, run against every adapter (SQLite, Redis, DynamoDB on
moto)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from recommender.errors import PosteriorStoreUnavailable
from recommender.feedback.bandit_feedback import decaying_fold
from recommender.storage.dynamodb_posteriors import DynamoDBPosteriorStore
from recommender.storage.posteriors import Evidence, Posterior, PosteriorStore
from recommender.storage.redis_posteriors import RedisPosteriorStore
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore

NOW = 1_800_000_000.0
DAY = 86_400.0
FOLD = decaying_fold(half_life_days=7)


@pytest.fixture(params=["sqlite", "redis", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PosteriorStore]:
    built: PosteriorStore
    if request.param == "sqlite":
        built = SqlitePosteriorStore(tmp_path / "bandit.db")
    elif request.param == "dynamodb":
        built = DynamoDBPosteriorStore(request.getfixturevalue("dynamodb"), "bandit")
    else:
        url: str = request.getfixturevalue("redis_url")
        built = RedisPosteriorStore(redis.Redis.from_url(url, socket_timeout=2))
    built.ensure_schema()
    built.ensure_schema()  # idempotent
    yield built
    built.close()


def hit(event_id: str, track: str = "t1", context: str = "popular|||", at: float = NOW) -> Evidence:
    return Evidence(event_id, context, track, 1.0, 0.0, at)


def miss(
    event_id: str, track: str = "t1", context: str = "popular|||", at: float = NOW
) -> Evidence:
    return Evidence(event_id, context, track, 0.0, 1.0, at)


def test_nothing_recorded_reads_nothing(store: PosteriorStore) -> None:
    assert store.read("popular|||", ["t1", "t2"]) == {}
    assert store.read("popular|||", []) == {}


def test_evidence_updates_its_arm_only(store: PosteriorStore) -> None:
    assert store.record([hit("e1"), hit("e2"), miss("e3"), miss("e4", track="t2")], FOLD) == 4
    found = store.read("popular|||", ["t1", "t2", "t3"])
    assert found == {"t1": Posterior(3, 2, NOW), "t2": Posterior(1, 2, NOW)}
    assert store.read("personalized|||", ["t1"]) == {}  # another context, another arm


def test_a_redelivered_event_counts_once(store: PosteriorStore) -> None:
    assert store.record([hit("e1"), miss("e2")], FOLD) == 2
    assert store.record([hit("e1"), miss("e2"), hit("e3")], FOLD) == 1
    assert store.read("popular|||", ["t1"])["t1"] == Posterior(3, 2, NOW)


def test_old_evidence_fades_on_update(store: PosteriorStore) -> None:
    store.record([hit("e1"), hit("e2")], FOLD)  # Beta(3, 1)
    store.record([miss("e3", at=NOW + 7 * DAY)], FOLD)  # halved to Beta(2, 1), then a miss
    posterior = store.read("popular|||", ["t1"])["t1"]
    assert (posterior.alpha, posterior.beta, posterior.updated_at) == pytest.approx(
        (2.0, 2.0, NOW + 7 * DAY)
    )


def test_concurrent_writers_lose_no_evidence(store: PosteriorStore) -> None:
    def write(worker: int) -> None:
        for i in range(20):
            store.record([hit(f"w{worker}-{i}")], FOLD)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("popular|||", ["t1"])["t1"].alpha == pytest.approx(81)


# -- unavailable ----------------------------------------------------------------------------


def test_an_unreachable_redis_raises_unavailable() -> None:
    client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    store = RedisPosteriorStore(client)
    with pytest.raises(PosteriorStoreUnavailable):
        store.read("popular|||", ["t1"])
    with pytest.raises(PosteriorStoreUnavailable):
        store.record([hit("e1")], FOLD)


def test_an_unusable_sqlite_file_raises_unavailable(tmp_path: Path) -> None:
    store = SqlitePosteriorStore(tmp_path / "missing-dir" / "bandit.db")
    with pytest.raises(PosteriorStoreUnavailable):
        store.read("popular|||", ["t1"])


def test_an_unreachable_dynamodb_raises_unavailable(unreachable_dynamodb: Any) -> None:
    store = DynamoDBPosteriorStore(unreachable_dynamodb, "bandit")
    with pytest.raises(PosteriorStoreUnavailable):
        store.read("popular|||", ["t1"])
    with pytest.raises(PosteriorStoreUnavailable):
        store.record([hit("e1")], FOLD)
