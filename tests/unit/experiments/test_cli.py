"""``philomath experiment list|report``: text, JSON, HTML with plots, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from philomath.cli import main
from playback.events import Served
from playback.sqlite_stream import SqliteEventStream
from recommender.experiments.assignment import Assignment
from recommender.experiments.file_exposures import FileExposureLog
from tests.unit.experiments.simulate import experiment, traffic


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    for name in ("EXPERIMENTS_FILE", "EXPOSURES_FILE", "EVENTS_URL"):
        monkeypatch.delenv(f"PHILOMATH_{name}", raising=False)
    return tmp_path


def _declare(data_dir: Path, *experiments: object) -> None:
    body = {"experiments": [e.model_dump(mode="json") for e in experiments]}  # type: ignore[attr-defined]
    (data_dir / "experiments.json").write_text(json.dumps(body), encoding="utf-8")


def _events_file(path: Path, events: list) -> Path:  # type: ignore[type-arg]
    path.write_text(
        "".join(e.model_dump_json() + "\n" for e in events) + "not json\n", encoding="utf-8"
    )
    return path


def test_list_shows_the_declared_experiments(data_dir: Path) -> None:
    _declare(data_dir, experiment("ranker", (1, 3)))
    result = CliRunner().invoke(main, ["experiment", "list"])
    assert result.exit_code == 0, result.output
    assert "ranker" in result.output and "treatment:3" in result.output
    listed = json.loads(CliRunner().invoke(main, ["experiment", "list", "--json"]).output)
    assert listed[0]["name"] == "ranker"


def test_report_from_an_events_file_as_text_json_and_html(data_dir: Path) -> None:
    exp = experiment()
    _declare(data_dir, exp)
    exposures, events = traffic(exp, 1500, {"control": 0.45, "treatment": 0.6}, seed=11)
    FileExposureLog(data_dir / "experiments" / "exposures.jsonl").record(exposures)
    events_path = _events_file(data_dir / "events.jsonl", events)
    html = data_dir / "report.html"
    result = CliRunner().invoke(
        main, ["experiment", "report", "ranker", "--events", str(events_path), "--html", str(html)]
    )
    assert result.exit_code == 0, result.output
    assert "better variant: treatment" in result.output
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "Experiment ranker" in page
    as_json = CliRunner().invoke(
        main, ["experiment", "report", "ranker", "--events", str(events_path), "--json"]
    )
    assert json.loads(as_json.stdout)["winner"] == "treatment"


def test_report_reads_the_configured_event_stream(data_dir: Path) -> None:
    exp = experiment()
    _declare(data_dir, exp)
    exposures, events = traffic(exp, 300, {"control": 0.5, "treatment": 0.5}, seed=12)
    FileExposureLog(data_dir / "experiments" / "exposures.jsonl").record(exposures)
    stream = SqliteEventStream(data_dir / "events.db")
    stream.ensure_schema()
    stream.publish(events)
    stream.close()
    result = CliRunner().invoke(main, ["experiment", "report", "ranker", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert sum(body["listeners"].values()) == 300
    assert body["metrics"]["completion_rate"]["control"]["listeners"] > 0


def test_a_broken_assignment_blocks_the_report_with_status_1(data_dir: Path) -> None:
    exp = experiment()
    _declare(data_dir, exp)
    exposures, events = traffic(
        exp, 12_000, {"control": 0.5, "treatment": 0.5}, seed=13, drop={"control": 0.1}, plays=1
    )
    FileExposureLog(data_dir / "experiments" / "exposures.jsonl").record(exposures)
    events_path = _events_file(data_dir / "events.jsonl", events)
    result = CliRunner().invoke(
        main, ["experiment", "report", "ranker", "--events", str(events_path)]
    )
    assert result.exit_code == 1
    assert "BLOCKED: sample ratio mismatch" in result.stdout
    assert "philomath: report blocked: sample ratio mismatch" in result.stderr


def test_refusals_are_one_line_with_status_2(data_dir: Path) -> None:
    exp = experiment()
    _declare(data_dir, exp)
    unknown = CliRunner().invoke(main, ["experiment", "report", "nope"])
    assert unknown.exit_code == 2 and "no experiment named 'nope'" in unknown.stderr
    SqliteEventStream(data_dir / "events.db").ensure_schema()
    silent = CliRunner().invoke(main, ["experiment", "report", "ranker"])
    assert silent.exit_code == 2 and "has no exposures yet" in silent.stderr
    _declare(data_dir, experiment(weights=(1, 2)))  # re-weighted after it started
    changed = CliRunner().invoke(main, ["experiment", "list"])
    assert changed.exit_code == 2 and "has started" in changed.stderr


def test_exposures_carried_by_served_plays_need_no_exposure_log(data_dir: Path) -> None:
    exp = experiment()
    _declare(data_dir, exp)
    exposures, events = traffic(exp, 400, {"control": 0.5, "treatment": 0.5}, seed=14)
    variant_of = {e.listener_id: e.variant for e in exposures}
    served = [
        event.model_copy(
            update={
                "served": Served(
                    impression_id=f"imp-{event.user_id}",
                    position=0,
                    path="personalized",
                    context=Assignment("ranker", variant_of[event.user_id], ()).context(),
                )
            }
        )
        for event in events
    ]
    events_path = _events_file(data_dir / "events.jsonl", served)
    result = CliRunner().invoke(
        main, ["experiment", "report", "ranker", "--events", str(events_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["listeners"]
    assert counts == {
        name: sum(1 for v in variant_of.values() if v == name) for name in ("control", "treatment")
    }
