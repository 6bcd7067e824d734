"""The feedback consumer: play events from the stream into profiles, exactly once each.

One pass (``run_once``): read a page of events after the committed checkpoint; look up the
tracks' genres and moods in the catalog; per listener, ``ProfileStore.apply_events`` applies
the events it has not applied before (``profile_update.fold_events``) in one transaction with
the applied ids, the popularity counters and the listener's changed mark; delete the
listener's cached profile so the router sees the change at once; then commit the checkpoint
(the last record's position) and tell ``on_changed`` who changed (e.g. an
``batch.IncrementalTrigger``, which recomputes their lists).

With an ``archive``, the page's plays (``listens.listen_row``) are written as one listen-feed
partition named by the shard and the page's first position, before the checkpoint moves:
training reads them, a replayed page overwrites its own partition, and a failed write fails
the pass (the checkpoint unmoved) like any backend, so no play is left out.

With ``posteriors``, the page's finished and skipped plays of served tracks update the
bandit's Beta posteriors (and their genres' arms, from the catalog) first
(``bandit_feedback``). The posterior store keeps its own
recorded event ids, updated in the same transaction as the posteriors, so a re-read page
counts each event once there as in the profiles, whichever of the two failed.

Delivery is at least once, processing idempotent: a consumer killed anywhere in a pass
re-reads the page from the old checkpoint, and ``apply_events`` skips what was applied, so
counts come out the same as if every event had been applied once. A failing backend stops
the pass before the checkpoint moves; ``run`` retries it with backoff, so an outage delays
feedback and loses none.

Each pass reports to ``metrics`` (``telemetry.Metrics``): the lag (how old the last event it
read is; 0 when there was nothing to read) and the kinds of the events it applied, from which
skip and completion rates follow.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from playback.catalog import Track, TrackCatalog
from playback.errors import CatalogUnavailable, StreamUnavailable
from playback.events import EventStream, PlaybackEvent, StreamRecord
from recommender.errors import (
    ArchiveUnavailable,
    CacheUnavailable,
    PosteriorStoreUnavailable,
    ProfileStoreUnavailable,
)
from recommender.feedback.bandit_feedback import decaying_fold, evidence_of
from recommender.feedback.listens import listen_row
from recommender.feedback.profile_update import fold_events
from recommender.storage.cache import Cache, profile_key
from recommender.storage.listen_archive import ListenArchive
from recommender.storage.posteriors import Fold, PosteriorStore
from recommender.storage.profiles import ProfileChange, ProfileStore, UserProfile
from telemetry import Metrics, NullMetrics

logger = logging.getLogger(__name__)

CONSUMER_NAME = "feedback"
TRANSIENT_ERRORS = (
    StreamUnavailable,
    ProfileStoreUnavailable,
    CatalogUnavailable,
    ArchiveUnavailable,
    PosteriorStoreUnavailable,
)
SINGLE_SHARD = "0"  # the shard name of streams that have one (SQLite, Redis Streams)


@dataclass(frozen=True, slots=True)
class ConsumedPage:
    read: int  # records read from the stream
    applied: int  # events applied to profiles now
    duplicates: int  # events that had been applied before (redelivered)
    users: tuple[str, ...]  # listeners whose profile changed
    position: str | None  # the checkpoint after this page


@dataclass(frozen=True, slots=True)
class AppliedRecords:
    applied: int
    duplicates: int
    users: tuple[str, ...]  # listeners whose profile changed
    failed_users: frozenset[str]  # listeners not applied (``partial`` only): retry them


class FeedbackConsumer:
    """Applies the stream's events to profiles; see the module docstring."""

    def __init__(
        self,
        stream: EventStream,
        profiles: ProfileStore,
        catalog: TrackCatalog,
        cache: Cache,
        *,
        name: str = CONSUMER_NAME,
        page_size: int = 500,
        on_changed: Callable[[Sequence[str]], None] | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        archive: ListenArchive | None = None,
        posteriors: PosteriorStore | None = None,
        fold: Fold | None = None,
    ) -> None:
        self._archive = archive
        self._posteriors = posteriors
        # How evidence enters a posterior: the bandit's half-lives (``decaying_fold``).
        self._fold = fold or decaying_fold(14.0)
        self._metrics = metrics or NullMetrics()
        self._clock = clock
        self._stream = stream
        self._profiles = profiles
        self._catalog = catalog
        self._cache = cache
        self._name = name
        self._page_size = page_size
        self._on_changed = on_changed

    def run_once(self) -> ConsumedPage:
        """One page; raises the backend's error (checkpoint unmoved) when one fails."""
        after = self._profiles.get_checkpoint(self._name)
        records = self._stream.read(after, limit=self._page_size)
        if not records:
            self._metrics.consumer_pass(0.0, (), self._clock())  # caught up
            return ConsumedPage(0, 0, 0, (), after)
        page = self.apply_records(records)
        self.archive_page(SINGLE_SHARD, records)
        position = records[-1].position
        self._profiles.put_checkpoint(self._name, position)
        if page.users and self._on_changed is not None:
            self._on_changed(page.users)
        return ConsumedPage(len(records), page.applied, page.duplicates, page.users, position)

    def apply_records(
        self, records: Sequence[StreamRecord], *, partial: bool = False
    ) -> AppliedRecords:
        """Apply records already read (by ``run_once``, or handed over by a Lambda event
        source), per listener. A backend error is raised, unless ``partial``: then a
        listener whose profile store write failed is reported in ``failed_users`` and the
        others are still applied (a failing catalog read fails them all, raised)."""
        tracks = self._catalog.get_tracks(sorted({r.event.track_id for r in records}))
        self.record_evidence(records, tracks)
        by_user: dict[str, list[PlaybackEvent]] = {}
        for record in records:
            by_user.setdefault(record.event.user_id, []).append(record.event)
        applied = duplicates = 0
        changed: list[str] = []
        failed: list[str] = []
        kinds: list[str] = []  # of the events applied now
        for user_id, events in by_user.items():
            try:
                new = self._apply(user_id, events, tracks)
            except ProfileStoreUnavailable:
                if not partial:
                    raise
                logger.error("feedback for one listener failed", exc_info=True)
                failed.append(user_id)
                continue
            applied += len(new)
            duplicates += len(events) - len(new)
            kind_of = {event.event_id: event.kind for event in events}
            kinds += [kind_of[event_id] for event_id in new]
            if new:
                changed.append(user_id)
                self._invalidate(user_id)
        now = self._clock()
        self._metrics.consumer_pass(now - records[-1].event.occurred_at.timestamp(), kinds, now)
        return AppliedRecords(applied, duplicates, tuple(changed), frozenset(failed))

    def record_evidence(
        self, records: Sequence[StreamRecord], tracks: Mapping[str, Track] | None = None
    ) -> int:
        """Fold the records' plays and skips into the bandit's posteriors (none without a
        posterior store), with their genre arms where ``tracks`` are known; how many were
        new. Raises ``PosteriorStoreUnavailable``: all of the page is retried, and the
        store skips the events it has recorded."""
        if self._posteriors is None:
            return 0
        genres = {t: track.genre for t, track in (tracks or {}).items()}
        return self._posteriors.record(evidence_of([r.event for r in records], genres), self._fold)

    def archive_page(self, shard: str, records: Sequence[StreamRecord]) -> str | None:
        """Write the plays of ``records`` (a page from its first record on) as the listen
        partition of ``shard``; its key, or None without an archive or records. Raises
        ``ArchiveUnavailable`` (or ``CatalogUnavailable``, looking up durations)."""
        if self._archive is None or not records:
            return None
        # Durations only for finished plays that do not say how long they played.
        unsaid = sorted(
            {
                r.event.track_id
                for r in records
                if r.event.kind == "finished" and not r.event.offset_ms
            }
        )
        tracks = self._catalog.get_tracks(unsaid) if unsaid else {}
        # A forgotten listener's plays still in the stream stay out of training data too.
        gone = self._profiles.forgotten(sorted({r.event.user_id for r in records}))
        rows = [
            row
            for r in records
            if r.event.user_id not in gone and (row := listen_row(r.event, tracks)) is not None
        ]
        return self._archive.write_page(shard, records[0].position, rows)

    def run(
        self,
        stop: threading.Event,
        *,
        idle_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        """Consume until ``stop`` is set: pages back to back while there is a backlog,
        ``idle_s`` between polls when caught up, growing pauses while a backend is down."""
        backoff = idle_s
        while not stop.is_set():
            try:
                page = self.run_once()
            except TRANSIENT_ERRORS:
                logger.error("feedback pass failed; retrying in %.1f s", backoff, exc_info=True)
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff_s)
                continue
            backoff = idle_s
            if page.read:
                logger.info(
                    "feedback page applied",
                    extra={
                        "read": page.read,
                        "applied": page.applied,
                        "duplicates": page.duplicates,
                        "users": len(page.users),
                    },
                )
            if page.read < self._page_size:
                stop.wait(idle_s)

    def _apply(
        self, user_id: str, events: Sequence[PlaybackEvent], tracks: Mapping[str, Track]
    ) -> list[str]:
        by_id = {event.event_id: event for event in events}

        def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
            return fold_events(user_id, current, [by_id[i] for i in new_ids], tracks)

        return self._profiles.apply_events(user_id, list(by_id), update)

    def _invalidate(self, user_id: str) -> None:
        # The profile TTL bounds how long a failed delete leaves the router a stale one.
        try:
            self._cache.delete(profile_key(user_id))
        except CacheUnavailable:
            logger.warning("cache unavailable; a cached profile stays until its TTL")


def run_consumer(
    stream: EventStream,
    profiles: ProfileStore,
    catalog: TrackCatalog,
    cache: Cache,
    *,
    stop: threading.Event | None = None,
    on_changed: Callable[[Sequence[str]], None] | None = None,
    page_size: int = 500,
    idle_s: float = 1.0,
    metrics: Metrics | None = None,
    archive: ListenArchive | None = None,
    posteriors: PosteriorStore | None = None,
    fold: Fold | None = None,
) -> None:
    """The ``philomath consume`` role: consume until ``stop`` is set (for ever without one).
    The caller builds the ports and makes sure their schemas exist."""
    FeedbackConsumer(
        stream,
        profiles,
        catalog,
        cache,
        page_size=page_size,
        on_changed=on_changed,
        metrics=metrics,
        archive=archive,
        posteriors=posteriors,
        fold=fold,
    ).run(stop or threading.Event(), idle_s=idle_s)
