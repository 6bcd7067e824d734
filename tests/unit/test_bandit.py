"""The bandit re-ranker's policy (``recommender.serving.bandit``) and its use by the router."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest

from recommender.errors import PosteriorStoreUnavailable
from recommender.serving.bandit import (
    BanditConfig,
    StaticRanking,
    ThompsonReranker,
    arm_context,
    swap_propensities,
)
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.posteriors import Posterior, decayed, updated
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import POPULAR_USER
from tests.unit.router_fakes import DictCatalog, DictProfiles, DictStore, SwitchCache, rlist, track

NOW = 1_800_000_000.0
DAY = 86_400.0
TRACKS = tuple(f"t{i}" for i in range(15))
CONTEXT = arm_context("popular")


class DictPosteriors:
    def __init__(self, posteriors: dict[str, Posterior] | None = None) -> None:
        self.posteriors = posteriors or {}
        self.down = False

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        if self.down:
            raise PosteriorStoreUnavailable("down")
        return {t: self.posteriors[t] for t in track_ids if t in self.posteriors}


def reranker(
    posteriors: dict[str, Posterior] | None = None, seed: int = 7, **config: float
) -> ThompsonReranker:
    return ThompsonReranker(
        DictPosteriors(posteriors),
        BanditConfig(**config),  # type: ignore[arg-type]
        rng=random.Random(seed),
    )


# -- propensities -------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 5, 10])
@pytest.mark.parametrize("exploration", [0.0, 0.1, 0.5])
def test_each_track_s_propensities_over_positions_sum_to_one(k: int, exploration: float) -> None:
    # The deterministic order's first track stays (1 - e) or moves to slot j (e / (k - 1)
    # each); track j stays or moves to slot 0. Summed over where it can land: 1.
    if k == 1:
        assert swap_propensities(1, exploration, None) == (1.0,)
        return
    kept = swap_propensities(k, exploration, None)
    first = kept[0] + sum(swap_propensities(k, exploration, j)[j] for j in range(1, k))
    assert first == pytest.approx(1.0)
    for j in range(1, k):
        assert kept[j] + swap_propensities(k, exploration, j)[0] == pytest.approx(1.0)
    # And each slot holds exactly one track: per position, the probabilities sum to 1 too.
    slot0 = kept[0] + sum(swap_propensities(k, exploration, j)[0] for j in range(1, k))
    assert slot0 == pytest.approx(1.0 - exploration + exploration)


def test_logged_propensities_match_observed_frequencies() -> None:
    policy = reranker(exploration=0.3, top_k=4)
    first: Counter[str] = Counter()
    logged: dict[str, float] = {}
    runs = 4000
    for _ in range(runs):
        answer = policy.rerank(TRACKS[:4], CONTEXT, now=NOW)
        first[answer.track_ids[0]] += 1
        logged[answer.track_ids[0]] = answer.propensities[0]
    for track_id, count in first.items():
        assert count / runs == pytest.approx(logged[track_id], abs=0.03)


def test_exploration_is_bounded_by_configuration() -> None:
    policy = reranker(exploration=0.1, top_k=5)
    baseline = reranker(exploration=0.0, top_k=5).rerank(TRACKS, CONTEXT, now=NOW).track_ids
    moved = sum(policy.rerank(TRACKS, CONTEXT, now=NOW).track_ids != baseline for _ in range(3000))
    assert 0 < moved / 3000 < 0.13  # about 0.1: never more than the bound allows
    with pytest.raises(ValueError, match="exploration"):
        BanditConfig(exploration=1.5)


def test_only_the_top_k_are_reordered_and_the_rest_are_certain() -> None:
    for seed in range(50):
        answer = reranker(seed=seed, exploration=0.5, top_k=5).rerank(TRACKS, CONTEXT, now=NOW)
        assert sorted(answer.track_ids[:5]) == sorted(TRACKS[:5])
        assert answer.track_ids[5:] == TRACKS[5:]
        assert len(answer.propensities) == 5
        assert [answer.propensity(i) for i in range(5, 15)] == [1.0] * 10
        assert all(0.0 < p <= 1.0 for p in answer.propensities)


def test_same_seed_and_evidence_give_the_same_answers() -> None:
    evidence = {t: Posterior(1 + i, 3, NOW) for i, t in enumerate(TRACKS)}
    one = [reranker(evidence, seed=3).rerank(TRACKS, CONTEXT, now=NOW) for _ in range(5)]
    two = [reranker(evidence, seed=3).rerank(TRACKS, CONTEXT, now=NOW) for _ in range(5)]
    assert one == two


def test_strong_evidence_moves_a_track_up() -> None:
    loved = {"t9": Posterior(200, 1, NOW)}
    hated = {t: Posterior(1, 200, NOW) for t in TRACKS[:9]}
    answer = reranker({**loved, **hated}, exploration=0.0, blend=0.8).rerank(
        TRACKS, CONTEXT, now=NOW
    )
    assert answer.track_ids[0] == "t9"
    assert answer.propensities[0] == 1.0  # no exploration: the order was certain


def test_static_ranking_keeps_the_order_with_certain_placements() -> None:
    answer = StaticRanking().rerank(TRACKS, CONTEXT, now=NOW)
    assert answer.track_ids == TRACKS
    assert [answer.propensity(i) for i in range(len(TRACKS))] == [1.0] * len(TRACKS)


# -- decay --------------------------------------------------------------------------------


def test_evidence_halves_every_half_life_toward_the_prior() -> None:
    posterior = Posterior(11, 5, NOW)
    later = decayed(posterior, NOW + 7 * DAY, half_life_days=7)
    assert (later.alpha, later.beta) == pytest.approx((6, 3))
    much_later = decayed(posterior, NOW + 700 * DAY, half_life_days=7)
    assert (much_later.alpha, much_later.beta) == pytest.approx((1, 1))
    assert decayed(posterior, NOW - DAY, half_life_days=7) == posterior  # no time ran back


def test_an_update_decays_first_then_adds() -> None:
    after = updated(Posterior(3, 1, NOW), 1, 0, NOW + 14 * DAY, half_life_days=14)
    assert (after.alpha, after.beta, after.updated_at) == pytest.approx((3, 1, NOW + 14 * DAY))
    late = updated(after, 0, 1, NOW, half_life_days=14)  # an event older than the state
    assert (late.alpha, late.beta, late.updated_at) == pytest.approx((3, 2, NOW + 14 * DAY))


# -- in the router ------------------------------------------------------------------------


def _loved(track_id: str) -> dict[str, Posterior]:
    """``track_id`` played to the end by everyone, the others skipped by everyone."""
    return {t: Posterior(500, 1, NOW) if t == track_id else Posterior(1, 500, NOW) for t in TRACKS}


def _router(bandit: ThompsonReranker | None = None) -> Router:
    store = DictStore([rlist(POPULAR_USER, "all", *TRACKS)])
    catalog = DictCatalog({t: track(t, "pop") for t in TRACKS})
    return Router(
        store,
        DictProfiles(UserProfile("new", play_count=0)),
        SwitchCache(),
        catalog=catalog,  # type: ignore[arg-type]
        clock=lambda: NOW,
        reranker=bandit,
    )


def test_router_reorders_within_top_k_and_logs_propensities() -> None:
    request = RecommendationRequest("new", popular=True, n=10)
    static = _router().recommend(request)
    assert static.propensities == (1.0,)  # and the others past its end: certain
    loved = _loved("t7")
    bandit = reranker(loved, exploration=0.0, blend=0.9, top_k=8)
    answer = _router(bandit).recommend(request)
    assert answer.track_ids[0] == "t7"
    assert sorted(answer.track_ids[:8]) == sorted(static.track_ids[:8])
    assert answer.track_ids[8:] == static.track_ids[8:]
    assert len(answer.propensities) == 8
    assert (answer.path, answer.model_version) == (static.path, static.model_version)


def test_router_takes_a_reranker_per_request() -> None:
    request = RecommendationRequest("new", popular=True, n=10)
    loved = _loved("t7")
    router = _router()
    bandit = reranker(loved, exploration=0.0, blend=0.9)
    assert router.recommend(request, bandit).track_ids[0] == "t7"
    assert router.recommend(request).track_ids[0] == "t0"


def test_router_serves_the_ranked_order_when_the_posterior_store_is_down() -> None:
    bandit = reranker(_loved("t7"), exploration=0.5, blend=0.9)
    bandit._posteriors.down = True  # type: ignore[attr-defined]
    answer = _router(bandit).recommend(RecommendationRequest("new", popular=True, n=10))
    assert answer.track_ids == TRACKS[:10]
    assert answer.propensities == (1.0,)
