"""The offline pipeline, one call: ETL -> catalog -> profiles -> train -> recommendations.

Steps (``STEPS``), each skipped when it already ran on the same inputs (``pipeline_state``):

- ``etl``: the raw feeds into the unified tables (``data.etl.run_etl``); inputs: every feed
  file's bytes (the generator's hidden ``_truth`` excluded).
- ``catalog`` and ``profiles``: the unified tracks and listeners into their stores; inputs:
  the unified tables' digest and the destination. Profiles are refreshed, not replaced: what
  listeners said live (likes, dislikes, recent events) is kept
  (``profiles.with_live_feedback``).
- ``train``: candidates evaluated, all registered, the best promoted if it passes the
  promotion gate against the model in service (``promotion``), an HTML report written
  (``training.train``); inputs: the unified tables, the generator's truth (evaluation only),
  the seed and the candidates. A model the gate keeps out is registered and the step still
  finishes; its decision and reason are in the outputs and ``PipelineReport.promotion``.
- ``recommend``: a full batch-inference run (``batch.BatchInference``) of the promoted model
  into a new store snapshot, published at once; inputs: the unified tables, the promoted
  model (so a ``philomath models promote`` or ``rollback`` reruns it), the list length and
  the destination. When the gate kept a model in service that was trained on other
  listeners or tracks than the new tables hold, it cannot index them: the lists it
  published are kept (the outputs' ``kept`` says why) until a model trained on these
  tables is promoted.

A step is also rerun when its outputs are gone (an emptied catalog, a store whose snapshot
moved, a registry without the trained runs). ``force`` reruns every step; ``from_step`` reruns
that step and those after it (earlier ones still run if their inputs changed). A step that
fails records nothing, so the next run starts there.

It takes its ports as arguments and never reads settings or builds adapters: the CLI does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from tqdm import tqdm

from playback.catalog import TrackCatalog
from recommender.batch.inference import BatchInference
from recommender.batch.lists import ListSettings
from recommender.batch.promoted_model import (
    ModelDataMismatch,
    load_promoted_model,
    promoted_ref,
)
from recommender.data.digests import file_digest, fingerprint, tree_digest
from recommender.data.etl import unified
from recommender.data.etl.engines import EngineName
from recommender.data.etl.run import EtlReport, run_etl
from recommender.data.interactions import Interactions
from recommender.evaluation.satisfaction import TRUTH_FILE
from recommender.models.ann import Retrieval
from recommender.models.registry import ModelRegistry, RegistryError
from recommender.offline.pipeline_state import PipelineState, StepRunner
from recommender.offline.promotion import DEFAULT_POLICY, PromotionPolicy
from recommender.offline.training import CANDIDATES, Candidate, train
from recommender.storage.profiles import ProfileStore, UserProfile
from recommender.storage.recommendations import RecommendationStore

T = TypeVar("T")

STEPS: tuple[str, ...] = ("etl", "catalog", "profiles", "train", "recommend")
STATE_FILE = "pipeline_state.json"
_TRUTH_DIR = TRUTH_FILE.parts[0]
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EtlSummary:
    """The ETL's figures as the pipeline reports them (also when the step was skipped)."""

    raw_rows: dict[str, int]
    unified_rows: dict[str, int]
    quarantined: dict[str, dict[str, int]]  # feed -> reason -> rows
    quarantined_total: int
    report_path: Path
    live_only_users: int = 0  # unified listeners only live plays introduced

    @classmethod
    def of(cls, report: EtlReport) -> EtlSummary:
        return cls(
            dict(report.raw_rows),
            dict(report.unified_rows),
            {feed: dict(reasons) for feed, reasons in report.quarantined.items()},
            report.quarantined_total,
            report.report_path,
            report.live_only_users,
        )

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> EtlSummary:
        return cls(
            outputs["raw_rows"],
            outputs["unified_rows"],
            outputs["quarantined"],
            int(outputs["quarantined_total"]),
            Path(outputs["report_path"]),
            int(outputs.get("live_only_users", 0)),  # absent from runs before it was counted
        )


