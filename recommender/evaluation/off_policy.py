"""Off-policy evaluation: what a target policy would have earned, from a logging policy's logs.

Logged bandit feedback, one row per action shown (``BanditLog``): the context, the action
(item), the reward observed (e.g. 1 when the track finished) and the logging policy's
propensity ``mu(a | x)`` of that action. The target policy enters as ``pi(a | x)`` of the
logged action; DR and Switch-DR also take a reward model's prediction for the logged action,
``q(x, a)``, and its expectation under the target, ``sum_b pi(b | x) q(x, b)``.

With importance weight ``w = pi(a | x) / mu(a | x)``:

- IPW: ``mean(w r)``, unbiased when ``mu > 0`` wherever ``pi > 0``;
- SNIPW: ``sum(w r) / sum(w)``, slightly biased, much less variance when weights are large;
- DR: ``mean(q_pi + w (r - q))``, unbiased if either the propensities or the model are right;
- Switch-DR: DR where ``w <= tau``, the model alone (``q_pi``) where ``w > tau``.

Slates (``SlateLog``, one row per list shown): the pseudo-inverse estimator (Swaminathan et
al., NeurIPS 2017) under its linearity assumption, that a list's reward is a sum over
positions of a term depending on the position and the item there. When the logging policy
draws each position independently, its weight reduces to per-position marginals:
``sum_j pi_j(s_j | x) / mu_j(s_j | x) - (L - 1)`` (``pseudo_inverse``); for any other
logging policy, such as ranked lists without repeats, ``pseudo_inverse_general`` takes the
policy's pairwise position-item moments (``slate_moments``).

Every estimate carries a percentile bootstrap interval (rows resampled with replacement,
seeded), the effective sample size ``(sum w)^2 / sum w^2`` and the largest weight: an ESS
far below n, or one weight near n, says the estimate rests on a few rows. The reward model
is held fixed across bootstrap resamples (it is fitted on other rows: ``cross_fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class OffPolicyInputError(ValueError):
    """Logged feedback or target probabilities that cannot give an estimate."""


@dataclass(frozen=True, slots=True)
class BanditLog:
    """One row per logged action: ``contexts`` and ``actions`` are integer codes."""

    contexts: IntArray
    actions: IntArray
    rewards: FloatArray
    propensities: FloatArray

    def __post_init__(self) -> None:
        n = len(self.actions)
        if n == 0:
            raise OffPolicyInputError("no logged rows")
        for name in ("contexts", "rewards", "propensities"):
            if len(getattr(self, name)) != n:
                raise OffPolicyInputError(f"{name} has {len(getattr(self, name))} rows, not {n}")
        _check_propensities(self.propensities, "logging propensities")
        if not np.all(np.isfinite(self.rewards)):
            raise OffPolicyInputError("rewards must be finite")

    def __len__(self) -> int:
        return len(self.actions)

    def take(self, rows: IntArray) -> BanditLog:
        return BanditLog(
            self.contexts[rows], self.actions[rows], self.rewards[rows], self.propensities[rows]
        )


@dataclass(frozen=True, slots=True)
class SlateLog:
    """One row per list shown: ``rewards`` is the list's reward (e.g. tracks finished) and
    ``propensities`` (lists x positions) the logging policy's marginal probability of the
    item it put at each position."""

    rewards: FloatArray
    propensities: FloatArray

    def __post_init__(self) -> None:
        if self.propensities.ndim != 2 or len(self.rewards) == 0:
            raise OffPolicyInputError("slate propensities must be lists x positions, not empty")
        if len(self.rewards) != self.propensities.shape[0]:
            raise OffPolicyInputError("one reward per list")
        _check_propensities(self.propensities, "logging propensities")
        if not np.all(np.isfinite(self.rewards)):
            raise OffPolicyInputError("rewards must be finite")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A policy value with its ``confidence`` bootstrap interval and how much to trust it."""

    estimator: str
    value: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    effective_sample_size: float
    max_weight: float

    def covers(self, truth: float) -> bool:
        return self.ci_low <= truth <= self.ci_high

    def line(self) -> str:
        return (
            f"{self.estimator:>9}: {self.value:.4f} [{self.ci_low:.4f}, {self.ci_high:.4f}]"
            f" n={self.n} ess={self.effective_sample_size:.0f} max_w={self.max_weight:.1f}"
        )


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Percentile bootstrap settings."""

    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.resamples < 1 or not 0.0 < self.confidence < 1.0:
            raise OffPolicyInputError("resamples >= 1 and 0 < confidence < 1")


def ipw(log: BanditLog, target: FloatArray, bootstrap: Bootstrap = Bootstrap()) -> Estimate:
    """Inverse propensity weighting; ``target`` is ``pi(a | x)`` of each logged action."""
    w = _weights(log, target)
    return _mean_estimate("IPW", w * log.rewards, w, bootstrap)


def snipw(log: BanditLog, target: FloatArray, bootstrap: Bootstrap = Bootstrap()) -> Estimate:
    """Self-normalized IPW: the weighted mean reward, weights summing to one."""
    w = _weights(log, target)
    if w.sum() <= 0:
        raise OffPolicyInputError("the target gives probability 0 to every logged action")
    return _estimate("SNIPW", w, bootstrap, (w * log.rewards, w), _ratio)


def dr(
    log: BanditLog,
    target: FloatArray,
    predicted: FloatArray,
    predicted_target: FloatArray,
    bootstrap: Bootstrap = Bootstrap(),
) -> Estimate:
    """Doubly robust: ``predicted`` is ``q(x, a)`` of each logged action and
    ``predicted_target`` the model's expected reward under the target, ``sum_b pi(b|x) q(x, b)``."""
    return switch_dr(log, target, predicted, predicted_target, np.inf, bootstrap, name="DR")


