"""What the offline pipeline has already done: ``<work>/pipeline_state.json``.

Each finished step is recorded with the fingerprint of its inputs (a digest of the data it
read and of its settings) and the figures it produced. A later run skips a step whose inputs
have the same fingerprint and whose outputs are still where it left them, and reruns the
others; a run that crashed therefore resumes at the step that failed. The file is rewritten
whole after each step (write, then rename), so it never holds half a record.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tqdm import tqdm

from recommender.models.registry import RegistryError

logger = logging.getLogger(__name__)


class StepRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    fingerprint: str
    finished_at: datetime
    seconds: float
    outputs: dict[str, Any] = Field(default_factory=dict)


class _StateFile(BaseModel):
    schema_version: int = 1
    steps: dict[str, StepRecord] = Field(default_factory=dict)


class PipelineState:
    """The records of ``path``; a missing or unreadable file means nothing was done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state = self._read()

    def record(self, step: str) -> StepRecord | None:
        return self._state.steps.get(step)

    def done(self, step: str, fingerprint: str) -> StepRecord | None:
        """The step's record when it finished with these inputs, else None."""
        found = self._state.steps.get(step)
        return found if found is not None and found.fingerprint == fingerprint else None

    def mark_done(
        self, step: str, fingerprint: str, seconds: float, outputs: dict[str, Any]
    ) -> StepRecord:
        entry = StepRecord(
            fingerprint=fingerprint,
            finished_at=datetime.now(UTC),
            seconds=round(seconds, 3),
            outputs=json.loads(json.dumps(outputs, default=str)),
        )
        self._state.steps[step] = entry
        self._write()
        return entry

    def forget(self, step: str) -> None:
        if self._state.steps.pop(step, None) is not None:
            self._write()

    def _read(self) -> _StateFile:
        try:
            return _StateFile.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return _StateFile()
        except (OSError, ValidationError) as exc:
            logger.warning("ignoring unreadable pipeline state %s: %s", self.path, exc)
            return _StateFile()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(self._state.model_dump_json(indent=2) + "\n")
        tmp.replace(self.path)


class PipelineHalted(Exception):  # noqa: N818 - a stop asked for, not an error
    """Raised by ``StepRunner`` once its ``halt_after`` step is done: one step per process,
    as Step Functions runs them; ``outputs`` are that step's."""

    def __init__(self, step: str, outputs: dict[str, Any]) -> None:
        super().__init__(f"pipeline halted after {step}")
        self.step = step
        self.outputs = outputs


class StepRunner:
    """Runs a step unless its record matches and ``still_there`` confirms its outputs;
    records it when it finishes. Steps named in ``rerun`` always run; ``halt_after`` raises
    ``PipelineHalted`` once that step is done (run or skipped)."""

    def __init__(
        self,
        state: PipelineState,
        rerun: set[str],
        progress: bool,
        halt_after: str | None = None,
    ) -> None:
        self.state = state
        self.rerun = rerun
        self.progress = progress
        self.halt_after = halt_after
        self.timings: dict[str, float] = {}
        self.skipped: list[str] = []

    def run(
        self,
        name: str,
        inputs: str,
        work: Callable[[], dict[str, Any]],
        *,
        still_there: Callable[[dict[str, Any]], bool],
    ) -> dict[str, Any]:
        done = None if name in self.rerun else self.state.done(name, inputs)
        if done is not None and _holds(done, still_there):
            self.skipped.append(name)
            self._say(f"pipeline: {name} skipped (inputs unchanged since {done.finished_at:%c})")
            return self._halt_or(name, done.outputs)
        self._say(f"pipeline: {name}...")
        started = time.perf_counter()
        outputs = work()
        seconds = time.perf_counter() - started
        record = self.state.mark_done(name, inputs, seconds, outputs)
        self.timings[name] = record.seconds
        self._say(f"pipeline: {name} done in {seconds:.1f}s")
        return self._halt_or(name, record.outputs)

    def _halt_or(self, name: str, outputs: dict[str, Any]) -> dict[str, Any]:
        if name == self.halt_after:
            raise PipelineHalted(name, outputs)
        return outputs

    def _say(self, message: str) -> None:
        if self.progress:
            tqdm.write(message, file=sys.stderr)


def _holds(record: StepRecord, still_there: Callable[[dict[str, Any]], bool]) -> bool:
    try:
        return still_there(record.outputs)
    except (KeyError, TypeError, OSError, RegistryError):
        return False  # a record from another version, or outputs that cannot be checked
