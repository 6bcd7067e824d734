"""The router's path choice and its degradation when backends fail (pure, no services)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from recommender.errors import CacheUnavailable, ProfileStoreUnavailable, StoreUnavailable
from recommender.profiles import UserProfile
from recommender.router import RecommendationRequest, Router
from recommender.store import POPULAR_USER, RecommendationList


class DictStore:
    def __init__(self, lists: Iterable[RecommendationList]) -> None:
        self.lists = {(rl.user_id, rl.context): rl for rl in lists}
        self.down = False
        self.reads = 0

    def ensure_schema(self) -> None: ...

    def put_lists(self, lists: Iterable[RecommendationList]) -> int:
        raise NotImplementedError

    def get_list(self, user_id: str, context: str = "all") -> RecommendationList | None:
        self.reads += 1
        if self.down:
            raise StoreUnavailable("down")
        return self.lists.get((user_id, context))

    def close(self) -> None: ...


class DictProfiles:
    def __init__(self, *profiles: UserProfile) -> None:
        self.profiles = {p.user_id: p for p in profiles}
        self.down = False

    def ensure_schema(self) -> None: ...

    def get(self, user_id: str) -> UserProfile | None:
        if self.down:
            raise ProfileStoreUnavailable("down")
        return self.profiles.get(user_id)

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        raise NotImplementedError

    def close(self) -> None: ...


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def get(self, key: str) -> bytes | None:
        if self.down:
            raise CacheUnavailable("down")
        return self.data.get(key)

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        if self.down:
            raise CacheUnavailable("down")
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def close(self) -> None: ...


def _list(user: str, context: str, *tracks: str) -> RecommendationList:
    return RecommendationList(
        user, context, "popularity.v1", tracks, tuple(1.0 for _ in tracks), 0.0
    )


@pytest.fixture
def parts() -> tuple[DictStore, DictProfiles, DictCache]:
    store = DictStore(
        [
            _list("heavy", "all", "t1", "t2", "t3"),
            _list(POPULAR_USER, "all", "p1", "p2", "p3"),
            _list(POPULAR_USER, "mood:relaxing", "r1", "r2"),
        ]
    )
    profiles = DictProfiles(
        UserProfile("heavy", play_count=50, recent_track_ids=("t2",)),
        UserProfile("light", play_count=1),
    )
    return store, profiles, DictCache()


def _router(parts: tuple[DictStore, DictProfiles, DictCache]) -> Router:
    return Router(*parts, cache_ttl_s=60)


def test_known_listener_gets_own_list_minus_recent_plays(parts) -> None:  # type: ignore[no-untyped-def]
    answer = _router(parts).recommend(RecommendationRequest("heavy", n=5))
    assert answer.path == "personalized"
    assert answer.track_ids == ("t1", "t3")
    assert not answer.degraded


def test_new_and_light_listeners_go_to_cold_start(parts) -> None:  # type: ignore[no-untyped-def]
    router = _router(parts)
    for user in ("nobody", "light"):
        answer = router.recommend(RecommendationRequest(user, n=2))
        assert answer.path == "cold_start"
        assert answer.track_ids == ("p1", "p2")


def test_popular_request_takes_the_popular_path(parts) -> None:  # type: ignore[no-untyped-def]
    answer = _router(parts).recommend(RecommendationRequest("heavy", popular=True))
    assert answer.path == "popular"
    assert answer.track_ids[0] == "p1"


def test_mood_request_without_personal_list_uses_mood_chart(parts) -> None:  # type: ignore[no-untyped-def]
    answer = _router(parts).recommend(RecommendationRequest("heavy", mood="Relaxing"))
    assert answer.path == "popular"
    assert answer.track_ids == ("r1", "r2")
    assert "relaxing" in answer.reason.lower()


def test_exclusions_are_applied(parts) -> None:  # type: ignore[no-untyped-def]
    answer = _router(parts).recommend(RecommendationRequest("nobody", exclude=frozenset({"p1"})))
    assert answer.track_ids == ("p2", "p3")


def test_second_read_is_served_from_cache(parts) -> None:  # type: ignore[no-untyped-def]
    store = parts[0]
    router = _router(parts)
    router.recommend(RecommendationRequest("heavy"))
    reads = store.reads
    router.recommend(RecommendationRequest("heavy"))
    assert store.reads == reads


def test_cache_down_reads_store_and_says_degraded(parts) -> None:  # type: ignore[no-untyped-def]
    parts[2].down = True
    answer = _router(parts).recommend(RecommendationRequest("heavy"))
    assert answer.track_ids == ("t1", "t3")
    assert answer.degraded


def test_store_down_serves_last_known_chart(parts) -> None:  # type: ignore[no-untyped-def]
    store, profiles, cache = parts
    router = _router(parts)
    router.recommend(RecommendationRequest("nobody"))  # warms the in-memory chart
    cache.data.clear()
    store.down = True
    answer = router.recommend(RecommendationRequest("nobody-else"))
    assert answer.path == "fallback"
    assert answer.degraded
    assert answer.track_ids == ("p1", "p2", "p3")


def test_everything_down_still_answers(parts) -> None:  # type: ignore[no-untyped-def]
    store, profiles, cache = parts
    store.down = profiles.down = cache.down = True
    answer = _router(parts).recommend(RecommendationRequest("heavy"))
    assert answer.track_ids == ()
    assert answer.degraded and answer.path == "fallback"
