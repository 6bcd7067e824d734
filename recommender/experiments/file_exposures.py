"""``ExposureLog`` as a JSON-lines file (one exposure per line, appended and flushed)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from recommender.errors import DataError
from recommender.experiments.assignment import Exposure

logger = logging.getLogger(__name__)


class FileExposureLog:
    def __init__(self, path: Path) -> None:
        self._path = path

    def record(self, exposures: Sequence[Exposure]) -> None:
        if not exposures:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(e.as_dict(), sort_keys=True) + "\n" for e in exposures)
        with self._path.open("a", encoding="utf-8") as out:
            out.write(lines)
            out.flush()
            os.fsync(out.fileno())

    def read(self, experiment: str) -> list[Exposure]:
        if not self._path.exists():
            return []
        exposures = []
        with self._path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    exposure = Exposure.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise DataError(f"{self._path}:{number}: not an exposure ({exc})") from None
                if exposure.experiment == experiment:
                    exposures.append(exposure)
        return exposures
