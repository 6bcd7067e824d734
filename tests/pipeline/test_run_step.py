"""``philomath pipeline step``: one step per Step Functions task, on the shared data folder;
a later task resumes from the state the earlier one recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from philomath.cli import main
from philomath.offline import run_step
from philomath.settings import Settings
from recommender.data.generator.feeds import generate_feeds
from recommender.offline.pipeline import STATE_FILE
from recommender.offline.pipeline_state import PipelineState


def test_each_task_runs_its_step_and_no_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    generate_feeds(settings.raw_dir, users=30, tracks=300, events=3_000, seed=4, progress=False)
    etl = run_step(settings, "etl")
    assert etl["unified_rows"]["tracks"] > 0
    state = PipelineState(settings.work_dir / STATE_FILE)
    assert state.record("etl") is not None and state.record("catalog") is None
    # The next task, another process: the catalog step, the ETL skipped as done.
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["pipeline", "step", "catalog"])
    assert result.exit_code == 0, result.output
    assert '"tracks": ' in result.output
    state = PipelineState(settings.work_dir / STATE_FILE)
    assert state.record("catalog") is not None and state.record("profiles") is None
