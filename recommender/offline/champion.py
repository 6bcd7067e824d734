"""The model in service measured as fairly as the challengers: the promotion gate's champion.

The in-service artifact itself is not scored. It learned from every play it was given, and
a newer run's held-out plays are mostly among them (a leak in its favour); its user and
track indices are those of its own data, which new listeners or tracks shift. What is
compared is its *configuration* on the same data: the champion is rebuilt as the training
candidate it came from (its manifest's ``label``, built by that candidate's factory, which
derives data-dependent settings, such as EASE's pruning or a large catalog's head, and side
data from the data at hand exactly as it did for the original), fitted on this run's
training split and measured on the same held-out plays, listeners and candidate tracks as
the challengers. When that candidate is among the run's own, its figures are already there
and are reused. A model that came from no known candidate (``philomath spark run``'s ALS,
one registered by hand) is rebuilt from its manifest's versioned name and parameters
instead; if it cannot be (a model that needs side data its parameters do not hold), the
champion is not measured and the gate says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recommender.evaluation.protocol import ModelFactory, ModelResult
from recommender.models.base import Recommender, model_class
from recommender.models.registry import Manifest
from recommender.offline.promotion import Contender, PromotionDecision, PromotionPolicy, decide

if TYPE_CHECKING:
    import scipy.sparse as sp

    from recommender.offline.training_data import Candidate, TrainingData

# (label, factory) -> that model's figures on the run's split, as the challengers were measured
Evaluate = Callable[[str, ModelFactory], ModelResult]


@dataclass(frozen=True, slots=True)
class Champion:
    """The in-service model as the gate sees it: its figures on the run's split (None when
    it could not be measured, ``problem`` saying why) and how they were obtained."""

    ref: str  # name/run in the registry
    how: str
    contender: Contender | None = None
    result: ModelResult | None = None  # set when measured apart from the run's candidates
    problem: str = ""


def measure_champion(
    manifest: Manifest,
    results: Sequence[ModelResult],
    known: Sequence[Candidate],
    data: TrainingData,
    train_matrix: sp.csr_matrix,
    seed: int,
    evaluate: Evaluate,
) -> Champion:
    """The in-service model (``manifest``) on the run's split; see the module docstring.

    ``results`` are the run's candidates' figures, ``known`` every candidate the code knows
    (the run's first), ``evaluate`` measures one more model exactly as those were."""
    ref = f"{manifest.name}/{manifest.run}"
    same = next((r for r in results if r.label == manifest.label), None)
    if same is not None and same.version == manifest.name:
        how = f"its configuration (candidate {same.label!r}) among this run's candidates"
        return Champion(ref, how, Contender(same.label, same.version, same.metrics))
    candidate = next((c for c in known if c.label == manifest.label), None)
    if candidate is not None:
        model = candidate.build(data, train_matrix, seed)
        if model.version == manifest.name:
            how = f"its configuration (candidate {candidate.label!r}) refitted on this split"
            return _measured(ref, how, manifest, evaluate, lambda _seed: model)
    how = f"{manifest.name} rebuilt from its manifest's parameters and refitted on this split"
    try:
        rebuilt: Recommender = model_class(manifest.name)(**manifest.params)
    except (KeyError, TypeError, ValueError) as exc:
        return Champion(ref, how, problem=f"{manifest.name} cannot be rebuilt: {exc}")
    return _measured(ref, how, manifest, evaluate, lambda _seed: rebuilt)


def _measured(
    ref: str, how: str, manifest: Manifest, evaluate: Evaluate, factory: ModelFactory
) -> Champion:
    label = f"{manifest.label or manifest.name} (in service)"
    try:
        result = evaluate(label, factory)
    except (TypeError, ValueError) as exc:  # e.g. a model that needs side data to fit
        return Champion(ref, how, problem=f"{manifest.name} could not be refitted: {exc}")
    contender = Contender(manifest.label, result.version, result.metrics)
    return Champion(ref, how, contender, result)


def gate_decision(
    best: ModelResult,
    champion: Champion | None,
    policy: PromotionPolicy,
    *,
    in_service: str | None,
    promote: bool = True,
    gate: bool = True,
) -> PromotionDecision:
    """Whether training promotes ``best`` (its best candidate's figures): the gate's verdict
    against ``champion``, the model in service (``in_service``, its ``name/run``; None when
    nothing is promoted) measured on the split, unless told not to promote or to skip the
    gate."""
    if not promote:
        return PromotionDecision(
            False, "told not to promote (--no-promote)", best.label, in_service
        )
    if not gate:
        return PromotionDecision(
            True, "promoted without the gate (--no-gate)", best.label, in_service
        )
    return decide(
        Contender(best.label, best.version, best.metrics),
        champion.contender if champion else None,
        policy,
        in_service=in_service,
        champion_problem=champion.problem if champion else "",
        measured_as=champion.how if champion else "",
    )
