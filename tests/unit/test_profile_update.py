"""fold_events: what play events do to a profile and to the popularity counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from playback.catalog import Track
from playback.events import PlaybackEvent
from recommender.feedback.profile_update import RECENT_EVENTS, RECENT_TRACKS, fold_events
from recommender.storage.profiles import TrackCounts, UserProfile

T0 = datetime(2026, 3, 1, 23, 59, 50, tzinfo=UTC)
TRACKS = {
    "j1": Track("j1", "J1", "a", "A", genre="jazz", moods=("calm", "sad")),
    "r1": Track("r1", "R1", "b", "B", genre="rock", moods=("energetic",)),
}


def ev(kind: str, track: str = "j1", seconds: int = 0, offset_ms: int = 0) -> PlaybackEvent:
    return PlaybackEvent(
        kind=kind,  # type: ignore[arg-type]
        user_id="u1",
        track_id=track,
        occurred_at=T0 + timedelta(seconds=seconds),
        offset_ms=offset_ms,
    )


def test_plays_and_skips_are_counted_per_day() -> None:
    change = fold_events(
        "u1", None, [ev("started"), ev("skipped", seconds=5), ev("started", seconds=20)], TRACKS
    )
    assert (change.profile.play_count, change.profile.skip_count) == (2, 1)
    assert change.counts == {
        ("2026-03-01", "j1"): TrackCounts(plays=1, skips=1),
        ("2026-03-02", "j1"): TrackCounts(plays=1),  # past midnight UTC
    }


def test_a_new_listener_gets_a_profile() -> None:
    assert fold_events("u1", None, [], TRACKS).profile == UserProfile("u1")


def test_skips_lower_and_finishes_raise_genre_and_mood_affinity() -> None:
    skipped = fold_events("u1", None, [ev("skipped")], TRACKS).profile
    assert skipped.genre_affinity == {"jazz": -0.15}
    assert skipped.mood_affinity == {"calm": -0.15, "sad": -0.15}
    finished = fold_events("u1", skipped, [ev("finished")], TRACKS).profile
    assert finished.genre_affinity["jazz"] == pytest.approx(-0.15 + 0.1 * 1.15)


def test_a_late_skip_weighs_half() -> None:
    late = fold_events("u1", None, [ev("skipped", offset_ms=120_000)], TRACKS).profile
    assert late.genre_affinity == {"jazz": -0.075}


def test_affinities_stay_within_minus_one_and_one() -> None:
    events = [ev("disliked", seconds=i) for i in range(200)]
    profile = fold_events("u1", None, events, TRACKS).profile
    assert -1.0 <= profile.genre_affinity["jazz"] < -0.99


def test_likes_and_dislikes_move_between_their_sets() -> None:
    liked = fold_events("u1", None, [ev("disliked"), ev("liked", seconds=1)], TRACKS).profile
    assert (liked.liked_track_ids, liked.disliked_track_ids) == (("j1",), ())
    disliked = fold_events("u1", liked, [ev("disliked", seconds=2)], TRACKS).profile
    assert (disliked.liked_track_ids, disliked.disliked_track_ids) == ((), ("j1",))


def test_events_fold_in_the_order_they_happened() -> None:
    change = fold_events(
        "u1", None, [ev("started", "r1", seconds=10), ev("started", "j1", seconds=0)], TRACKS
    )
    assert change.profile.recent_track_ids == ("r1", "j1")
    assert [e.track_id for e in change.profile.recent_events] == ["r1", "j1"]
    assert change.profile.recent_events[0].genre == "rock"


def test_history_is_bounded_and_distinct() -> None:
    tracks = [ev("started", f"t{i}", seconds=i) for i in range(RECENT_EVENTS + 10)]
    profile = fold_events("u1", None, [*tracks, ev("started", "t3", seconds=999)], TRACKS).profile
    assert len(profile.recent_track_ids) == RECENT_TRACKS
    assert profile.recent_track_ids[0] == "t3" and profile.recent_track_ids.count("t3") == 1
    assert len(profile.recent_events) == RECENT_EVENTS


def test_unknown_tracks_and_failures_leave_affinities_alone() -> None:
    change = fold_events("u1", None, [ev("skipped", "gone"), ev("failed", seconds=1)], TRACKS)
    assert change.profile.genre_affinity == {} and change.profile.skip_count == 1
    assert len(change.profile.recent_events) == 1  # the failure is the device's, not a verdict


def test_another_listeners_event_is_refused() -> None:
    other = PlaybackEvent(kind="started", user_id="u2", track_id="j1")
    with pytest.raises(ValueError, match="another listener"):
        fold_events("u1", None, [other], TRACKS)
