"""The offline job as one call: embedded feeds (if missing) -> pipeline -> filled backends;
training alone (``run_training``) over the pipeline's unified tables; and what the Step
Functions tasks run between training and batch inference (``evaluate_trained_model``,
``trained_model_promoted``)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from philomath.adapters import aws_client, build_listen_archive
from philomath.settings import Settings
from philomath.wiring import Backends, build_backends

if TYPE_CHECKING:
    import scipy.sparse as sp

    from recommender.evaluation.protocol import ModelFactory
    from recommender.offline.pipeline import PipelineReport
    from recommender.offline.promotion import PromotionPolicy
    from recommender.offline.retrain_trigger import Outcome
    from recommender.offline.training import Candidate, TrainingReport
    from recommender.offline.training_data import Factory, TrainingData
    from recommender.storage.listen_archive import ListenArchive

logger = logging.getLogger(__name__)


def run_offline(
    settings: Settings,
    *,
    force_generate: bool = False,
    progress: bool = True,
    force: bool = False,
    from_step: str | None = None,
) -> PipelineReport:
    """Generate the embedded feeds unless they already match the settings, then run the
    pipeline's pending steps into the configured catalog, profile store and recommendation
    store (``force``: every step; ``from_step``: that step and those after it). Raises
    ``PipelineBusy`` while another run holds the work folder."""
    from recommender.offline.retrain_trigger import pipeline_lock

    with pipeline_lock(settings.work_dir):
        return _run_offline(
            settings,
            force_generate=force_generate,
            progress=progress,
            force=force,
            from_step=from_step,
        )


def _run_offline(
    settings: Settings,
    *,
    force_generate: bool,
    progress: bool,
    force: bool,
    from_step: str | None,
) -> PipelineReport:
    from recommender.data.digests import fingerprint
    from recommender.data.generator.feeds import generate_feeds
    from recommender.offline.pipeline import STATE_FILE
    from recommender.offline.pipeline_state import PipelineState, StepRunner

    generate_feeds(
        settings.raw_dir,
        users=settings.users,
        tracks=settings.tracks,
        events=settings.events,
        seed=settings.seed,
        force=force_generate,
        progress=progress,
    )
    backends = build_backends(settings)
    try:
        backends.ensure_schema()
        report = pipeline_on(
            settings, backends, progress=progress, force=force, from_step=from_step
        )
    finally:
        backends.close()
    # The gazetteer is built from the catalog's tables: rebuilt only when they changed.
    gazetteer = settings.gazetteer_dir
    runner = StepRunner(
        PipelineState(settings.work_dir / STATE_FILE), {"gazetteer"} if force else set(), progress
    )
    runner.run(
        "gazetteer",
        fingerprint(report.unified_digest, str(gazetteer)),
        lambda: {"path": gazetteer, "built": build_nlu_gazetteer(settings)},
        still_there=lambda out: bool(out["built"]) and gazetteer.exists(),
    )
    if settings.nlu_train:
        from philomath.nlu_model import ensure_nlu_model

        ensure_nlu_model(settings, progress=progress)
    return report


def pipeline_on(
    settings: Settings,
    backends: Backends,
    *,
    progress: bool = False,
    force: bool = False,
    from_step: str | None = None,
    halt_after: str | None = None,
    candidates: tuple[Candidate, ...] | None = None,
) -> PipelineReport:
    """The pipeline's steps (``recommender.offline.pipeline``) on the feeds in ``raw_dir``
    and the live plays archived there, into ``backends``, after the requested erasures:
    no feed generation, gazetteer or NLU model (a retrain in a process that already serves,
    such as the listener simulator's nightly step). Does not take ``pipeline_lock``.
    ``candidates``: those the train step fits (default: all of training's)."""
    from recommender.models.ann import Retrieval
    from recommender.offline.pipeline import run_pipeline
    from recommender.offline.training import CANDIDATES

    apply_requested_erasures(settings, backends.listen_archive)
    return run_pipeline(
        raw_dir=settings.raw_dir,
        work_dir=settings.work_dir,
        catalog=backends.catalog,
        profiles=backends.profiles,
        store=backends.store,
        per_user=settings.recommendations_per_user,
        progress=progress,
        force=force,
        from_step=from_step,
        destination=_destination(settings),
        seed=settings.seed,
        etl_engine=settings.etl_engine,
        halt_after=halt_after,
        policy=promotion_policy(settings),
        candidates=candidates or CANDIDATES,
        retrieval=Retrieval(min_items=settings.ann_min_items),
    )


def apply_requested_erasures(settings: Settings, archive: ListenArchive | None) -> tuple[str, ...]:
    """Carry out the erasures recorded in the listen archive (SkillDisabled,
    ``DELETE /v1/users/me``) before the ETL reads it: in the configured archive, and in its
    copy under the raw feeds where ``pipeline ingest`` put an S3 archive's partitions (and
    its erasure records). The listeners forgotten; none are logged by id."""
    from recommender.storage.listen_archive import LIVE_LISTENS_DIR
    from recommender.storage.local_listen_archive import LocalListenArchive

    local = LocalListenArchive(settings.raw_dir / LIVE_LISTENS_DIR)
    forgotten = set(local.forget_requested())
    for user_id in archive.forget_requested() if archive is not None else ():
        if user_id not in forgotten:
            local.forget(user_id)
            forgotten.add(user_id)
    if forgotten:
        logger.info("listen archive: erasures carried out", extra={"listeners": len(forgotten)})
    return tuple(sorted(forgotten))


def retrain_if_due(
    settings: Settings,
    *,
    force: bool = False,
    progress: bool = False,
    run: Callable[[Settings], PipelineReport] | None = None,
) -> Outcome[PipelineReport]:
    """The retrain trigger (``recommender.offline.retrain_trigger``) on the configured listen
    archive: the pipeline (``run``, default ``run_offline``) when enough new live plays
    were archived or ``PHILOMATH_RETRAIN_EVERY_H`` passed (``force``: now). An S3 archive
    is first copied into the raw feeds, where the ETL reads it."""
    from recommender.offline.retrain_trigger import RetrainTrigger
    from recommender.storage.listen_archive import LIVE_LISTENS_DIR

    pipeline = run or (lambda s: run_offline(s, progress=progress))

    def fetch_and_run() -> PipelineReport:
        url = settings.listen_archive_url
        if url.startswith("s3://"):
            from philomath.ingest import ingest_feeds

            ingest_feeds(aws_client("s3", settings), url, settings.raw_dir / LIVE_LISTENS_DIR)
        return pipeline(settings)

    archive = build_listen_archive(settings)
    try:
        trigger = RetrainTrigger(
            archive,
            settings.work_dir,
            min_plays=settings.retrain_min_plays,
            every_h=settings.retrain_every_h,
        )
        return trigger.run_if_due(fetch_and_run, force=force)
    finally:
        if archive is not None:
            archive.close()


def run_training(
    settings: Settings, *, promote: bool = True, gate: bool = True, progress: bool = True
) -> TrainingReport:
    """Train every candidate on the pipeline's unified tables, register them, promote the
    best if it passes the promotion gate (``gate=False``: unconditionally); raises
    ``DataError`` when the ETL has not run."""
    from recommender.offline.training import train

    return train(
        settings.work_dir / "unified",
        settings.models_dir,
        settings.work_dir / "reports",
        truth_dir=settings.raw_dir,
        seed=settings.seed,
        promote=promote,
        gate=gate,
        policy=promotion_policy(settings),
        progress=progress,
    )


def promotion_policy(settings: Settings) -> PromotionPolicy:
    """The promotion gate's rule from the ``PHILOMATH_PROMOTION_*`` settings."""
    from recommender.offline.promotion import PromotionPolicy

    return PromotionPolicy.of(
        settings.promotion_margin,
        settings.promotion_satisfaction_tolerance,
        settings.promotion_coverage_tolerance,
    )


def build_nlu_gazetteer(settings: Settings) -> bool:
    """The NLU's catalog gazetteer, built once here so serving only loads it from disk.
    Skipped (with a note, returning False) where the nlp extra is not installed: the rule
    parser still runs."""
    from recommender.data.etl import unified

    try:
        from nlu.gazetteer import build_gazetteer
    except ImportError as exc:
        logger.warning("NLU gazetteer not built (install the nlp extra): %s", exc)
        return False
    build_gazetteer(unified.tracks(settings.work_dir / "unified"), settings.gazetteer_dir)
    export_nlu_graph(settings)
    return True


def export_nlu_graph(settings: Settings) -> None:
    """MiniLM's ONNX graph, exported once offline (seconds, and torch) so that serving only
    loads it; kept when it already exists. Serving exports it itself if this was skipped."""
    from nlu.embeddings import EmbeddingsUnavailable, export_model, graph_path
    from nlu.loading import graph_dir

    target_dir = graph_dir(settings.gazetteer_dir)
    assert target_dir is not None
    try:
        target = graph_path(target_dir)
        if not target.exists():
            export_model(target)
    except EmbeddingsUnavailable as exc:
        logger.warning("MiniLM graph not exported; serving exports it at first use: %s", exc)


def _destination(settings: Settings) -> str:
    """Where the pipeline writes: a change reruns the steps that write there."""
    return " ".join((settings.catalog_url, settings.profiles_url, settings.store_url))


def run_step(settings: Settings, step: str, *, progress: bool = False) -> dict[str, Any]:
    """One pipeline step on the feeds already in ``raw_dir`` (earlier steps run too when
    their inputs changed): what each Step Functions task runs. Returns the step's outputs."""
    from recommender.offline.pipeline_state import PipelineHalted

    backends = build_backends(settings)
    try:
        pipeline_on(settings, backends, progress=progress, halt_after=step)
    except PipelineHalted as halted:
        return halted.outputs
    finally:
        backends.close()
    raise RuntimeError(f"the pipeline finished without reaching step {step!r}")


GateOutcome = Literal["promoted", "kept", "overridden"]


def trained_model_promoted(settings: Settings) -> tuple[GateOutcome, str]:
    """The gate between training and batch inference, with the reason: ``promoted`` when the
    model the last ``train`` step chose is the registry's promoted one; ``kept`` when the
    promotion gate kept the model in service (a normal outcome: nothing new to publish);
    ``overridden`` otherwise (no train step finished, or a rollback or pin since, which batch
    inference must not overwrite)."""
    from recommender.models.registry import ModelRegistry
    from recommender.offline.pipeline import STATE_FILE
    from recommender.offline.pipeline_state import PipelineState

    record = PipelineState(settings.work_dir / STATE_FILE).record("train")
    if record is None:
        return "overridden", "no train step has finished"
    trained = f"{record.outputs['chosen']}/{record.outputs['run']}"
    promoted = ModelRegistry(settings.models_dir).promoted_ref()
    promotion = record.outputs.get("promotion") or {}
    if promoted != trained and promotion.get("promoted") is False:
        return "kept", f"trained {trained}, not promoted: {promotion.get('reason', '')}"
    if promoted != trained:
        return "overridden", f"trained {trained} but {promoted or 'nothing'} is promoted"
    return "promoted", f"{trained} is promoted"


def evaluate_trained_model(settings: Settings) -> dict[str, Any]:
    """The model the last ``train`` step chose, evaluated again on training's held-out split.

    What it measures: the chosen candidate (by its registry manifest's label) and the
    popularity baseline, each refitted on the training part of the same per-listener holdout
    (``HOLDOUT_FRACTION`` of each listener's tracks, split with ``settings.seed`` as the train
    step does, on the same listeners and candidate tracks: ``training.evaluation_scope``)
    and scored on the held-out tracks by ``evaluation.protocol.evaluate_split``:
    precision, recall, NDCG, MAP at k = 1, 5, 10, 20, coverage, novelty, popularity bias, per
    segment, and listener satisfaction where the generator's truth is there. The registered
    artifact itself is not scored: it learned from every play, the held-out ones included.
    The figures the train step recorded in the manifest come alongside (``recorded``), so a
    difference shows a run that does not reproduce. One candidate's fit, not training's dozen.

    Writes ``<work>/reports/evaluation-<run>.html`` (``evaluation.report``) and
    ``evaluation-<run>.json`` (the figures); returns that JSON. Raises ``DataError`` when no
    train step has finished or the unified tables changed since, ``RegistryError`` when the
    chosen model is no longer registered."""
    from recommender.errors import DataError
    from recommender.evaluation.protocol import UserMeasure, evaluate_split
    from recommender.evaluation.report import EvaluationReport, write_report
    from recommender.evaluation.satisfaction import ListenerSatisfaction
    from recommender.evaluation.splits import holdout_split
    from recommender.models.registry import ModelRegistry
    from recommender.offline.pipeline import STATE_FILE
    from recommender.offline.pipeline_state import PipelineState
    from recommender.offline.training import (
        BASELINE,
        CANDIDATES,
        HOLDOUT_FRACTION,
        SELECT_BY,
        K,
        data_fingerprint,
        evaluation_scope,
        load_training_data,
    )

    record = PipelineState(settings.work_dir / STATE_FILE).record("train")
    if record is None:
        raise DataError("no train step has finished: nothing to evaluate")
    manifest = ModelRegistry(settings.models_dir).get(
        str(record.outputs["chosen"]), str(record.outputs["run"])
    )
    by_label = {c.label: c for c in CANDIDATES}
    if manifest.label not in by_label:
        raise DataError(f"{manifest.name} came from no training candidate ({manifest.label!r})")
    data = load_training_data(settings.work_dir / "unified")
    if data_fingerprint(data).digest != manifest.data.digest:
        raise DataError(f"the unified tables changed since training run {manifest.run}")
    split = holdout_split(data.user_items, HOLDOUT_FRACTION, settings.seed)
    plays = data.interactions
    satisfaction = ListenerSatisfaction.from_raw(settings.raw_dir, plays.user_ids, plays.track_ids)
    measures: dict[str, UserMeasure] = {}
    notes = ["No generator truth: listener satisfaction not measured."]
    if satisfaction is not None:
        measures, notes = {"satisfaction": satisfaction.per_user}, []
    labels = list(dict.fromkeys((manifest.label, BASELINE)))
    users, items = evaluation_scope(split, settings.seed)
    results = evaluate_split(
        split,
        {label: _builder(by_label[label].build, data, split.train) for label in labels},
        seed=settings.seed,
        k=K,
        measures=measures,
        users=users,
        items=items,
    )
    measured = results[0].metrics
    facts = {
        "registered model": f"{manifest.name} run {manifest.run}, fitted on {manifest.fitted_on}",
        "evaluated on": (
            f"a {HOLDOUT_FRACTION:.0%} per-listener holdout (seed {settings.seed}), the "
            "candidate refitted on its training part"
        ),
        f"{SELECT_BY} recorded by train": _figure(manifest.metrics.get(SELECT_BY)),
        f"{SELECT_BY} measured now": _figure(measured.get(SELECT_BY)),
        "data fingerprint": manifest.data.digest,
        "code version": manifest.code_version,
    }
    reports = settings.work_dir / "reports"
    html = write_report(
        reports / f"evaluation-{manifest.run}.html",
        EvaluationReport(
            title=f"Philomath evaluation of {manifest.name}",
            results=results,
            k=K,
            facts=facts,
            chosen=manifest.label,
            baseline=BASELINE,
            notes=notes,
        ),
    )
    summary: dict[str, Any] = {
        "model": manifest.name,
        "run": manifest.run,
        "label": manifest.label,
        "select_by": SELECT_BY,
        "split": {"holdout_fraction": HOLDOUT_FRACTION, "seed": settings.seed},
        "measured": {r.label: _finite(r.metrics) for r in results},
        "segments": {r.label: {s: _finite(v) for s, v in r.segments.items()} for r in results},
        "recorded": dict(manifest.metrics),
        "report": str(html),
    }
    path = reports / f"evaluation-{manifest.run}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(path)
    return {**summary, "json": str(path)}


def _builder(build: Factory, data: TrainingData, matrix: sp.csr_matrix) -> ModelFactory:
    """``evaluate_split``'s factory (``seed -> model``) for a training candidate's ``build``."""
    return lambda seed: build(data, matrix, seed)


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """Figures with NaN (not measurable) as None: JSON has no NaN."""
    return {key: None if math.isnan(value) else value for key, value in values.items()}


def _figure(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4f}"
