"""Serving policies a simulation compares: each builds its serving stack on the real online
path (``build_online``) and says what it does at each simulated midnight.

``static``: the router as it is, its lists recomputed nightly by batch inference with the
promoted model (the incremental batch every night, on the day's updated profiles). A learning
policy (the bandit) adds a ``Policy`` whose ``serve`` reorders the same player's answers, and
one line in ``POLICIES``; for instance (the reranker's own API decides the middle line)::

    def build(self, settings):
        online = build_online(settings)
        reranker = ThompsonReranker(...)  # its posteriors fed by the feedback consumer
        serve = lambda request: reranked(online.listening.player.recommend(request), reranker)
        return Stack(settings, online, serve, nightly_batch(settings, online))
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


POLICIES: dict[str, Callable[[], Policy]] = {"static": StaticPolicy}


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
