"""The offline job as one call: embedded feeds (if missing) -> pipeline -> filled backends;
and training alone (``run_training``) over the pipeline's unified tables."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from philomath.settings import Settings
from philomath.wiring import build_backends

if TYPE_CHECKING:
    from recommender.offline.pipeline import PipelineReport
    from recommender.offline.training import TrainingReport

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
    store (``force``: every step; ``from_step``: that step and those after it)."""
    from recommender.data.digests import fingerprint
    from recommender.data.generator.feeds import generate_feeds
    from recommender.offline.pipeline import STATE_FILE, run_pipeline
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
        report = run_pipeline(
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
    return report


def run_training(
    settings: Settings, *, promote: bool = True, progress: bool = True
) -> TrainingReport:
    """Train every candidate on the pipeline's unified tables, register them, promote the
    best; raises ``DataError`` when the ETL has not run."""
    from recommender.offline.training import train

    return train(
        settings.work_dir / "unified",
        settings.models_dir,
        settings.work_dir / "reports",
        truth_dir=settings.raw_dir,
        seed=settings.seed,
        promote=promote,
        progress=progress,
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
    from nlu.parser import graph_dir

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
    from recommender.offline.pipeline import run_pipeline
    from recommender.offline.pipeline_state import PipelineHalted

    backends = build_backends(settings)
    try:
        run_pipeline(
            raw_dir=settings.raw_dir,
            work_dir=settings.work_dir,
            catalog=backends.catalog,
            profiles=backends.profiles,
            store=backends.store,
            per_user=settings.recommendations_per_user,
            progress=progress,
            destination=_destination(settings),
            seed=settings.seed,
            etl_engine=settings.etl_engine,
            halt_after=step,
        )
    except PipelineHalted as halted:
        return halted.outputs
    finally:
        backends.close()
    raise RuntimeError(f"the pipeline finished without reaching step {step!r}")


def trained_model_promoted(settings: Settings) -> tuple[bool, str]:
    """The gate between training and batch inference: is the model the last ``train`` step
    chose the registry's promoted one? (Not after a rollback or a pin since.) With the reason."""
    from recommender.models.registry import ModelRegistry
    from recommender.offline.pipeline import STATE_FILE
    from recommender.offline.pipeline_state import PipelineState

    record = PipelineState(settings.work_dir / STATE_FILE).record("train")
    if record is None:
        return False, "no train step has finished"
    trained = f"{record.outputs['chosen']}/{record.outputs['run']}"
    promoted = ModelRegistry(settings.models_dir).promoted_ref()
    if promoted != trained:
        return False, f"trained {trained} but {promoted or 'nothing'} is promoted"
    return True, f"{trained} is promoted"
