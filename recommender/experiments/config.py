"""Experiments declared in a file (JSON or TOML), validated, and frozen once started.

A file holds ``{"experiments": [{name, salt, status, started_at, traffic, variants,
primary_metric, guardrails}]}``. Each variant has a ``weight`` and ``overrides``: opaque
key-values the serving path applies (``model_version``, re-ranker settings...).

Immutable once started: the first time a ``running`` experiment is loaded, a digest of what
decides assignment (salt, traffic, variants with weights and overrides) is written to a lock
file beside the declarations; a later change to a started experiment is refused with one line.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from recommender.errors import DataError

Metric = Literal["skip_rate", "completion_rate", "plays_per_session", "likes_per_listener"]
# Which direction is better for each metric (a guardrail fails when it moves the other way).
HIGHER_IS_BETTER: dict[str, bool] = {
    "skip_rate": False,
    "completion_rate": True,
    "plays_per_session": True,
    "likes_per_listener": True,
}


class ExperimentConfigError(DataError):
    """An experiments file that does not parse, or a change to a started experiment."""


class Variant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    weight: float = Field(gt=0)
    overrides: dict[str, str] = Field(default_factory=dict)


class Guardrail(BaseModel):
    """A metric the treatment must not make worse by more than ``max_relative_harm``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Metric
    max_relative_harm: float = Field(default=0.02, ge=0, le=1)


class Experiment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    salt: str = Field(min_length=1, max_length=128)
    status: Literal["draft", "running", "stopped"] = "draft"
    started_at: datetime | None = None
    traffic: float = Field(default=1.0, gt=0, le=1)  # share of listeners in the experiment
    variants: tuple[Variant, ...] = Field(min_length=2)
    primary_metric: Metric = "completion_rate"
    guardrails: tuple[Guardrail, ...] = ()
    alpha: float = Field(default=0.05, gt=0, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        names = [variant.name for variant in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names repeat: {names}")
        if self.status != "draft" and self.started_at is None:
            raise ValueError(f"a {self.status} experiment needs started_at")
        return self

    @property
    def control(self) -> Variant:
        """The first variant is the control every other is compared with."""
        return self.variants[0]

    def digest(self) -> str:
        """What decides who gets which variant; it may not change once started."""
        frozen = {
            "salt": self.salt,
            "traffic": self.traffic,
            "variants": [variant.model_dump() for variant in self.variants],
        }
        return hashlib.sha256(json.dumps(frozen, sort_keys=True).encode()).hexdigest()


class ExperimentFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    experiments: tuple[Experiment, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> ExperimentFile:
        names = [experiment.name for experiment in self.experiments]
        if len(set(names)) != len(names):
            raise ValueError(f"experiment names repeat: {names}")
        return self


def parse_experiments(text: str, *, toml: bool = False) -> tuple[Experiment, ...]:
    """The experiments ``text`` declares (JSON, or TOML when ``toml``)."""
    try:
        raw = tomllib.loads(text) if toml else json.loads(text)
        return ExperimentFile.model_validate(raw).experiments
    except (ValueError, ValidationError) as exc:  # JSON/TOML decode errors are ValueErrors
        if isinstance(exc, ValidationError):
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ExperimentConfigError(f"experiments: {where}: {first['msg']}") from None
        raise ExperimentConfigError(f"experiments: {exc}") from None


def lock_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.lock.json")


def load_experiments(path: Path) -> tuple[Experiment, ...]:
    """The experiments declared in ``path`` (none when it does not exist), with every started
    experiment checked against (or recorded in) the lock file beside it."""
    if not path.exists():
        return ()
    experiments = parse_experiments(path.read_text(encoding="utf-8"), toml=path.suffix == ".toml")
    enforce_immutable(experiments, lock_path(path))
    return experiments


def enforce_immutable(experiments: tuple[Experiment, ...], lock: Path) -> None:
    """Refuse a started experiment whose assignment changed; record newly started ones."""
    locked: dict[str, str] = json.loads(lock.read_text("utf-8")) if lock.exists() else {}
    changed = False
    for experiment in experiments:
        if experiment.status == "draft":
            continue
        digest = experiment.digest()
        known = locked.get(experiment.name)
        if known is None:
            locked[experiment.name] = digest
            changed = True
        elif known != digest:
            raise ExperimentConfigError(
                f"experiment {experiment.name!r} has started: its salt, traffic and variants "
                "cannot change (start a new experiment under a new name)"
            )
    if changed:
        tmp = lock.with_name(f".{lock.name}.tmp")
        try:
            tmp.write_text(json.dumps(locked, indent=2, sort_keys=True), encoding="utf-8")
            tmp.replace(lock)
        except OSError as exc:  # a read-only package (a Lambda): ship the lock with the file
            raise ExperimentConfigError(
                f"cannot record started experiments in {lock} ({exc.strerror}): run "
                "`philomath experiment list` where the file is writable and ship the lock with it"
            ) from None


def find(experiments: tuple[Experiment, ...], name: str) -> Experiment:
    for experiment in experiments:
        if experiment.name == name:
            return experiment
    known = ", ".join(e.name for e in experiments) or "none declared"
    raise ExperimentConfigError(f"no experiment named {name!r} (known: {known})")
