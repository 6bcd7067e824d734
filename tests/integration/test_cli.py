"""The ``philomath`` command on a tiny embedded data set: pipeline, say, alexa."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from philomath.cli import main
from skill.alexa.envelopes import intent_request

LISTENER = "usr-0000001"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture
def runner(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in {
        "PHILOMATH_DATA_DIR": str(data_dir),
        "PHILOMATH_USERS": "30",
        "PHILOMATH_TRACKS": "300",
        "PHILOMATH_EVENTS": "3000",
        "PHILOMATH_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


@pytest.fixture
def pipeline_ran(runner: CliRunner) -> None:
    result = runner.invoke(main, ["pipeline", "run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "listener lists" in result.stdout


def test_pipeline_reports_what_it_wrote(runner: CliRunner, pipeline_ran: None) -> None:
    result = runner.invoke(main, ["pipeline", "run", "--json"], catch_exceptions=False)
    report = json.loads(result.stdout)
    assert report["tracks"] > 0 and report["user_lists"] == report["profiles"]
    assert report["model_version"] == "popularity.v1"


def test_say_prints_what_alexa_would_say_and_play(runner: CliRunner, pipeline_ran: None) -> None:
    result = runner.invoke(main, ["say", "play something relaxing", "--user", LISTENER])
    assert result.exit_code == 0, result.output
    assert "Alexa says:" in result.stdout and "relaxing" in result.stdout
    assert "Alexa plays:" in result.stdout and "stream: https://" in result.stdout


def test_say_out_of_domain_is_a_polite_fallback(runner: CliRunner, pipeline_ran: None) -> None:
    result = runner.invoke(main, ["say", "what's the weather tomorrow", "--user", LISTENER])
    assert result.exit_code == 0, result.output
    assert "Alexa says:" in result.stdout and "Alexa plays:" not in result.stdout


def test_alexa_answers_an_envelope_on_stdin(runner: CliRunner, pipeline_ran: None) -> None:
    envelope = intent_request("PlayMusicIntent", {"Mood": "relaxing"}, LISTENER)
    result = runner.invoke(main, ["alexa"], input=json.dumps(envelope))
    assert result.exit_code == 0, result.output
    directives = json.loads(result.stdout)["response"]["directives"]
    assert directives[0]["type"] == "AudioPlayer.Play"


@pytest.mark.parametrize("stdin", ["not json", "[1, 2]", '{"request": {}}'])
def test_alexa_rejects_bad_input_with_a_clear_error(
    runner: CliRunner, pipeline_ran: None, stdin: str
) -> None:
    result = runner.invoke(main, ["alexa"], input=stdin)
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
