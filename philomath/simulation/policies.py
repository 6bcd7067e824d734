"""Serving policies a simulation compares: each builds its serving stack on the real online
path (``build_online``) and says what it does at each simulated midnight.

``static``: the router as it is, its lists recomputed nightly by batch inference with the
promoted model (the incremental batch every night, on the day's updated profiles).
``bandit``: the same, with the Thompson re-ranker on (``PHILOMATH_BANDIT_*`` settings as
configured, only switched on); its posteriors are fed by the simulation's feedback consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from listening.player import Recommendations
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from recommender.batch.inference import BatchInference
from recommender.batch.promoted_model import load_promoted_model
from recommender.data.etl import unified
from recommender.data.interactions import Interactions
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


def nightly_batch(settings: Settings, online: Online) -> Callable[[], None]:
    """Recompute every listener's stored lists with the promoted model, then serve them."""
    unified_dir = settings.data_dir / "work" / "unified"
    interactions = Interactions.from_unified(unified_dir)
    tracks = list(unified.tracks(unified_dir))
    model = load_promoted_model(settings.data_dir / "work" / "models", interactions)
    backends = online.backends

    def run() -> None:
        batch = BatchInference(
            model, interactions, tracks, backends.store, backends.profiles, backends.cache
        )
        batch.run_full()
        online.router.refresh_snapshot()

    return run


@dataclass(frozen=True, slots=True)
class StaticPolicy:
    """The router's ranking as it is, retrained (batch-recomputed) nightly."""

    name: str = "static"

    def build(self, settings: Settings) -> Stack:
        online = build_online(settings)
        return Stack(
            settings, online, online.listening.player.recommend, nightly_batch(settings, online)
        )


@dataclass(frozen=True, slots=True)
class BanditPolicy:
    """The router with the Thompson re-ranker (``recommender.serving.bandit``) on top."""

    name: str = "bandit"

    def build(self, settings: Settings) -> Stack:
        online = build_online(settings.model_copy(update={"bandit_enabled": True}))
        return Stack(
            settings, online, online.listening.player.recommend, nightly_batch(settings, online)
        )


POLICIES: dict[str, Callable[[], Policy]] = {"static": StaticPolicy, "bandit": BanditPolicy}


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
