"""Training on the unified tables: evaluate candidates, register them all, promote the best.

One call (``train``), the ``train`` step of ``philomath pipeline run`` and ``philomath train``:

1. Plays from the unified tables (``Interactions.from_unified``), as a users x tracks matrix of
   confidence sums (``data.sparse.user_items_matrix``): the same indices batch inference uses.
2. A seeded per-user holdout (``HOLDOUT_FRACTION`` of each listener's tracks) for evaluation,
   measured on a seeded sample of at most ``EVAL_USERS`` of its listeners (everyone at the
   embedded default); on a large catalog (``models.head``) every model ranks the most-listened
   tracks only, item-kNN and RP3beta learn over the popular head, and the candidates whose
   per-listener scaling scores every track (``large_catalog=False``: blend, hybrid) are
   skipped, each said in a log line.
3. Every candidate (``CANDIDATES``: a label and a factory; popularity, trending, per-genre and
   per-mood popularity, content, item-kNN, iALS, RP3beta, pruned EASE, the EASE + iALS
   blend and the EASE + content hybrid) is fitted on the training part and evaluated on the
   held-out part by ``evaluation.protocol.evaluate_split``: precision, recall, NDCG and MAP at
   k = 1, 5, 10, 20, coverage, novelty, popularity bias, per-segment results, and listener
   satisfaction when the generator's truth is there (embedded data only; it is read for this
   measure and nothing else).
4. The best candidate by ``SELECT_BY`` (NDCG@10 on held-out plays) is chosen. Satisfaction is
   deliberately not the criterion: it is the generator's secret, which no production system
   has; it stays an independent check that the choice made on observable plays is good.
5. The promotion gate: the model in service, measured on the same split, listeners and
   tracks as the candidates (its configuration refitted on this run's training part:
   ``champion``), is compared with the best candidate (``promotion.decide``: the primary
   metric by a relative margin, satisfaction and coverage as guardrails, all in
   ``promotion.PromotionPolicy``). Nothing in service: the best one is promoted.
6. The best candidate is refitted on all plays; every candidate is registered
   (``registry.ModelRegistry``) with its held-out metrics, the data fingerprint and the code
   version, the others as fitted for evaluation (their manifest's ``fitted_on`` says so:
   refitting all of them would double the training time for models nobody serves); the best
   one is promoted when the gate says so (``TrainingReport.promotion`` holds its decision
   and the reason, with the figures, either way; ``gate=False`` promotes it unconditionally).
   Each model keeps its ``KEEP_RUNS`` latest runs and any run a rollback can still reach.
7. An HTML report (``evaluation.report``) goes to ``<reports>/<run>.html`` and ``latest.html``;
   its facts say what the gate decided and why.

To add a candidate, append a ``Candidate`` to ``CANDIDATES`` (or pass your own list): its
factory gets the ``TrainingData`` (plays, the full matrix, the unified tables' folder, track
content and play times for models that need side data) and the matrix it will be fitted on,
and returns an unfitted model
with the batch-first contract. Each candidate's model version must be distinct in one run.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from recommender.data.digests import tree_digest
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.errors import DataError
from recommender.evaluation.metrics import IntArray
from recommender.evaluation.protocol import (
    ModelResult,
    UserMeasure,
    evaluate_split,
    sample_users,
)
from recommender.evaluation.report import EvaluationReport, write_report
from recommender.evaluation.satisfaction import ListenerSatisfaction
from recommender.evaluation.splits import Split, holdout_split
from recommender.models.base import Recommender
from recommender.models.blend import BlendModel, HybridModel
from recommender.models.content import ContentModel
from recommender.models.ease import EASEModel
from recommender.models.head import candidate_items, is_large_catalog, neighbour_items
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.popularity import (
    GenrePopularityModel,
    MoodPopularityModel,
    MostPopularModel,
    TrendingModel,
)
from recommender.models.registry import (
    DataFingerprint,
    Manifest,
    ModelRegistry,
    code_version,
    new_run_id,
    vocabulary_digest,
)
from recommender.models.rp3beta import RP3BetaModel
from recommender.offline.champion import gate_decision, measure_champion
from recommender.offline.promotion import DEFAULT_POLICY, PromotionDecision, PromotionPolicy
from recommender.offline.training_data import Candidate, TrainingData

HOLDOUT_FRACTION = 0.2
ALL_PLAYS = "all plays"
HOLDOUT_PLAYS = (
    f"the holdout's training part ({1 - HOLDOUT_FRACTION:.0%} of each listener's tracks)"
)
K = 10
SELECT_BY = f"ndcg@{K}"
BASELINE = "popularity"
TRENDING_HALF_LIFE_DAYS = 14.0  # the embedded feeds span 90 days
# Runs of each model kept in the registry (besides any a rollback can still reach).
KEEP_RUNS = 3
# Dense EASE inverts an items x items matrix: 20,000 tracks take minutes and 3 GB, 3,000 a
# second. EASE candidates keep the most-listened tracks up to this many.
MAX_EASE_ITEMS = 3_000
# Listeners evaluated: a seeded sample keeps evaluation's cost flat as listeners grow (the
# embedded default's 2,000 are all evaluated).
EVAL_USERS = 5_000
logger = logging.getLogger(__name__)


def ease_min_users(user_items: sp.csr_matrix, max_items: int = MAX_EASE_ITEMS) -> int:
    """The smallest ``min_users`` (2 at least) that leaves at most ``max_items`` tracks."""
    users_per_item = np.sort(np.bincount(user_items.indices, minlength=user_items.shape[1]))[::-1]
    if len(users_per_item) <= max_items:
        return 2
    return max(2, int(users_per_item[max_items]) + 1)


def _ease(data: TrainingData, matrix: sp.csr_matrix, seed: int) -> EASEModel:
    return EASEModel(l2=5.0, min_users=ease_min_users(matrix), weighting="tfidf", tf_power=0.3)


def _blend(data: TrainingData, matrix: sp.csr_matrix, seed: int) -> Recommender:
    # The Last.fm protocol's tuned blend (lastfm_protocol.blend_model), EASE pruned as above.
    ease = EASEModel(l2=5.8, min_users=ease_min_users(matrix), weighting="tfidf", tf_power=0.25)
    return BlendModel([ease, IALSModel(factors=32, seed=seed)], weights=[0.6, 0.4])


def _hybrid(data: TrainingData, matrix: sp.csr_matrix, seed: int) -> Recommender:
    # A tenth of content costs about 0.005 NDCG@10 on held-out plays and adds about 0.02
    # satisfaction at the embedded defaults (BENCHMARKS.md), and ranks never-played tracks.
    ease = _ease(data, matrix, seed)
    return HybridModel([ease, ContentModel(data.track_features)], weights=[0.9, 0.1])


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(BASELINE, lambda d, m, s: MostPopularModel(), "tracks by number of listeners"),
    Candidate(
        "trending",
        lambda d, m, s: TrendingModel(d.play_times, half_life_days=TRENDING_HALF_LIFE_DAYS),
        f"listeners per track, each decayed with a {TRENDING_HALF_LIFE_DAYS:.0f}-day half-life",
    ),
    Candidate(
        "genrepop",
        lambda d, m, s: GenrePopularityModel(d.track_features.genres),
        "popularity within the listener's genres",
    ),
    Candidate(
        "moodpop",
        lambda d, m, s: MoodPopularityModel(d.track_features.moods),
        "popularity within the listener's moods",
    ),
    Candidate(
        "content",
        lambda d, m, s: ContentModel(d.track_features),
        "cosine of genre, moods and audio features with the listener's taste",
    ),
    Candidate(
        "itemknn",
        lambda d, m, s: ItemKNNModel(k=100, max_items=neighbour_items(m.shape[1])),
        "cosine item-kNN, k=100 (on the popular head of a large catalog)",
    ),
    Candidate("ials", lambda d, m, s: IALSModel(factors=64, seed=s), "iALS, 64 factors"),
    Candidate(
        "rp3beta",
        lambda d, m, s: RP3BetaModel(max_items=neighbour_items(m.shape[1])),
        "RP3beta random walk (on the popular head of a large catalog)",
    ),
    Candidate("ease", _ease, f"EASE on the {MAX_EASE_ITEMS:,} most-listened tracks at most"),
    Candidate("blend", _blend, "0.6 EASE (pruned) + 0.4 iALS (32 factors)", large_catalog=False),
    Candidate("hybrid", _hybrid, "0.9 EASE (pruned) + 0.1 content", large_catalog=False),
)


@dataclass(frozen=True, slots=True)
class TrainingReport:
    """What one training run measured, registered and promoted."""

    run: str
    results: list[ModelResult]
    chosen: str  # the best candidate's label
    select_by: str
    registered: dict[str, Manifest]  # label -> manifest
    promoted: Manifest | None  # None when not promoted (told not to, or the gate refused)
    report_path: Path
    data: DataFingerprint
    satisfaction_measured: bool
    promotion: PromotionDecision  # the gate's decision and its reason
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Manifest:
        return self.registered[self.chosen]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest: the chosen model and every candidate's main figures."""
        return {
            "run": self.run,
            "select_by": self.select_by,
            "chosen": {"label": self.chosen, "name": self.best.name, "run": self.best.run},
            "promoted": self.promoted is not None,
            "promotion": self.promotion.as_dict(),
            "report": str(self.report_path),
            "data_digest": self.data.digest,
            "candidates": {
                r.label: {"version": r.version, "fit_seconds": round(r.fit_seconds, 3), **r.metrics}
                for r in self.results
            },
            "timings": self.timings,
        }


