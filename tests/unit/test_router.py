"""The router: path choice, session adjustment, filters, fallback chain and degradation.

In-memory ports (``router_fakes``) with outage switches; no services.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from recommender.serving.router import (
    RecommendationRequest,
    Router,
    RouterConfig,
    parse_fallback_chain,
)
from recommender.storage.profiles import RecentEvent, UserProfile
from recommender.storage.recommendations import NEW_TRACKS_CONTEXT, POPULAR_USER, SnapshotPointer
from tests.unit.router_fakes import DictCatalog, DictProfiles, DictStore, SwitchCache, rlist, track

NOW = 1_800_000_000.0
JAZZ = tuple(f"j{i}" for i in range(1, 7))
ROCK = tuple(f"r{i}" for i in range(1, 7))


@dataclass
class Parts:
    store: DictStore
    profiles: DictProfiles
    cache: SwitchCache
    catalog: DictCatalog

    def router(self, config: RouterConfig | None = None, *, catalog: bool = True) -> Router:
        return Router(
            self.store,
            self.profiles,
            self.cache,
            catalog=self.catalog if catalog else None,  # type: ignore[arg-type]
            config=config,
            clock=lambda: NOW,
        )


@pytest.fixture
def parts() -> Parts:
    store = DictStore(
        [
            rlist("heavy", "all", "t1", "t2", "t3"),
            rlist("fan", "all", *[t for pair in zip(JAZZ, ROCK, strict=True) for t in pair]),
            rlist(POPULAR_USER, "all", "p1", "p2", "p3"),
            rlist(POPULAR_USER, "mood:relaxing", "x1", "x2"),
            rlist(POPULAR_USER, "genre:jazz", *JAZZ),
            rlist(POPULAR_USER, "region:de", "p3"),
        ]
    )
    profiles = DictProfiles(
        UserProfile("heavy", play_count=50, recent_track_ids=("t2",)),
        UserProfile("light", play_count=1),
        UserProfile("fan", play_count=80, genre_affinity={"jazz": 0.5, "rock": 0.4}),
    )
    tracks = {t.track_id: t for t in (
        *(track(t, "jazz", "relaxing") for t in JAZZ),
        *(track(t, "rock", "energetic") for t in ROCK),
        track("t1", "pop"), track("t2", "pop"), track("t3", "pop"),
        track("p1", "pop"), track("p2", "pop"), track("p3", "folk"),
        track("x1", "ambient", "relaxing"), track("x2", "folk", "relaxing"),
    )}  # fmt: skip
    return Parts(store, profiles, SwitchCache(), DictCatalog(tracks))


def skips(*track_ids: str, genre: str, at: float = NOW - 60) -> tuple[RecentEvent, ...]:
    return tuple(RecentEvent(t, "skipped", at, genre) for t in track_ids)


# -- paths ---------------------------------------------------------------------------------


def test_known_listener_gets_own_list_minus_recent_plays(parts: Parts) -> None:
    answer = parts.router().recommend(RecommendationRequest("heavy", n=5))
    assert answer.path == "personalized"
    assert answer.track_ids[:2] == ("t1", "t3")
    assert answer.reason and not answer.degraded


def test_new_and_light_listeners_go_to_cold_start(parts: Parts) -> None:
    router = parts.router()
    for user in ("nobody", "light"):
        answer = router.recommend(RecommendationRequest(user, n=2))
        assert answer.path == "cold_start"
        assert answer.track_ids == ("p1", "p2")
        assert answer.reason == "popular tracks right now"


def test_popular_request_takes_the_popular_path_even_for_a_known_listener(parts: Parts) -> None:
    answer = parts.router().recommend(RecommendationRequest("heavy", popular=True))
    assert answer.path == "popular"
    assert answer.track_ids[0] == "p1"


def test_mood_request_narrows_the_listeners_own_list_to_the_mood(parts: Parts) -> None:
    answer = parts.router().recommend(RecommendationRequest("fan", mood="relaxing", n=3))
    assert answer.path == "personalized"
    assert answer.track_ids == JAZZ[:3]  # fan's list has no relaxing rock
    assert answer.reason == "relaxing picks based on what you listen to"


def test_mood_request_without_a_catalog_uses_the_mood_chart(parts: Parts) -> None:
    answer = parts.router(catalog=False).recommend(RecommendationRequest("heavy", mood="Relaxing"))
    assert answer.path == "popular"
    assert answer.track_ids == ("x1", "x2")
    assert "relaxing" in answer.reason.lower()


def test_a_short_list_is_filled_up_from_the_fallback_chain(parts: Parts) -> None:
    answer = parts.router().recommend(RecommendationRequest("heavy", n=5))
    assert answer.track_ids == ("t1", "t3", "p1", "p2", "p3")
    assert answer.path == "personalized" and answer.steps == ("personalized", "popular")


def test_exclusions_are_applied(parts: Parts) -> None:
    answer = parts.router().recommend(RecommendationRequest("nobody", exclude=frozenset({"p1"})))
    assert answer.track_ids == ("p2", "p3")


# -- session and filters ---------------------------------------------------------------------


def test_three_skips_of_a_genre_in_the_session_block_it(parts: Parts) -> None:
    fan = parts.profiles.profiles["fan"]
    parts.profiles.profiles["fan"] = UserProfile(
        "fan",
        play_count=83,
        genre_affinity=fan.genre_affinity,
        recent_events=skips(*JAZZ[:3], genre="jazz"),
    )
    answer = parts.router().recommend(RecommendationRequest("fan", n=8))
    assert answer.track_ids and not set(answer.track_ids) & set(JAZZ)
    assert answer.track_ids[:3] == ROCK[:3]


def test_two_skips_sink_a_genre_without_blocking_it(parts: Parts) -> None:
    parts.profiles.profiles["fan"] = UserProfile(
        "fan", play_count=82, recent_events=skips(*JAZZ[:2], genre="jazz")
    )
    answer = parts.router().recommend(RecommendationRequest("fan", n=12))
    ranks = {t: i for i, t in enumerate(answer.track_ids)}
    assert ranks[ROCK[0]] < ranks[JAZZ[2]]
    assert set(JAZZ[2:]) <= set(answer.track_ids)  # sunk, still there
    assert not set(JAZZ[:2]) & set(answer.track_ids)  # played in this session: not again


def test_skips_outside_the_session_window_do_not_block(parts: Parts) -> None:
    old = skips(*JAZZ[:3], genre="jazz", at=NOW - 3 * 3600)
    parts.profiles.profiles["fan"] = UserProfile("fan", play_count=83, recent_events=old)
    answer = parts.router().recommend(RecommendationRequest("fan", n=12))
    assert set(JAZZ[3:]) <= set(answer.track_ids)


def test_asking_for_the_skipped_genre_by_name_is_honoured(parts: Parts) -> None:
    parts.profiles.profiles["fan"] = UserProfile(
        "fan", play_count=83, recent_events=skips(*JAZZ[:3], genre="jazz")
    )
    answer = parts.router().recommend(RecommendationRequest("fan", genre="jazz", n=3))
    assert answer.track_ids == JAZZ[3:6]


def test_explicit_disliked_and_unavailable_tracks_are_filtered(parts: Parts) -> None:
    parts.catalog.tracks["p1"] = track("p1", "pop", explicit=True)
    del parts.catalog.tracks["p3"]  # gone from the catalog
    parts.profiles.profiles["kid"] = UserProfile(
        "kid", explicit_allowed=False, disliked_track_ids=("p2",)
    )
    parts.store.put([rlist(POPULAR_USER, "all", "p1", "p2", "p3", "t1")])
    answer = parts.router().recommend(RecommendationRequest("kid", n=5))
    assert answer.track_ids == ("t1",)


def test_new_tracks_are_slotted_in_with_their_reason(parts: Parts) -> None:
    parts.catalog.tracks["fresh"] = track("fresh", "jazz", "relaxing")
    parts.store.put([rlist("fan", NEW_TRACKS_CONTEXT, "fresh", version="content.v1")])
    answer = parts.router().recommend(RecommendationRequest("fan", n=5))
    assert answer.track_ids[2] == "fresh"
    only_new = parts.router(RouterConfig(new_track_slots=(0,))).recommend(
        RecommendationRequest("fan", n=1)
    )
    assert only_new.track_ids == ("fresh",)
    assert only_new.reason == "a new track close to the jazz you play"


def test_cold_start_is_shaped_by_stated_genres_and_region(parts: Parts) -> None:
    parts.profiles.profiles["newbie"] = UserProfile("newbie", country="DE", stated_genres=("folk",))
    answer = parts.router().recommend(RecommendationRequest("newbie", n=3))
    assert answer.path == "cold_start"
    assert answer.track_ids[0] == "p3"  # folk, and popular in the listener's region
    assert answer.reason == "popular folk tracks, since you said you like folk"


# -- fallback chain and snapshots -------------------------------------------------------------


def test_the_fallback_chain_is_configuration(parts: Parts) -> None:
    assert parse_fallback_chain(" popular , memory ") == ("popular", "memory")
    with pytest.raises(ValueError, match="unknown"):
        parse_fallback_chain("popular,telepathy")
    no_fill = parts.router(RouterConfig(fallback_chain=()))
    assert no_fill.recommend(RecommendationRequest("heavy", n=5)).track_ids == ("t1", "t3")


def test_a_published_snapshot_is_read_after_the_refresh(parts: Parts) -> None:
    router = parts.router(RouterConfig(snapshot_refresh_s=0.0))
    assert router.recommend(RecommendationRequest("nobody", n=1)).track_ids == ("p1",)
    parts.store.put([rlist(POPULAR_USER, "all", "p9", version="ials.v1")], snapshot="ials.v1.s2")
    parts.catalog.tracks["p9"] = track("p9", "pop")
    parts.store.pointer = SnapshotPointer("ials.v1.s2", "", NOW)
    answer = router.recommend(RecommendationRequest("nobody", n=1))
    assert (answer.track_ids, answer.model_version) == (("p9",), "ials.v1")


# -- degradation ----------------------------------------------------------------------------


def test_second_read_is_served_from_cache(parts: Parts) -> None:
    router = parts.router()
    router.recommend(RecommendationRequest("heavy"))
    reads = parts.store.reads
    router.recommend(RecommendationRequest("heavy"))
    assert parts.store.reads == reads


def test_cache_down_reads_store_and_says_degraded(parts: Parts) -> None:
    parts.cache.down = True
    router = parts.router()
    answer = router.recommend(RecommendationRequest("heavy", n=2))
    assert answer.track_ids == ("t1", "t3")
    assert answer.degraded and answer.causes == {"cache"}
    calls = parts.cache.calls
    router.recommend(RecommendationRequest("heavy", n=2))
    assert parts.cache.calls == calls  # the breaker keeps a dead cache out of the path


def test_store_down_serves_last_known_chart(parts: Parts) -> None:
    router = parts.router()
    router.recommend(RecommendationRequest("nobody"))  # warms the in-memory chart
    parts.cache.close()
    parts.store.down = True
    answer = router.recommend(RecommendationRequest("nobody-else"))
    assert answer.path == "fallback"
    assert answer.degraded and {"store", "memory"} <= answer.causes
    assert answer.track_ids == ("p1", "p2", "p3")
    assert answer.reason == "a few popular tracks"


def test_warm_loads_the_fallback_charts_before_any_request(parts: Parts) -> None:
    router = parts.router()
    assert router.warm(["all", "mood:relaxing", "mood:none"]) == 2
    parts.store.down = True
    parts.cache.close()
    answer = router.recommend(RecommendationRequest("nobody", mood="relaxing"))
    assert (answer.path, answer.track_ids) == ("fallback", ("x1", "x2"))


def test_profile_store_down_treats_the_listener_as_new(parts: Parts) -> None:
    parts.profiles.down = True
    answer = parts.router().recommend(RecommendationRequest("heavy", n=2))
    assert answer.path == "cold_start" and answer.degraded and "profiles" in answer.causes


def test_catalog_down_filters_by_id_only(parts: Parts) -> None:
    parts.catalog.down = True
    answer = parts.router().recommend(RecommendationRequest("heavy", n=2))
    assert answer.track_ids == ("t1", "t3") and answer.causes == {"catalog"}


def test_everything_down_still_answers(parts: Parts) -> None:
    parts.store.down = parts.profiles.down = parts.cache.down = parts.catalog.down = True
    started = time.monotonic()
    answer = parts.router().recommend(RecommendationRequest("heavy"))
    assert answer.track_ids == ()
    assert answer.degraded and answer.path == "fallback"
    assert {"store", "profiles", "cache", "empty"} <= answer.causes
    assert answer.reason == "nothing to recommend yet"
    assert time.monotonic() - started < 5
