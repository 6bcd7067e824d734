"""``philomath simulate``: simulated listeners use each policy's real serving path for N days.

A small world is generated and trained once by the offline pipeline; each policy serves its
own copy of it (SQLite stores, the configured event stream). Every simulated day, each
listener opens one session: the policy's player answers a recommendation request (router,
ranking, catalog: the REST path), the listener goes down the list and plays or skips by
their true taste (``listeners``), and the events (with what served each track) go through
the real event recorder and stream to the real feedback consumer, which updates profiles.
At each simulated midnight the policy's ``nightly`` step runs. Randomness is keyed by
(seed, day, listener), so every policy meets the same listeners in the same moods.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from philomath.settings import Settings
from philomath.simulation.listeners import ContentShift, Outcome, SimulatedListeners, load_truth
from philomath.simulation.policies import Policy, Stack, policy_named
from playback.events import PlaybackEvent, Served
from recommender.feedback.consumer import FeedbackConsumer
from recommender.serving.router import RecommendationRequest

SESSION_TRACKS = 10  # tracks served per session (a device queue's worth)
_DRAIN_EVERY = 50  # sessions between consumer passes: feedback lands during the day
_SKIP_AFTER_MS = 8_000


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    days: int = 7
    listeners: int = 200
    tracks: int = 2_000
    events: int = 20_000  # the generated history the first model is trained on
    policies: tuple[str, ...] = ("static",)
    shift: ContentShift | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.days < 1 or self.listeners < 1 or self.tracks < 10 or self.events < 1:
            raise ValueError("need days >= 1, listeners >= 1, tracks >= 10, events >= 1")
        if not self.policies:
            raise ValueError("name at least one policy")
        if self.shift is not None and self.shift.day >= self.days:
            raise ValueError(f"the shift day must be before day {self.days} (days are 0-based)")


@dataclass
class DayCounts:
    """Per listener (index into the listener list) on one day: sessions, tracks started,
    skipped and finished."""

    sessions: np.ndarray
    started: np.ndarray
    skipped: np.ndarray
    finished: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> DayCounts:
        return cls(*(np.zeros(n, dtype=np.int64) for _ in range(4)))

    def add(self, listener: int, outcome: Outcome) -> None:
        self.sessions[listener] += 1
        self.started[listener] += len(outcome.track_ids)
        self.skipped[listener] += sum(outcome.skipped)
        self.finished[listener] += sum(1 for s in outcome.skipped if not s) - outcome.stopped


@dataclass
class PolicyRun:
    name: str
    days: list[DayCounts] = field(default_factory=list)
    events_published: int = 0
    events_applied: int = 0
    impressions: list[dict[str, Any]] = field(default_factory=list)


def world_settings(data_dir: Path, config: SimulationConfig) -> Settings:
    return Settings(
        data_dir=data_dir,
        users=config.listeners,
        tracks=config.tracks,
        events=config.events,
        seed=config.seed,
        nlu_train=False,  # the simulation talks to the use cases, not through the NLU
        log_level="WARNING",
    )


def prepare_world(base_dir: Path, config: SimulationConfig) -> Path:
    """Generate and train the small world once (the pipeline skips what is done)."""
    from philomath.offline import run_offline

    run_offline(world_settings(base_dir, config), progress=False)
    return base_dir


def simulate(
    config: SimulationConfig,
    work_dir: Path,
    *,
    progress: bool = True,
    policies: Sequence[Policy] | None = None,
) -> tuple[list[PolicyRun], list[str]]:
    """Run every policy on its own copy of the world; the runs and the listener ids.
    ``policies``: built by the caller (with parameters), else ``config.policies`` by name."""
    if policies is None:
        policies = [policy_named(name) for name in config.policies]  # unknown names fail first
    base = prepare_world(work_dir / "world", config)
    listeners = SimulatedListeners(load_truth(base / "raw"), config.shift)
    user_ids = listeners.user_ids
    total = len(policies) * config.days * len(user_ids)
    bar = tqdm(total=total, desc="simulate", unit="session", disable=None if progress else True,
               file=sys.stderr)  # fmt: skip
    runs = []
    try:
        for policy in policies:
            copy = work_dir / "policies" / policy.name
            if copy.exists():
                shutil.rmtree(copy)
            # The feeds travel too: the nightly retrain reads them with the day's live plays.
            shutil.copytree(base, copy, ignore=shutil.ignore_patterns("reports"))
            stack = policy.build(world_settings(copy, config))
            try:
                runs.append(_run_policy(policy.name, stack, listeners, user_ids, config, bar))
            finally:
                stack.close()
    finally:
        bar.close()
    return runs, user_ids


def simulated_start(days: int, today: datetime | None = None) -> datetime:
    """Midnight UTC ``days + 1`` days ago: every simulated event lies in the past, as the
    stores (and the router's clock) expect of events."""
    now = today or datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days + 1)


