"""First-slot off-policy evaluation of the bandit: the logging re-ranker's propensities and the
target's probabilities are exact (they match observed frequencies), the estimates cover a
known truth, and logs of a policy that does not explore are refused."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from recommender.evaluation.off_policy import Bootstrap, OffPolicyInputError
from recommender.evaluation.off_policy_bandit import FirstSlotRow, evaluate_first_slot
from recommender.serving.bandit import BanditConfig, StaticRanking, ThompsonReranker
from recommender.serving.bandit_probabilities import (
    Target,
    UnknownSwap,
    first_slot_distribution,
    ranked_before_swap,
    thompson_target,
)
from recommender.storage.posteriors import Posterior

DRAWS = 20_000
CONTEXT = "personalized|||"


class _Posteriors:
    def __init__(self, stored: dict[str, Posterior]) -> None:
        self._stored = stored

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        return {t: self._stored[t] for t in track_ids if t in self._stored}


def _logging(exploration: float, seed: int = 0, top_k: int = 5) -> ThompsonReranker:
    config = BanditConfig(top_k=top_k, exploration=exploration, blend=0.0)
    return ThompsonReranker(_Posteriors({}), config, rng=random.Random(seed))


def _close(observed: int, p: float, n: int = DRAWS) -> bool:
    """Within 4.5 standard errors of a binomial with probability ``p``."""
    return abs(observed / n - p) <= 4.5 * float(np.sqrt(p * (1 - p) / n)) + 1e-12


def test_the_logging_policys_propensities_match_observed_frequencies() -> None:
    ranked = [f"t{i}" for i in range(8)]
    logging = _logging(0.4)
    placements: Counter[tuple[int, str]] = Counter()
    logged: dict[tuple[int, str], set[float]] = {}
    for _ in range(DRAWS):
        served = logging.rerank(ranked, CONTEXT, now=0.0)
        # The ranking it swapped is read back from its propensities alone.
        assert ranked_before_swap(served.track_ids, served.propensities, 0.4) == tuple(ranked)
        for position, track in enumerate(served.track_ids):
            placements[position, track] += 1
            logged.setdefault((position, track), set()).add(served.propensity(position))
    for (position, track), count in placements.items():
        (propensity,) = logged[position, track]  # one propensity per placement: exact
        assert _close(count, propensity), (position, track, count / DRAWS, propensity)
    first = {track: placements[0, track] for track in ranked}
    for track, p in first_slot_distribution(ranked[:5], 0.4).items():
        assert _close(first[track], p)
    assert first["t5"] == 0  # past the top k: never first


def test_the_targets_first_slot_probabilities_match_observed_frequencies() -> None:
    ranked = [f"t{i}" for i in range(6)]
    posteriors = _Posteriors({"t3": Posterior(30.0, 2.0, 0.0), "t0": Posterior(2.0, 30.0, 0.0)})
    config = BanditConfig(top_k=6, exploration=0.2, blend=0.7)
    bandit = ThompsonReranker(posteriors, config, rng=random.Random(1))
    expected = thompson_target(posteriors, config).first_slot(ranked, CONTEXT, 0.0)
    assert expected["t0"] < 0.5  # its posterior (almost never finished) moved it down
    first = Counter(bandit.rerank(ranked, CONTEXT, now=0.0).track_ids[0] for _ in range(DRAWS))
    assert set(first) == set(expected)
    for track, p in expected.items():
        assert _close(first[track], p), (track, first[track] / DRAWS, p)


def _world(
    lists: int, seed: int, logging_exploration: float, *, explores: bool = True
) -> tuple[list[FirstSlotRow], float]:
    """Lists over a pool of tracks with known completion chances, logged by the exploring
    static ranking (or, ``explores=False``, the static ranking itself); a target that puts
    first the best of its top 5, exploring 0.1; the target's exact first-slot completion
    rate."""
    rng = np.random.default_rng(seed)
    pool = [f"t{i}" for i in range(40)]
    chance = dict(zip(pool, rng.beta(2.0, 2.0, len(pool)), strict=True))
    logging = _logging(logging_exploration, seed) if explores else StaticRanking()
    target = Target(lambda ranked, _c, _t: tuple(sorted(ranked[:5], key=lambda t: -chance[t])), 0.1)
    rows, truth = [], 0.0
    for _ in range(lists):
        ranked = [pool[i] for i in rng.choice(len(pool), 8, replace=False)]
        served = logging.rerank(ranked, CONTEXT, now=0.0)
        top = ranked_before_swap(served.track_ids, served.propensities, logging_exploration)
        wanted = target.first_slot(ranked, CONTEXT, 0.0)
        first = served.track_ids[0]
        rows.append(
            FirstSlotRow(
                CONTEXT,
                first_slot_distribution(top[: len(served.propensities)], logging_exploration),
                wanted,
                first,
                served.propensities[0],
                float(rng.random() < chance[first]),
            )
        )
        truth += sum(p * chance[t] for t, p in wanted.items()) / lists
    return rows, truth


def test_the_estimates_cover_a_known_truth() -> None:
    runs, covered = 20, Counter[str]()
    errors: dict[str, list[float]] = {"IPW": [], "SNIPW": [], "DR": []}
    for seed in range(runs):
        rows, truth = _world(1500, seed, 0.5)
        result = evaluate_first_slot(rows, Bootstrap(300, seed=seed))
        for estimate in result.estimates:
            covered[estimate.estimator] += estimate.covers(truth)
            errors[estimate.estimator].append(estimate.value - truth)
        assert result.logging.value < truth  # the ranking alone is worse than the target
    for name, errs in errors.items():
        assert covered[name] >= 0.8 * runs, (name, covered[name])
        # No bias beyond noise: the mean error within 3 standard errors of 0.
        assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(runs), (name, np.mean(errs))


def test_a_logging_policy_that_does_not_explore_is_refused() -> None:
    rows, _ = _world(50, 0, 0.5, explores=False)
    assert {row.propensity for row in rows} == {1.0}
    assert all(len(row.logging) == 1 for row in rows)  # only its own first track
    with pytest.raises(OffPolicyInputError, match="no support"):
        evaluate_first_slot(rows)


def test_a_propensity_that_is_not_the_logging_policys_chance_is_refused() -> None:
    rows, _ = _world(50, 0, 0.5)
    wrong = [replace(rows[0], propensity=0.3), *rows[1:]]
    with pytest.raises(OffPolicyInputError, match="not the logging policy's chance"):
        evaluate_first_slot(wrong)


def test_propensities_that_fit_no_swap_are_refused() -> None:
    with pytest.raises(UnknownSwap, match="fit no first-slot swap"):
        ranked_before_swap(("a", "b", "c"), (0.5, 0.9, 0.5), 0.2)
    with pytest.raises(UnknownSwap, match="more than one"):
        ranked_before_swap(("a", "b"), (0.5, 0.5), 0.5)  # a swap or none: cannot tell
    assert ranked_before_swap(("b", "a", "c"), (0.1, 0.9, 0.1), 0.2) == ("c", "a", "b")
