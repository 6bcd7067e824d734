"""The policies an off-policy simulation runs (``off_policy``), each with seeded exploration
on the simulated clock (the router's, so posteriors decay by simulated days), so that a seed
gives the same run:

``static-logging``: the static ranking with bounded uniform exploration of the first slot,
the logging policy; it is the bandit's own re-ranker with ``blend=0`` (its order is the
ranking's) and the given exploration, so its propensities are the re-ranker's, exact.
``bandit-learning``: the bandit (``PHILOMATH_BANDIT_*`` settings), learning online as
``bandit`` does; its posteriors at the end are the snapshot the target reads.
``bandit-frozen``: the bandit over a copy of that snapshot, which nothing updates (its
feedback consumer has no posterior store): a policy whose order is a function of the
context, the target of the estimates.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from listening.player import Recommendations
from philomath.settings import Settings
from philomath.simulation.policies import SimulatedClock, Stack, nightly_retrain
from philomath.wiring import Online, bandit_config, build_online
from recommender.serving.bandit import (
    BanditConfig,
    Reranker,
    ThompsonReranker,
)
from recommender.serving.router import RecommendationRequest
from recommender.storage.posteriors import Posterior
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore

MAX_LOGGING_EXPLORATION = 0.5  # as PHILOMATH_BANDIT_EXPLORATION's bound
SNAPSHOT_FILE = "bandit-snapshot.db"


class _NoPosteriors:
    """Posteriors of a re-ranker that does not weigh them (``blend=0``): none stored."""

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        return {}


def check_logging_exploration(exploration: float) -> float:
    if not 0.0 < exploration <= MAX_LOGGING_EXPLORATION:
        raise ValueError(
            f"logging exploration must be within (0, {MAX_LOGGING_EXPLORATION}]: a logging"
            " policy that never explores supports no other policy"
        )
    return exploration


def logging_config(settings: Settings, exploration: float) -> BanditConfig:
    """The logging policy's re-ranker: the bandit's top k, the ranking's order, exploring."""
    check_logging_exploration(exploration)
    return replace(bandit_config(settings), exploration=exploration, blend=0.0)


def _stack(settings: Settings, online: Online, reranker: Reranker, clock: SimulatedClock) -> Stack:
    player = online.listening.player

    def serve(request: RecommendationRequest) -> Recommendations:
        return player.recommend(request, reranker)

    return Stack(settings, online, serve, nightly_retrain(settings, online), clock)


@dataclass(frozen=True, slots=True)
class StaticLoggingPolicy:
    exploration: float
    seed: int = 0
    name: str = "static-logging"

    def build(self, settings: Settings) -> Stack:
        config = logging_config(settings, self.exploration)
        clock = SimulatedClock()
        online = build_online(settings, clock=clock)  # the bandit off: nothing learns posteriors
        reranker = ThompsonReranker(_NoPosteriors(), config, rng=random.Random(self.seed))
        return _stack(settings, online, reranker, clock)


@dataclass(frozen=True, slots=True)
class LearningBanditPolicy:
    seed: int = 0
    name: str = "bandit-learning"

    def build(self, settings: Settings) -> Stack:
        clock = SimulatedClock()
        online = build_online(settings.model_copy(update={"bandit_enabled": True}), clock=clock)
        posteriors = online.backends.posteriors
        assert posteriors is not None  # the bandit is on
        reranker = ThompsonReranker(
            posteriors, bandit_config(settings), rng=random.Random(self.seed)
        )
        return _stack(settings, online, reranker, clock)


@dataclass
class _FrozenStack(Stack):
    snapshot: SqlitePosteriorStore | None = None

    def close(self) -> None:
        super().close()
        if self.snapshot is not None:
            self.snapshot.close()


@dataclass(frozen=True, slots=True)
class FrozenBanditPolicy:
    snapshot: Path  # a posterior store file (SQLite) the bandit learned
    seed: int = 0
    name: str = "bandit-frozen"

    def build(self, settings: Settings) -> Stack:
        if not self.snapshot.is_file():
            raise ValueError(f"no bandit snapshot at {self.snapshot}")
        copy = settings.data_dir / SNAPSHOT_FILE
        shutil.copyfile(self.snapshot, copy)
        store = SqlitePosteriorStore(copy)
        clock = SimulatedClock()
        online = build_online(settings, clock=clock)  # the consumer updates no posteriors
        reranker = ThompsonReranker(store, bandit_config(settings), rng=random.Random(self.seed))
        stack = _stack(settings, online, reranker, clock)
        return _FrozenStack(
            stack.settings, stack.online, stack.serve, stack.nightly, clock, snapshot=store
        )
