"""Who gets which variant: a salted SHA-256 of (experiment salt, listener id) into buckets.

Deterministic (the same listener always lands in the same variant), independent across
experiments (each has its own salt, so adding one reshuffles nobody in another), and cheap
(one or two hashes per request). Eligibility (``traffic``) and the variant use two different
hashes, so widening traffic keeps everyone already in the experiment where they were.

Exposure is logged when a variant actually serves, not at assignment: the serving path
(``recommender.serving.experiments``) holds each running experiment's ``Split``, applies the
listener's variant's overrides, and, when the variant served, adds ``exposure_key`` (as
``Assignment.context()`` does) to the impression's ``Served.context``, so the ``started``
play event is the exposure (``analysis.exposures_from_events``); a front door without play
events could record an ``Exposure`` through an ``ExposureLog`` instead. ``ConfiguredAssigner``
gives the assignments with their overrides, for tools and tests. No numpy: serving imports
this.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recommender.experiments.config import Experiment, Variant

BUCKETS = 10_000


def bucket(salt: str, listener_id: str, purpose: str = "variant") -> int:
    """The listener's bucket in [0, BUCKETS) for this salt and purpose."""
    digest = hashlib.sha256(f"{salt}\x1f{purpose}\x1f{listener_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(experiment: Experiment, listener_id: str) -> Variant | None:
    """The variant ``listener_id`` gets, or None when outside the experiment's traffic."""
    return Split.of(experiment).variant(listener_id)


@dataclass(frozen=True, slots=True)
class Split:
    """An experiment's assignment rule worked out once (what the serving path holds): its
    salt, the traffic cut in buckets and each variant's cumulative share."""

    salt: str
    traffic: int
    cuts: tuple[tuple[float, Variant], ...]

    @classmethod
    def of(cls, experiment: Experiment) -> Split:
        total = sum(variant.weight for variant in experiment.variants)
        cuts, cumulative = [], 0.0
        for variant in experiment.variants:
            cumulative += variant.weight / total
            cuts.append((cumulative, variant))
        return cls(experiment.salt, round(experiment.traffic * BUCKETS), tuple(cuts))

    def variant(self, listener_id: str) -> Variant | None:
        """The variant ``listener_id`` gets, or None when outside the traffic."""
        if bucket(self.salt, listener_id, "traffic") >= self.traffic:
            return None
        point = bucket(self.salt, listener_id) / BUCKETS
        for cut, variant in self.cuts:
            if point < cut:
                return variant
        return self.cuts[-1][1]  # rounding at the top edge


def exposure_key(experiment: str) -> str:
    """The ``Served.context`` key naming the variant of ``experiment`` that served."""
    return f"exp.{experiment}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One running experiment's variant for a listener, with the overrides it asks for."""

    experiment: str
    variant: str
    overrides: tuple[tuple[str, str], ...]

    def context(self) -> dict[str, str]:
        """For ``Served.context``: ``{"exp.<experiment>": variant}``."""
        return {exposure_key(self.experiment): self.variant}


class ExperimentAssigner(Protocol):
    """What the serving path calls per request (a hash per running experiment)."""

    def assign(self, listener_id: str) -> Sequence[Assignment]:
        """The listener's variants in every running experiment it is eligible for."""


class ConfiguredAssigner:
    """``ExperimentAssigner`` over declared experiments (only ``running`` ones assign)."""

    def __init__(self, experiments: Iterable[Experiment]) -> None:
        self._running = tuple((e, Split.of(e)) for e in experiments if e.status == "running")

    def assign(self, listener_id: str) -> list[Assignment]:
        assignments = []
        for experiment, split in self._running:
            variant = split.variant(listener_id)
            if variant is not None:
                overrides = tuple(sorted(variant.overrides.items()))
                assignments.append(Assignment(experiment.name, variant.name, overrides))
        return assignments


@dataclass(frozen=True, slots=True)
class Exposure:
    """A variant actually served to a listener: the unit the analysis counts."""

    experiment: str
    variant: str
    listener_id: str
    impression_id: str
    occurred_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "experiment": self.experiment,
            "variant": self.variant,
            "listener_id": self.listener_id,
            "impression_id": self.impression_id,
            "occurred_at": self.occurred_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, str]) -> Exposure:
        return cls(
            experiment=raw["experiment"],
            variant=raw["variant"],
            listener_id=raw["listener_id"],
            impression_id=raw["impression_id"],
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
        )


class ExposureLog(Protocol):
    """Where exposures go. Adapters: ``MemoryExposureLog``, ``FileExposureLog`` (JSON lines)."""

    def record(self, exposures: Sequence[Exposure]) -> None:
        """Append exposures; durable when this returns."""

    def read(self, experiment: str) -> list[Exposure]:
        """Every exposure of ``experiment``, in the order recorded."""
