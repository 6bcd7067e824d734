"""The simulator's pooled figures (``philomath.simulation.pooled``) on runs whose answer is
known, and its nightly step: a retrain on the day's live plays, not a batch rerun."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from philomath.simulation.listeners import ContentShift
from philomath.simulation.pooled import RECOVERED_WITHIN, pooled_figures, summary_lines
from philomath.simulation.run import DayCounts, PolicyRun, SimulationConfig, simulate

LEVEL = 0.95
RESAMPLES = 500


def _run(name: str, skips_by_day: list[list[int]], started: int = 10) -> PolicyRun:
    """Listener i skips ``skips_by_day[day][i]`` of ``started`` tracks on each day."""
    days = []
    for skips in skips_by_day:
        n = len(skips)
        day = DayCounts.zeros(n)
        day.sessions[:] = 1
        day.started[:] = started
        day.skipped[:] = skips
        day.finished[:] = started - np.asarray(skips)
        days.append(day)
    return PolicyRun(name, days)


def _figures(runs: list[PolicyRun], days: int, shift: ContentShift | None = None) -> dict:  # type: ignore[type-arg]
    config = SimulationConfig(days=days, listeners=len(runs[0].days[0].sessions), shift=shift)
    return pooled_figures(runs, config, resamples=RESAMPLES, level=LEVEL)


def test_the_pooled_difference_is_the_mean_of_each_listener_s_mean_daily_difference() -> None:
    rng = np.random.default_rng(0)
    static = rng.integers(2, 7, size=(4, 40))
    other = np.clip(static - rng.integers(0, 3, size=(4, 40)), 0, 10)
    data = _figures([_run("static", static.tolist()), _run("other", other.tolist())], 4)
    pooled = data["against_first"]["other"]["all_days"]
    expected = ((other - static) / 10).mean(axis=0).mean()
    assert pooled["value"] == pytest.approx(expected)
    assert pooled["low"] <= pooled["value"] <= pooled["high"] < 0  # excludes no change
    assert "before_shift" not in data["against_first"]["other"] and data["recovery"] is None
    same = _figures([_run("static", static.tolist()), _run("other", static.tolist())], 4)
    assert same["against_first"]["other"]["all_days"] == {"value": 0, "low": 0, "high": 0}
    shuffled = static[:, ::-1]  # the same figures, paired with other listeners: no effect
    noise = _figures([_run("static", static.tolist()), _run("other", shuffled.tolist())], 4)
    estimate = noise["against_first"]["other"]["all_days"]
    assert estimate["value"] == pytest.approx(0.0, abs=1e-12)
    assert estimate["low"] < 0 < estimate["high"]


def test_a_listener_without_plays_on_a_day_is_left_out_of_that_day() -> None:
    static, other = _run("static", [[5, 5], [5, 5]]), _run("other", [[3, 3], [0, 1]])
    other.days[1].started[0] = 0  # listener 0 played nothing on day 1
    pooled = _figures([static, other], 2)["against_first"]["other"]["all_days"]
    # listener 0: day 0 only (-0.2); listener 1: (-0.2 + -0.4) / 2
    assert pooled["value"] == pytest.approx((-0.2 + -0.3) / 2)


def test_recovery_measures_the_excess_after_the_shift_and_the_days_to_recover() -> None:
    n = 30
    slow = [[3] * n] * 3 + [[6] * n] * 3  # never recovers
    fast = [[3] * n] * 3 + [[6] * n, [4] * n, [3] * n]  # back within 0.02 on day 2
    data = _figures([_run("static", slow), _run("bandit", fast)], 6, ContentShift(3, "rock"))
    static, bandit = data["recovery"]["static"], data["recovery"]["bandit"]
    assert static["pre_shift"]["value"] == pytest.approx(0.3)
    assert static["excess"]["value"] == pytest.approx(0.3)
    assert bandit["excess"]["value"] == pytest.approx((0.3 + 0.1 + 0.0) / 3)
    assert static["days_to_within"] == {
        "value": None, "low": None, "high": None, "within": RECOVERED_WITHIN,
    }  # fmt: skip
    assert bandit["days_to_within"]["value"] == 2
    faster = data["against_first"]["bandit"]["recovery_excess"]
    assert faster["value"] == pytest.approx(0.4 / 3 - 0.3)
    after = data["against_first"]["bandit"]["after_shift"]
    assert after["value"] == pytest.approx(faster["value"])  # same level before the shift
    assert data["against_first"]["bandit"]["before_shift"]["value"] == 0
    lines = summary_lines(data)
    assert any("recovery excess: -0.1667" in line and "excludes 0" in line for line in lines)
    assert any(line.startswith("static recovery") and "not recovered" in line for line in lines)


def test_against_the_oracle_recovery_is_read_against_what_is_reachable() -> None:
    n = 30
    # After the shift even the best answer skips more: the pre-shift rate is out of reach.
    oracle = _run("oracle", [[1] * n] * 3 + [[3] * n] * 3)
    static = _run("static", [[3] * n] * 3 + [[6] * n] * 3)  # its gap never closes
    bandit = _run("bandit", [[3] * n] * 3 + [[6] * n, [5] * n, [5] * n])  # closes on day 1
    config = SimulationConfig(days=6, listeners=n, shift=ContentShift(3, "rock"))
    data = pooled_figures([static, bandit], config, resamples=RESAMPLES, level=LEVEL, oracle=oracle)
    assert data["oracle"] == "oracle"
    reachable = data["recovery"]["oracle"]
    assert reachable["excess"]["value"] == pytest.approx(0.2)
    assert reachable["days_to_within"]["value"] is None  # nor does the oracle get back
    assert data["recovery"]["bandit"]["days_to_within"]["value"] is None  # the old measure
    against = data["against_oracle"]
    assert against["static"]["gap_excess"]["value"] == pytest.approx(0.3 - 0.2)
    assert against["bandit"]["gap_excess"]["value"] == pytest.approx(
        (0.6 + 0.5 + 0.5) / 3 - 0.3 - 0.2
    )
    assert against["static"]["days_to_gap_within"]["value"] is None
    assert against["bandit"]["days_to_gap_within"]["value"] == 1
    # Paired, the oracle cancels out of the difference of two policies' excesses.
    difference = data["against_first"]["bandit"]["recovery_excess"]["value"]
    gaps = against["bandit"]["gap_excess"]["value"] - against["static"]["gap_excess"]["value"]
    assert difference == pytest.approx(gaps)
    lines = summary_lines(data)
    assert any(line.startswith("bandit against the oracle") and ": 1 [" in line for line in lines)
    assert any(line.startswith("oracle recovery") for line in lines)
    assert _figures([static, bandit], 6, ContentShift(3, "rock"))["against_oracle"] is None


def test_the_nightly_step_retrains_the_model_on_the_day_s_live_plays(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    shutil.copytree(tiny_pipeline_output, tmp_path / "world")
    config = SimulationConfig(
        days=2, listeners=30, tracks=300, events=3_000, seed=7, policies=("static",)
    )
    simulate(config, tmp_path, progress=False)

    def steps(root: Path) -> dict:  # type: ignore[type-arg]
        state = json.loads((root / "work" / "pipeline_state.json").read_text())
        return state["steps"]  # type: ignore[no-any-return]

    before, after = steps(tmp_path / "world"), steps(tmp_path / "policies" / "static")
    # The archived live plays reached the unified tables, a new training run fitted the
    # candidates on them, and the lists served the next day came from it.
    plays_before = before["etl"]["outputs"]["unified_rows"]["interactions"]
    assert after["etl"]["outputs"]["unified_rows"]["interactions"] > plays_before
    assert after["train"]["outputs"]["run"] != before["train"]["outputs"]["run"]
    assert after["recommend"]["outputs"]["snapshot"] != before["recommend"]["outputs"]["snapshot"]
    assert any((tmp_path / "policies" / "static" / "raw" / "live" / "listens").rglob("*.csv"))