@dataclass(frozen=True, slots=True)
class PipelineReport:
    """What one pipeline run produced (or found already done) and how long each step took."""

    etl: EtlSummary
    tracks: int  # written to the catalog
    profiles: int  # written to the profile store
    interactions: int  # plays the models were trained on
    user_lists: int  # listeners whose lists were written (one overall list each, at least)
    charts: int  # lists written under POPULAR_USER
    model_version: str  # the promoted model batch inference served
    model_run: str
    model_path: Path  # its artifact in the registry
    model_metrics: dict[str, float | None] = field(default_factory=dict)  # held-out figures
    training_run: str = ""
    report_path: Path | None = None  # the training run's HTML report
    unified_digest: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # step that ran -> seconds
    skipped: tuple[str, ...] = ()  # steps whose inputs had not changed
    lists_written: int = 0  # listener lists: overall, leading contexts, new tracks
    snapshot: str = ""  # the batch-inference snapshot the run published
    # The last train step's promotion gate: promoted (bool), reason, challenger, in_service,
    # checks with the figures (promotion.PromotionDecision.as_dict)
    promotion: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def run_pipeline(
    *,
    raw_dir: Path,
    work_dir: Path,
    catalog: TrackCatalog,
    profiles: ProfileStore,
    store: RecommendationStore,
    per_user: int = 100,
    progress: bool = True,
    force: bool = False,
    from_step: str | None = None,
    destination: str = "",
    seed: int = 0,
    candidates: tuple[Candidate, ...] = CANDIDATES,
    etl_engine: EngineName = "duckdb",
    halt_after: str | None = None,
    policy: PromotionPolicy = DEFAULT_POLICY,
    retrieval: Retrieval | None = None,
) -> PipelineReport:
    """Run the steps that are not done yet; see the module docstring.

    ``destination`` names where the catalog, profiles and lists go (e.g. the backends' URLs):
    pointing the pipeline elsewhere reruns the steps that write there. ``etl_engine`` runs
    the ETL on DuckDB or a local Spark session (same outputs, so not a reason to rerun).
    Raises ``DataError`` when the feeds fail their quality checks, ``ValueError`` for an
    unknown ``from_step``; ``PipelineHalted`` (with that step's outputs) once ``halt_after``
    is done, which is how Step Functions runs one step per task. ``policy`` is the promotion
    gate's rule (not an input of the train step: a new rule applies from the next training);
    ``retrieval`` says when the recommend step's factor model retrieves candidates
    approximately (``PHILOMATH_ANN_MIN_ITEMS``; None: ``Retrieval``'s default).
    """
    for step in (from_step, halt_after):
        if step is not None and step not in STEPS:
            raise ValueError(f"unknown step {step!r}; steps: {', '.join(STEPS)}")
    rerun = set(STEPS if force else STEPS[STEPS.index(from_step) :] if from_step else ())
    state = PipelineState(work_dir / STATE_FILE)
    runner = StepRunner(state, rerun, progress, halt_after)
    unified_dir = work_dir / "unified"
    models_dir = work_dir / "models"

    def etl() -> dict[str, Any]:
        report = run_etl(raw_dir, work_dir, progress=progress, engine=etl_engine)
        # The feeds' Arrow buffers are freed now, but the allocator keeps their pages for
        # reuse: give them back, or the later steps start gigabytes higher at scale.
        pa.default_memory_pool().release_unused()
        return {**asdict(EtlSummary.of(report)), "unified_digest": tree_digest(unified_dir)}

    feeds = tree_digest(raw_dir, skip={_TRUTH_DIR}) if raw_dir.is_dir() else ""
    etl_out = runner.run(
        "etl",
        fingerprint(feeds),
        etl,
        still_there=lambda out: _unified_digest(unified_dir) == out["unified_digest"],
    )
    tables = str(etl_out["unified_digest"])
    rows = etl_out["unified_rows"]

    def load_catalog() -> dict[str, Any]:
        catalog.ensure_schema()
        count = catalog.upsert_tracks(
            _bar(unified.tracks(unified_dir), rows["tracks"], "catalog", progress)
        )
        return {"tracks": count}

    catalog_out = runner.run(
        "catalog",
        fingerprint(tables, destination),
        load_catalog,
        still_there=lambda out: catalog.count() >= out["tracks"],
    )

    def load_profiles() -> dict[str, Any]:
        profiles.ensure_schema()
        first: list[str] = []  # one listener, to check later that the profiles are still there

        def noting_the_first(items: Iterable[UserProfile]) -> Iterator[UserProfile]:
            for profile in items:
                if not first:
                    first.append(profile.user_id)
                yield profile

        count = profiles.refresh_many(
            noting_the_first(
                _bar(unified.profiles(unified_dir), rows["users"], "profiles", progress)
            )
        )
        return {"profiles": count, "sample_user": first[0] if first else None}

    profiles_out = runner.run(
        "profiles",
        fingerprint(tables, destination),
        load_profiles,
        still_there=lambda out: (
            out["sample_user"] is None or profiles.get(out["sample_user"]) is not None
        ),
    )

    def train_models() -> dict[str, Any]:
        report = train(
            unified_dir,
            models_dir,
            work_dir / "reports",
            truth_dir=raw_dir,
            candidates=candidates,
            seed=seed,
            policy=policy,
            progress=progress,
        )
        best = report.best
        return {
            "run": report.run,
            "chosen": best.name,
            "promotion": report.promotion.as_dict(),
            "report_path": report.report_path,
            "interactions": best.data.rows.get("interactions", 0),
            "summary": report.summary(),
        }

    truth = file_digest(raw_dir / TRUTH_FILE)
    registry = ModelRegistry(models_dir)
    train_out = runner.run(
        "train",
        fingerprint(tables, truth, seed, [c.label for c in candidates]),
        train_models,
        still_there=lambda out: _registered(registry, out["chosen"], out["run"]),
    )

    def recommend() -> dict[str, Any]:
        store.ensure_schema()
        plays = Interactions.from_unified(unified_dir)
        serving = promoted_ref(models_dir)
        try:
            model = load_promoted_model(models_dir, plays, retrieval)
        except ModelDataMismatch as exc:
            return _kept_lists(state, serving, exc)
        batch = BatchInference(
            model,
            plays,
            list(unified.tracks(unified_dir)),
            store,
            profiles,
            settings=ListSettings(per_user=per_user),
        ).run_full(progress=progress)
        return {
            "users": batch.users,
            "charts": batch.charts,
            "lists": batch.lists,
            "snapshot": batch.snapshot,
            "model": serving,
        }

    recommend_out = runner.run(
        "recommend",
        fingerprint(tables, promoted_ref(models_dir), per_user, destination),
        recommend,
        still_there=lambda out: store.snapshot_pointer().current == out["snapshot"],
    )

    promoted = registry.promoted()
    if promoted is None:  # rolled back past every training run, or nothing registered
        raise RegistryError(f"no model is promoted in {models_dir}")
    return PipelineReport(
        etl=EtlSummary.from_outputs(etl_out),
        tracks=int(catalog_out["tracks"]),
        profiles=int(profiles_out["profiles"]),
        interactions=int(train_out["interactions"]),
        user_lists=int(recommend_out["users"]),
        charts=int(recommend_out["charts"]),
        model_version=promoted.name,
        model_run=promoted.run,
        model_path=registry.artifact(promoted, verify=False),
        model_metrics=dict(promoted.metrics),
        training_run=str(train_out["run"]),
        report_path=Path(train_out["report_path"]),
        unified_digest=tables,
        timings=runner.timings,
        skipped=tuple(runner.skipped),
        lists_written=int(recommend_out["lists"]),
        snapshot=str(recommend_out["snapshot"]),
        promotion=dict(train_out.get("promotion") or {}),
    )


def _kept_lists(state: PipelineState, serving: str, mismatch: ModelDataMismatch) -> dict[str, Any]:
    """The recommend step's outputs when the model in service cannot index the new tables:
    those of its last run, whose lists stay published, if that run served this same model
    (the promotion gate kept it); otherwise ``mismatch`` is raised, as nothing serves."""
    last = state.record("recommend")
    if last is None or last.outputs.get("model") != serving:
        raise mismatch
    kept = (
        f"{serving} is in service but was trained on other listeners or tracks than the "
        f"unified tables hold now: its lists of snapshot {last.outputs['snapshot']} stay "
        "published until a model trained on these tables is promoted"
    )
    logger.warning("recommend: %s", kept)
    return {**last.outputs, "kept": kept}


def _unified_digest(unified_dir: Path) -> str:
    return tree_digest(unified_dir) if unified_dir.is_dir() else ""


def _registered(registry: ModelRegistry, name: str, run: str) -> bool:
    registry.get(name, run)  # raises when gone or broken
    return True


def _bar(items: Iterable[T], total: int, desc: str, progress: bool) -> Iterator[T]:
    yield from tqdm(
        items,
        total=total,
        desc=desc,
        unit="row",
        disable=not progress,
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )
