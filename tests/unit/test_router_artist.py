"""The router's artist path: a request naming an artist or a track is ranked like every
other request (the listener's affinities, session, exclusions), what was named first.

In-memory ports (``router_fakes``) with outage switches; no services.
"""

from __future__ import annotations

import pytest

from playback.catalog import Track
from recommender.serving.named import ARTIST_RANKING, Named
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.profiles import RecentEvent, UserProfile
from tests.unit.router_fakes import DictCatalog, DictProfiles, DictStore, SwitchCache

NOW = 1_800_000_000.0


def _track(track_id: str, title: str, year: int, genre: str, *moods: str, **kw: object) -> Track:
    return Track(track_id, title, "a-qh", "Quiet Harbor", genre=genre, moods=moods,
                 release_year=year, **kw)  # type: ignore[arg-type]  # fmt: skip


HARBOR = (
    _track("h-new", "Morning Tide", 2023, "ambient", "relaxing"),
    _track("h-mid", "Slow River", 2020, "folk", "sad", album_title="Rivers"),
    _track("h-old", "Harbor Lights", 2015, "folk", "happy"),
    Track("s-1", "Rock & Roll", "a-ss", "Stone & Steel", genre="rock", release_year=2020),
)
HARBOR_IDS = ("h-new", "h-mid", "h-old")


@pytest.fixture
def catalog() -> DictCatalog:
    return DictCatalog({t.track_id: t for t in HARBOR})


def router(catalog: DictCatalog, *profiles: UserProfile) -> Router:
    store, people = DictStore(), DictProfiles(*profiles)
    return Router(store, people, SwitchCache(), catalog=catalog, clock=lambda: NOW)  # type: ignore[arg-type]


def by(artist: str, **named: str) -> Named:
    return Named(artist=artist, **named)


def test_an_artist_request_takes_the_artist_path_newest_first(catalog: DictCatalog) -> None:
    answer = router(catalog).recommend(RecommendationRequest("u1", named=by("quiet harbor")))
    assert answer.path == "artist" and answer.steps == ("artist",)
    assert answer.track_ids == ("h-new", "h-mid", "h-old")
    assert (answer.reason, answer.model_version) == ("one of their latest tracks", ARTIST_RANKING)
    assert not answer.degraded


def test_the_listener_s_affinities_rank_the_artist_s_tracks(catalog: DictCatalog) -> None:
    fan = UserProfile("fan", play_count=40, genre_affinity={"folk": 0.9})
    answer = router(catalog, fan).recommend(RecommendationRequest("fan", named=by("quiet harbor")))
    assert answer.track_ids[:2] == ("h-mid", "h-old")  # folk rises above the newer ambient
    assert answer.reason == "because you like folk"


def test_the_named_title_or_album_comes_first_as_asked(catalog: DictCatalog) -> None:
    for named in (by("quiet harbor", title="slow river"), by("quiet harbor", album="RIVERS")):
        answer = router(catalog).recommend(RecommendationRequest("u1", named=named))
        assert answer.track_ids[0] == "h-mid" and answer.reason == "as you asked"


def test_a_mood_said_with_the_artist_is_a_preference_not_a_filter(catalog: DictCatalog) -> None:
    answer = router(catalog).recommend(
        RecommendationRequest("u1", mood="happy", named=by("quiet harbor"))
    )
    assert answer.track_ids == ("h-old", "h-new", "h-mid")


def test_exclusions_dislikes_and_recent_plays_apply(catalog: DictCatalog) -> None:
    listener = UserProfile(
        "l", play_count=40, disliked_track_ids=("h-mid",), recent_track_ids=("h-new",)
    )
    answer = router(catalog, listener).recommend(
        RecommendationRequest("l", named=by("quiet harbor"))
    )
    assert answer.track_ids == ("h-old",)
    # With the one left excluded, a recent play beats a refusal; a disliked track never plays.
    answer = router(catalog, listener).recommend(
        RecommendationRequest("l", named=by("quiet harbor"), exclude=frozenset({"h-old"}))
    )
    assert answer.track_ids == ("h-new",)
    excluded = RecommendationRequest("l", named=by("quiet harbor"), exclude=frozenset(HARBOR_IDS))
    assert router(catalog, listener).recommend(excluded).track_ids == ()


def test_a_track_named_by_title_plays_even_if_it_just_played(catalog: DictCatalog) -> None:
    listener = UserProfile(
        "l", play_count=40, recent_track_ids=("h-mid",),
        recent_events=(RecentEvent("h-mid", "finished", NOW - 60, "folk"),),
    )  # fmt: skip
    named = by("quiet harbor", title="Slow River")
    answer = router(catalog, listener).recommend(RecommendationRequest("l", named=named))
    assert answer.track_ids[0] == "h-mid" and answer.reason == "as you asked"


def test_a_resolved_track_id_needs_no_artist(catalog: DictCatalog) -> None:
    named = Named(title="harbor lights", track_id="h-old")
    answer = router(catalog).recommend(RecommendationRequest("u1", named=named))
    assert answer.path == "artist"
    assert answer.track_ids == ("h-old", "h-new", "h-mid")  # then more by its artist


def test_and_in_a_spoken_name_matches_an_ampersand(catalog: DictCatalog) -> None:
    answer = router(catalog).recommend(RecommendationRequest("u1", named=by("stone and steel")))
    assert answer.track_ids == ("s-1",)


def test_an_unknown_artist_is_an_empty_answer_not_a_fallback(catalog: DictCatalog) -> None:
    answer = router(catalog).recommend(RecommendationRequest("u1", named=by("nobody")))
    assert (answer.track_ids, answer.path, answer.degraded) == ((), "artist", False)


def test_the_catalog_down_is_an_empty_degraded_answer(catalog: DictCatalog) -> None:
    catalog.down = True
    answer = router(catalog).recommend(RecommendationRequest("u1", named=by("quiet harbor")))
    assert (answer.track_ids, answer.path, answer.degraded) == ((), "artist", True)