def switch_dr(
    log: BanditLog,
    target: FloatArray,
    predicted: FloatArray,
    predicted_target: FloatArray,
    tau: float,
    bootstrap: Bootstrap = Bootstrap(),
    *,
    name: str = "Switch-DR",
) -> Estimate:
    """DR where the weight is at most ``tau``, the reward model alone above it (Wang et al.
    2017): trades a little bias for much less variance when a few weights are huge."""
    if not tau > 0:
        raise OffPolicyInputError("tau must be positive")
    w = _weights(log, target)
    predicted = _aligned(predicted, len(log), "predicted rewards")
    predicted_target = _aligned(predicted_target, len(log), "predicted target rewards")
    kept = np.where(w <= tau, w, 0.0)
    terms = predicted_target + kept * (log.rewards - predicted)
    return _mean_estimate(name, terms, w, bootstrap)


def pseudo_inverse(
    log: SlateLog, target: FloatArray, bootstrap: Bootstrap = Bootstrap()
) -> Estimate:
    """The slate pseudo-inverse estimator for a logging policy that fills positions
    independently; ``target`` (lists x positions) is the target's marginal probability of
    the logged item at each position. Unbiased when the list's reward is additive over
    positions; its weights can be negative (they are a correction, not a probability)."""
    target = np.asarray(target, dtype=np.float64)
    if target.shape != log.propensities.shape:
        raise OffPolicyInputError(f"target is {target.shape}, logs {log.propensities.shape}")
    _check_target(target)
    positions = target.shape[1]
    w = (target / log.propensities).sum(axis=1) - (positions - 1)
    return _mean_estimate("PI", w * log.rewards, w, bootstrap)


