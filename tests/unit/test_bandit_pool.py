"""The bandit's wider candidate pool and genre arms (``recommender.serving.bandit``): a track
from below the top k can be served, a genre's evidence lifts its unheard tracks, the logged
propensities stay exact, every play also counts for its genre's arm, and genre arms can
forget faster than track arms to follow a genre that starts trending."""

from __future__ import annotations

from collections import Counter

import pytest

from recommender.feedback.bandit_feedback import decaying_fold, evidence_of
from recommender.serving.bandit import arm_context, group_arm, with_group_prior
from recommender.serving.router import RecommendationRequest
from recommender.storage.posteriors import Evidence, Posterior, arm_half_life
from tests.unit.test_bandit import CONTEXT, DAY, NOW, TRACKS, _loved, _router, reranker
from tests.unit.test_bandit_feedback import ev

GENRES = {t: ("pop" if i < 8 else "rock") for i, t in enumerate(TRACKS)}
ROCK = {t for t, g in GENRES.items() if g == "rock"}


def test_a_wide_pool_serves_a_loved_track_from_below_the_top_k() -> None:
    loved = _loved("t12")
    narrow = reranker(loved, exploration=0.0, blend=0.9, top_k=5)
    assert "t12" not in narrow.rerank(TRACKS, CONTEXT, now=NOW).track_ids[:5]
    wide = reranker(loved, exploration=0.0, blend=0.9, top_k=5, pool=15)
    answer = wide.rerank(TRACKS, CONTEXT, now=NOW)
    assert answer.track_ids[0] == "t12"
    assert sorted(answer.track_ids) == sorted(TRACKS)  # nothing lost or repeated
    below = answer.track_ids[5:]
    assert list(below) == [t for t in TRACKS if t in set(below)]  # the model's order
    assert len(answer.propensities) == 5  # the places below the top k are certain


def test_the_pool_is_at_least_the_top_k() -> None:
    assert reranker(top_k=5).pool == 5
    assert reranker(top_k=5, pool=3).pool == 5
    assert reranker(top_k=5, pool=40).pool == 40
    with pytest.raises(ValueError, match="pool"):
        reranker(pool=-1)
    with pytest.raises(ValueError, match="prior_strength"):
        reranker(prior_strength=-1.0)


def test_a_genre_arm_s_prior_moves_a_track_arm_towards_its_mean() -> None:
    track = Posterior(3.0, 2.0, NOW)
    assert with_group_prior(track, Posterior(90.0, 10.0), 0.0) == track
    assert with_group_prior(track, None, 5.0) == track
    lifted = with_group_prior(track, Posterior(90.0, 10.0), 10.0)
    assert (lifted.alpha, lifted.beta) == pytest.approx((12.0, 3.0))
    assert lifted.mean > track.mean
    # An unheard track starts at its genre's mean (plus the flat prior's pseudo-plays).
    unheard = with_group_prior(None, Posterior(1.0, 99.0), 98.0)
    assert unheard.mean == pytest.approx(1.98 / 100.0)


def _genre_evidence() -> dict[str, Posterior]:
    """Rock finished by everyone, pop skipped, no track arm heard yet."""
    return {group_arm("rock"): Posterior(200, 1, NOW), group_arm("pop"): Posterior(1, 200, NOW)}


def test_genre_evidence_lifts_tracks_nobody_heard_yet() -> None:
    def rock_in_top(strength: float, context: str) -> int:
        policy = reranker(
            _genre_evidence(), exploration=0.0, blend=0.9, top_k=5, pool=15, prior_strength=strength
        )
        answer = policy.rerank(TRACKS, context, now=NOW, groups=GENRES)
        return sum(t in ROCK for t in answer.track_ids[:5])

    contexts = [arm_context("personalized", part_of_day=str(i)) for i in range(30)]
    assert all(rock_in_top(20.0, c) == 5 for c in contexts)
    # A flat prior knows nothing of genres: rock, ranked lower, fills the top less often.
    assert sum(rock_in_top(0.0, c) for c in contexts) / len(contexts) < 4
    # Without groups there is no genre arm to read.
    flat = reranker(_genre_evidence(), exploration=0.0, top_k=5, pool=15, prior_strength=20.0)
    unaware = reranker(exploration=0.0, top_k=5, pool=15)
    expected = unaware.rerank(TRACKS, CONTEXT, now=NOW).track_ids[:5]
    assert flat.rerank(TRACKS, CONTEXT, now=NOW).track_ids[:5] == expected


