"""The ``ExposureLog`` contract, run against every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.experiments.assignment import Exposure, ExposureLog
from recommender.experiments.file_exposures import FileExposureLog
from recommender.experiments.memory_exposures import MemoryExposureLog

AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
ADAPTERS: dict[str, Callable[[Path], ExposureLog]] = {
    "memory": lambda tmp: MemoryExposureLog(),
    "file": lambda tmp: FileExposureLog(tmp / "exposures" / "log.jsonl"),
}


@pytest.fixture(params=sorted(ADAPTERS))
def log(request: pytest.FixtureRequest, tmp_path: Path) -> ExposureLog:
    return ADAPTERS[request.param](tmp_path)


def test_records_read_back_per_experiment_in_order(log: ExposureLog) -> None:
    assert log.read("ranker") == []
    first = Exposure("ranker", "control", "listener-1", "imp-1", AT)
    other = Exposure("reranker", "b", "listener-1", "imp-1", AT)
    second = Exposure("ranker", "treatment", "listener-2", "imp-2", AT)
    log.record([first, other])
    log.record([])
    log.record([second])
    assert log.read("ranker") == [first, second]
    assert log.read("reranker") == [other]


def test_a_corrupt_line_in_the_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    FileExposureLog(path).record([Exposure("ranker", "control", "l", "i", AT)])
    with path.open("a", encoding="utf-8") as out:
        out.write('{"experiment": "ranker"}\n')
    with pytest.raises(DataError, match="log.jsonl:2: not an exposure"):
        FileExposureLog(path).read("ranker")
