"""``philomath pipeline evaluate``: the Step Functions task between ``train`` and the gate
evaluates the model the last train step chose on training's held-out split and writes its
report (HTML and JSON) into the work folder's reports/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from philomath.cli import main
from philomath.offline import run_step
from philomath.settings import Settings
from recommender.data.generator.feeds import generate_feeds
from recommender.offline.training import BASELINE, SELECT_BY


def test_it_refuses_in_one_line_when_no_train_step_has_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["pipeline", "evaluate"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no train step has finished: nothing to evaluate"
    ]


def test_it_reports_the_trained_model_on_the_held_out_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    generate_feeds(settings.raw_dir, users=30, tracks=300, events=3_000, seed=4, progress=False)
    trained = run_step(settings, "train")
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["pipeline", "evaluate"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    run = str(trained["run"])
    reports = settings.work_dir / "reports"
    assert printed["json"] == str(reports / f"evaluation-{run}.json")
    written = json.loads((reports / f"evaluation-{run}.json").read_text())
    assert (written["model"], written["run"]) == (trained["chosen"], run)
    label = written["label"]
    assert set(written["measured"]) == {label, BASELINE}
    # The same split and the same fit as the train step: its recorded figure reproduces.
    assert written["measured"][label][SELECT_BY] == pytest.approx(written["recorded"][SELECT_BY])
    assert 0 < written["measured"][label]["satisfaction@10"] < 1  # the generator's truth
    page = (reports / f"evaluation-{run}.html").read_text()
    assert written["report"] == str(reports / f"evaluation-{run}.html")
    assert f"<td>{label}</td>" in page and "<svg" in page
