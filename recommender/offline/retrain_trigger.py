"""When to retrain: enough new live plays archived since the last run, or time.

The trigger compares the listen archive's plays per partition (``ListenArchive.plays``)
with what they were when it last ran the pipeline (kept in ``retrain_state.json`` in the
work folder): a partition's growth counts as new plays (a replayed page only ever grows
its own partition, so nothing counts twice; ``forget`` shrinking one counts as none). The
pipeline is due once ``min_plays`` new plays arrived, or ``every_h`` hours after the last
run (or when the trigger never ran). Running it is the resumable pipeline: steps whose
inputs did not change are skipped, so a run on schedule without new plays costs seconds.

``pipeline_lock`` keeps two pipelines from running at once on one work folder (the
trigger's and a ``philomath pipeline run``): a second one raises ``PipelineBusy`` at once.
The state is saved only after a run succeeded, with the counts taken before it started, so
a failed run is due again and plays archived during a run count for the next.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from recommender.errors import RecommenderError
from recommender.storage.listen_archive import ListenArchive

T = TypeVar("T")

STATE_FILE = "retrain_state.json"
LOCK_FILE = "pipeline.lock"


class PipelineBusy(RecommenderError):
    """Another pipeline run holds the work folder."""


@contextmanager
def pipeline_lock(work_dir: Path) -> Iterator[None]:
    """Hold the work folder's pipeline lock, or raise ``PipelineBusy`` at once. An OS lock:
    a crashed run leaves nothing held."""
    work_dir.mkdir(parents=True, exist_ok=True)
    handle = (work_dir / LOCK_FILE).open("a")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PipelineBusy(f"another pipeline is running on {work_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


@dataclass(frozen=True, slots=True)
class TriggerState:
    """What the archive held when the trigger last ran the pipeline, and when."""

    ran_at: float | None = None
    plays: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> TriggerState:
        if not path.is_file():
            return cls()
        try:
            doc = json.loads(path.read_text())
            return cls(float(doc["ran_at"]), {str(k): int(v) for k, v in doc["plays"].items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RecommenderError(f"{path} is not a retrain state: {exc}") from exc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps({"ran_at": self.ran_at, "plays": dict(self.plays)}, indent=1))
        os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Decision:
    due: bool
    reason: str
    new_plays: int
    hours_since_run: float | None  # None: the trigger never ran


def new_plays(now: Mapping[str, int], then: Mapping[str, int]) -> int:
    """Plays archived since ``then``: each partition's growth."""
    return sum(max(0, count - then.get(key, 0)) for key, count in now.items())


def decide(
    plays: Mapping[str, int],
    state: TriggerState,
    now: float,
    *,
    min_plays: int,
    every_h: float,
) -> Decision:
    """Whether the pipeline is due, and why."""
    arrived = new_plays(plays, state.plays)
    if state.ran_at is None:
        return Decision(True, "the trigger never ran the pipeline", arrived, None)
    hours = max(0.0, now - state.ran_at) / 3600
    if arrived >= min_plays:
        return Decision(True, f"{arrived} new plays (threshold {min_plays})", arrived, hours)
    if hours >= every_h:
        return Decision(
            True, f"{hours:.1f} h since the last run (every {every_h:g} h)", arrived, hours
        )
    return Decision(
        False,
        f"{arrived} new plays of {min_plays}, {hours:.1f} h of {every_h:g} h",
        arrived,
        hours,
    )


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A trigger check: its decision, whether the pipeline ran, and what it returned."""

    decision: Decision
    ran: bool
    result: T | None = None
    busy: bool = False  # due, but another pipeline held the lock


class RetrainTrigger:
    """Runs the pipeline when it is due; see the module docstring. ``archive`` None: time
    alone decides."""

    def __init__(
        self,
        archive: ListenArchive | None,
        work_dir: Path,
        *,
        min_plays: int,
        every_h: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._archive = archive
        self._work_dir = work_dir
        self._min_plays = min_plays
        self._every_h = every_h
        self._clock = clock

    @property
    def state_path(self) -> Path:
        return self._work_dir / STATE_FILE

    def check(self) -> tuple[Decision, dict[str, int]]:
        """The decision now, and the archive's counts it was made on. Raises
        ``ArchiveUnavailable``."""
        plays = self._archive.plays() if self._archive is not None else {}
        state = TriggerState.load(self.state_path)
        decision = decide(
            plays, state, self._clock(), min_plays=self._min_plays, every_h=self._every_h
        )
        return decision, plays

    def run_if_due(self, run: Callable[[], T], *, force: bool = False) -> Outcome[T]:
        """Call ``run`` (the pipeline, which takes ``pipeline_lock``) when due (or
        ``force``); its ``PipelineBusy`` is reported as ``busy``, its other exceptions
        propagate, and either way the state stays as it was."""
        decision, plays = self.check()
        if force and not decision.due:
            decision = Decision(True, f"forced ({decision.reason})", decision.new_plays,
                                decision.hours_since_run)  # fmt: skip
        if not decision.due:
            return Outcome(decision, ran=False)
        started = self._clock()
        try:
            result = run()
        except PipelineBusy:
            return Outcome(decision, ran=False, busy=True)
        TriggerState(started, plays).save(self.state_path)
        return Outcome(decision, ran=True, result=result)
