"""A brand-new voice listener is served by the model, not only the charts.

Production backends (PostgreSQL, Redis, DynamoDB and Kinesis on moto), served by
``build_online``. Two Alexa user ids no team feed contains play the same six popular tracks,
three of one genre and three of another, through POST /alexa; one of them skips the second
genre's tracks ("Alexa, next"). The events go through Kinesis and the feedback consumer into
their profiles. Before any batch run their answers come from the promoted model through the
router's live path; after the next incremental batch run, from their stored lists; and the
skips change what the skipping listener is offered and played, at both stages. Run with the
model the pipeline promoted (on this small world, genre popularity) and with EASE, the
item-based model promoted on the embedded data set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from playback.directives import new_token, track_id_of
from recommender.models.registry import ModelRegistry
from skill.alexa.envelopes import audio_player_request, intent_request
from tests.integration.feedback_stack import Stack, production_settings, start_stack

KEEPS_BOTH = "amzn1.ask.account.fold-in-keeps-both"
SKIPS_ONE = "amzn1.ask.account.fold-in-skips-one"


@pytest.fixture
def stack(
    tmp_path: Path, postgres_schema: tuple[str, str], redis_url: str, aws_env: None
) -> Iterator[Stack]:
    settings = production_settings(tmp_path, postgres_schema, redis_url, [KEEPS_BOTH, SKIPS_ONE])
    yield from start_stack(settings)


def _popular_by_genre(stack: Stack) -> dict[str, list[str]]:
    """Each genre's tracks, most played first (tracks any model has learnt)."""
    plays = np.bincount(stack.interactions.track_idx, minlength=len(stack.interactions.track_ids))
    genre_of = {t.track_id: t.genre for t in stack.tracks}
    by_genre: dict[str, list[str]] = {}
    for index in np.argsort(-plays, kind="stable"):
        track_id = str(stack.interactions.track_ids[index])
        genre = genre_of.get(track_id)
        if genre and plays[index] > 0:
            by_genre.setdefault(genre, []).append(track_id)
    return by_genre


def _finish(stack: Stack, user_id: str, track_id: str) -> None:
    stack.play(user_id, track_id)
    stack.alexa(audio_player_request("PlaybackFinished", new_token(track_id), 200_000, user_id))


def _genres(stack: Stack, body: dict[str, Any]) -> Counter[str]:
    return Counter(stack.genre_of(item["track_id"]) or "-" for item in body["items"])


def _played(body: dict[str, Any]) -> str:
    plays = [d for d in body["response"].get("directives", []) if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1, body
    track_id = track_id_of(plays[0]["audioItem"]["stream"]["token"])
    assert track_id is not None
    return track_id


def _live_served(stack: Stack) -> float:
    text = stack.client.get("/metrics").text
    for line in text.splitlines():
        if line.startswith('philomath_live_lists_total{outcome="served"}'):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize("model", ["as promoted", "ease.v1"])
def test_a_new_voice_listener_is_served_by_the_model_and_their_skips_count(
    stack: Stack, model: str
) -> None:
    registry = ModelRegistry(stack.settings.models_dir)
    if model != "as promoted":  # before any request: the live path loads it at the first
        registry.promote(model, reason="the fold-in test's model")
    promoted = registry.promoted()
    assert promoted is not None and promoted.name != "popularity.v1"
    by_genre = _popular_by_genre(stack)
    kept_genre, skipped_genre = sorted(by_genre, key=lambda g: -len(by_genre[g]))[:2]
    kept, skipped = by_genre[kept_genre][:3], by_genre[skipped_genre][:3]
    store = stack.online.backends.store
    for user in (KEEPS_BOTH, SKIPS_ONE):
        assert str(user) not in set(stack.interactions.user_ids.tolist())  # in no feed
        assert stack.recommendations(user, n=5)["path"] == "cold_start"

    # The session: both finish the first genre's tracks; one finishes the second genre's
    # too, the other says "Alexa, next" a few seconds into each.
    for track_id in kept:
        _finish(stack, KEEPS_BOTH, track_id)
        _finish(stack, SKIPS_ONE, track_id)
    for track_id in skipped:
        _finish(stack, KEEPS_BOTH, track_id)
        stack.play(SKIPS_ONE, track_id)
        stack.skip(SKIPS_ONE, track_id)
    stack.consume_all()
    assert stack.profile(SKIPS_ONE).skip_count == 3

    # At once, before any batch run: the live path, the promoted model's answer.
    served_before = _live_served(stack)
    live = {user: stack.recommendations(user, n=20) for user in (KEEPS_BOTH, SKIPS_ONE)}
    for user, body in live.items():
        assert (body["path"], body["model_version"]) == ("personalized", promoted.name), body
        assert store.get_list(user, "all") is None  # computed live, not read
        assert not {item["track_id"] for item in body["items"]} & {*kept, *skipped}
    assert _live_served(stack) >= served_before + 2
    both, one = _genres(stack, live[KEEPS_BOTH]), _genres(stack, live[SKIPS_ONE])
    assert both[skipped_genre] > 0, both  # kept: the model offers its neighbours
    assert one[skipped_genre] < both[skipped_genre], (one, both)
    played = _played(stack.alexa(intent_request("PlayMusicIntent", {}, SKIPS_ONE)))
    assert stack.genre_of(played) != skipped_genre

    # The next incremental batch run folds them in: stored lists, from the same model.
    report = stack.batch().run_incremental()
    assert report.folded >= 2 and report.left_on_charts.get("no_history", 0) == 0
    stored = {user: store.get_list(user, "all") for user in (KEEPS_BOTH, SKIPS_ONE)}
    for user, found in stored.items():
        assert found is not None and found.model_version == promoted.name, user
    skips_one, keeps_both = stored[SKIPS_ONE], stored[KEEPS_BOTH]
    assert skips_one is not None and keeps_both is not None
    assert skips_one.track_ids != keeps_both.track_ids
    after = stack.recommendations(SKIPS_ONE, n=20)
    assert (after["path"], after["model_version"]) == ("personalized", promoted.name)
    assert _genres(stack, after)[skipped_genre] < both[skipped_genre]
    stack.assert_no_5xx()
