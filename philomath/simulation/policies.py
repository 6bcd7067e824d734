"""Serving policies a simulation compares: each builds its serving stack on the real online
path (``build_online``) and says what it does at each simulated midnight.

``static``: the router as it is, retrained nightly: at each simulated midnight the offline
pipeline (ETL -> catalog -> profiles -> train -> recommend, ``philomath.offline.pipeline_on``)
reruns through the retrain trigger (``retrain_if_due``, as ``philomath retrain``) on the
policy's own feeds plus the live plays its feedback consumer archived that day: the model
kind in service is refitted on them (``in_service_candidates``: with the popularity
baseline, not the whole candidate search), the promotion gate decides, and every list is
recomputed with the promoted model into a new snapshot, which the router reads at once.
``bandit``: the same, with the Thompson re-ranker on (``PHILOMATH_BANDIT_*`` settings as
configured, only switched on) over the same nightly retrained model; its posteriors are fed by
the simulation's feedback consumer, and its exploration swap draws from a generator seeded by
the simulation's seed, so a run repeats (its Thompson draws are seeded by the posteriors).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from listening.player import Recommendations
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from recommender.serving.router import RecommendationRequest

if TYPE_CHECKING:
    from recommender.offline.training import Candidate

Serve = Callable[[RecommendationRequest], Recommendations]


@dataclass
class SimulatedClock:
    """The simulation's time, which the run moves: the router (sessions, the re-ranker's
    decay) and the feedback consumer read it, as they read the wall clock in service."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Stack:
    """One policy's online path on its own copy of the world, on ``clock``."""

    settings: Settings
    online: Online
    serve: Serve
    nightly: Callable[[], None]
    clock: SimulatedClock

    def close(self) -> None:
        self.online.close()


class Policy(Protocol):
    @property
    def name(self) -> str: ...

    def build(self, settings: Settings) -> Stack: ...


def nightly_retrain(settings: Settings, online: Online) -> Callable[[], None]:
    """Retrain on the feeds and the archived live plays, publish the new lists, serve them."""
    from philomath.offline import pipeline_on, retrain_if_due

    def run() -> None:
        candidates = in_service_candidates(settings)
        outcome = retrain_if_due(
            settings,
            force=True,
            run=lambda s: pipeline_on(s, online.backends, candidates=candidates),
        )
        if not outcome.ran:
            raise RuntimeError(f"the nightly retrain did not run: {outcome.decision.reason}")
        online.router.refresh_snapshot()

    return run


def in_service_candidates(settings: Settings) -> tuple[Candidate, ...]:
    """The training candidate of the promoted model and the popularity baseline: what a
    nightly refit trains (the full candidate search costs minutes a night here; the kind in
    service is refitted on the new plays, and the promotion gate still compares it with the
    model in service on the same split)."""
    from recommender.models.registry import ModelRegistry
    from recommender.offline.training import BASELINE, CANDIDATES

    promoted = ModelRegistry(settings.models_dir).promoted()
    labels = {BASELINE, promoted.label if promoted is not None else BASELINE}
    return tuple(c for c in CANDIDATES if c.label in labels)


@dataclass(frozen=True, slots=True)
class StaticPolicy:
    """The router's ranking as it is, retrained nightly."""

    name: str = "static"

    def build(self, settings: Settings) -> Stack:
        clock = SimulatedClock()
        online = build_online(settings, clock=clock)
        player = online.listening.player
        return Stack(settings, online, player.recommend, nightly_retrain(settings, online), clock)


@dataclass(frozen=True, slots=True)
class BanditPolicy:
    """The router with the Thompson re-ranker (``recommender.serving.bandit``) on top."""

    name: str = "bandit"

    def build(self, settings: Settings) -> Stack:
        clock = SimulatedClock()
        online = build_online(
            settings.model_copy(update={"bandit_enabled": True}),
            clock=clock,
            exploration_rng=random.Random(settings.seed),  # the same seed, the same swaps
        )
        player = online.listening.player
        return Stack(settings, online, player.recommend, nightly_retrain(settings, online), clock)


POLICIES: dict[str, Callable[[], Policy]] = {"static": StaticPolicy, "bandit": BanditPolicy}


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
