"""The ``philomath`` command on a tiny embedded data set: pipeline, train, models, evaluate,
tune, nlu, say, alexa; wrong settings, ``--help`` everywhere, ``say`` before any pipeline."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
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
    # Nothing changed since the fixture's run: every step is skipped, the figures stay.
    assert report["skipped"] == ["etl", "catalog", "profiles", "train", "recommend"]
    assert report["model_version"] != "popularity.v1" and report["model_run"]
    assert report["model_metrics"]["satisfaction@10"] > 0
    assert Path(report["report_path"]).is_file()
    listed = json.loads(runner.invoke(main, ["models", "list", "--json"]).stdout)
    assert listed["promoted"] == f"{report['model_version']}/{report['model_run']}"


def test_pipeline_force_and_from_rerun_steps(runner: CliRunner, pipeline_ran: None) -> None:
    result = runner.invoke(main, ["pipeline", "run", "--from", "recommend", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == ["etl", "catalog", "profiles", "train"]
    result = runner.invoke(main, ["pipeline", "run", "--from", "fit"])
    assert result.exit_code == 2 and "Invalid value for '--from'" in result.output


def test_train_registers_every_model_and_promote_and_rollback_switch_them(
    runner: CliRunner, pipeline_ran: None
) -> None:
    result = runner.invoke(main, ["train", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    chosen = summary["chosen"]
    assert summary["promoted"] and Path(summary["report"]).is_file()
    assert summary["candidates"]["popularity"]["version"] == "mostpopular.v1"

    table = runner.invoke(main, ["models", "list"]).stdout
    assert f"* {chosen['name']}" in table and chosen["run"] in table
    assert "mostpopular.v1" in table and "satisf@10" in table

    result = runner.invoke(main, ["models", "promote", "mostpopular.v1", chosen["run"]])
    assert result.exit_code == 0 and "promoted mostpopular.v1" in result.stdout
    listed = json.loads(runner.invoke(main, ["models", "list", "--json"]).stdout)
    assert listed["promoted"] == f"mostpopular.v1/{chosen['run']}"

    result = runner.invoke(main, ["models", "rollback"])
    assert result.exit_code == 0 and f"rolled back to {chosen['name']}" in result.stdout
    listed = json.loads(runner.invoke(main, ["models", "list", "--json"]).stdout)
    assert listed["promoted"] == f"{chosen['name']}/{chosen['run']}"


def test_train_and_pipeline_say_what_the_promotion_gate_decided(
    runner: CliRunner, pipeline_ran: None
) -> None:
    listed = json.loads(runner.invoke(main, ["models", "list", "--json"]).stdout)
    popularity = next(m for m in listed["models"] if m["name"] == "mostpopular.v1")
    runner.invoke(main, ["models", "promote", "mostpopular.v1", popularity["run"]])

    result = runner.invoke(main, ["train"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("promoted: "))
    assert "beats the model in service: ndcg@10" in line  # against popularity, by far

    result = runner.invoke(main, ["train", "--no-gate", "--json"], catch_exceptions=False)
    summary = json.loads(result.stdout)
    assert summary["promoted"] and summary["promotion"]["reason"].endswith("(--no-gate)")

    result = runner.invoke(main, ["pipeline", "run"], catch_exceptions=False)
    gate = next(x for x in result.stdout.splitlines() if x.startswith("gate "))
    assert " promoted: " in gate or " not promoted: " in gate
    report = json.loads(runner.invoke(main, ["pipeline", "run", "--json"]).stdout)
    assert set(report["promotion"]) >= {"promoted", "reason", "challenger", "in_service"}


def test_models_commands_report_bad_requests_clearly(runner: CliRunner, pipeline_ran: None) -> None:
    result = runner.invoke(main, ["models", "promote", "nope.v1"])
    assert result.exit_code == 1 and "no model 'nope.v1'" in result.output
    assert "Traceback" not in result.output


def test_train_without_the_etl_output_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1 and "run the ETL first" in result.output
    result = CliRunner().invoke(main, ["models", "rollback"])
    assert result.exit_code == 1 and "nothing to roll back to" in result.output
    assert "no model registered" in CliRunner().invoke(main, ["models", "list"]).stdout


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


@pytest.mark.parametrize(
    "stdin",
    ['{"a":' * 5_000 + "1" + "}" * 5_000, "[" * 3_000 + "]" * 3_000],
    ids=["objects", "lists"],
)
def test_alexa_refuses_deep_nesting_in_one_line(runner: CliRunner, stdin: str) -> None:
    result = runner.invoke(main, ["alexa"], input=stdin)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: not a valid Alexa request envelope: JSON nested deeper than 64 levels"
    ]


def _lastfm_files() -> Any:
    """The unit tests' HetRec fixture writer (tests/unit/lastfm_files.py)."""
    path = Path(__file__).parents[1] / "unit" / "lastfm_files.py"
    spec = importlib.util.spec_from_file_location("lastfm_files", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_evaluate_writes_an_html_report(runner: CliRunner, tmp_path: Path) -> None:
    files = _lastfm_files()
    data = files.write_lastfm(tmp_path / "lastfm", plays=files.synthetic_plays())
    out = tmp_path / "eval.html"
    args = ["evaluate", "--data-dir", str(data), "--json", "--report", str(out)]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dataset"] == "lastfm-2k"  # stdout stays JSON
    assert f"report: {out}" in result.stderr
    page = out.read_text()
    assert page.count("<svg") >= 3 and "<td>popularity</td>" in page and "<td>blend</td>" in page


def test_tune_logs_every_trial_and_prints_the_best(runner: CliRunner, tmp_path: Path) -> None:
    files = _lastfm_files()
    data = files.write_lastfm(tmp_path / "lastfm", plays=files.synthetic_plays())
    log = tmp_path / "trials.jsonl"
    args = ["tune", "--data-dir", str(data), "--space", "rp3beta", "--trials", "2"]
    result = runner.invoke(main, [*args, "--folds", "2", "--trial-log", str(log)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["best_params"]) == {"alpha", "beta", "k"}
    assert [json.loads(line)["trial"] for line in log.read_text().splitlines()] == [0, 1]


def test_tune_rejects_an_unknown_search_space(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["tune", "--data-dir", str(tmp_path), "--space", "nope"])
    assert result.exit_code == 2 and "Invalid value for '--space'" in result.output


def test_evaluate_reports_bad_input_without_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["evaluate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "missing" in result.stderr
    assert "Traceback" not in result.output


def test_the_cli_knows_the_pipeline_s_steps_and_the_search_spaces() -> None:
    from philomath.cli import PIPELINE_STEPS
    from philomath.cli.evaluation import TUNING_SPACES
    from recommender.offline.pipeline import STEPS
    from recommender.offline.tuning import SEARCH_SPACES

    # The CLI cannot import the pipeline or Optuna at start-up.
    assert PIPELINE_STEPS == STEPS
    assert tuple(sorted(SEARCH_SPACES)) == TUNING_SPACES


def test_nlu_commands(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["nlu", "parse"])
    assert result.exit_code == 2 and "give either TEXT or --jsonl" in result.output
    result = runner.invoke(main, ["nlu", "evaluate", "--set", "dev", "--rules", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["set"] == "dev"
    stale = tmp_path / "en-US.json"
    stale.write_text("{}")
    check = ["nlu", "interaction-model", str(stale), "--check"]
    assert runner.invoke(main, check).exit_code == 1
    assert runner.invoke(main, ["nlu", "interaction-model", str(stale)]).exit_code == 0
    assert runner.invoke(main, check).exit_code == 0
    assert runner.invoke(main, ["skill-package", "--check"]).exit_code == 0


# -- settings, help, and a person's first steps ----------------------------------------------

WRONG_SETTINGS = {
    "PHILOMATH_MEDIA_SIGNING_KEY": "short",
    "PHILOMATH_FALLBACK_CHAIN": "popular,telepathy",
    "PHILOMATH_API_TOKENS": "{not json",
}


@pytest.mark.parametrize(
    "args",
    [
        ["say", "play something relaxing"],
        ["serve"],
        ["pipeline", "run"],
        ["models", "list"],
        ["tune", "--data-dir", "."],
        ["nlu", "evaluate", "--rules"],
    ],  # fmt: skip
)
def test_a_wrong_setting_is_one_line_per_problem_and_exit_status_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    for name, value in WRONG_SETTINGS.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "philomath: PHILOMATH_MEDIA_SIGNING_KEY: must be at least 16 bytes",
        "philomath: PHILOMATH_API_TOKENS: not JSON (Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1))",
        "philomath: PHILOMATH_FALLBACK_CHAIN: unknown fallback steps ['telepathy']; known: "
        "personalized, popular, cold_start, memory",
    ]


def test_a_wrong_setting_from_the_installed_command(tmp_path: Path) -> None:
    """The real entry point, in a subprocess: no traceback, status 2, the secret not echoed."""
    env = {"PATH": "/usr/bin:/bin", "PHILOMATH_DATA_DIR": str(tmp_path)}
    env["PHILOMATH_MEDIA_SIGNING_KEY"] = "hunter2"
    done = subprocess.run(
        [sys.executable, "-m", "philomath", "say", "play something relaxing"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "philomath: PHILOMATH_MEDIA_SIGNING_KEY: must be at least 16 bytes\n"


def test_an_unknown_backend_is_one_line_too(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_CACHE_URL", "memcached://127.0.0.1")
    result = runner.invoke(main, ["say", "play something relaxing"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr == (
        "philomath: PHILOMATH_CACHE_URL: unknown scheme 'memcached'; known: memory, redis, rediss\n"
    )


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = []
    for name, command in group.commands.items():
        found.append([*prefix, name])
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
    return found


def test_every_command_has_help_even_with_a_wrong_setting(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_MEDIA_SIGNING_KEY", "short")
    commands = _commands(main, [])
    assert ["nlu", "interaction-model"] in commands and ["skill-package"] in commands
    for args in [[], *commands]:
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.stdout, (args, result.output)


def test_say_before_the_pipeline_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "WARNING")
    result = CliRunner().invoke(main, ["say", "play something relaxing"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no recommendations are built yet" in result.stderr
    assert "philomath pipeline run" in result.stderr and "make run" in result.stderr


def test_cache_warm_puts_the_snapshot_s_charts_into_redis(
    runner: CliRunner, pipeline_ran: None, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state machine's last state: after it, the charts are in the shared cache."""
    import redis

    monkeypatch.setenv("PHILOMATH_CACHE_URL", redis_url)
    result = runner.invoke(main, ["cache", "warm"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    warmed = json.loads(result.stdout)
    assert warmed["charts_warmed"] >= 1 + 1  # overall and at least one mood or genre chart
    assert warmed["contexts"] >= warmed["charts_warmed"]
    cached = redis.Redis.from_url(redis_url).keys(f"philomath:recs:{warmed['snapshot']}:*")
    assert len(cached) == warmed["charts_warmed"]


def test_retrain_if_due_waits_for_new_live_plays_and_then_retrains(
    runner: CliRunner, pipeline_ran: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recommender.storage.listen_archive import ListenRow
    from recommender.storage.local_listen_archive import LocalListenArchive

    first = json.loads(runner.invoke(main, ["retrain", "--if-due", "--json"]).stdout)
    assert first["due"] and first["ran"] and first["hours_since_run"] is None
    assert first["pipeline"]["skipped"] == ["etl", "catalog", "profiles", "train", "recommend"]
    quiet = runner.invoke(main, ["retrain", "--if-due"])
    assert quiet.exit_code == 0 and quiet.stdout.startswith("not due: 0 new plays of 5000")

    monkeypatch.setenv("PHILOMATH_RETRAIN_MIN_PLAYS", "2")
    track = "TRK00000001"
    rows = [ListenRow(f"live-{i}", LISTENER, track, 1_790_000_000_000 + i, 200_000,
                      "finished", "alexa") for i in range(2)]  # fmt: skip
    LocalListenArchive(data_dir / "raw" / "live" / "listens").write_page("0", "1", rows)
    result = runner.invoke(main, ["retrain", "--if-due", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    retrained = json.loads(result.stdout)
    assert retrained["ran"] and retrained["reason"] == "2 new plays (threshold 2)"
    assert "etl" not in retrained["pipeline"]["skipped"]
    assert "train" not in retrained["pipeline"]["skipped"]
    raw_events = first["pipeline"]["etl"]["raw_rows"]["events"]
    assert retrained["pipeline"]["etl"]["raw_rows"]["events"] == raw_events + 2