def train(
    unified_dir: Path,
    models_dir: Path,
    reports_dir: Path,
    *,
    truth_dir: Path | None = None,
    candidates: Sequence[Candidate] = CANDIDATES,
    seed: int = 0,
    promote: bool = True,
    gate: bool = True,
    policy: PromotionPolicy = DEFAULT_POLICY,
    progress: bool = True,
) -> TrainingReport:
    """Train, evaluate, register and promote what passes the gate; see the module docstring.

    ``truth_dir`` is the raw feeds' folder: its ``_truth/truth.npz``, when present, adds
    listener satisfaction to the evaluation. ``promote=False`` promotes nothing;
    ``gate=False`` promotes the best candidate without comparing it with the model in
    service. Raises ``DataError`` without unified tables or without a listener to evaluate on.
    """
    _check_candidates(candidates)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    data = load_training_data(unified_dir)
    candidates = fitting_candidates(candidates, data.user_items.shape[1])
    fingerprint = data_fingerprint(data)
    run = new_run_id()
    split = holdout_split(data.user_items, HOLDOUT_FRACTION, seed)
    if not len(split.test_users()):
        raise DataError(f"no listener in {unified_dir} has two tracks: nothing to evaluate on")
    users, items = evaluation_scope(split, seed)
    measures: dict[str, UserMeasure] = {}
    plays = data.interactions
    satisfaction = (
        ListenerSatisfaction.from_raw(truth_dir, plays.user_ids, plays.track_ids)
        if truth_dir is not None
        else None
    )
    if satisfaction is not None:
        measures["satisfaction"] = satisfaction.per_user
    timings["load"] = _since(started)

    results: list[ModelResult] = []
    evaluated: dict[str, Recommender] = {}  # label -> the model fitted on the holdout's train
    step = time.perf_counter()

    def measure(label: str, factory: Callable[[int], Recommender]) -> ModelResult:
        return evaluate_split(
            split,
            {label: factory},
            seed=seed,
            k=K,
            measures=measures,
            users=users,
            items=items,
        )[0]

    for candidate in _bar(candidates, "evaluate", progress):
        results.append(measure(candidate.label, _keeping(candidate, data, split.train, evaluated)))
    timings["evaluate"] = _since(step)
    _check_versions(results)
    chosen = select_best(results, SELECT_BY)

    step = time.perf_counter()
    registry = ModelRegistry(models_dir)
    in_service = registry.promoted()
    champion = (
        measure_champion(
            in_service, results, (*candidates, *CANDIDATES), data, split.train, seed, measure
        )
        if in_service is not None and promote and gate
        else None
    )
    decision = gate_decision(
        next(r for r in results if r.label == chosen),
        champion,
        policy,
        in_service=f"{in_service.name}/{in_service.run}" if in_service else None,
        promote=promote,
        gate=gate,
    )
    timings["gate"] = _since(step)
    logger.info(
        "promotion gate: %s",
        decision.reason,
        extra={
            "promote": decision.promote,
            "challenger": chosen,
            "in_service": decision.in_service,
        },
    )

    step = time.perf_counter()
    best_candidate = next(c for c in candidates if c.label == chosen)
    evaluated[chosen] = best_candidate.build(data, data.user_items, seed).fit(data.user_items)
    timings["refit"] = _since(step)

    step = time.perf_counter()
    registered: dict[str, Manifest] = {}
    code = code_version()  # asks git: once per run, not once per candidate
    for result, candidate in zip(results, candidates, strict=True):
        model = evaluated[candidate.label]
        registered[candidate.label] = registry.register(
            model.version,
            run,
            model.save,
            data=fingerprint,
            label=candidate.label,
            metrics=result.metrics,
            segments=result.segments,
            fitted_on=ALL_PLAYS if candidate.label == chosen else HOLDOUT_PLAYS,
            notes=candidate.description,
            code=code,
        )
    timings["register"] = _since(step)

    promoted = None
    if decision.promote:
        best = registered[chosen]
        promoted = registry.promote(
            best.name, best.run, reason=f"best {SELECT_BY} of training run {run}: {decision.reason}"
        )
    registry.prune(keep=KEEP_RUNS)
    step = time.perf_counter()
    report_path = write_training_report(
        reports_dir,
        run,
        [*results, *([champion.result] if champion and champion.result else [])],
        chosen,
        fingerprint,
        registered,
        satisfaction is not None,
        promotion=decision,
        evaluated_on=describe_scope(len(users), len(split.test_users()), items),
    )
    timings["report"] = _since(step)
    timings["total"] = _since(started)
    return TrainingReport(
        run=run,
        results=results,
        chosen=chosen,
        select_by=SELECT_BY,
        registered=registered,
        promoted=promoted,
        report_path=report_path,
        data=fingerprint,
        satisfaction_measured=satisfaction is not None,
        promotion=decision,
        timings=timings,
    )