def slate_moments(
    slates: IntArray, probabilities: FloatArray, n_items: int
) -> tuple[FloatArray, FloatArray]:
    """A slate policy's moments in one context, from its distribution over lists
    (``slates``: lists x positions of item codes, ``probabilities``: one per list):
    ``gamma`` (L*K x L*K, ``P(s_j = a and s_k = b)``) and ``marginals`` (L x K)."""
    slates = np.asarray(slates, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if slates.ndim != 2 or len(slates) != len(probabilities):
        raise OffPolicyInputError("one probability per list of positions")
    if not np.isclose(probabilities.sum(), 1.0) or np.any(probabilities < 0):
        raise OffPolicyInputError("slate probabilities must sum to 1")
    positions = slates.shape[1]
    indicators = np.zeros((len(slates), positions * n_items))
    indicators[np.arange(len(slates))[:, None], np.arange(positions) * n_items + slates] = 1.0
    gamma = indicators.T @ (indicators * probabilities[:, None])
    marginals = (probabilities @ indicators).reshape(positions, n_items)
    return gamma, marginals


def pseudo_inverse_general(
    rewards: FloatArray,
    slates: IntArray,
    contexts: IntArray,
    gamma: FloatArray,
    target_marginals: FloatArray,
    bootstrap: Bootstrap = Bootstrap(),
) -> Estimate:
    """The pseudo-inverse estimator for any logging policy, e.g. ranked lists without
    repeats (where ``pseudo_inverse``'s independence does not hold):
    ``r * q_pi(x)^T Gamma_mu(x)^+ 1_s``, with ``gamma`` (contexts x L*K x L*K) and
    ``target_marginals`` (contexts x L x K) per context code, e.g. from ``slate_moments``."""
    rewards = np.asarray(rewards, dtype=np.float64)
    slates = np.asarray(slates, dtype=np.int64)
    n, positions = slates.shape
    n_contexts, _, n_items = target_marginals.shape
    if len(rewards) != n or len(contexts) != n or n == 0:
        raise OffPolicyInputError("one reward and one context per logged list, not empty")
    if gamma.shape != (n_contexts, positions * n_items, positions * n_items):
        raise OffPolicyInputError(f"gamma is {gamma.shape}, not {n_contexts} x L*K x L*K")
    _check_target(target_marginals)
    contexts = np.asarray(contexts, dtype=np.int64)
    _check_codes(contexts, n_contexts, "context")
    _check_codes(slates, n_items, "item")
    if not np.all(np.isfinite(rewards)):
        raise OffPolicyInputError("rewards must be finite")
    cells = np.arange(positions) * n_items + slates
    logged = np.diagonal(gamma, axis1=1, axis2=2)[contexts[:, None], cells]
    if np.any(logged <= 0):
        raise OffPolicyInputError("the logging moments give a logged item probability 0")
    # One row vector q^T Gamma^+ per context; a list's weight sums it over its (j, s_j).
    projected = np.einsum(
        "cl,clm->cm", target_marginals.reshape(n_contexts, -1), np.linalg.pinv(gamma)
    )
    w = projected[contexts[:, None], cells].sum(axis=1)
    return _mean_estimate("PI", w * rewards, w, bootstrap)


# ---------------------------------------------------------------------------------------
# Reward model for DR: per (context, action) means shrunk to the action's mean


@dataclass(frozen=True, slots=True)
class RewardModel:
    """``q(x, a)``: the mean reward of (context, action), shrunk towards the action's mean
    (itself shrunk towards the global mean) by ``prior`` pseudo-rows."""

    table: FloatArray  # contexts x actions

    @staticmethod
    def fit(log: BanditLog, n_contexts: int, n_actions: int, prior: float = 5.0) -> RewardModel:
        overall = float(log.rewards.mean())
        action_sum = np.bincount(log.actions, log.rewards, n_actions)
        action_n = np.bincount(log.actions, minlength=n_actions)
        action_mean = (action_sum + prior * overall) / (action_n + prior)
        cell = log.contexts * n_actions + log.actions
        size = n_contexts * n_actions
        cell_sum = np.bincount(cell, log.rewards, size).reshape(n_contexts, n_actions)
        cell_n = np.bincount(cell, minlength=size).reshape(n_contexts, n_actions)
        return RewardModel((cell_sum + prior * action_mean) / (cell_n + prior))

    def predict(self, contexts: IntArray, actions: IntArray) -> FloatArray:
        return self.table[contexts, actions]

    def expected(self, contexts: IntArray, target_policy: FloatArray) -> FloatArray:
        """``sum_b pi(b | x) q(x, b)`` per row; ``target_policy`` is contexts x actions."""
        expected = (target_policy[contexts] * self.table[contexts]).sum(axis=1)
        return np.asarray(expected, dtype=np.float64)


def cross_fit(
    log: BanditLog,
    target_policy: FloatArray,
    *,
    folds: int = 2,
    seed: int = 0,
    prior: float = 5.0,
) -> tuple[FloatArray, FloatArray]:
    """DR's ``predicted`` and ``predicted_target`` for every row, each from a reward model
    fitted on the other folds, so that a row's own reward never predicts itself.
    ``target_policy`` is contexts x actions: ``pi(a | x)``."""
    n_contexts, n_actions = target_policy.shape
    return _cross_fit(
        log,
        n_contexts,
        n_actions,
        lambda model, held: model.expected(log.contexts[held], target_policy),
        folds=folds,
        seed=seed,
        prior=prior,
    )


def cross_fit_candidates(
    log: BanditLog,
    candidates: IntArray,
    target: FloatArray,
    n_contexts: int,
    n_actions: int,
    *,
    folds: int = 2,
    seed: int = 0,
    prior: float = 5.0,
) -> tuple[FloatArray, FloatArray]:
    """``cross_fit`` where each row has its own candidate actions (a ranked list's top):
    ``candidates`` (rows x k action codes) and ``target`` (rows x k, ``pi(b | x)`` of each)."""
    candidates = np.asarray(candidates, dtype=np.int64)
    target = np.asarray(target, dtype=np.float64)
    if candidates.shape != target.shape or len(candidates) != len(log):
        raise OffPolicyInputError("one row of candidates and target probabilities per row")
    _check_codes(candidates, n_actions, "action")
    _check_target(target)

    def expected(model: RewardModel, held: IntArray) -> FloatArray:
        values = model.table[log.contexts[held][:, None], candidates[held]]
        return np.asarray((target[held] * values).sum(axis=1), dtype=np.float64)

    return _cross_fit(log, n_contexts, n_actions, expected, folds=folds, seed=seed, prior=prior)


def _cross_fit(
    log: BanditLog,
    n_contexts: int,
    n_actions: int,
    expected: Callable[[RewardModel, IntArray], FloatArray],
    *,
    folds: int,
    seed: int,
    prior: float,
) -> tuple[FloatArray, FloatArray]:
    if folds < 2:
        raise OffPolicyInputError("cross-fitting needs at least 2 folds")
    _check_codes(log.contexts, n_contexts, "context")
    _check_codes(log.actions, n_actions, "action")
    fold = np.random.default_rng(seed).permutation(len(log)) % folds
    predicted = np.empty(len(log))
    predicted_target = np.empty(len(log))
    for k in range(folds):
        held = np.flatnonzero(fold == k)
        model = RewardModel.fit(log.take(np.flatnonzero(fold != k)), n_contexts, n_actions, prior)
        predicted[held] = model.predict(log.contexts[held], log.actions[held])
        predicted_target[held] = expected(model, held)
    return predicted, predicted_target


# ---------------------------------------------------------------------------------------


def _check_propensities(p: FloatArray, what: str) -> None:
    if not np.all(np.isfinite(p)):
        raise OffPolicyInputError(f"{what} must be present and finite (NaN or inf found)")
    if np.any(p <= 0) or np.any(p > 1):
        bad = p[(p <= 0) | (p > 1)]
        raise OffPolicyInputError(f"{what} must be in (0, 1]; found {bad[:3].tolist()}")


def _check_codes(codes: IntArray, size: int, what: str) -> None:
    if codes.size and (codes.min() < 0 or codes.max() >= size):
        raise OffPolicyInputError(f"{what} codes must be in [0, {size})")


def _check_target(p: FloatArray) -> None:
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise OffPolicyInputError("target probabilities must be in [0, 1]")


def _aligned(values: FloatArray, n: int, what: str) -> FloatArray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n,):
        raise OffPolicyInputError(f"{what} has shape {values.shape}, not ({n},)")
    if not np.all(np.isfinite(values)):
        raise OffPolicyInputError(f"{what} must be finite")
    return values


