"""What the Step Functions tasks run: one pipeline step at a time (``StepRunner``'s halt),
the gate between training and batch inference, and the feeds' ingest from S3 (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from philomath.cli import main
from philomath.ingest import ingest_feeds
from philomath.offline import trained_model_promoted
from philomath.settings import Settings
from recommender.models.registry import DataFingerprint, ModelRegistry
from recommender.offline.pipeline import STATE_FILE
from recommender.offline.pipeline_state import PipelineHalted, PipelineState, StepRunner

DATA = DataFingerprint(digest="d" * 64, rows={"users": 3, "tracks": 5}, vocabulary="v" * 64)


def test_the_runner_halts_once_its_step_is_done_run_or_skipped(tmp_path: Path) -> None:
    state = PipelineState(tmp_path / STATE_FILE)
    runner = StepRunner(state, set(), progress=False, halt_after="b")
    assert runner.run("a", "1", lambda: {"n": 1}, still_there=lambda _: True) == {"n": 1}
    with pytest.raises(PipelineHalted) as halted:
        runner.run("b", "1", lambda: {"n": 2}, still_there=lambda _: True)
    assert (halted.value.step, halted.value.outputs) == ("b", {"n": 2})
    # The next task finds "b" done and halts there again without rerunning it.
    again = StepRunner(PipelineState(tmp_path / STATE_FILE), set(), False, halt_after="b")
    with pytest.raises(PipelineHalted):
        again.run("b", "1", lambda: pytest.fail("reran"), still_there=lambda _: True)


def _writer(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"params": {}}))


def _trained(settings: Settings, name: str, run: str) -> None:
    PipelineState(settings.work_dir / STATE_FILE).mark_done(
        "train", "f", 1.0, {"chosen": name, "run": run}
    )


def test_the_gate_passes_only_while_the_trained_model_is_promoted(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert trained_model_promoted(settings) == ("overridden", "no train step has finished")
    registry = ModelRegistry(settings.models_dir)
    for run in ("r1", "r2"):
        registry.register("ease.v1", run, _writer, data=DATA, metrics={}, label="x")
        registry.promote("ease.v1", run, reason="test")
    _trained(settings, "ease.v1", "r2")
    assert trained_model_promoted(settings) == ("promoted", "ease.v1/r2 is promoted")
    registry.rollback(reason="an operator went back")
    outcome, reason = trained_model_promoted(settings)
    assert outcome == "overridden" and reason == "trained ease.v1/r2 but ease.v1/r1 is promoted"


def test_the_gate_command_exits_1_when_not_promoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["pipeline", "gate"])
    assert result.exit_code == 1 and "no train step has finished" in result.output


def test_ingest_copies_new_feed_files_and_skips_those_it_has(aws_env: None, tmp_path: Path) -> None:
    s3: Any = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="feeds")
    files = {"feeds/tracks.jsonl": b"{}\n", "feeds/listens/dt=2026-01-01/part-0.csv.gz": b"x" * 10}
    for key, body in files.items():
        s3.put_object(Bucket="feeds", Key=key, Body=body)
    assert ingest_feeds(s3, "s3://feeds/feeds/", tmp_path) == 2
    assert (tmp_path / "listens/dt=2026-01-01/part-0.csv.gz").read_bytes() == b"x" * 10
    assert ingest_feeds(s3, "s3://feeds/feeds/", tmp_path) == 0  # already there
    with pytest.raises(ValueError):
        ingest_feeds(s3, "feeds/feeds", tmp_path)