def test_pool_and_genre_propensities_sum_to_one_and_match_observed_frequencies() -> None:
    evidence = {**_genre_evidence(), "t3": Posterior(30, 2, NOW)}
    policy = reranker(evidence, exploration=0.3, top_k=4, pool=15, prior_strength=5.0)
    first: Counter[str] = Counter()
    logged: dict[str, float] = {}
    runs = 4000
    for _ in range(runs):
        answer = policy.rerank(TRACKS, CONTEXT, now=NOW, groups=GENRES)
        first[answer.track_ids[0]] += 1
        logged[answer.track_ids[0]] = answer.propensities[0]
        assert len(answer.propensities) == 4 and sorted(answer.track_ids) == sorted(TRACKS)
    assert len(first) == 4  # the first of the order, or one of the 3 it swaps with
    assert sum(logged.values()) == pytest.approx(1.0)  # whatever lands first, one of these
    for track_id, count in first.items():
        assert count / runs == pytest.approx(logged[track_id], abs=0.03)


def test_the_router_gives_a_wide_pool_and_cuts_the_answer_to_n() -> None:
    request = RecommendationRequest("new", popular=True, n=5)
    static = _router().recommend(request)
    assert len(static.track_ids) == 5 and "t12" not in static.track_ids
    bandit = reranker(_loved("t12"), exploration=0.0, blend=0.9, top_k=3, pool=15)
    answer = _router(bandit).recommend(request)
    assert answer.track_ids[0] == "t12"
    assert len(answer.track_ids) == 5 and len(answer.propensities) == 3


def test_every_play_also_counts_for_its_genre_arm() -> None:
    event = ev("skipped", "e1", "t9")
    found = evidence_of([event], {"t9": "Rock"})
    assert [(e.event_id, e.track_id, e.successes, e.failures) for e in found] == [
        ("e1", "t9", 0.0, 1.0),
        ("e1", group_arm("rock"), 0.0, 1.0),
    ]
    assert found[0].context == found[1].context
    assert [e.track_id for e in evidence_of([event], {"t9": None})] == ["t9"]
    assert [e.track_id for e in evidence_of([event])] == ["t9"]


def test_a_genre_arm_forgets_at_its_own_half_life() -> None:
    rock, track = group_arm("rock"), "t9"
    assert arm_half_life(rock, 14.0, 1.0) == 1.0
    assert arm_half_life(track, 14.0, 1.0) == 14.0
    assert arm_half_life(rock, 14.0, 0.0) == 14.0  # 0: as the track arms
    fold = decaying_fold(14.0, genre_half_life_days=1.0)
    start = Posterior(9.0, 1.0, NOW)
    later = NOW + DAY
    genre = fold(start, Evidence("e1", CONTEXT, rock, 0.0, 1.0, later))
    kept = fold(start, Evidence("e2", CONTEXT, track, 0.0, 1.0, later))
    assert (genre.alpha, genre.beta) == pytest.approx((5.0, 2.0))  # halved, then the skip
    assert kept.alpha == pytest.approx(1.0 + 8.0 * 0.5 ** (1 / 14))
    with pytest.raises(ValueError, match="genre_half_life_days"):
        reranker(genre_half_life_days=-1.0)


def _turned_genres(genre_half_life_days: float) -> dict[str, Posterior]:
    """Three weeks of rock skipped and pop finished, then two days where it turned: the
    genre arms as the consumer folds them with these half-lives."""
    fold = decaying_fold(14.0, genre_half_life_days)
    arms: dict[str, Posterior | None] = {group_arm("rock"): None, group_arm("pop"): None}
    turn = NOW - 2 * DAY
    for day in range(21):
        at = turn - (21 - day) * DAY
        for i in range(20):
            for arm, finished in ((group_arm("rock"), False), (group_arm("pop"), True)):
                outcome = (1.0, 0.0) if finished else (0.0, 1.0)
                arms[arm] = fold(arms[arm], Evidence(f"{day}-{i}", CONTEXT, arm, *outcome, at))
    for hour in range(48):
        at = turn + hour * 3600
        for arm, finished in ((group_arm("rock"), True), (group_arm("pop"), False)):
            outcome = (1.0, 0.0) if finished else (0.0, 1.0)
            arms[arm] = fold(arms[arm], Evidence(f"t{hour}", CONTEXT, arm, *outcome, at))
    return {arm: posterior for arm, posterior in arms.items() if posterior is not None}


def test_a_short_genre_half_life_follows_a_genre_that_starts_trending() -> None:
    def rock_in_top(genre_half_life_days: float) -> int:
        policy = reranker(
            _turned_genres(genre_half_life_days), exploration=0.0, blend=0.9, top_k=5,
            pool=15, prior_strength=50.0, genre_half_life_days=genre_half_life_days,
        )  # fmt: skip
        answer = policy.rerank(TRACKS, CONTEXT, now=NOW, groups=GENRES)
        return sum(t in ROCK for t in answer.track_ids[:5])

    assert _turned_genres(1.0)[group_arm("rock")].mean > 0.8
    assert _turned_genres(0.0)[group_arm("rock")].mean < 0.3  # 14 days: the old verdict holds
    assert rock_in_top(1.0) >= 4
    assert rock_in_top(0.0) <= 1
