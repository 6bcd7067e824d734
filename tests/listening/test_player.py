"""MusicPlayer: choosing tracks (artist and track requests through the router's artist path)
and polite answers on outages."""

from __future__ import annotations

import logging

import pytest

from listening.player import BACKEND_DOWN_SPEECH
from nlu.parsed import ParsedRequest, Slot, SlotName
from playback.directives import new_token, track_id_of
from recommender.serving.router import RecommendationRequest
from recommender.storage.profiles import UserProfile
from tests.fakes import KNOWN_USER, STREAM_BASE, TRACKS, World


def request(**slots: str) -> ParsedRequest:
    filled = {name: Slot(text=value, value=value) for name, value in slots.items()}
    return ParsedRequest(intent="play_music", confidence=0.9, slots=filled)  # type: ignore[arg-type]


def test_mood_request_plays_the_first_candidate_the_catalog_has(world: World) -> None:
    answer = world.player.play("new-listener", request(mood="relaxing"))
    assert answer.track is not None and answer.track.track_id == "t-relax-1"
    assert answer.stream_url is not None
    assert answer.stream_url.startswith(f"{STREAM_BASE}/t-relax-1?exp=")
    assert answer.token is not None and track_id_of(answer.token) == "t-relax-1"
    assert (answer.path, answer.reason) == ("cold_start", "popular relaxing tracks")
    assert answer.speech == "Playing Morning Tide by Quiet Harbor, popular relaxing tracks."


def test_known_listener_gets_personal_picks(world: World) -> None:
    answer = world.player.play(KNOWN_USER, request())
    assert answer.path == "personalized"
    assert answer.track is not None and answer.track.track_id == "t-jazz-1"


def test_popular_request_uses_the_chart_even_for_a_known_listener(world: World) -> None:
    answer = world.player.play(KNOWN_USER, request(sort="popular"))
    assert answer.path == "popular"
    assert answer.track is not None and answer.track.track_id == "t-pop-1"


def test_excluded_tracks_are_not_picked(world: World) -> None:
    answer = world.player.play("u1", request(mood="relaxing"), exclude=frozenset({"t-relax-1"}))
    assert answer.track is not None and answer.track.track_id == "t-relax-2"


def test_context_without_a_chart_falls_back_to_general_picks_and_says_so(world: World) -> None:
    answer = world.player.play("u1", request(genre="rock"))
    assert answer.track is not None and answer.track.track_id == "t-pop-1"
    assert answer.reason.endswith("since I have no rock picks yet")


def test_artist_request_resolves_through_the_catalog(world: World) -> None:
    answer = world.player.play("u1", request(artist="quiet harbor"))
    assert answer.path == "artist"
    assert answer.track is not None and answer.track.artist_name == "Quiet Harbor"
    # Newest release first.
    assert answer.track.track_id == "t-relax-1"


def test_artist_request_prefers_the_named_title_and_reads_and_as_ampersand(world: World) -> None:
    answer = world.player.play("u1", request(artist="quiet harbor", track="slow river"))
    assert answer.track is not None and answer.track.track_id == "t-relax-2"
    answer = world.player.play("u1", request(artist="stone and steel"))
    assert answer.track is not None and answer.track.track_id == "t-rock-1"


def test_artist_requests_are_routed_and_ranked_by_the_listener_s_profile(world: World) -> None:
    world.profiles.put_many([UserProfile("folk-fan", play_count=30, genre_affinity={"folk": 0.9})])
    answer = world.player.play("folk-fan", request(artist="quiet harbor"))
    assert answer.track is not None and answer.track.track_id == "t-relax-2"  # folk first
    assert (answer.path, answer.reason) == ("artist", "because you like folk")
    assert answer.upcoming == ("t-relax-1",)


def test_a_track_the_parser_resolved_plays_without_an_artist(world: World) -> None:
    slots: dict[SlotName, Slot] = {
        "track": Slot(text="blue smoke", value="Blue Smoke", id="t-jazz-1")
    }
    answer = world.player.play(
        "u1", ParsedRequest(intent="play_music", confidence=1.0, slots=slots)
    )
    assert answer.track is not None and answer.track.track_id == "t-jazz-1"
    assert (answer.path, answer.reason) == ("artist", "as you asked")


# -- names the catalog does not have: said, and the closest played instead ----------------


def test_an_unknown_artist_is_said_and_something_close_plays(world: World) -> None:
    answer = world.player.play("u1", request(artist="Imogen Heap"))
    assert answer.track is not None and answer.track.track_id == "t-pop-1"  # the chart's first
    assert answer.path == "cold_start"
    assert answer.speech == (
        "I couldn't find Imogen Heap; here is something close. "
        "Playing Neon Lights by The Brights, popular tracks right now."
    )
    assert answer.not_found == (("artist", "Imogen Heap"),)
    assert answer.upcoming  # a device queue has more of the same to play


def test_what_else_an_unknown_artist_request_says_picks_the_close_tracks(world: World) -> None:
    answer = world.player.play("u1", request(artist="Imogen Heap", mood="relaxing"))
    assert answer.track is not None and answer.track.track_id == "t-relax-1"
    assert answer.speech.startswith("I couldn't find Imogen Heap; here is something close. ")
    assert answer.reason == "popular relaxing tracks"
    answer = world.player.play("u1", request(artist="Imogen Heap", genre="jazz"))
    assert answer.track is not None and answer.track.genre == "jazz"


