"""A synthetic world where a policy's true value is known exactly, to check the estimators
of ``off_policy`` (tests and ``bench/off_policy.py`` use it).

Contexts are drawn uniformly; action ``a`` in context ``x`` completes with probability
``completion[x, a]``. Policies are contexts x actions probability tables, so every
propensity is exact and the value of a policy is ``mean_x sum_a pi(a|x) completion[x, a]``.
Slates fill each position independently from per-position tables; a list's reward is the
number of its tracks that complete, a track at position ``j`` with probability
``attention[j] * completion[x, a]``: additive over positions, as the pseudo-inverse
estimator assumes. Ranked lists (no repeats, drawn by Plackett-Luce) are enumerated whole,
so their exact moments and values are known too.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

from recommender.evaluation.off_policy import BanditLog, FloatArray, IntArray, SlateLog


def softmax(scores: FloatArray, temperature: float) -> FloatArray:
    z = scores / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.asarray(z / z.sum(axis=-1, keepdims=True), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class World:
    completion: FloatArray  # contexts x actions

    @staticmethod
    def random(contexts: int, actions: int, seed: int) -> World:
        rng = np.random.default_rng(seed)
        return World(rng.beta(2.0, 3.0, size=(contexts, actions)))

    @property
    def shape(self) -> tuple[int, int]:
        contexts, actions = self.completion.shape
        return contexts, actions

    def value(self, policy: FloatArray) -> float:
        """The exact expected completion rate of ``policy`` (contexts x actions)."""
        return float((policy * self.completion).sum(axis=1).mean())

    def log(self, policy: FloatArray, n: int, rng: np.random.Generator) -> BanditLog:
        """``n`` rows of feedback from ``policy``, with its exact propensities."""
        contexts = rng.integers(0, self.shape[0], size=n)
        cumulative = policy[contexts].cumsum(axis=1)
        draws = rng.random(n)[:, None]
        actions = np.minimum((cumulative < draws).sum(axis=1), self.shape[1] - 1)
        rewards = (rng.random(n) < self.completion[contexts, actions]).astype(np.float64)
        return BanditLog(contexts, actions, rewards, policy[contexts, actions])

    def logging_policy(self, seed: int, temperature: float = 0.3) -> FloatArray:
        """A policy that knows the completion rates only through noise (a static model)."""
        noise = np.random.default_rng(seed).normal(0.0, 0.2, size=self.completion.shape)
        return softmax(self.completion + noise, temperature)

    def target_policy(self, temperature: float = 0.1, epsilon: float = 0.1) -> FloatArray:
        """A sharper policy, closer to the truth, with epsilon exploration (a bandit)."""
        greedy = softmax(self.completion, temperature)
        return (1.0 - epsilon) * greedy + epsilon / self.shape[1]


@dataclass(frozen=True, slots=True)
class SlateWorld:
    world: World
    attention: FloatArray  # positions

    def value(self, marginals: FloatArray) -> float:
        """Exact expected completions per list; ``marginals`` is positions x contexts x actions."""
        per_position = (marginals * self.world.completion[None]).sum(axis=2).mean(axis=1)
        return float((self.attention * per_position).sum())

    def log(
        self, logging: FloatArray, target: FloatArray, n: int, rng: np.random.Generator
    ) -> tuple[SlateLog, FloatArray]:
        """``n`` lists from ``logging`` (positions x contexts x actions, drawn independently
        per position), and the target's marginals of the logged items."""
        positions, contexts_n, actions_n = logging.shape
        contexts = rng.integers(0, contexts_n, size=n)
        propensities = np.empty((n, positions))
        target_marginals = np.empty((n, positions))
        rewards = np.zeros(n)
        for j in range(positions):
            cumulative = logging[j][contexts].cumsum(axis=1)
            draws = rng.random(n)[:, None]
            items = np.minimum((cumulative < draws).sum(axis=1), actions_n - 1)
            propensities[:, j] = logging[j][contexts, items]
            target_marginals[:, j] = target[j][contexts, items]
            chance = self.attention[j] * self.world.completion[contexts, items]
            rewards += rng.random(n) < chance
        return SlateLog(rewards, propensities), target_marginals


@dataclass(frozen=True, slots=True)
class RankedWorld:
    """Ranked lists without repeats: every ordered choice of ``positions`` of the world's
    actions, drawn by a Plackett-Luce policy (a softmax, then a softmax over the rest...).
    Positions are not independent here, so only the general pseudo-inverse applies."""

    world: World
    attention: FloatArray  # positions

    @property
    def lists(self) -> IntArray:
        actions = self.world.shape[1]
        return np.array(list(permutations(range(actions), len(self.attention))), dtype=np.int64)

    def plackett_luce(self, scores: FloatArray) -> FloatArray:
        """contexts x lists: the probability of each list, from contexts x actions scores."""
        lists = self.lists
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        probability = np.ones((scores.shape[0], len(lists)))
        left = np.broadcast_to(weights.sum(axis=1)[:, None], probability.shape).copy()
        for j in range(lists.shape[1]):
            chosen = weights[:, lists[:, j]]
            probability *= chosen / left
            left -= chosen
        return probability

    def value(self, policy: FloatArray) -> float:
        """Exact expected completions per list of ``policy`` (contexts x lists)."""
        per_list = (self.attention * self.world.completion[:, self.lists]).sum(axis=2)
        return float((policy * per_list).sum(axis=1).mean())

    def log(
        self, policy: FloatArray, n: int, rng: np.random.Generator
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """``n`` lists drawn from ``policy``: their contexts, items (n x positions), rewards."""
        contexts = rng.integers(0, self.world.shape[0], size=n)
        cumulative = policy[contexts].cumsum(axis=1)
        drawn = np.minimum((cumulative < rng.random(n)[:, None]).sum(axis=1), len(policy[0]) - 1)
        slates = self.lists[drawn]
        chance = self.attention * self.world.completion[contexts[:, None], slates]
        rewards = (rng.random(chance.shape) < chance).sum(axis=1).astype(np.float64)
        return contexts, slates, rewards
