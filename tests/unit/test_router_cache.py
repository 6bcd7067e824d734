"""ListReader: the router's read-through cache, stampede protection and breakers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from recommender.serving.list_reader import CacheSettings, ListReader
from recommender.storage.cache import list_key, lock_key, profile_key
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import POPULAR_USER, RecommendationList
from tests.unit.router_fakes import DictProfiles, DictStore, SwitchCache, rlist


class SlowStore(DictStore):
    """A store whose reads take a while, so concurrent misses overlap."""

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        time.sleep(0.05)
        return super().get_list(user_id, context, snapshot=snapshot)


def test_concurrent_misses_read_the_store_once() -> None:
    store = SlowStore([rlist(POPULAR_USER, "all", "p1", "p2")])
    reader = ListReader(store, DictProfiles(), SwitchCache())
    start = threading.Barrier(16)

    def read(_: int) -> tuple[str, ...]:
        start.wait()
        found, degraded = reader.read_list("", POPULAR_USER, "all")
        assert found is not None and not degraded
        return found.track_ids

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(read, range(16)))

    assert answers == [("p1", "p2")] * 16
    assert store.reads == 1


def test_another_process_holding_the_lock_is_waited_for_then_read_around() -> None:
    store = DictStore([rlist("u1", "all", "t1")])
    cache = SwitchCache()
    reader = ListReader(store, DictProfiles(), cache, CacheSettings(lock_wait_s=0.05))
    key = list_key("", "u1", "all")
    cache.add(lock_key(key), b"1", 60)  # another process is loading it and died

    started = time.monotonic()
    found, _ = reader.read_list("", "u1", "all")

    assert found is not None and found.track_ids == ("t1",)
    assert store.reads == 1
    assert time.monotonic() - started >= 0.05  # it waited for the other loader first


def test_a_missing_list_is_cached_as_missing() -> None:
    store = DictStore()
    reader = ListReader(store, DictProfiles(), SwitchCache())
    assert reader.read_list("", "u1", "genre:jazz") == (None, frozenset())
    assert reader.read_list("", "u1", "genre:jazz") == (None, frozenset())
    assert store.reads == 1


def test_a_store_outage_is_not_cached() -> None:
    store = DictStore([rlist("u1", "all", "t1")])
    reader = ListReader(store, DictProfiles(), SwitchCache(), CacheSettings(retry_after_s=0.0))
    store.down = True
    assert reader.read_list("", "u1", "all") == (None, frozenset({"store"}))
    store.down = False
    found, degraded = reader.read_list("", "u1", "all")
    assert found is not None and not degraded


def test_profiles_are_cached_and_a_deleted_key_is_read_again() -> None:
    profiles = DictProfiles(UserProfile("u1", play_count=1))
    cache = SwitchCache()
    reader = ListReader(DictStore(), profiles, cache)
    assert reader.read_profile("u1")[0] == UserProfile("u1", play_count=1)
    profiles.profiles["u1"] = UserProfile("u1", play_count=2)
    assert reader.read_profile("u1")[0] == UserProfile("u1", play_count=1)  # cached
    cache.delete(profile_key("u1"))  # what the feedback consumer does
    assert reader.read_profile("u1")[0] == UserProfile("u1", play_count=2)
    assert profiles.reads == 2


def test_garbage_in_the_cache_is_dropped_and_the_store_read() -> None:
    cache = SwitchCache()
    cache.set(list_key("", "u1", "all"), b"{not json", 60)
    cache.set(profile_key("u1"), b"[1, 2", 60)
    store = DictStore([rlist("u1", "all", "t1")])
    reader = ListReader(store, DictProfiles(UserProfile("u1")), cache)
    found, _ = reader.read_list("", "u1", "all")
    assert found is not None and found.track_ids == ("t1",)
    assert reader.read_profile("u1") == (UserProfile("u1"), frozenset())
    assert cache.get(list_key("", "u1", "all")) is None
