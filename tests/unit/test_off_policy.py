"""Off-policy estimators checked against a synthetic world whose true values are exact."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation.off_policy import (
    BanditLog,
    Bootstrap,
    Estimate,
    OffPolicyInputError,
    SlateLog,
    cross_fit,
    dr,
    ipw,
    pseudo_inverse,
    pseudo_inverse_general,
    slate_moments,
    snipw,
    switch_dr,
)
from recommender.evaluation.off_policy_sim import RankedWorld, SlateWorld, World, softmax

RUNS = 100
ROWS = 2000
BOOT = Bootstrap(resamples=300)


def _estimates(world: World, logging: np.ndarray, target: np.ndarray, seed: int) -> list[Estimate]:
    log = world.log(logging, ROWS, np.random.default_rng(seed))
    probabilities = target[log.contexts, log.actions]
    boot = Bootstrap(BOOT.resamples, seed=seed)
    predicted, predicted_target = cross_fit(log, target, seed=seed)
    return [
        ipw(log, probabilities, boot),
        snipw(log, probabilities, boot),
        dr(log, probabilities, predicted, predicted_target, boot),
    ]


@pytest.fixture(scope="module")
def repeated() -> tuple[float, list[list[Estimate]]]:
    world = World.random(contexts=8, actions=6, seed=7)
    logging, target = world.logging_policy(seed=1), world.target_policy()
    runs = [_estimates(world, logging, target, seed) for seed in range(RUNS)]
    return world.value(target), runs


def test_logging_and_target_policies_differ_so_the_check_means_something() -> None:
    world = World.random(contexts=8, actions=6, seed=7)
    assert world.value(world.target_policy()) - world.value(world.logging_policy(1)) > 0.05


@pytest.mark.parametrize("which", [0, 1, 2], ids=["IPW", "SNIPW", "DR"])
def test_estimators_are_unbiased_and_their_intervals_cover_the_truth(
    repeated: tuple[float, list[list[Estimate]]], which: int
) -> None:
    truth, runs = repeated
    values = np.array([run[which].value for run in runs])
    standard_error = values.std(ddof=1) / np.sqrt(RUNS)
    assert abs(values.mean() - truth) < 4 * standard_error + 0.002
    coverage = np.mean([run[which].covers(truth) for run in runs])
    assert coverage >= 0.85, f"{runs[0][which].estimator} covered the truth {coverage:.0%}"


def test_dr_with_a_good_reward_model_varies_less_than_ipw(
    repeated: tuple[float, list[list[Estimate]]],
) -> None:
    _, runs = repeated
    ipw_spread = np.std([run[0].value for run in runs])
    dr_spread = np.std([run[2].value for run in runs])
    assert dr_spread < 0.8 * ipw_spread


def test_offline_estimate_predicts_the_target_policys_simulated_completion_rate() -> None:
    world = World.random(contexts=8, actions=6, seed=3)
    logging, target = world.logging_policy(seed=2), world.target_policy()
    static = world.log(logging, 5000, np.random.default_rng(11))
    online = world.log(target, 200_000, np.random.default_rng(12))  # run the target for real
    simulated = float(online.rewards.mean())
    probabilities = target[static.contexts, static.actions]
    predicted, predicted_target = cross_fit(static, target)
    for estimate in (
        ipw(static, probabilities),
        snipw(static, probabilities),
        dr(static, probabilities, predicted, predicted_target),
    ):
        assert estimate.covers(simulated), estimate.line()
    assert abs(simulated - world.value(target)) < 0.005
    assert float(static.rewards.mean()) < estimate.ci_low  # the logs alone would mislead


def test_switch_dr_is_dr_below_the_threshold_and_the_model_above_it() -> None:
    world = World.random(contexts=4, actions=5, seed=0)
    logging, target = world.logging_policy(seed=0), world.target_policy()
    log = world.log(logging, 500, np.random.default_rng(0))
    probabilities = target[log.contexts, log.actions]
    predicted, predicted_target = cross_fit(log, target)
    doubly = dr(log, probabilities, predicted, predicted_target)
    assert switch_dr(log, probabilities, predicted, predicted_target, 1e9).value == doubly.value
    model_only = switch_dr(log, probabilities, predicted, predicted_target, 1e-9)
    assert model_only.value == pytest.approx(predicted_target.mean())


def test_on_policy_logs_give_the_mean_reward_and_full_effective_sample_size() -> None:
    world = World.random(contexts=3, actions=4, seed=1)
    policy = world.logging_policy(seed=1)
    log = world.log(policy, 400, np.random.default_rng(5))
    same = policy[log.contexts, log.actions]
    estimate = ipw(log, same)
    assert estimate.value == pytest.approx(log.rewards.mean())
    assert estimate.effective_sample_size == pytest.approx(400)
    assert estimate.max_weight == pytest.approx(1.0)
    assert estimate.ci_low < estimate.value < estimate.ci_high


def test_a_target_far_from_the_logs_shows_a_small_effective_sample_size() -> None:
    world = World.random(contexts=3, actions=10, seed=1)
    logging = world.logging_policy(seed=1, temperature=5.0)  # nearly uniform
    greedy = np.eye(10)[np.argmin(world.completion, axis=1)]  # what logging rarely did
    log = world.log(logging, 1000, np.random.default_rng(0))
    estimate = ipw(log, greedy[log.contexts, log.actions])
    assert estimate.effective_sample_size < 150
    assert estimate.max_weight > 8


def test_bootstrap_is_seeded() -> None:
    world = World.random(contexts=3, actions=4, seed=1)
    log = world.log(world.logging_policy(1), 300, np.random.default_rng(0))
    target = world.target_policy()[log.contexts, log.actions]
    assert snipw(log, target, Bootstrap(200, seed=4)) == snipw(log, target, Bootstrap(200, seed=4))
    assert snipw(log, target, Bootstrap(200, seed=4)) != snipw(log, target, Bootstrap(200, seed=5))


@pytest.mark.parametrize("bad", [0.0, -0.2, np.nan, 1.5])
def test_unusable_propensities_are_refused(bad: float) -> None:
    with pytest.raises(OffPolicyInputError, match="propensities"):
        BanditLog(
            np.zeros(3, dtype=np.int64),
            np.zeros(3, dtype=np.int64),
            np.ones(3),
            np.array([0.5, bad, 0.5]),
        )


def test_mismatched_or_empty_inputs_are_refused() -> None:
    log = BanditLog(np.zeros(2, np.int64), np.zeros(2, np.int64), np.ones(2), np.full(2, 0.5))
    with pytest.raises(OffPolicyInputError, match="shape"):
        ipw(log, np.ones(3))
    with pytest.raises(OffPolicyInputError, match=r"\[0, 1\]"):
        ipw(log, np.array([0.5, 2.0]))
    with pytest.raises(OffPolicyInputError, match="no logged rows"):
        BanditLog(np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones(0), np.ones(0))
    with pytest.raises(OffPolicyInputError, match="rows"):
        BanditLog(np.zeros(2, np.int64), np.zeros(2, np.int64), np.ones(3), np.full(2, 0.5))
    with pytest.raises(OffPolicyInputError, match="every logged action"):
        snipw(log, np.zeros(2))


def test_slate_pseudo_inverse_is_unbiased_for_additive_rewards() -> None:
    world = World.random(contexts=5, actions=6, seed=2)
    slates = SlateWorld(world, attention=np.array([1.0, 0.7, 0.4]))
    noise = np.random.default_rng(0).normal(0, 0.2, size=(3, 5, 6))
    logging = softmax(world.completion[None] + noise, 0.4)
    target = np.stack([world.target_policy(temperature=0.1 + 0.1 * j) for j in range(3)])
    truth = slates.value(target)
    assert truth - slates.value(logging) > 0.1
    values, covered = [], []
    for seed in range(60):
        log, marginals = slates.log(logging, target, 2000, np.random.default_rng(seed))
        estimate = pseudo_inverse(log, marginals, Bootstrap(300, seed=seed))
        values.append(estimate.value)
        covered.append(estimate.covers(truth))
    standard_error = np.std(values, ddof=1) / np.sqrt(len(values))
    assert abs(np.mean(values) - truth) < 4 * standard_error + 0.005
    assert np.mean(covered) >= 0.85


def test_slate_targets_must_match_the_logs() -> None:
    log = SlateLog(np.ones(2), np.full((2, 3), 0.5))
    with pytest.raises(OffPolicyInputError, match="target is"):
        pseudo_inverse(log, np.full((2, 2), 0.5))
    with pytest.raises(OffPolicyInputError, match="propensities"):
        SlateLog(np.ones(2), np.array([[0.5, 0.0, 0.5], [0.5, 0.5, 0.5]]))


def _ranked() -> tuple[RankedWorld, np.ndarray, np.ndarray]:
    world = World.random(contexts=3, actions=4, seed=5)
    ranked = RankedWorld(world, attention=np.array([1.0, 0.6]))
    noise = np.random.default_rng(0).normal(0, 0.5, size=world.shape)
    return (
        ranked,
        ranked.plackett_luce(2 * world.completion + noise),
        ranked.plackett_luce(12 * world.completion),
    )


def test_general_pseudo_inverse_is_unbiased_for_ranked_lists_without_repeats() -> None:
    ranked, logging, target = _ranked()
    truth = ranked.value(target)
    assert truth - ranked.value(logging) > 0.05
    moments = [slate_moments(ranked.lists, p, 4) for p in logging]
    gamma = np.stack([g for g, _ in moments])
    target_marginals = np.stack([slate_moments(ranked.lists, p, 4)[1] for p in target])
    logging_marginals = np.stack([m for _, m in moments])
    general, independent, covered = [], [], []
    for seed in range(60):
        contexts, slates, rewards = ranked.log(logging, 2000, np.random.default_rng(seed))
        estimate = pseudo_inverse_general(
            rewards, slates, contexts, gamma, target_marginals, Bootstrap(300, seed=seed)
        )
        general.append(estimate.value)
        covered.append(estimate.covers(truth))
        cells = (contexts[:, None], np.arange(2), slates)
        naive = SlateLog(rewards, logging_marginals[cells])
        independent.append(pseudo_inverse(naive, target_marginals[cells]).value)
    standard_error = np.std(general, ddof=1) / np.sqrt(len(general))
    assert abs(np.mean(general) - truth) < 4 * standard_error + 0.005
    assert np.mean(covered) >= 0.85
    # The per-position shortcut assumes independent positions, which ranked lists are not.
    assert abs(np.mean(independent) - truth) > 0.01


def test_general_pseudo_inverse_equals_the_shortcut_when_positions_are_independent() -> None:
    rng = np.random.default_rng(1)
    logging, target = softmax(rng.normal(size=(2, 4)), 1.0), softmax(rng.normal(size=(2, 4)), 1.0)
    lists = np.array([[a, b] for a in range(4) for b in range(4)])
    probabilities = logging[0][lists[:, 0]] * logging[1][lists[:, 1]]
    gamma, marginals = slate_moments(lists, probabilities, 4)
    np.testing.assert_allclose(marginals, logging)
    logged = lists[rng.integers(0, len(lists), size=50)]
    rewards = rng.random(50)
    cells = (np.arange(2), logged)
    general = pseudo_inverse_general(
        rewards, logged, np.zeros(50, np.int64), gamma[None], target[None]
    )
    shortcut = pseudo_inverse(SlateLog(rewards, logging[cells]), target[cells])
    assert general.value == pytest.approx(shortcut.value)


def test_slate_moments_need_a_distribution() -> None:
    with pytest.raises(OffPolicyInputError, match="sum to 1"):
        slate_moments(np.array([[0, 1], [1, 0]]), np.array([0.5, 0.2]), 2)


def test_general_pseudo_inverse_refuses_lists_the_logging_moments_rule_out() -> None:
    lists = np.array([[0, 1], [1, 0]])
    gamma, marginals = slate_moments(lists, np.array([0.5, 0.5]), 3)
    one = (np.ones(1), np.array([[0, 2]]), np.zeros(1, np.int64))
    with pytest.raises(OffPolicyInputError, match="probability 0"):
        pseudo_inverse_general(*one, gamma[None], marginals[None])
    with pytest.raises(OffPolicyInputError, match="item codes"):
        pseudo_inverse_general(np.ones(1), np.array([[0, 3]]), one[2], gamma[None], marginals[None])


def test_cross_fit_refuses_codes_outside_the_target_table() -> None:
    log = BanditLog(np.zeros(4, np.int64), np.array([0, 1, 2, 3]), np.ones(4), np.full(4, 0.25))
    with pytest.raises(OffPolicyInputError, match="action codes"):
        cross_fit(log, np.full((1, 3), 1 / 3))
