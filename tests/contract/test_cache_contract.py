"""The ``Cache`` contract, run against every adapter; adapter-specific checks at the end.

Each adapter comes with a way to let time pass: a fake clock for the in-process cache, a
real sleep for Redis (whose expiry runs on the server's clock).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from recommender.errors import CacheUnavailable
from recommender.storage.cache import Cache, list_key, lock_key
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.redis_cache import RedisCache
from recommender.storage.shared_memory_cache import SharedMemoryCache, SqliteDeleteLog
from tests.fakes import FakeClock


@dataclass
class Harness:
    cache: Cache
    advance: Callable[[float], None]  # let this many seconds pass for the cache


@pytest.fixture(params=["memory", "shared-memory", "redis"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param in ("memory", "shared-memory"):
        clock = FakeClock()
        local = InProcessCache(max_items=100, clock=clock)
        cache: Cache = local
        if request.param == "shared-memory":
            cache = SharedMemoryCache(local, SqliteDeleteLog(tmp_path / "deletes.db"), clock=clock)
        yield Harness(cache, clock.advance)
        cache.close()
        return
    url: str = request.getfixturevalue("redis_url")
    redis_cache = RedisCache(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
    yield Harness(redis_cache, time.sleep)
    redis_cache.close()


# -- the contract -------------------------------------------------------------------------


def test_get_of_a_key_never_set_is_none(harness: Harness) -> None:
    assert harness.cache.get("never-set") is None


def test_set_then_get_returns_the_value(harness: Harness) -> None:
    harness.cache.set("k", b"value", ttl_s=60)
    assert harness.cache.get("k") == b"value"


def test_set_overwrites_the_previous_value(harness: Harness) -> None:
    harness.cache.set("k", b"old", ttl_s=60)
    harness.cache.set("k", b"new", ttl_s=60)
    assert harness.cache.get("k") == b"new"


def test_keys_are_independent(harness: Harness) -> None:
    harness.cache.set("a", b"1", ttl_s=60)
    harness.cache.set("b", b"2", ttl_s=60)
    harness.cache.delete("a")
    assert harness.cache.get("a") is None
    assert harness.cache.get("b") == b"2"


def test_binary_values_round_trip_byte_for_byte(harness: Harness) -> None:
    every_byte = bytes(range(256)) * 4
    harness.cache.set("bin", every_byte, ttl_s=60)
    harness.cache.set("utf8-lookalike", b"\xc3\x28\x00\xff", ttl_s=60)
    assert harness.cache.get("bin") == every_byte
    assert harness.cache.get("utf8-lookalike") == b"\xc3\x28\x00\xff"


def test_empty_value_is_a_hit_not_a_miss(harness: Harness) -> None:
    harness.cache.set("empty", b"", ttl_s=60)
    assert harness.cache.get("empty") == b""


def test_large_value_round_trips(harness: Harness) -> None:
    value = bytes(range(256)) * 4096  # 1 MiB
    harness.cache.set("big", value, ttl_s=60)
    assert harness.cache.get("big") == value


def test_unicode_keys_are_distinct(harness: Harness) -> None:
    harness.cache.set("chart:ünïcode", b"1", ttl_s=60)
    harness.cache.set("chart:unicode", b"2", ttl_s=60)
    assert harness.cache.get("chart:ünïcode") == b"1"
    assert harness.cache.get("chart:unicode") == b"2"


def test_delete_removes_the_key(harness: Harness) -> None:
    harness.cache.set("k", b"v", ttl_s=60)
    harness.cache.delete("k")
    assert harness.cache.get("k") is None


def test_delete_of_a_missing_key_is_a_no_op(harness: Harness) -> None:
    harness.cache.delete("never-set")
    harness.cache.delete("never-set")
    assert harness.cache.get("never-set") is None


def test_value_is_kept_before_its_ttl(harness: Harness) -> None:
    harness.cache.set("k", b"v", ttl_s=30)
    harness.advance(0.1)
    assert harness.cache.get("k") == b"v"


def test_value_expires_after_its_ttl(harness: Harness) -> None:
    harness.cache.set("short", b"v", ttl_s=0.2)
    harness.cache.set("long", b"v", ttl_s=30)
    harness.advance(0.35)
    assert harness.cache.get("short") is None
    assert harness.cache.get("long") == b"v"


def test_set_renews_the_ttl(harness: Harness) -> None:
    harness.cache.set("k", b"v1", ttl_s=0.2)
    harness.cache.set("k", b"v2", ttl_s=30)
    harness.advance(0.35)
    assert harness.cache.get("k") == b"v2"


def test_an_expired_key_can_be_set_again(harness: Harness) -> None:
    harness.cache.set("k", b"v1", ttl_s=0.2)
    harness.advance(0.35)
    assert harness.cache.get("k") is None
    harness.cache.set("k", b"v2", ttl_s=30)
    assert harness.cache.get("k") == b"v2"


@pytest.mark.parametrize("ttl_s", [0.0, -1.0, float("nan"), float("inf")])
def test_a_ttl_that_is_not_a_finite_positive_number_is_refused(
    harness: Harness, ttl_s: float
) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        harness.cache.set("k", b"v", ttl_s=ttl_s)
    assert harness.cache.get("k") is None


def test_concurrent_use_from_threads(harness: Harness) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                key = f"t{n}:{i % 5}"
                harness.cache.set(key, f"{n}:{i}".encode(), ttl_s=60)
                assert harness.cache.get(key) is not None
                harness.cache.delete(f"t{n}:{(i + 1) % 5}")
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Each worker's last write (i = 49 -> key 4) survived; its last delete removed key 0.
    for n in range(8):
        assert harness.cache.get(f"t{n}:4") == f"{n}:49".encode()
        assert harness.cache.get(f"t{n}:0") is None


def test_add_stores_only_when_the_key_is_absent(harness: Harness) -> None:
    assert harness.cache.add("lock", b"first", ttl_s=60) is True
    assert harness.cache.add("lock", b"second", ttl_s=60) is False
    assert harness.cache.get("lock") == b"first"
    harness.cache.delete("lock")
    assert harness.cache.add("lock", b"third", ttl_s=60) is True
    assert harness.cache.get("lock") == b"third"


def test_add_succeeds_again_once_the_key_expired(harness: Harness) -> None:
    assert harness.cache.add("lock", b"a", ttl_s=0.2) is True
    harness.advance(0.3)
    assert harness.cache.add("lock", b"b", ttl_s=60) is True
    assert harness.cache.get("lock") == b"b"


def test_add_refuses_a_bad_ttl(harness: Harness) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        harness.cache.add("k", b"v", ttl_s=0.0)
    assert harness.cache.get("k") is None


def test_exactly_one_of_many_racing_adds_wins(harness: Harness) -> None:
    start = threading.Barrier(8)
    wins: list[int] = []

    def racer(n: int) -> None:
        start.wait()
        if harness.cache.add("race", str(n).encode(), ttl_s=60):
            wins.append(n)

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    assert harness.cache.get("race") == str(wins[0]).encode()


# -- InProcessCache -----------------------------------------------------------------------


def test_in_process_evicts_the_least_recently_used_entry() -> None:
    cache = InProcessCache(max_items=3, clock=FakeClock())
    for key in ("a", "b", "c"):
        cache.set(key, key.encode(), ttl_s=60)
    assert cache.get("a") == b"a"  # a is now the most recently used; b the least
    cache.set("d", b"d", ttl_s=60)
    assert cache.get("b") is None
    assert [cache.get(key) for key in ("a", "c", "d")] == [b"a", b"c", b"d"]


def test_in_process_overwrite_does_not_evict_and_refreshes_recency() -> None:
    cache = InProcessCache(max_items=2, clock=FakeClock())
    cache.set("a", b"1", ttl_s=60)
    cache.set("b", b"2", ttl_s=60)
    cache.set("a", b"3", ttl_s=60)  # a becomes most recent, nothing evicted
    assert cache.get("b") == b"2"  # now b is most recent
    cache.set("c", b"4", ttl_s=60)
    assert cache.get("a") is None
    assert cache.get("b") == b"2"
    assert cache.get("c") == b"4"


def test_in_process_expiry_is_exact_on_the_injected_clock() -> None:
    clock = FakeClock()
    cache = InProcessCache(clock=clock)
    cache.set("k", b"v", ttl_s=10)
    clock.advance(9.999)
    assert cache.get("k") == b"v"
    clock.advance(0.001)
    assert cache.get("k") is None


def test_in_process_keeps_its_own_copy_of_a_mutable_value() -> None:
    cache = InProcessCache(clock=FakeClock())
    buffer = bytearray(b"abc")
    cache.set("k", buffer, ttl_s=60)  # type: ignore[arg-type]  # callers may pass bytearray
    buffer[0] = ord("X")
    assert cache.get("k") == b"abc"


def test_in_process_refuses_a_capacity_below_one() -> None:
    with pytest.raises(ValueError, match="max_items"):
        InProcessCache(max_items=0)


def test_in_process_constructor_does_not_read_the_clock() -> None:
    def clock() -> float:
        raise AssertionError("the clock was read in the constructor")

    InProcessCache(clock=clock)


# -- SharedMemoryCache: one copy per process, deletes shared -------------------------------


def _process_copies(path: Path, clock: FakeClock, n: int = 2) -> list[SharedMemoryCache]:
    """What ``n`` processes would hold: each its own LRU and its own handle on the log."""
    return [
        SharedMemoryCache(InProcessCache(clock=clock), SqliteDeleteLog(path), clock=clock)
        for _ in range(n)
    ]


def test_shared_memory_delete_reaches_the_other_processes_copies(tmp_path: Path) -> None:
    clock = FakeClock()
    consumer, worker = _process_copies(tmp_path / "deletes.db", clock)
    worker.set("profile:usr-1", b"old", ttl_s=60)
    consumer.delete("profile:usr-1")
    assert worker.get("profile:usr-1") == b"old"  # within the poll interval
    clock.advance(0.5)
    assert worker.get("profile:usr-1") is None
    worker.set("profile:usr-1", b"new", ttl_s=60)
    clock.advance(0.5)
    assert worker.get("profile:usr-1") == b"new"  # a delete is applied once, not again


def test_shared_memory_releasing_a_load_lock_writes_nothing_to_the_log(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "deletes.db"
    (worker,) = _process_copies(path, clock, 1)
    lock = lock_key(list_key("snap", "usr-1", "all"))
    assert worker.add(lock, b"1", ttl_s=5)
    worker.delete(lock)
    assert worker.add(lock, b"1", ttl_s=5)  # released here
    assert SqliteDeleteLog(path).head() == 0  # a miss costs no write to the shared file


def test_shared_memory_sets_stay_in_their_process(tmp_path: Path) -> None:
    clock = FakeClock()
    one, two = _process_copies(tmp_path / "deletes.db", clock)
    one.set("k", b"v", ttl_s=60)
    clock.advance(1)
    assert two.get("k") is None


def test_shared_memory_a_new_process_does_not_replay_old_deletes(tmp_path: Path) -> None:
    clock = FakeClock()
    (old,) = _process_copies(tmp_path / "deletes.db", clock, 1)
    old.delete("k")
    (new,) = _process_copies(tmp_path / "deletes.db", clock, 1)
    new.set("k", b"fresh", ttl_s=60)
    clock.advance(1)
    assert new.get("k") == b"fresh"


def test_shared_memory_behind_a_trimmed_log_drops_its_whole_copy(tmp_path: Path) -> None:
    clock, wall = FakeClock(), FakeClock()
    path = tmp_path / "deletes.db"
    worker = SharedMemoryCache(InProcessCache(clock=clock), SqliteDeleteLog(path), clock=clock)
    worker.set("unrelated", b"v", ttl_s=600)
    writer = SqliteDeleteLog(path, keep_s=10, clock=wall)
    writer.append("missed")
    wall.advance(60)
    writer.append("seen")  # trims "missed" before the worker read it
    clock.advance(1)
    assert worker.get("unrelated") is None  # it cannot know what it missed


def test_shared_memory_with_an_unreadable_log_drops_its_copy(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "deletes.db"
    worker = SharedMemoryCache(InProcessCache(clock=clock), SqliteDeleteLog(path), clock=clock)
    worker.set("k", b"v", ttl_s=600)
    path.unlink()
    (tmp_path / "deletes.db-wal").unlink(missing_ok=True)
    path.mkdir()  # now a folder: SQLite cannot open it
    worker._log.close()  # noqa: SLF001  # reopen on next use, as after a restart of the file
    clock.advance(1)
    assert worker.get("k") is None


# -- RedisCache ---------------------------------------------------------------------------


def test_redis_keys_carry_the_prefix(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    one, two = RedisCache(client, prefix="one:"), RedisCache(client, prefix="two:")
    one.set("k", b"from-one", ttl_s=60)
    two.set("k", b"from-two", ttl_s=60)
    assert client.get("one:k") == b"from-one"
    assert one.get("k") == b"from-one"
    assert two.get("k") == b"from-two"
    pttl = client.pttl("one:k")
    assert isinstance(pttl, int) and 59_000 < pttl <= 60_000
    client.close()


def test_redis_a_sub_millisecond_ttl_still_stores(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    cache = RedisCache(client)
    cache.set("k", b"v", ttl_s=0.0001)  # rounded up to 1 ms, not PX 0 (which Redis refuses)
    cache.close()


def test_redis_refuses_a_decoding_client(redis_url: str) -> None:
    with pytest.raises(ValueError, match="decode_responses"):
        RedisCache(redis.Redis.from_url(redis_url, decode_responses=True))


def test_redis_constructor_does_no_io() -> None:
    RedisCache(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1))


# One attempt per command, so a test sees the first failure instead of waiting out retries.
_NO_RETRY = Retry(NoBackoff(), retries=0)


def _assert_every_call_is_unavailable(cache: RedisCache) -> None:
    calls: list[Callable[[], object]] = [
        lambda: cache.get("k"),
        lambda: cache.set("k", b"v", ttl_s=1),
        lambda: cache.add("k", b"v", ttl_s=1),
        lambda: cache.delete("k"),
    ]
    for call in calls:
        with pytest.raises(CacheUnavailable) as caught:
            call()
        assert isinstance(caught.value.__cause__, redis.RedisError)


def test_redis_down_raises_cache_unavailable() -> None:
    # Port 1 on localhost: nothing listens, the connection is refused at once.
    client = redis.Redis(
        host="127.0.0.1", port=1, socket_timeout=0.1, socket_connect_timeout=0.1, retry=_NO_RETRY
    )
    _assert_every_call_is_unavailable(RedisCache(client))


def test_redis_that_never_answers_raises_cache_unavailable() -> None:
    # A socket that accepts connections (the kernel's backlog does) but never replies.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        client = redis.Redis(
            host="127.0.0.1",
            port=port,
            socket_timeout=0.1,
            socket_connect_timeout=0.1,
            retry=_NO_RETRY,
        )
        started = time.monotonic()
        _assert_every_call_is_unavailable(RedisCache(client))
        assert time.monotonic() - started < 5  # the timeouts were honoured