def _weights(log: BanditLog, target: FloatArray) -> FloatArray:
    target = _aligned(target, len(log), "target probabilities")
    _check_target(target)
    return target / log.propensities


def _mean_estimate(name: str, terms: FloatArray, w: FloatArray, bootstrap: Bootstrap) -> Estimate:
    return _estimate(name, w, bootstrap, (terms,), lambda sums, n: sums[0] / n)


def _ratio(sums: tuple[FloatArray, ...], n: int) -> FloatArray:
    weighted, weights = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weights > 0, weighted / np.where(weights > 0, weights, 1.0), np.nan)


def _estimate(
    name: str,
    w: FloatArray,
    bootstrap: Bootstrap,
    columns: tuple[FloatArray, ...],
    statistic: Callable[[tuple[FloatArray, ...], int], FloatArray],
) -> Estimate:
    """The statistic of column sums on all rows, and its percentile interval over
    ``bootstrap.resamples`` resamples (each a multinomial count per row)."""
    n = len(w)
    value = float(statistic(tuple(np.array([c.sum()]) for c in columns), n)[0])
    draws = _resampled_sums(columns, bootstrap)
    replicates = statistic(draws, n)
    replicates = replicates[np.isfinite(replicates)]
    tail = (1.0 - bootstrap.confidence) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail]) if len(replicates) else (value, value)
    square = float((w * w).sum())
    ess = float(w.sum()) ** 2 / square if square > 0 else 0.0
    return Estimate(
        name, value, float(low), float(high), bootstrap.confidence, n, ess, float(np.abs(w).max())
    )


def _resampled_sums(
    columns: tuple[FloatArray, ...], bootstrap: Bootstrap
) -> tuple[FloatArray, ...]:
    """Column sums over each resample, drawn in blocks to bound memory on big logs."""
    rng = np.random.default_rng(bootstrap.seed)
    n = len(columns[0])
    stacked = np.stack(columns, axis=1)  # rows x columns
    block = max(1, 4_000_000 // n)
    parts = []
    for start in range(0, bootstrap.resamples, block):
        size = min(block, bootstrap.resamples - start)
        rows = rng.integers(0, n, size=(size, n))
        parts.append(stacked[rows].sum(axis=1))  # size x columns
    sums = np.concatenate(parts, axis=0)
    return tuple(sums[:, j] for j in range(sums.shape[1]))
