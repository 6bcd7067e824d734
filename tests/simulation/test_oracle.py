"""The oracle yardstick (``philomath.simulation.oracle``): each listener's best fits by true
taste, the shifted taste from the shift on, with the policies' randomness; in the figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from philomath.simulation.listeners import ContentShift, SimulatedListeners, load_truth
from philomath.simulation.oracle import ORACLE, oracle_for, oracle_run
from philomath.simulation.report import figures, render_html
from philomath.simulation.run import DayCounts, PolicyRun, SimulationConfig

TINY = {"listeners": 30, "tracks": 300, "events": 3_000, "seed": 7}
SHIFT = ContentShift(day=2, genre="rock")


def test_the_best_tracks_fit_best_and_follow_the_shift(tiny_pipeline_output: Path) -> None:
    truth = load_truth(tiny_pipeline_output / "raw")
    listeners = SimulatedListeners(truth, SHIFT)
    user = listeners.user_ids[0]
    everything = np.arange(len(truth.track_ids))
    match = truth.match(np.zeros(len(everything), dtype=np.int64), everything)
    best = listeners.best_tracks(0, user, 10)
    chosen = truth.track_index(best)
    others = np.setdiff1d(everything, chosen)
    assert len(best) == 10 and match[chosen].min() >= match[others].max()
    assert listeners.best_tracks(0, user, 10, exclude=best[:3]) == [
        *best[3:],
        *listeners.best_tracks(0, user, 13)[10:],
    ]
    rock = truth.genres.index("rock")

    def rock_share(day: int) -> float:
        picked = truth.track_index(listeners.best_tracks(day, user, 10))
        return float(np.mean(truth.track_genre[picked] == rock))

    assert rock_share(SHIFT.day) > rock_share(0)
    assert listeners.best_tracks(0, "nobody", 10) == []


def _random_lists(listeners: SimulatedListeners, config: SimulationConfig) -> float:
    """The skip rate of random lists to the same listeners with the same randomness."""
    pick = np.random.default_rng(99)
    tracks = [str(t) for t in listeners.truth_on(0).track_ids]
    skipped = started = 0
    for day in range(config.days):
        for index, user in enumerate(listeners.user_ids):
            rng = np.random.default_rng([config.seed, 7, day, index])
            rng.uniform(6 * 3600, 22 * 3600)
            served = list(pick.choice(tracks, 10, replace=False))
            outcome = listeners.listen(day, user, served, rng)
            skipped += sum(outcome.skipped)
            started += len(outcome.track_ids)
    return skipped / started


def test_the_oracle_skips_less_than_random_lists_and_reads_the_prepared_world(
    tiny_pipeline_output: Path, tmp_path: Path
) -> None:
    config = SimulationConfig(days=3, shift=SHIFT, **TINY)  # type: ignore[arg-type]
    listeners = SimulatedListeners(load_truth(tiny_pipeline_output / "raw"), SHIFT)
    run = oracle_run(listeners, config)
    assert run.name == ORACLE and len(run.days) == 3
    skipped = sum(int(day.skipped.sum()) for day in run.days)
    started = sum(int(day.started.sum()) for day in run.days)
    assert all(int(day.sessions.sum()) == 30 for day in run.days)
    assert skipped / started < _random_lists(listeners, config) - 0.1
    shutil.copytree(tiny_pipeline_output / "raw", tmp_path / "world" / "raw")
    again = oracle_for(config, tmp_path)
    for mine, theirs in zip(run.days, again.days, strict=True):
        assert np.array_equal(mine.skipped, theirs.skipped)


def _flat(name: str, skips: int, days: int) -> PolicyRun:
    counts = []
    for _ in range(days):
        day = DayCounts.zeros(20)
        day.sessions[:] = 1
        day.started[:] = 10
        day.skipped[:] = skips
        day.finished[:] = 10 - skips
        counts.append(day)
    return PolicyRun(name, counts)


def test_the_figures_and_the_report_show_the_oracle_beside_the_policies() -> None:
    config = SimulationConfig(days=4, listeners=20, shift=SHIFT, policies=("static",))
    data = figures([_flat("static", 4, 4)], config, _flat(ORACLE, 1, 4))
    assert data["oracle"]["name"] == ORACLE
    assert [d["skip_rate"]["value"] for d in data["oracle"]["days"]] == [0.1] * 4
    assert data["pooled"]["against_oracle"]["static"]["gap_excess"]["value"] == 0.0
    assert "static" in data["policies"] and ORACLE not in data["policies"]
    page = render_html(data)
    assert "oracle (yardstick" in page and "against the oracle" in page
    assert figures([_flat("static", 4, 4)], config)["oracle"] is None
