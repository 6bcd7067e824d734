"""Running A/B experiments on each request: the listener's variants, what they override, and
which of them actually served.

Per request, ``ServingExperiments.plan`` hashes the listener into every running experiment
(``experiments.assignment``: two SHA-256 each) and looks up the variant's plan, parsed once at
start. A variant's ``overrides`` may say (anything else is refused at start, in one line):

- ``model_version``: serve lists of that model version, from the snapshot that holds them
  (``snapshots``: the current one when that model made it, else the one
  ``philomath batch --experiment-model NAME`` staged). When the store holds none, the request
  is served as by default and that variant is not exposed (logged once per variant): its
  listeners then drop out of the analysis, which the sample-ratio check reports.
- ``bandit`` (``on``/``off``), ``bandit_top_k``, ``bandit_exploration``, ``bandit_blend``: the
  re-ranker: the list as ranked, or Thompson sampling with these settings (the others from
  ``PHILOMATH_BANDIT_*``); any ``bandit_*`` setting implies ``on``.

Two running experiments may not override the same thing (the model, or the re-ranker): whose
variant served could not be told. A variant with no overrides (a control) is served by the
defaults.

Exposure: a variant is exposed (``Recommendation.experiments``, then ``Served.context``, so
the play events carry it) when each of its overrides applied (its model's snapshot answered,
its re-ranker ordered the list) and the answer has tracks that did not come from the
in-process charts (the store was reachable). Every variant loses the same requests to an
outage, so the split stays as configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from recommender.experiments.assignment import Split, exposure_key
from recommender.experiments.config import Experiment, ExperimentConfigError, Variant
from recommender.serving.bandit import BanditConfig, Reranker, StaticRanking, ThompsonReranker
from recommender.storage.posteriors import PosteriorReader
from recommender.storage.recommendations import check_snapshot_id

logger = logging.getLogger(__name__)

MODEL_VERSION = "model_version"
BANDIT_SETTINGS = ("bandit_top_k", "bandit_exploration", "bandit_blend")
OVERRIDES = (MODEL_VERSION, "bandit", *BANDIT_SETTINGS)
MAX_EXPLORATION = 0.5  # as PHILOMATH_BANDIT_EXPLORATION allows
# Each exposed variant is one key of ``Served.context`` beside the request's facets.
MAX_RUNNING = 8
# What an answer's causes say about where its tracks came from: not the variant's.
_NOT_SERVED = frozenset({"memory", "empty"})


@dataclass(frozen=True, slots=True)
class VariantPlan:
    """What one variant changes: None is the default."""

    experiment: str
    variant: str
    model_version: str | None = None
    reranker: Reranker | None = None
    # Whether its experiment compares re-rankers (a control without overrides included).
    compares_rerankers: bool = False


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """The overrides one request gets and the variants they come from."""

    snapshot: str | None = None  # the variant model's snapshot; None: the current one
    reranker: Reranker | None = None
    variants: tuple[VariantPlan, ...] = ()  # whose overrides could apply

    def served(
        self, track_ids: Sequence[str], causes: Iterable[str], reranked: bool
    ) -> tuple[tuple[str, str], ...]:
        """(experiment, variant) of each variant that served the answer; ``reranked``: the
        re-ranker the plan asks for (its own, else the router's) ordered it, as asked."""
        if not track_ids or _NOT_SERVED.intersection(causes):
            return ()
        return tuple(
            (v.experiment, v.variant) for v in self.variants if reranked or not v.compares_rerankers
        )


NO_PLAN = RequestPlan()


class ServingExperiments:
    """The running experiments, parsed for serving; see the module docstring. ``bandit`` is
    the configured re-ranker's settings, which variants adjust; ``posteriors`` the bandit's
    store (needed when a variant turns the bandit on: ``needs_posteriors``)."""

    def __init__(
        self,
        experiments: Iterable[Experiment],
        *,
        bandit: BanditConfig,
        posteriors: PosteriorReader | None,
    ) -> None:
        running = [e for e in experiments if e.status == "running"]
        if len(running) > MAX_RUNNING:
            raise ExperimentConfigError(
                f"{len(running)} experiments are running; at most {MAX_RUNNING} may run at once"
            )
        _refuse_overlaps(running)
        # Per experiment, its split and its variants' plans by name: worked out once.
        self._running: list[tuple[Split, dict[str, VariantPlan]]] = []
        for e in running:
            plans = [variant_plan(e, v, bandit, posteriors) for v in e.variants]
            compares = any(plan.reranker is not None for plan in plans)
            by_name = {p.variant: replace(p, compares_rerankers=compares) for p in plans}
            self._running.append((Split.of(e), by_name))
        self._unavailable: set[tuple[str, str]] = set()

    @property
    def running(self) -> bool:
        return bool(self._running)

    def plan(self, listener_id: str, snapshot_of: Callable[[str], str | None]) -> RequestPlan:
        """The listener's overrides; ``snapshot_of`` finds a model version's snapshot."""
        snapshot: str | None = None
        reranker: Reranker | None = None
        variants = []
        for split, plans in self._running:
            variant = split.variant(listener_id)
            if variant is None:
                continue
            plan = plans[variant.name]
            if plan.model_version is not None:
                snapshot = snapshot_of(plan.model_version)
                if snapshot is None:
                    self._warn_unavailable(plan)
                    continue
            reranker = plan.reranker or reranker
            variants.append(plan)
        return RequestPlan(snapshot, reranker, tuple(variants)) if variants else NO_PLAN

    def _warn_unavailable(self, plan: VariantPlan) -> None:
        key = (plan.experiment, plan.variant)
        if key not in self._unavailable:
            self._unavailable.add(key)
            logger.warning(
                "experiment %s variant %s: no lists of model %s in the store (run `philomath "
                "batch --experiment-model %s`); its listeners get the default, not exposed",
                *key, plan.model_version, plan.model_version,
            )  # fmt: skip


def exposure_context(served: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``Served.context`` entries naming the variants that served (``exp.<experiment>``):
    the ``started`` event of a track they served is their exposure."""
    return {exposure_key(experiment): variant for experiment, variant in served}


def needs_posteriors(experiments: Iterable[Experiment]) -> bool:
    """Whether a running experiment has a variant that turns the bandit on."""
    return any(
        _bandit_on(v.overrides) for e in experiments if e.status == "running" for v in e.variants
    )


def variant_plan(
    experiment: Experiment,
    variant: Variant,
    bandit: BanditConfig,
    posteriors: PosteriorReader | None,
) -> VariantPlan:
    """``variant``'s overrides, checked; ExperimentConfigError naming what is wrong."""
    where = f"experiment {experiment.name!r} variant {variant.name!r}"
    overrides = variant.overrides
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise ExperimentConfigError(
            f"{where}: unknown overrides {unknown}; known: {', '.join(OVERRIDES)}"
        )
    model_version = overrides.get(MODEL_VERSION)
    if model_version is not None:
        try:
            check_snapshot_id(f"{model_version}.x")
        except ValueError:
            raise ExperimentConfigError(
                f"{where}: model_version {model_version!r} is not a model version"
            ) from None
    reranker: Reranker | None = None
    switch = overrides.get("bandit")
    if switch not in (None, "on", "off"):
        raise ExperimentConfigError(f"{where}: bandit must be 'on' or 'off', not {switch!r}")
    if switch == "off":
        if any(name in overrides for name in BANDIT_SETTINGS):
            raise ExperimentConfigError(f"{where}: bandit 'off' with bandit settings")
        reranker = StaticRanking()
    elif _bandit_on(overrides):
        if posteriors is None:
            raise ExperimentConfigError(f"{where}: the bandit needs its posterior store")
        reranker = ThompsonReranker(posteriors, _bandit_config(where, overrides, bandit))
    return VariantPlan(experiment.name, variant.name, model_version, reranker)


def _bandit_on(overrides: Mapping[str, str]) -> bool:
    if overrides.get("bandit") == "off":
        return False
    return overrides.get("bandit") == "on" or any(name in overrides for name in BANDIT_SETTINGS)


def _bandit_config(where: str, overrides: Mapping[str, str], base: BanditConfig) -> BanditConfig:
    try:
        config = replace(
            base,
            top_k=int(overrides.get("bandit_top_k", base.top_k)),
            exploration=float(overrides.get("bandit_exploration", base.exploration)),
            blend=float(overrides.get("bandit_blend", base.blend)),
        )
    except ValueError as exc:
        raise ExperimentConfigError(f"{where}: {exc}") from None
    if config.exploration > MAX_EXPLORATION:
        raise ExperimentConfigError(
            f"{where}: bandit_exploration must be at most {MAX_EXPLORATION}"
        )
    return config


def _refuse_overlaps(running: Sequence[Experiment]) -> None:
    """Two running experiments may not override the same thing."""
    owner: dict[str, str] = {}
    for experiment in running:
        touched = set()
        for variant in experiment.variants:
            if MODEL_VERSION in variant.overrides:
                touched.add("the model version")
            if set(variant.overrides) & {"bandit", *BANDIT_SETTINGS}:
                touched.add("the re-ranker")
        for thing in sorted(touched):
            if thing in owner:
                raise ExperimentConfigError(
                    f"experiments {owner[thing]!r} and {experiment.name!r} both change "
                    f"{thing}; run them one after the other"
                )
            owner[thing] = experiment.name


__all__: Sequence[str] = (
    "NO_PLAN",
    "RequestPlan",
    "ServingExperiments",
    "VariantPlan",
    "exposure_context",
    "needs_posteriors",
    "variant_plan",
)
