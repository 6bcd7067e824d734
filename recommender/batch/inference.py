"""Batch inference: the promoted model's lists for every listener, into a versioned snapshot.

A **full run** computes every listener's lists and every chart (``batch_lists``) into a new
snapshot (``store.new_snapshot_id``: model version and run time), then switches readers to it
in one write (``RecommendationStore.publish_snapshot``). Readers never see a half-written
run; the snapshot it replaces stays as ``previous`` for ``rollback``, and the one before is
dropped. An **incremental run** recomputes only the listeners the feedback consumer marked
changed (``ProfileStore.changed_users``) from their current profiles (new plays and dislikes
leave their lists, leading contexts follow their affinities), rewrites their lists in the
current snapshot (each list is one item, replaced whole), deletes those lists from the cache,
then clears the marks it handled (a listener changed again meanwhile keeps their mark).
A marked listener the model never saw (a voice listener in no team feed) is **folded in**:
their lists are computed from their live history (``fold_in``) into the same snapshot; one
whose history holds nothing the model knows, or whose model ranks the same for everyone,
stays on the charts, counted by reason (``BatchReport.folded`` and ``left_on_charts``). A
full run folds in the marked ones too before it clears their marks (no feed lists them); one
whose mark an earlier run cleared is listed again at their next play, by the next
incremental run (meanwhile the router's live path computes their list at request time).

Triggers: ``philomath batch`` runs a full run (schedule it, e.g. daily); ``--watch`` runs
incremental runs as marks accumulate (the profile-drift threshold: ``min_changed`` listeners
or ``max_wait_s``), and a full run when another model is promoted or rolled back to (the
registry's promoted ``name/run`` changes, ``promoted_model.promoted_ref``) or ``full_every_s``
has passed. A consumer in the
same process can call ``IncrementalTrigger`` directly after each page.

An **experiment run** (``philomath batch --experiment-model NAME``) lists every listener with
a registered model that is not promoted into a snapshot it stages and never publishes, and
registers it as that model version's (``EXPERIMENT_SNAPSHOTS_USER``): the A/B experiments whose
variants name that ``model_version`` serve it (``serving.snapshots``).

Full and incremental runs of one store must not overlap (an incremental run writing into the
snapshot a full run is replacing would be lost): run both from one ``philomath batch``.

Table design in DynamoDB: see ``dynamodb_store``; in short, partition key ``user_id``
(``_popular`` for charts), sort key ``<context>#<snapshot>`` with the snapshot naming the
model version and run, ``ttl`` seven days after each write, one list per item (100 ids and
scores are 2-4 KB of the 400 KB item limit, checked before writing).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
from tqdm import tqdm

from playback.catalog import Track
from recommender.batch.fold_in import FoldIn
from recommender.batch.lists import ListBuilder, ListSettings
from recommender.batch.promoted_model import (
    ModelLists,
    load_promoted_model,
    load_registered_model,
    promoted_ref,
    promoted_trained_at,
)
from recommender.data.interactions import Interactions
from recommender.errors import CacheUnavailable, RecommenderError
from recommender.models.ann import Retrieval
from recommender.storage.cache import Cache, list_key
from recommender.storage.profiles import ProfileStore, UserProfile
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    EXPERIMENT_SNAPSHOTS_USER,
    RecommendationList,
    RecommendationStore,
    experiment_snapshot_entry,
    new_snapshot_id,
)
from telemetry import Metrics, NullMetrics

logger = logging.getLogger(__name__)

Mode = Literal["full", "incremental", "experiment"]
_PROFILE_BATCH = 1_000
_USER_BATCH = 2_048
TRENDING_DAYS = 7


@dataclass(frozen=True, slots=True)
class BatchReport:
    mode: Mode
    snapshot: str
    users: int  # listeners whose lists were computed
    lists: int  # listener lists written (all, contexts, new)
    charts: int  # chart lists written
    seconds: float
    folded: int = 0  # of ``users``: listeners unknown to the model, folded in from history
    left_on_charts: Mapping[str, int] = field(default_factory=dict)  # reason -> listeners

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class _Unknown:
    folded: int
    reasons: Mapping[str, int]


class BatchInference:
    """Runs over one model, play history and catalog; see the module docstring."""

    def __init__(
        self,
        model: ModelLists,
        interactions: Interactions,
        tracks: Sequence[Track],
        store: RecommendationStore,
        profiles: ProfileStore,
        cache: Cache | None = None,
        settings: ListSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._model = model
        self._plays = interactions
        self._tracks = tracks
        self._store = store
        self._profiles = profiles
        self._cache = cache
        self._settings = settings or ListSettings()
        self._clock = clock
        self._user_index = {str(u): i for i, u in enumerate(interactions.user_ids)}
        self._track_index = {str(t): i for i, t in enumerate(interactions.track_ids)}

    def run_full(self, *, progress: bool = False) -> BatchReport:
        """Every listener's lists and every chart into a new snapshot, then published;
        listeners are taken ``_USER_BATCH`` at a time and their lists streamed to the store,
        so memory does not grow with the listeners (``progress``: a bar on stderr)."""
        started = self._clock()
        snapshot = new_snapshot_id(self._model.version, started)
        builder, charts, lists = self._write_all(snapshot, started, progress)
        # Listeners changed before this run began: their lists are as fresh as can be now,
        # once those the model never saw are folded in too (no feed lists them).
        marks = [m for m in self._profiles.changed_users(10**9) if m.changed_at <= started]
        unknown = sorted({m.user_id for m in marks if m.user_id not in self._user_index})
        folded, left = self._unknown_lists(builder, unknown)
        lists += self._store.put_lists(folded, snapshot=snapshot)
        before = self._store.snapshot_pointer()
        self._store.publish_snapshot(snapshot)
        if before.previous not in (None, before.current, snapshot):
            self._store.drop_snapshot(before.previous)  # keep current and previous only
        self._profiles.clear_changed(marks)
        report = BatchReport(
            "full",
            snapshot,
            len(self._plays.user_ids) + left.folded,
            lists,
            charts,
            self._clock() - started,
            folded=left.folded,
            left_on_charts=left.reasons,
        )
        logger.info("batch run published", extra=_report_extra(report))
        return report

    def run_for_experiment(self, *, progress: bool = False) -> BatchReport:
        """Every listener's lists and every chart of this model (not the promoted one) into a
        snapshot that is staged, never published, and registered as the one that serves its
        model version to A/B experiments (``serving.snapshots``); the one registered
        before is dropped. The profile marks are left to the published runs."""
        started = self._clock()
        version = self._model.version
        snapshot = new_snapshot_id(version, started)
        _, charts, lists = self._write_all(snapshot, started, progress)
        before = self._store.get_list(EXPERIMENT_SNAPSHOTS_USER, version, snapshot=BASE_SNAPSHOT)
        entry = experiment_snapshot_entry(version, snapshot, started)
        self._store.put_lists([entry], snapshot=BASE_SNAPSHOT)
        pointer = self._store.snapshot_pointer()
        old = before.track_ids[0] if before is not None and before.track_ids else None
        if old not in (None, snapshot, pointer.current, pointer.previous):
            self._store.drop_snapshot(old)
        report = BatchReport(
            "experiment", snapshot, len(self._plays.user_ids), lists, charts,
            self._clock() - started,
        )  # fmt: skip
        logger.info("batch run staged for experiments", extra=_report_extra(report))
        return report

    def _write_all(
        self, snapshot: str, started: float, progress: bool
    ) -> tuple[ListBuilder, int, int]:
        """Every chart and listener's lists into ``snapshot``: (builder, charts, lists)."""
        builder = ListBuilder(self._model, self._plays, self._tracks, self._settings, started)
        user_ids = [str(u) for u in self._plays.user_ids]
        profiles = self._read_profiles(user_ids)
        days = [
            (datetime.fromtimestamp(started, UTC) - timedelta(days=d)).strftime("%Y-%m-%d")
            for d in range(TRENDING_DAYS)
        ]
        charts = self._store.put_lists(
            builder.charts(profiles, self._profiles.popularity_counts(days)), snapshot=snapshot
        )
        lists = self._store.put_lists(
            self._all_user_lists(builder, profiles, progress), snapshot=snapshot
        )
        return builder, charts, lists

    def run_incremental(self, limit: int = 10_000) -> BatchReport:
        started = self._clock()
        marks = self._profiles.changed_users(limit)
        snapshot = self._store.snapshot_pointer().current
        if not marks:
            return BatchReport("incremental", snapshot, 0, 0, 0, 0.0)
        builder = ListBuilder(self._model, self._plays, self._tracks, self._settings, started)
        profiles = self._read_profiles([m.user_id for m in marks])
        known = sorted(
            {self._user_index[m.user_id] for m in marks if m.user_id in self._user_index}
        )
        unknown = sorted({m.user_id for m in marks if m.user_id not in self._user_index})
        written: list[RecommendationList] = []
        if known:
            written = list(builder.user_lists(np.asarray(known, dtype=np.int64), profiles))
        folded, left = self._unknown_lists(builder, unknown)
        written += folded
        if written:
            self._store.put_lists(written, snapshot=snapshot)
            self._invalidate(snapshot, written)
        self._profiles.clear_changed(marks)
        report = BatchReport(
            "incremental",
            snapshot,
            len(known) + left.folded,
            len(written),
            0,
            self._clock() - started,
            folded=left.folded,
            left_on_charts=left.reasons,
        )
        logger.info("incremental batch run written", extra=_report_extra(report))
        return report

    def _unknown_lists(
        self, builder: ListBuilder, user_ids: Sequence[str]
    ) -> tuple[list[RecommendationList], _Unknown]:
        """The lists of listeners the model never saw, folded in from the history their
        profiles keep, and how many were, or why not (``fold_in.LeftOnCharts``)."""
        profiles = self._read_profiles(user_ids)
        fold = FoldIn(self._track_index, personal=self._model.folds_in)
        folded = fold.rows([profiles[u] for u in user_ids if u in profiles])
        lists = []
        if folded.user_ids:
            lists = list(builder.folded_lists(folded.user_ids, folded.rows, profiles))
        left = Counter[str](folded.left.values())
        left["no_profile"] = sum(1 for user_id in user_ids if user_id not in profiles)
        reasons = {reason: n for reason, n in sorted(left.items()) if n}
        return lists, _Unknown(len(folded.user_ids), reasons)

    def _all_user_lists(
        self, builder: ListBuilder, profiles: dict[str, UserProfile], progress: bool
    ) -> Iterator[RecommendationList]:
        total = len(self._plays.user_ids)
        with tqdm(
            total=total,
            desc="recommend",
            unit="user",
            disable=not progress,
            file=sys.stderr,
            leave=False,
            mininterval=0.5,
        ) as bar:
            for start in range(0, total, _USER_BATCH):
                users = np.arange(start, min(start + _USER_BATCH, total), dtype=np.int64)
                yield from builder.user_lists(users, profiles)
                bar.update(len(users))

    def _read_profiles(self, user_ids: Sequence[str]) -> dict[str, UserProfile]:
        found: dict[str, UserProfile] = {}
        for start in range(0, len(user_ids), _PROFILE_BATCH):
            found.update(self._profiles.get_many(user_ids[start : start + _PROFILE_BATCH]))
        return found

    def _invalidate(self, snapshot: str, lists: Sequence[RecommendationList]) -> None:
        if self._cache is None:
            return
        try:
            for item in lists:
                self._cache.delete(list_key(snapshot, item.user_id, item.context))
        except CacheUnavailable:
            logger.warning("cache unavailable; rewritten lists stay cached until their TTL")