def _run_policy(
    name: str,
    stack: Stack,
    listeners: SimulatedListeners,
    user_ids: list[str],
    config: SimulationConfig,
    bar: tqdm,
) -> PolicyRun:
    run = PolicyRun(name)
    start = simulated_start(config.days)
    clock = stack.clock
    clock.now = start.timestamp()
    backends = stack.online.backends
    consumer = FeedbackConsumer(
        backends.events, backends.profiles, backends.catalog, backends.cache,
        clock=clock, archive=backends.listen_archive,
        posteriors=backends.posteriors,
        fold=backends.bandit_fold,
    )  # fmt: skip
    recorder = stack.online.listening.events

    def drain() -> None:
        while (page := consumer.run_once()).read:
            run.events_applied += page.applied

    for day in range(config.days):
        counts = DayCounts.zeros(len(user_ids))
        day_start = start + timedelta(days=day)
        for index, user_id in enumerate(user_ids):
            rng = np.random.default_rng([config.seed, 7, day, index])
            at = day_start + timedelta(seconds=float(rng.uniform(6 * 3600, 22 * 3600)))
            clock.now = at.timestamp()
            request = RecommendationRequest(user_id=user_id, n=SESSION_TRACKS, at=clock.now)
            answer = stack.serve(request)
            served = [item.track.track_id for item in answer.items][:SESSION_TRACKS]
            outcome = listeners.listen(day, user_id, served, rng)
            events = _events(user_id, answer.items, outcome, answer.served, at)
            recorder.record_all(events)
            run.events_published += len(events)
            counts.add(index, outcome)
            rows = _impressions(day, user_id, served, outcome, answer.served)
            run.impressions.extend({**row, "at": clock.now} for row in rows)
            if (index + 1) % _DRAIN_EVERY == 0:
                drain()
            bar.update()
        drain()
        clock.now = (day_start + timedelta(days=1)).timestamp()
        stack.nightly()  # simulated midnight
        run.days.append(counts)
    return run


def _events(
    user_id: str, items: Any, outcome: Outcome, served: Served | None, at: datetime
) -> list[PlaybackEvent]:
    events: list[PlaybackEvent] = []
    when = at
    for position, (item, skipped) in enumerate(zip(items, outcome.skipped, strict=False)):
        track = item.track
        attribution = served.at(position) if served is not None else None
        events.append(_event("started", user_id, track.track_id, 0, when, attribution))
        last = position == len(outcome.skipped) - 1
        if skipped:
            kind, played_ms = "skipped", _SKIP_AFTER_MS
        elif last and outcome.stopped:
            kind, played_ms = "stopped", track.duration_ms // 2
        else:
            kind, played_ms = "finished", track.duration_ms
        when = when + timedelta(milliseconds=played_ms)
        events.append(_event(kind, user_id, track.track_id, played_ms, when, attribution))
    return events


def _event(
    kind: str, user_id: str, track_id: str, offset_ms: int, at: datetime, served: Served | None
) -> PlaybackEvent:
    return PlaybackEvent.model_validate(
        {
            "kind": kind,
            "user_id": user_id,
            "track_id": track_id,
            "offset_ms": offset_ms,
            "occurred_at": at,
            "source": "app",
            "device_id": "simulator",
            "served": served,
        }
    )


def _impressions(
    day: int, user_id: str, served_ids: list[str], outcome: Outcome, served: Served | None
) -> list[dict[str, Any]]:
    """Every served item with its attribution and what the listener did (None: not reached)."""
    if served is None:
        return []
    rows = []
    for position, track_id in enumerate(served_ids):
        reached = position < len(outcome.skipped)
        last = position == len(outcome.skipped) - 1
        rows.append(
            {
                "day": day,
                "user_id": user_id,
                "track_id": track_id,
                **served.at(position).model_dump(),
                "reached": reached,
                "skipped": outcome.skipped[position] if reached else None,
                "finished": reached
                and not outcome.skipped[position]
                and not (last and outcome.stopped),
            }
        )
    return rows


def write_impressions(path: Path, run: PolicyRun) -> Path:
    """The policy's served impressions as JSON lines (for off-policy estimators)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in run.impressions:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    return path
