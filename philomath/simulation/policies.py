"""Serving policies a simulation compares: each builds its serving stack on the real online
path (``build_online``) and says what it does at each simulated midnight.

``static``: the router as it is, retrained nightly: at each simulated midnight the offline
pipeline (ETL -> catalog -> profiles -> train -> recommend, ``philomath.offline.pipeline_on``)
reruns through the retrain trigger (``retrain_if_due``, as ``philomath retrain``) on the
policy's own feeds plus the live plays its feedback consumer archived that day, so the
candidates are retrained, the promotion gate decides, and every list is recomputed with the
promoted model into a new snapshot, which the router reads at once.
``bandit``: the same, with the Thompson re-ranker on (``PHILOMATH_BANDIT_*`` settings as
configured, only switched on) over the same nightly retrained model; its posteriors are fed by
the simulation's feedback consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from listening.player import Recommendations
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from recommender.serving.router import RecommendationRequest

Serve = Callable[[RecommendationRequest], Recommendations]


@dataclass
class Stack:
    """One policy's online path on its own copy of the world."""

    settings: Settings
    online: Online
    serve: Serve
    nightly: Callable[[], None]

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
        outcome = retrain_if_due(
            settings, force=True, run=lambda s: pipeline_on(s, online.backends)
        )
        if not outcome.ran:
            raise RuntimeError(f"the nightly retrain did not run: {outcome.decision.reason}")
        online.router.refresh_snapshot()

    return run


@dataclass(frozen=True, slots=True)
class StaticPolicy:
    """The router's ranking as it is, retrained nightly."""

    name: str = "static"

    def build(self, settings: Settings) -> Stack:
        online = build_online(settings)
        return Stack(
            settings, online, online.listening.player.recommend, nightly_retrain(settings, online)
        )


@dataclass(frozen=True, slots=True)
class BanditPolicy:
    """The router with the Thompson re-ranker (``recommender.serving.bandit``) on top."""

    name: str = "bandit"

    def build(self, settings: Settings) -> Stack:
        online = build_online(settings.model_copy(update={"bandit_enabled": True}))
        return Stack(
            settings, online, online.listening.player.recommend, nightly_retrain(settings, online)
        )


POLICIES: dict[str, Callable[[], Policy]] = {"static": StaticPolicy, "bandit": BanditPolicy}


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
