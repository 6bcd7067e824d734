"""The feedback loop on the production backends: real PostgreSQL and Redis, DynamoDB and
Kinesis on moto. A listener acts through POST /alexa; the events go through Kinesis to the
feedback consumer, into the profiles, and back into the next answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean

import pytest

from playback.catalog import Track
from playback.directives import track_id_of
from recommender.batch.inference import IncrementalTrigger
from recommender.storage.recommendations import NEW_TRACKS_CONTEXT
from skill.alexa.envelopes import intent_request, search_request
from tests.integration.feedback_stack import Stack, known_listener, production_settings, start_stack

NEWCOMER = "amzn1.ask.account.brand-new-listener"


@pytest.fixture
def stack(
    tmp_path: Path, postgres_schema: tuple[str, str], redis_url: str, aws_env: None
) -> Iterator[Stack]:
    settings = production_settings(tmp_path, postgres_schema, redis_url, [NEWCOMER])
    yield from start_stack(settings)


def _played_track(body: dict) -> str:  # type: ignore[type-arg]
    plays = [d for d in body["response"].get("directives", []) if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1, body
    track_id = track_id_of(plays[0]["audioItem"]["stream"]["token"])
    assert track_id is not None
    return track_id


def test_skipping_three_tracks_of_a_genre_keeps_it_out_of_the_next_answer(stack: Stack) -> None:
    user = known_listener(stack)
    first = stack.recommendations(user, n=40)
    assert first["path"] == "personalized"
    genres = Counter(item["genre"] for item in first["items"] if item["genre"])
    genre, count = genres.most_common(1)[0]
    assert count >= 4, genres  # a genre the listener would otherwise be offered again
    skipped = [item["track_id"] for item in first["items"] if item["genre"] == genre][:3]
    before = stack.profile(user)
    batch = stack.batch()
    consumer = stack.consumer(on_changed=IncrementalTrigger(batch, min_changed=1))

    for track_id in skipped:
        stack.play(user, track_id)
        stack.skip(user, track_id)
    pages = stack.consume_all(consumer)

    # Each event applied exactly once: three plays and three skips more, nothing else.
    after = stack.profile(user)
    assert sum(page.applied for page in pages) == 6
    assert (after.play_count, after.skip_count) == (before.play_count + 3, before.skip_count + 3)
    assert after.genre_affinity[genre] < before.genre_affinity.get(genre, 0.0)
    answer = stack.recommendations(user, n=100)  # the whole answer, not only its head
    assert answer["path"] == "personalized" and len(answer["items"]) >= 20
    assert all(item["genre"] != genre for item in answer["items"]), answer
    assert not {item["track_id"] for item in answer["items"]} & set(skipped)
    played = _played_track(stack.alexa(intent_request("PlayMusicIntent", {}, user)))
    assert stack.genre_of(played) != genre
    # The consumer's trigger recomputed this listener's stored list without what they heard.
    stored = stack.online.backends.store.get_list(user, "all")
    assert stored is not None and not set(stored.track_ids) & set(skipped)
    assert stack.online.backends.profiles.changed_users() == []
    stack.assert_no_5xx()


def test_a_new_listener_gets_a_cold_start_answer(stack: Stack) -> None:
    newcomer = NEWCOMER
    body = stack.recommendations(newcomer, n=5)
    assert (body["path"], body["reason"], body["degraded"]) == (
        "cold_start",
        "popular tracks right now",
        False,
    )
    assert len(body["items"]) == 5
    answer = stack.alexa(intent_request("PlayMusicIntent", {"Mood": "relaxing"}, newcomer))
    track = _played_track(answer)
    assert "relaxing" in stack.online.backends.catalog.get_tracks([track])[track].moods
    assert "popular relaxing tracks" in answer["response"]["outputSpeech"]["ssml"]
    stack.assert_no_5xx()


def test_play_the_top_hits_takes_the_popular_path(stack: Stack) -> None:
    user = known_listener(stack)
    parsed = stack.online.parser.parse("play the top hits")
    answer = stack.online.listening.player.play(user, parsed)
    assert answer.path == "popular" and answer.track is not None
    assert answer.reason.startswith("popular tracks right now")
    body = stack.alexa(search_request("play the top hits", user))
    _played_track(body)
    assert "popular tracks right now" in body["response"]["outputSpeech"]["ssml"]
    stack.assert_no_5xx()


def test_a_new_track_reaches_recommendations_through_content_similarity(stack: Stack) -> None:
    user = known_listener(stack)
    profile = stack.profile(user)
    genre = max(profile.genre_affinity, key=lambda g: profile.genre_affinity[g])
    heard = [t for t in stack.tracks if t.genre == genre]
    moods = Counter(m for t in heard for m in t.moods).most_common(2)
    new = Track(
        "trk-brand-new-0001",
        "Brand New Song",
        "art-brand-new",
        "A New Artist",
        genre=genre,
        moods=tuple(m for m, _ in moods),
        duration_ms=200_000,
        release_year=datetime.now(UTC).year,
        energy=fmean(t.energy for t in heard if t.energy is not None),
        valence=fmean(t.valence for t in heard if t.valence is not None),
        tempo=fmean(t.tempo for t in heard if t.tempo is not None),
        acousticness=fmean(t.acousticness for t in heard if t.acousticness is not None),
        danceability=fmean(t.danceability for t in heard if t.danceability is not None),
    )
    before = stack.recommendations(user, n=10)
    assert new.track_id not in {item["track_id"] for item in before["items"]}

    stack.online.backends.catalog.upsert_tracks([new])  # the catalog feed brings it in
    report = stack.batch([new]).run_full()
    stack.online.router.refresh_snapshot()

    assert report.snapshot == stack.online.backends.store.snapshot_pointer().current
    fresh = stack.online.backends.store.get_list(user, NEW_TRACKS_CONTEXT)
    assert fresh is not None and new.track_id in fresh.track_ids
    after = stack.recommendations(user, n=10)
    assert after["path"] == "personalized"
    assert new.track_id in [item["track_id"] for item in after["items"]]
    stack.assert_no_5xx()


def test_a_disliked_track_is_never_offered_again(stack: Stack) -> None:
    user = known_listener(stack)
    first = stack.recommendations(user, n=5)["items"][0]["track_id"]
    stack.play(user, first)
    stack.alexa(intent_request("DislikeIntent", {}, user, player_token=_token(first)))
    stack.consume_all()
    assert first in stack.profile(user).disliked_track_ids
    for _ in range(2):
        ids = [item["track_id"] for item in stack.recommendations(user, n=40)["items"]]
        assert first not in ids
    stack.assert_no_5xx()


def _token(track_id: str) -> str:
    from playback.directives import new_token

    return new_token(track_id)
