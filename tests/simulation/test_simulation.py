"""The listener simulator on the tiny pipeline's world: events go through the real stream and
consumer, figures are reproducible, a content shift moves tastes, the report holds each day."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from philomath.adapters import build_profiles
from philomath.cli import main
from philomath.simulation.listeners import ContentShift, SimulatedListeners, load_truth
from philomath.simulation.report import figures, render_html
from philomath.simulation.run import (
    DayCounts,
    PolicyRun,
    SimulationConfig,
    simulate,
    world_settings,
    write_impressions,
)

# The tiny pipeline's scale and (default) seed: the simulator reuses its trained world.
TINY = {"listeners": 30, "tracks": 300, "events": 3_000, "seed": 7}


def _simulate(
    tiny_pipeline_output: Path, work: Path, **options: object
) -> tuple[SimulationConfig, list[PolicyRun]]:
    shutil.copytree(tiny_pipeline_output, work / "world")
    config = SimulationConfig(**{"days": 3, **TINY, **options})  # type: ignore[arg-type]
    runs, _ = simulate(config, work, progress=False)
    return config, runs


def test_sessions_flow_through_the_stream_and_consumer_into_profiles(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    config, runs = _simulate(tiny_pipeline_output, tmp_path)
    (run,) = runs
    assert run.events_published > 0
    assert run.events_applied == run.events_published  # every event applied, once
    served = sum(int(day.started.sum()) for day in run.days)
    assert served > 0 and all(int(day.sessions.sum()) == 30 for day in run.days)
    before = build_profiles(world_settings(tmp_path / "world", config))
    after = build_profiles(world_settings(tmp_path / "policies" / "static", config))
    try:
        users = [str(u) for u in load_truth(tmp_path / "world" / "raw").user_ids]
        old = {u: p.play_count for u in users if (p := before.get(u)) is not None}
        new = {u: p.play_count for u in users if (p := after.get(u)) is not None}
    finally:
        before.close()
        after.close()
    assert sum(new.values()) - sum(old.values()) == served
    # Impressions carry their attribution for off-policy estimators.
    rows = run.impressions
    assert rows and all(row["impression_id"] and row["path"] for row in rows)
    assert {row["position"] for row in rows} >= {0, 1}
    path = write_impressions(tmp_path / "impressions.jsonl", run)
    assert len(path.read_text().splitlines()) == len(rows)


def test_the_same_seed_gives_the_same_figures_and_the_report_has_every_day(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    shift = ContentShift(day=1, genre="rock")
    config, first = _simulate(tiny_pipeline_output, tmp_path / "a", shift=shift)
    _, second = _simulate(tiny_pipeline_output, tmp_path / "b", shift=shift)
    data = figures(first, config)
    assert data == figures(second, config)
    days = data["policies"]["static"]["days"]
    assert [entry["day"] for entry in days] == [0, 1, 2]
    for entry in days:
        skip = entry["skip_rate"]
        assert 0.0 <= skip["low"] <= skip["value"] <= skip["high"] <= 1.0
        assert entry["plays_per_session"]["value"] > 0
    json.dumps(data)  # JSON for machines
    page = render_html(data)
    assert "<svg" in page and "rock trends from day 1" in page and page.count("<tr>") >= 4


def test_a_content_shift_raises_the_trending_genres_appeal(tiny_pipeline_output: Path) -> None:
    truth = load_truth(tiny_pipeline_output / "raw")
    listeners = SimulatedListeners(truth, ContentShift(day=2, genre="rock"))
    trending = np.flatnonzero(truth.track_genre == truth.genres.index("rock"))
    assert len(trending) > 0
    users = np.repeat(np.arange(len(truth.user_ids)), len(trending))
    tracks = np.tile(trending, len(truth.user_ids))
    before = listeners.truth_on(1).match(users, tracks).mean()
    after = listeners.truth_on(2).match(users, tracks).mean()
    assert after > before + 0.1
    user = str(truth.user_ids[0])
    ids = [str(truth.track_ids[j]) for j in trending[:10]]
    skips_before = sum(
        sum(listeners.listen(1, user, ids, np.random.default_rng(k)).skipped) for k in range(200)
    )
    skips_after = sum(
        sum(listeners.listen(2, user, ids, np.random.default_rng(k)).skipped) for k in range(200)
    )
    assert skips_after < skips_before, (skips_before, skips_after)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shift-day", "1"], "--shift-day and --shift-genre go together"),
        (["--policies", "oracle"], "unknown policy 'oracle'"),
        (["--days", "3", "--shift-day", "5", "--shift-genre", "jazz"], "shift day must be"),
        (["--shift-day", "1", "--shift-genre", "polka"], "unknown genre 'polka'"),
    ],
)
def test_bad_options_get_a_one_line_error(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["simulate", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def _run(name: str, skips: int, listeners: int = 50) -> PolicyRun:
    day = DayCounts.zeros(listeners)
    day.sessions[:] = 1
    day.started[:] = 10
    day.skipped[:] = skips
    day.finished[:] = 10 - skips
    return PolicyRun(name, [day])


def test_policies_are_compared_pairwise_with_an_interval() -> None:
    config = SimulationConfig(days=1, listeners=50, policies=("static", "other"))
    data = figures([_run("static", 4), _run("other", 2)], config)
    (diff,) = data["against_first"]["other"]
    skip = diff["skip_rate"]
    assert skip["value"] == pytest.approx(-0.2)
    assert skip["low"] <= skip["value"] <= skip["high"] < 0  # excludes no change
    same = figures([_run("static", 3), _run("other", 3)], config)["against_first"]["other"]
    assert same[0]["skip_rate"]["value"] == 0.0


def test_the_bandit_policy_learns_from_the_simulated_feedback(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    import sqlite3

    _, runs = _simulate(tiny_pipeline_output, tmp_path, days=2, policies=("static", "bandit"))
    static, bandit = runs
    assert bandit.events_applied == bandit.events_published > 0
    # Its answers log the policy's propensities (the first slot may be swapped: below 1).
    propensities = [p for row in bandit.impressions for p in row["propensities"]]
    assert propensities and all(0 < p <= 1 for p in propensities) and min(propensities) < 1
    assert {p for row in static.impressions for p in row["propensities"]} <= {1.0}  # certain
    # The consumer folded the plays and skips into the bandit's posteriors.
    with sqlite3.connect(tmp_path / "policies" / "bandit" / "bandit.db") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert any(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)  # noqa: S608


def test_the_bandit_s_runs_repeat_with_the_same_seed(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    options = {"days": 2, "policies": ("bandit",)}
    config, first = _simulate(tiny_pipeline_output, tmp_path / "a", **options)
    _, second = _simulate(tiny_pipeline_output, tmp_path / "b", **options)
    assert figures(first, config) == figures(second, config)
    served = [
        [(r["track_id"], r["propensities"]) for r in run.impressions]
        for run in (first[0], second[0])
    ]
    assert served[0] == served[1]
    assert any(r["propensities"][0] < 1.0 for r in first[0].impressions)  # it explored
