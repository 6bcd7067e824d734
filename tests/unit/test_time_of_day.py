"""Time of day: the parser's time expressions and routine requests, parts of the day on a
listener's clock, part-of-day lists in batch, and the router reading them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from nlu.parsed import ParsedRequest
from nlu.rules import RuleParser
from nlu.time_of_day import without_phrases
from playback.catalog import Track
from playback.day_parts import local_part, part_of_hour, timezone_of
from recommender.batch.day_parts import (
    PartSettings,
    eligible_parts,
    facet_matrix,
    local_parts,
    part_rerank,
)
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import part_context
from tests.unit.router_fakes import DictProfiles, DictStore, SwitchCache, rlist

PARSER = RuleParser(["pop", "rock", "jazz", "classical", "hip-hop", "dance"])


def slots(parsed: ParsedRequest) -> dict[str, str]:
    return {name: slot.value for name, slot in parsed.slots.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play something relaxing tonight", {"mood": "relaxing", "part_of_day": "night"}),
        (
            "play meditation at night every day",
            {"activity": "meditation", "mood": "relaxing", "part_of_day": "night",
             "recurrence": "daily"},
        ),
        ("Alexa, play some jazz this morning please", {"genre": "jazz", "part_of_day": "morning"}),
        ("tonight, play some rock", {"genre": "rock", "part_of_day": "night"}),
        ("every morning play some upbeat pop",
         {"mood": "energetic", "genre": "pop", "part_of_day": "morning", "recurrence": "daily"}),
        ("play something late at night", {"part_of_day": "night"}),
        ("play some classical music in the evening on weekdays",
         {"genre": "classical", "part_of_day": "evening", "recurrence": "weekdays"}),
        ("play music before bed", {"part_of_day": "night"}),
        ("play tonight", {"part_of_day": "night"}),
        ("play jazz every afternoon", {"genre": "jazz", "part_of_day": "afternoon",
                                       "recurrence": "daily"}),
        ("play some late night jazz", {"genre": "jazz", "part_of_day": "night"}),
        ("play night music", {"part_of_day": "night"}),
        ("play some evening songs", {"part_of_day": "evening"}),
        ("play something for the evening", {"part_of_day": "evening"}),
        ("play music to dance all night", {"genre": "dance", "part_of_day": "night"}),
    ],
)  # fmt: skip
def test_time_expressions_fill_their_slots_and_never_a_name(
    text: str, expected: dict[str, str]
) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "play_music"
    assert slots(parsed) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play my morning routine", {"routine": "morning", "part_of_day": "morning"}),
        ("my night routine", {"routine": "night", "part_of_day": "night"}),
        ("start my bedtime routine", {"routine": "bedtime", "part_of_day": "night"}),
        ("play my meditation routine", {"routine": "meditation"}),
        ("put on the wind down routine", {"routine": "wind down", "part_of_day": "night"}),
    ],
)
def test_routine_requests_name_the_routine(text: str, expected: dict[str, str]) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "play_music"
    assert slots(parsed) == expected


def test_time_words_inside_a_request_stay_where_they_are() -> None:
    # Only the edges are time expressions: "tonight tonight" is a title, not a time.
    parsed = PARSER.parse("play tonight tonight by the smashing pumpkins")
    assert "part_of_day" not in parsed.slots
    assert parsed.slot_value("artist") == "the smashing pumpkins"
    # Mid-sentence "at night" is not taken either; it is left to the reading.
    assert "part_of_day" not in PARSER.parse("play at night by the beatles").slots


def test_without_phrases_removes_what_the_rules_took_out_once() -> None:
    words = ["play", "tonight", "tonight", "at", "night"]
    assert without_phrases(words, ["at night", "at night"]) == ["play", "tonight", "tonight"]


def test_parts_of_the_day_follow_the_local_clock() -> None:
    assert [part_of_hour(h) for h in (0, 4, 5, 11, 12, 16, 17, 21, 22, 23)] == [
        "night", "night", "morning", "morning", "afternoon", "afternoon",
        "evening", "evening", "night", "night",
    ]  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")
    utc_21h = datetime(2026, 7, 1, 21, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert local_part(utc_21h, None) == "evening"
    assert local_part(utc_21h, berlin) == "night"  # 23:30 in Berlin (summer time)
    assert timezone_of(None, "de") == berlin
    assert timezone_of("Asia/Tokyo", "DE") == ZoneInfo("Asia/Tokyo")
    assert timezone_of("Not/AZone", "ZZ") is None
    times = np.array([utc_21h, utc_21h - 12 * 3600])
    assert local_parts(times, berlin).tolist() == [3, 0]  # night, morning (11:30)


def _track(track_id: str, artist: str, genre: str) -> Track:
    return Track(track_id=track_id, title=track_id, artist_id=artist, artist_name=artist,
                 genre=genre, moods=(), duration_ms=1000)  # fmt: skip


def test_part_lists_raise_what_the_listener_plays_in_that_part() -> None:
    # Tracks 0-3: ambient by artist a; 4-7: rock by artist b. At night the listener plays
    # ambient, all day rock more often; the model ranks rock first.
    tracks = [_track(f"t{i}", "a" if i < 4 else "b", "ambient" if i < 4 else "rock")
              for i in range(8)]  # fmt: skip
    facets = facet_matrix(tracks)
    played = np.array([0, 1, 0, 4, 5, 4, 5, 4, 5, 4])
    parts = np.array([3, 3, 3, 1, 1, 1, 1, 1, 1, 1])  # three night plays, seven afternoon
    candidates = np.array([6, 7, 2, 3, -1])
    settings = PartSettings(min_plays=3, min_share=0.1, candidates=4, weight=2.0)
    ids, scores = part_rerank(candidates, played, parts, "night", facets, settings, n=4)
    assert ids.tolist()[:2] == [2, 3]  # ambient first at night
    assert list(scores) == sorted(scores, reverse=True)
    ids, _ = part_rerank(candidates, played, parts, "afternoon", facets, settings, n=4)
    assert ids.tolist()[:2] == [6, 7]  # the model's order holds in the afternoon
    assert eligible_parts(parts, settings) == ["afternoon", "night"]
    assert eligible_parts(parts, PartSettings(min_plays=4)) == ["afternoon"]


def test_router_reads_the_part_list_first_and_falls_back_to_the_all_day_list() -> None:
    store = DictStore([
        rlist("owl", "all", "d1", "d2"), rlist("owl", part_context("night"), "n1", "n2"),
    ])  # fmt: skip
    profiles = DictProfiles(UserProfile("owl", country="DE", play_count=50))
    router = Router(store, profiles, SwitchCache())
    said = router.recommend(RecommendationRequest("owl", part_of_day="night", n=2))
    assert said.track_ids == ("n1", "n2")
    morning = router.recommend(RecommendationRequest("owl", part_of_day="morning", n=2))
    assert morning.track_ids == ("d1", "d2")
    # No part said: the listener's clock. 21:30 UTC is 23:30 in Berlin, night.
    late = datetime(2026, 7, 1, 21, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert router.recommend(RecommendationRequest("owl", at=late, n=2)).track_ids == (
        "n1", "n2",
    )  # fmt: skip
    noon = late - 10 * 3600
    assert router.recommend(RecommendationRequest("owl", at=noon, n=2)).track_ids == (
        "d1", "d2",
    )  # fmt: skip


def test_batch_writes_part_lists_only_where_the_listener_plays_enough() -> None:
    from recommender.batch.charts import chart_model
    from recommender.batch.lists import ListBuilder, ListSettings
    from recommender.batch.promoted_model import ModelLists
    from recommender.data.interactions import Interactions
    from recommender.data.sparse import user_items_matrix

    # Tracks 0-5 ambient by artist a, 6-11 rock by artist b. "owl" plays ambient at night
    # (23:00 UTC) and rock in the afternoon; "other" plays mostly rock, so the charts (the
    # model here) rank rock first.
    tracks = [_track(f"t{i:02d}", "a" if i < 6 else "b", "ambient" if i < 6 else "rock")
              for i in range(12)]  # fmt: skip
    night, afternoon = 23 * 3600.0, 14 * 3600.0
    plays = [("owl", t, night + 60 * t) for t in (0, 1, 2)]
    plays += [("owl", t, afternoon + 60 * t) for t in (6, 7, 8, 6, 7, 8)]
    plays += [("other", t, afternoon + 60 * t) for t in (6, 7, 8, 9, 10, 11) * 3]
    plays += [("other", t, afternoon + 60 * t) for t in (3, 4, 5)]
    users = ["other", "owl"]
    log = Interactions(
        user_ids=np.array(users),
        track_ids=np.array([t.track_id for t in tracks]),
        user_idx=np.array([users.index(u) for u, _, _ in plays], dtype=np.int64),
        track_idx=np.array([t for _, t, _ in plays], dtype=np.int64),
        confidence=np.ones(len(plays)),
        event_time=np.array([at for _, _, at in plays]),
        end_reason=np.zeros(len(plays), dtype=np.int8),
    )
    model = ModelLists(chart_model(log), user_items_matrix(log))
    settings = ListSettings(
        per_user=6, new_per_user=0,
        day_parts=PartSettings(min_plays=3, min_share=0.1, candidates=12, weight=2.0),
    )  # fmt: skip
    builder = ListBuilder(model, log, tracks, settings, generated_at=0.0)
    owl = np.array([users.index("owl")], dtype=np.int64)
    lists = {x.context: x.track_ids for x in builder.user_lists(owl, {})}
    assert set(lists) >= {"all", part_context("night"), part_context("afternoon")}
    assert part_context("morning") not in lists
    assert lists["all"][0] in {"t09", "t10", "t11"}  # all day: the rock the model ranks first
    assert lists[part_context("night")][0] in {"t03", "t04", "t05"}  # at night: ambient
    # A listener in Tokyo: 23:00 UTC is 08:00 there and 14:00 UTC is 23:00, so the same plays
    # are morning and night plays.
    tokyo = {"owl": UserProfile("owl", country="JP")}
    shifted = {x.context for x in builder.user_lists(owl, tokyo)}
    assert shifted == {"all", part_context("morning"), part_context("night")}