def test_a_track_the_catalog_cannot_resolve_is_said_and_something_close_plays(
    world: World,
) -> None:
    answer = world.player.play("u1", request(track="Hide and Seek"))
    assert answer.track is not None
    assert answer.speech.startswith("I couldn't find Hide and Seek; here is something close. ")
    assert answer.not_found == (("track", "Hide and Seek"),)
    answer = world.player.play("u1", request(track="Hide and Seek", artist="Imogen Heap"))
    assert answer.speech.startswith("I couldn't find Hide and Seek by Imogen Heap; here is")
    assert answer.not_found == (("artist", "Imogen Heap"), ("track", "Hide and Seek"))


def test_an_unknown_title_of_a_known_artist_plays_their_closest_track_and_says_so(
    world: World,
) -> None:
    answer = world.player.play("u1", request(artist="Norah Vale", track="Hide and Seek"))
    assert answer.track is not None and answer.track.track_id == "t-jazz-1"
    assert answer.path == "artist"
    assert answer.speech == (
        "I couldn't find Hide and Seek by Norah Vale; here is something close. "
        "Playing Blue Smoke by Norah Vale, one of their latest tracks."
    )
    assert answer.not_found == (("track", "Hide and Seek"),)


def test_an_unknown_album_of_a_known_artist_is_said(world: World) -> None:
    answer = world.player.play("u1", request(artist="Quiet Harbor", album="Blue Days"))
    assert answer.track is not None and answer.track.artist_name == "Quiet Harbor"
    assert answer.speech.startswith(
        "I couldn't find the album Blue Days by Quiet Harbor; here is something close."
    )
    assert answer.not_found == (("album", "Blue Days"),)


def test_names_the_catalog_has_play_without_a_notice(world: World) -> None:
    for slots in ({"artist": "quiet harbor", "track": "Slow River"}, {"artist": "Norah Vale"}):
        answer = world.player.play("u1", request(**slots))
        assert answer.track is not None and answer.not_found == ()
        assert answer.speech.startswith("Playing ")
    # The named track is queued already: another of the artist's, and it was found.
    answer = world.player.play(
        "u1", request(artist="quiet harbor", track="slow river"), exclude=frozenset({"t-relax-2"})
    )
    assert answer.track is not None and answer.track.track_id == "t-relax-1"
    assert answer.not_found == ()


def test_an_artist_with_everything_excluded_is_not_called_missing(world: World) -> None:
    everything = frozenset({"t-relax-1", "t-relax-2"})
    answer = world.player.play("u1", request(artist="quiet harbor"), exclude=everything)
    assert answer.track is None and answer.not_found == ()


def test_nothing_close_either_keeps_the_polite_no_and_names_what_is_missing(
    world: World,
) -> None:
    everything = frozenset(t.track_id for t in TRACKS)
    answer = world.player.play("u1", request(artist="nobody at all"), exclude=everything)
    assert answer.track is None
    assert answer.speech == "Sorry, I couldn't find any music by nobody at all."
    assert answer.not_found == (("artist", "nobody at all"),)


def test_playlists_are_refused_politely(world: World) -> None:
    answer = world.player.play("u1", request(playlist="workout", item_type="playlist"))
    assert answer.track is None and "playlists" in answer.speech


def test_play_needs_a_play_request(world: World) -> None:
    with pytest.raises(ValueError):
        world.player.play("u1", ParsedRequest(intent="pause", confidence=1.0))


def test_catalog_outage_is_a_polite_answer_not_an_exception(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.catalog.down = True
    with caplog.at_level(logging.ERROR):
        for parsed in (request(mood="relaxing"), request(artist="quiet harbor")):
            answer = world.player.play("u1", parsed)
            assert answer.track is None and answer.degraded
            assert answer.speech == BACKEND_DOWN_SPEECH
        assert world.player.replay(new_token("t-pop-1")).speech == BACKEND_DOWN_SPEECH
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_replay_keeps_or_renews_the_token(world: World) -> None:
    token = new_token("t-pop-1")
    resumed = world.player.replay(token, 12_000)
    assert (resumed.token, resumed.offset_ms, resumed.path) == (token, 12_000, "resume")
    again = world.player.replay(token, fresh_token=True)
    assert again.token != token and track_id_of(again.token) == "t-pop-1"
    assert again.offset_ms == 0
    assert world.player.replay("not-ours").track is None
    assert world.player.replay(new_token("t-unknown")).track is None


def test_describe(world: World) -> None:
    assert world.player.describe(new_token("t-jazz-1")) == "This is Blue Smoke by Norah Vale."
    assert "Nothing" in world.player.describe(None)


def test_recommend_returns_catalog_metadata_in_router_order(world: World) -> None:
    answer = world.player.recommend(RecommendationRequest("u1", mood="relaxing"))
    assert [i.track.track_id for i in answer.items] == ["t-relax-1", "t-relax-2", "t-jazz-1"]
    assert answer.items[0].stream_url.startswith(f"{STREAM_BASE}/t-relax-1?exp=")
    assert answer.recommendation.path == "cold_start"


def test_what_served_a_play_names_the_request_s_context() -> None:
    from listening.player import served_context
    from recommender.serving.named import Named
    from recommender.serving.router import RecommendationRequest

    request = RecommendationRequest(
        "u", mood="relaxing", popular=True, part_of_day="evening",
        named=Named(artist="Norah Vale", artist_id="a-nv", title=None, track_id=None, album=None),
    )  # fmt: skip
    assert served_context(request) == {
        "mood": "relaxing", "popular": "true", "artist": "Norah Vale", "part_of_day": "evening",
    }  # fmt: skip
    assert served_context(RecommendationRequest("u")) == {}
