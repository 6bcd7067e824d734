"""The oracle: a yardstick that serves each simulated listener the tracks that fit their true
taste best, as the simulator knows it that day (after a content shift, the shifted taste).

It is not a serving policy (no router, no model, no events): it answers how low the skip rate
can go on a day, so a policy's recovery after a shift can be read against what is reachable
then, not only against the policy's own rate before the shift. It meets the same listeners
with the same randomness as the policies (``run._run_policy``: the rng keyed by (seed, day,
listener), one draw for the session's time, then the listener's), and like the router it
does not repeat a listener's last ``RECENT_NO_REPEAT`` tracks.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from philomath.simulation.listeners import SimulatedListeners, load_truth
from philomath.simulation.run import SESSION_TRACKS, DayCounts, PolicyRun, SimulationConfig
from recommender.serving.ranking import RECENT_NO_REPEAT

ORACLE = "oracle"


def oracle_run(listeners: SimulatedListeners, config: SimulationConfig) -> PolicyRun:
    """The oracle's per-day counts over ``config.days`` (the module docstring)."""
    run = PolicyRun(ORACLE)
    user_ids = listeners.user_ids
    recent: list[deque[str]] = [deque(maxlen=RECENT_NO_REPEAT) for _ in user_ids]
    for day in range(config.days):
        counts = DayCounts.zeros(len(user_ids))
        for index, user_id in enumerate(user_ids):
            rng = np.random.default_rng([config.seed, 7, day, index])
            rng.uniform(6 * 3600, 22 * 3600)  # the session's time, as the policies draw it
            served = listeners.best_tracks(day, user_id, SESSION_TRACKS, set(recent[index]))
            outcome = listeners.listen(day, user_id, served, rng)
            counts.add(index, outcome)
            recent[index].extend(outcome.track_ids)
        run.days.append(counts)
    return run


def oracle_for(config: SimulationConfig, work_dir: Path) -> PolicyRun:
    """The oracle over the world ``simulate`` prepared under ``work_dir``."""
    truth = load_truth(work_dir / "world" / "raw")
    return oracle_run(SimulatedListeners(truth, config.shift), config)