class IncrementalTrigger:
    """``on_changed`` for the consumer: an incremental run once ``min_changed`` listeners
    changed or ``max_wait_s`` passed since the first unhandled change."""

    def __init__(
        self,
        batch: BatchInference,
        *,
        min_changed: int = 100,
        max_wait_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._batch = batch
        self._min_changed = min_changed
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._pending = 0
        self._since: float | None = None

    def __call__(self, user_ids: Sequence[str]) -> None:
        self._pending += len(user_ids)
        self._since = self._since if self._since is not None else self._clock()
        due = self._clock() - self._since >= self._max_wait_s
        if self._pending < self._min_changed and not due:
            return
        try:
            self._batch.run_incremental()
        except RecommenderError:
            logger.error("incremental batch run failed; marks stay for the next", exc_info=True)
            return
        self._pending, self._since = 0, None


def run_batch(
    *,
    store: RecommendationStore,
    profiles: ProfileStore,
    cache: Cache | None,
    work_dir: Path,
    mode: Mode = "full",
    settings: ListSettings | None = None,
    watch: threading.Event | None = None,
    poll_s: float = 5.0,
    min_changed: int = 100,
    max_wait_s: float = 60.0,
    full_every_s: float = 24 * 3600.0,
    metrics: Metrics | None = None,
    retrieval: Retrieval | None = None,
) -> BatchReport:
    """The ``philomath batch`` role over the offline pipeline's outputs in ``work_dir``
    (``unified/`` tables, ``models/``). Runs ``mode`` once; with ``watch`` (an Event that
    stops it), keeps polling every ``poll_s``: an incremental run when ``min_changed``
    listeners are marked changed, or some have been for ``max_wait_s``; a full run when a new
    model is promoted or ``full_every_s`` passed. Returns the last run's report. Every run
    that publishes, and the served model's training time, go to ``metrics`` (freshness).
    ``retrieval``: when a factor model retrieves candidates approximately (``models.ann``)."""
    from recommender.data.etl import unified

    models_dir = work_dir / "models"
    metrics = metrics or NullMetrics()

    def build() -> tuple[BatchInference, str]:
        plays = Interactions.from_unified(work_dir / "unified")
        tracks = list(unified.tracks(work_dir / "unified"))
        promoted = promoted_ref(models_dir)
        model = load_promoted_model(models_dir, plays, retrieval)
        batch = BatchInference(model, plays, tracks, store, profiles, cache, settings)
        trained_at = promoted_trained_at(models_dir)
        if trained_at is not None:
            metrics.model_trained(trained_at)
        return batch, promoted

    def published(report: BatchReport) -> BatchReport:
        metrics.batch_published(report.mode, report.seconds, time.time())
        metrics.batch_listeners(report.folded, report.left_on_charts)
        return report

    batch, promoted = build()
    report = published(batch.run_full() if mode == "full" else batch.run_incremental())
    last_full = last_incremental = time.monotonic()
    while watch is not None and not watch.wait(poll_s):
        try:
            now = time.monotonic()
            if promoted_ref(models_dir) != promoted or now - last_full >= full_every_s:
                batch, promoted = build()
                report, last_full = published(batch.run_full()), now
                continue
            marks = profiles.changed_users(min_changed)
            if len(marks) >= min_changed or (marks and now - last_incremental >= max_wait_s):
                report, last_incremental = published(batch.run_incremental()), now
        except RecommenderError:
            logger.error("batch run failed; retrying at the next poll", exc_info=True)
    return report


def run_experiment_batch(
    *,
    store: RecommendationStore,
    profiles: ProfileStore,
    work_dir: Path,
    model: str,
    settings: ListSettings | None = None,
) -> BatchReport:
    """``philomath batch --experiment-model NAME``: the latest registered run of ``model``
    (promoted or not) lists every listener into a staged snapshot that A/B experiments
    naming its version serve (``BatchInference.run_for_experiment``). Run it again after each
    retrain or pipeline run, as the published runs are."""
    from recommender.data.etl import unified

    plays = Interactions.from_unified(work_dir / "unified")
    tracks = list(unified.tracks(work_dir / "unified"))
    lists = load_registered_model(work_dir / "models", plays, model)
    batch = BatchInference(lists, plays, tracks, store, profiles, None, settings)
    return batch.run_for_experiment()


def _report_extra(report: BatchReport) -> dict[str, object]:
    return {
        "mode": report.mode,
        "snapshot": report.snapshot,
        "users": report.users,
        "lists": report.lists,
        "charts": report.charts,
        "seconds": round(report.seconds, 3),
        "folded": report.folded,
        "left_on_charts": dict(report.left_on_charts),
    }


__all__: Sequence[str] = (
    "BatchInference",
    "BatchReport",
    "IncrementalTrigger",
    "run_batch",
    "run_experiment_batch",
)