def fitting_candidates(candidates: Sequence[Candidate], n_items: int) -> list[Candidate]:
    """``candidates`` less those that do not run on a catalog of ``n_items`` (logged)."""
    if not is_large_catalog(n_items):
        return list(candidates)
    skipped = [c.label for c in candidates if not c.large_catalog]
    if skipped:
        logger.info(
            "large catalog: candidates that score every track for every listener skipped",
            extra={"tracks": n_items, "skipped": skipped},
        )
    return [c for c in candidates if c.large_catalog]


def evaluation_scope(split: Split, seed: int) -> tuple[IntArray, IntArray | None]:
    """Who is evaluated (a seeded sample of at most ``EVAL_USERS`` held-out listeners) and
    among which tracks (all, or a large catalog's most-listened: ``head.candidate_items``)."""
    held_out = split.test_users()
    users = sample_users(held_out, EVAL_USERS, seed)
    if len(users) < len(held_out):
        logger.info(
            "evaluating on a seeded sample of listeners",
            extra={"sampled": len(users), "listeners": len(held_out), "seed": seed},
        )
    return users, candidate_items(split.train)


def describe_scope(evaluated: int, held_out: int, items: IntArray | None) -> str:
    """What the report says of ``evaluation_scope``: whose figures, among which tracks."""
    listeners = (
        f"all {held_out:,} held-out listeners"
        if evaluated == held_out
        else f"a seeded sample of {evaluated:,} of the {held_out:,} held-out listeners"
    )
    among = "every track" if items is None else f"the {len(items):,} most-listened tracks"
    return f"{listeners}, each model ranking {among}"


def load_training_data(unified_dir: Path) -> TrainingData:
    tables = ("users", "tracks", "interactions")
    if not all((unified_dir / f"{table}.parquet").is_file() for table in tables):
        raise DataError(
            f"no unified tables in {unified_dir}: run the ETL first (philomath pipeline run)"
        )
    interactions = Interactions.from_unified(unified_dir)
    return TrainingData(interactions, user_items_matrix(interactions), unified_dir)


def data_fingerprint(data: TrainingData) -> DataFingerprint:
    plays = data.interactions
    return DataFingerprint(
        digest=tree_digest(data.unified_dir),
        rows={
            "users": len(plays.user_ids),
            "tracks": len(plays.track_ids),
            "interactions": len(plays),
            "user_track_pairs": int(data.user_items.nnz),
        },
        vocabulary=vocabulary_digest(plays.user_ids.tolist(), plays.track_ids.tolist()),
    )


def select_best(results: Sequence[ModelResult], metric: str) -> str:
    """The label with the highest ``metric`` (the first one on ties; NaN never wins)."""
    scored = [(r.metrics.get(metric, float("nan")), -i, r.label) for i, r in enumerate(results)]
    finite = [item for item in scored if item[0] == item[0]]
    if not finite:
        raise DataError(f"no candidate has a {metric}: nothing to choose a model by")
    return max(finite)[2]


def write_training_report(
    reports_dir: Path,
    run: str,
    results: Sequence[ModelResult],
    chosen: str,
    data: DataFingerprint,
    registered: dict[str, Manifest],
    satisfaction: bool,
    *,
    promotion: PromotionDecision,
    evaluated_on: str = "",
) -> Path:
    """``<reports_dir>/<run>.html``, copied to ``latest.html``. ``results`` may hold one
    more than ``registered``: the model in service, measured for the gate."""
    best = registered[chosen]
    gate = {
        "in service": promotion.in_service or "nothing",
        **({"in service measured as": promotion.measured_as} if promotion.measured_as else {}),
        **({"promotion rule": promotion.policy} if promotion.measured_as else {}),
        "promotion decision": promotion.reason,
    }
    facts = {
        "training run": run,
        "promoted as" if promotion.promote else "registered, not promoted": (
            f"{best.name} run {best.run}"
        ),
        **gate,
        "selected by": f"{SELECT_BY} on a {HOLDOUT_FRACTION:.0%} per-listener holdout",
        **({"evaluated on": evaluated_on} if evaluated_on else {}),
        "data": ", ".join(f"{key} {value:,}" for key, value in data.rows.items()),
        "data fingerprint": data.digest,
        "code version": best.code_version,
        "registered": ", ".join(f"{m.name}" for m in registered.values()),
    }
    notes = [] if satisfaction else ["No generator truth: listener satisfaction not measured."]
    if promotion.measured_as:
        notes.append(
            "The model in service is compared by its configuration fitted on this run's "
            "training part, not by its artifact: that learned from most of these held-out "
            "plays, and its indices are those of its own data."
        )
    report = EvaluationReport(
        title="Philomath training report",
        results=results,
        k=K,
        facts=facts,
        chosen=chosen,
        baseline=BASELINE,
        notes=notes,
    )
    path = write_report(reports_dir / f"{run}.html", report)
    latest = reports_dir / "latest.html"
    shutil.copyfile(path, latest.with_name(".latest.html.tmp"))
    latest.with_name(".latest.html.tmp").replace(latest)
    return path


def _keeping(
    candidate: Candidate,
    data: TrainingData,
    matrix: sp.csr_matrix,
    kept: dict[str, Recommender],
) -> Callable[[int], Recommender]:
    """A factory for ``evaluate_split`` that keeps the model it builds (fitted in place)."""

    def build(seed: int) -> Recommender:
        kept[candidate.label] = candidate.build(data, matrix, seed)
        return kept[candidate.label]

    return build


def _check_candidates(candidates: Sequence[Candidate]) -> None:
    labels = [c.label for c in candidates]
    if not labels:
        raise ValueError("no candidate to train")
    if len(set(labels)) != len(labels):
        raise ValueError(f"candidate labels repeat: {labels}")


def _check_versions(results: Sequence[ModelResult]) -> None:
    versions = [r.version for r in results]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two candidates build the same model version: {versions}")


def _bar(items: Sequence[Candidate], desc: str, progress: bool) -> Any:
    bar = tqdm(items, desc=desc, unit="model", disable=not progress, file=sys.stderr, leave=False)
    return bar


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


__all__ = ["CANDIDATES", "Candidate", "TrainingData", "TrainingReport", "train"]
