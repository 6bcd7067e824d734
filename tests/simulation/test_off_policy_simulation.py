"""Off-policy evaluation in the listener simulator on the tiny pipeline's world: the estimates
from the exploring static policy's logs cover the frozen bandit's simulated first-slot
completion rate; a logging policy that never explores is refused before anything runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from philomath.cli import main
from philomath.simulation.off_policy import OffPolicyConfig, format_text, simulate_off_policy
from philomath.simulation.run import SimulationConfig

TINY = {"listeners": 30, "tracks": 300, "events": 3_000, "seed": 7}  # the tiny pipeline's


def test_the_estimates_cover_the_frozen_bandits_simulated_rate(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    shutil.copytree(tiny_pipeline_output, tmp_path / "world")
    simulation = SimulationConfig(days=3, **TINY)  # type: ignore[arg-type]
    data = simulate_off_policy(OffPolicyConfig(simulation, learn_days=2), tmp_path)
    first = data["first_slot_completion"]
    assert first["logged_lists"] == first["truth"]["n"] == 30 * 3  # one list a session
    assert {e["estimator"] for e in first["estimates"]} == {"IPW", "SNIPW", "DR"}
    for estimate in first["estimates"]:
        assert estimate["covers_truth"], estimate
        assert estimate["covers_truth_on_logged_contexts"], estimate
        assert estimate["effective_sample_size"] < first["logged_lists"]  # it re-weighs
    assert first["logging_mean"]["max_weight"] == 1.0  # the logging policy on itself
    session = data["session_completion"]
    assert not session["identified"] and 0.0 <= session["unsupported_later_placements"] <= 1.0
    # The logging policy swapped its first slot about as often as its exploration says.
    assert abs(first["logging_swapped"] - 0.5) < 4.5 * (0.25 / 90) ** 0.5
    lines = format_text(data)
    assert lines[1].lstrip().startswith("truth") and "IPW" in lines[3]
    json.dumps(data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--logging-exploration", "0"], "supports no other policy"),
        (["--logging-exploration", "0.9"], "within (0, 0.5]"),
    ],
)
def test_a_logging_policy_that_never_explores_is_refused(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["simulate-off-policy", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "simulation-off-policy").exists()  # refused before simulating
