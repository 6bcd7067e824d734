"""The ``QueueStore`` contract, run against every adapter: in memory, SQLite, Redis (real, on
127.0.0.1:6379) and DynamoDB (moto). Adapter-specific failure checks at the end.

Each adapter comes with a way to let time pass: a fake clock, or a real sleep for Redis
(whose expiry runs on the server's clock).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from playback.dynamodb_queue import DynamoDBQueueStore
from playback.errors import QueueUnavailable
from playback.memory_queue import MemoryQueueStore
from playback.queue import (
    DeviceQueue,
    QueueSettings,
    QueueStore,
    enqueued,
    new_queue,
    queue_key,
    with_loop,
)
from playback.redis_queue import RedisQueueStore
from playback.sqlite_queue import SqliteQueueStore
from tests.fakes import FakeClock

QueueStoreT = TypeVar("QueueStoreT", bound=QueueStore)

TTL_S = 60.0


@dataclass
class Harness:
    make: Callable[[float], Any]  # a store whose queues live this many seconds
    advance: Callable[[float], None]


@pytest.fixture(params=["memory", "sqlite", "redis", "dynamodb"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    built: list[Any] = []
    clock = FakeClock()

    def keep(store: QueueStoreT) -> QueueStoreT:
        built.append(store)
        store.ensure_schema()
        return store

    if request.param == "memory":
        yield Harness(lambda ttl: keep(MemoryQueueStore(ttl_s=ttl, clock=clock)), clock.advance)
    elif request.param == "sqlite":
        path = tmp_path / "queues.db"
        yield Harness(
            lambda ttl: keep(SqliteQueueStore(path, ttl_s=ttl, clock=clock)), clock.advance
        )
    elif request.param == "redis":
        url: str = request.getfixturevalue("redis_url")

        def make_redis(ttl: float) -> RedisQueueStore:
            return keep(RedisQueueStore(redis.Redis.from_url(url, socket_timeout=2), ttl_s=ttl))

        # Expiry runs on the server's clock: real seconds, kept short.
        yield Harness(make_redis, time.sleep)
    else:
        client = request.getfixturevalue("dynamodb")
        yield Harness(
            lambda ttl: keep(DynamoDBQueueStore(client, "queues", ttl_s=ttl, clock=clock)),
            clock.advance,
        )
    for store in built:
        store.close()


def a_queue(device: str = "dev-1", user: str = "amzn1.ask.account.x") -> DeviceQueue:
    queue = new_queue(
        queue_key(user, device),
        ["t-1", "t-2", "t-3"],
        "t1.aa.t-1",
        request=[("mood", "relaxing")],
    )
    return enqueued(with_loop(queue, True), 1, "t1.bb.t-2")


def test_a_queue_never_saved_loads_as_none(harness: Harness) -> None:
    assert harness.make(TTL_S).load(queue_key("nobody", None)) is None


def test_save_then_load_round_trips_every_field(harness: Harness) -> None:
    store = harness.make(TTL_S)
    saved = store.save(a_queue())
    assert saved == replace(a_queue(), version=1)
    assert store.load(a_queue().key) == saved


def test_load_settings_reads_the_version_loop_and_shuffle_of_a_live_queue(
    harness: Harness,
) -> None:
    store = harness.make(1.0)  # DynamoDB keeps whole seconds
    assert store.load_settings(a_queue().key) is None
    first = store.save(a_queue())  # loop on, shuffle off
    assert store.load_settings(a_queue().key) == QueueSettings(version=1, loop=True, shuffle=False)
    store.save(replace(first, loop=False, shuffle=True))
    assert store.load_settings(a_queue().key) == QueueSettings(version=2, loop=False, shuffle=True)
    harness.advance(2.2)
    assert store.load_settings(a_queue().key) is None  # expired, as load says


def test_each_save_bumps_the_version(harness: Harness) -> None:
    store = harness.make(TTL_S)
    first = store.save(a_queue())
    second = store.save(replace(first, offset_ms=42_000))
    assert second is not None and second.version == 2
    loaded = store.load(a_queue().key)
    assert loaded is not None and (loaded.version, loaded.offset_ms) == (2, 42_000)


def test_a_save_from_a_stale_version_loses_and_writes_nothing(harness: Harness) -> None:
    store = harness.make(TTL_S)
    first = store.save(a_queue())
    assert store.save(replace(first, offset_ms=1)) is not None
    assert store.save(replace(first, offset_ms=2)) is None  # still version 1: stale
    assert store.save(a_queue()) is None  # version 0 when one exists: stale too
    loaded = store.load(a_queue().key)
    assert loaded is not None and loaded.offset_ms == 1


def test_a_save_of_a_version_never_stored_loses(harness: Harness) -> None:
    store = harness.make(TTL_S)
    assert store.save(replace(a_queue(), version=3)) is None  # nothing stored: version 0
    assert store.load(a_queue().key) is None
    store.save(a_queue())
    assert store.save(replace(a_queue(), version=3)) is None  # stored at version 1
    loaded = store.load(a_queue().key)
    assert loaded is not None and loaded.version == 1


def test_of_concurrent_saves_of_one_version_exactly_one_wins(harness: Harness) -> None:
    store = harness.make(TTL_S)
    base = store.save(a_queue())
    results: list[DeviceQueue | None] = []
    barrier = threading.Barrier(6)

    def save(offset: int) -> None:
        barrier.wait()
        results.append(store.save(replace(base, offset_ms=offset)))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert store.load(a_queue().key) == winners[0]


def test_queues_of_different_devices_are_separate(harness: Harness) -> None:
    store = harness.make(TTL_S)
    store.save(a_queue("kitchen"))
    assert store.load(a_queue("bedroom").key) is None
    store.delete(a_queue("kitchen").key)
    assert store.load(a_queue("kitchen").key) is None
    store.delete(a_queue("kitchen").key)  # deleting nothing is fine


def test_queues_expire_and_an_expired_one_counts_as_absent(harness: Harness) -> None:
    store = harness.make(0.5)
    store.save(a_queue())
    harness.advance(1.2)
    assert store.load(a_queue().key) is None
    assert store.save(a_queue()) is not None  # version 0 again


def test_forget_deletes_every_queue_of_a_listener_and_no_other(harness: Harness) -> None:
    store = harness.make(TTL_S)
    gone = "lsn-forget-" + uuid.uuid4().hex  # Redis keeps keys between tests
    kept = "lsn-keep-" + uuid.uuid4().hex
    for device in ("kitchen", "bedroom", "car"):
        store.save(a_queue(device, gone))
    store.save(a_queue("kitchen", kept))
    assert store.forget(gone) == 3
    for device in ("kitchen", "bedroom", "car"):
        assert store.load(a_queue(device, gone).key) is None
    assert store.load(a_queue("kitchen", kept).key) is not None
    assert store.forget(gone) == 0


# -- adapter specific ----------------------------------------------------------------------


def test_sqlite_on_an_unusable_path_raises_queue_unavailable(unusable_sqlite_path: Path) -> None:
    store = SqliteQueueStore(unusable_sqlite_path)
    with pytest.raises(QueueUnavailable):
        store.ensure_schema()
        store.load("k")
    store.close()


def test_redis_down_raises_queue_unavailable() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    store = RedisQueueStore(client)
    with pytest.raises(QueueUnavailable):
        store.load("k")
    with pytest.raises(QueueUnavailable):
        store.load_settings("k")
    with pytest.raises(QueueUnavailable):
        store.save(a_queue())


def test_dynamodb_down_raises_queue_unavailable(unreachable_dynamodb: Any) -> None:
    store = DynamoDBQueueStore(unreachable_dynamodb, "queues")
    with pytest.raises(QueueUnavailable):
        store.load("k")
    with pytest.raises(QueueUnavailable):
        store.load_settings("k")
    with pytest.raises(QueueUnavailable):
        store.save(a_queue())


def test_a_corrupt_stored_queue_raises_queue_unavailable(tmp_path: Path) -> None:
    store = SqliteQueueStore(tmp_path / "q.db")
    store.ensure_schema()
    store.save(a_queue())
    with store._db.writing("corrupt") as conn:  # noqa: SLF001 - the test reaches in on purpose
        conn.execute("UPDATE device_queues SET body = '{\"tracks\": 7}'")
    with pytest.raises(QueueUnavailable):
        store.load(a_queue().key)
    # Only the settings are read for a play that replaces the queue: a record with readable
    # settings gives them (the play then heals the queue); one that is not JSON fails.
    assert store.load_settings(a_queue().key) == QueueSettings(version=1, loop=False, shuffle=False)
    with store._db.writing("corrupt") as conn:  # noqa: SLF001 - the test reaches in on purpose
        conn.execute("UPDATE device_queues SET body = 'not json'")
    with pytest.raises(QueueUnavailable):
        store.load_settings(a_queue().key)
    store.close()
