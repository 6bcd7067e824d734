"""``ExposureLog`` in memory (tests, the embedded demo)."""

from __future__ import annotations

from collections.abc import Sequence

from recommender.experiments.assignment import Exposure


class MemoryExposureLog:
    def __init__(self) -> None:
        self._exposures: list[Exposure] = []

    def record(self, exposures: Sequence[Exposure]) -> None:
        self._exposures.extend(exposures)

    def read(self, experiment: str) -> list[Exposure]:
        return [e for e in self._exposures if e.experiment == experiment]
