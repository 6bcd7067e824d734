"""``philomath simulate-off-policy``: off-policy estimates from an exploring static policy's
simulated logs against the bandit's simulated truth.

What is predicted, precisely: the **first-slot completion rate** (the share of sessions whose
first track, the one a voice listener hears, is played to the end) of the bandit with its
posteriors **frozen at a snapshot**. A learning bandit is a moving target (what it does
tomorrow depends on what it logs today), so no fixed logs can predict it; a frozen one is
a fixed policy whose choice in any logged context is exact (``bandit_probabilities``: it
reads the snapshot at the list's time, decay included, as the frozen bandit online does).

1. Learn: the bandit (``bandit-learning``) serves ``learn_days`` days online, as
   ``philomath simulate --policies bandit`` does; its posterior store is the snapshot.
2. Evaluate, ``days`` days, the same listeners (the same seeded days and moods) on two fresh
   copies of the world: ``static-logging`` (the static ranking, its first slot swapped with
   chance ``logging_exploration``) logs; ``bandit-frozen`` (the snapshot, never updated)
   serves and its simulated first-slot completion rate, with a bootstrap interval over
   listeners, is the truth.
3. Estimate from the logging run's impressions alone: IPW, SNIPW and DR, each with a
   bootstrap interval over logged sessions, effective sample size and largest weight.
4. The truth on the logged contexts: in each logged list, the same listener on the same day
   hears the target's first track (``shadow_first_slot``): the estimators' own estimand.

Two honest limits. The estimators predict the target's value on the contexts the logging
policy met; the truth is measured on the contexts the target met itself. The two worlds
drift apart a little (each policy's plays update the listeners' profiles and the nightly
lists), which no estimator can see. And the whole session's completion rate is not
identified from these logs (see ``off_policy_bandit``): it is reported for both policies,
with the share of the target's later placements that the logging policy never makes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from philomath.simulation.listeners import SimulatedListeners, load_truth
from philomath.simulation.off_policy_policies import (
    FrozenBanditPolicy,
    LearningBanditPolicy,
    StaticLoggingPolicy,
    check_logging_exploration,
)
from philomath.simulation.report import BOOTSTRAP, LEVEL
from philomath.simulation.run import SimulationConfig, simulate, world_settings
from philomath.wiring import bandit_config
from recommender.evaluation.off_policy import Bootstrap, Estimate
from recommender.evaluation.off_policy_bandit import FirstSlotRow, evaluate_first_slot
from recommender.serving.bandit import arm_context
from recommender.serving.bandit_probabilities import (
    Target,
    first_slot_distribution,
    ranked_before_swap,
    thompson_target,
    unsupported_later,
)
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore

SHADOW_DRAWS = 10  # listens per logged context for the truth on the logged contexts
LOGGING, TARGET, LEARNING = "static-logging", "bandit-frozen", "bandit-learning"


@dataclass(frozen=True, slots=True)
class OffPolicyConfig:
    simulation: SimulationConfig  # its days are the evaluation's
    learn_days: int = 3
    logging_exploration: float = 0.5

    def __post_init__(self) -> None:
        if self.learn_days < 1:
            raise ValueError("need learn_days >= 1")
        check_logging_exploration(self.logging_exploration)


def simulate_off_policy(
    config: OffPolicyConfig, work_dir: Path, *, progress: bool = True
) -> dict[str, Any]:
    """Learn, evaluate, estimate (see the module docstring); the figures as JSON data."""
    sim = config.simulation
    learn = replace(sim, days=config.learn_days, policies=(LEARNING,))
    simulate(learn, work_dir, progress=progress, policies=[LearningBanditPolicy(sim.seed)])
    snapshot = work_dir / "policies" / LEARNING / "bandit.db"
    evaluation = replace(sim, policies=(LOGGING, TARGET))
    runs, user_ids = simulate(
        evaluation,
        work_dir,
        progress=progress,
        policies=[
            StaticLoggingPolicy(config.logging_exploration, sim.seed),
            FrozenBanditPolicy(snapshot, sim.seed),
        ],
    )
    logged, served = (run.impressions for run in runs)
    settings = world_settings(work_dir, sim)
    store = SqlitePosteriorStore(snapshot)
    try:
        lists = logged_lists(logged)
        first_slot = first_slot_rows(
            lists, thompson_target(store, bandit_config(settings)), config.logging_exploration
        )
    finally:
        store.close()
    result = evaluate_first_slot(first_slot.rows, Bootstrap(BOOTSTRAP, LEVEL, sim.seed))
    listeners = SimulatedListeners(load_truth(work_dir / "world" / "raw"), sim.shift)
    shadow = shadow_first_slot(lists, first_slot.rows, listeners, user_ids, sim.seed)
    truth = first_slot_rate(served, user_ids, sim.seed)
    return {
        "config": {
            **{k: v for k, v in asdict(sim).items() if k != "policies"},
            "learn_days": config.learn_days,
            "logging_exploration": config.logging_exploration,
            "target": asdict(bandit_config(settings)),
            "bootstrap": BOOTSTRAP,
            "level": LEVEL,
        },
        "first_slot_completion": {
            "truth": truth,
            "truth_on_logged_contexts": shadow,
            "logging_on_policy": first_slot_rate(logged, user_ids, sim.seed),
            "logged_lists": result.lists,
            "logging_swapped": first_slot.swapped,
            "estimates": [_estimate(e, truth, shadow) for e in result.estimates],
            "logging_mean": _estimate(result.logging, truth, shadow),
        },
        "session_completion": {
            "identified": False,
            "unsupported_later_placements": first_slot.unsupported_later,
            LOGGING: session_rate(logged, user_ids, sim.seed),
            TARGET: session_rate(served, user_ids, sim.seed),
        },
    }


@dataclass(frozen=True, slots=True)
class SimulatedList:
    """One list the logging policy served: as served, with its logged propensities, who
    heard it on which day and when, and whether its first track finished."""

    context: str  # the arm context (``bandit.arm_context``)
    track_ids: tuple[str, ...]
    propensities: tuple[float, ...]  # one per re-ranked (top-k) position
    at: float  # when (the target's posteriors decay with time)
    first_finished: bool
    user_id: str
    day: int


def logged_lists(impressions: list[dict[str, Any]]) -> list[SimulatedList]:
    """The simulator's impression rows (``run._impressions``), one ``SimulatedList`` per
    impression."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in impressions:
        by_id.setdefault(row["impression_id"], []).append(row)
    lists = []
    for rows in by_id.values():
        rows.sort(key=lambda row: row["position"])
        first = rows[0]
        facets = first["context"]
        lists.append(
            SimulatedList(
                context=arm_context(
                    first["path"],
                    facets.get("mood"),
                    facets.get("genre"),
                    facets.get("part_of_day"),
                ),  # fmt: skip
                track_ids=tuple(row["track_id"] for row in rows),
                propensities=tuple(first["propensities"]),
                at=float(first["at"]),
                first_finished=bool(first["finished"]),
                user_id=first["user_id"],
                day=int(first["day"]),
            )
        )
    return lists


@dataclass(frozen=True, slots=True)
class FirstSlotRows:
    rows: list[FirstSlotRow]
    swapped: float  # share of the lists whose first slot the logging policy swapped
    unsupported_later: float  # share of the target's later placements never logged


def first_slot_rows(
    lists: list[SimulatedList], target: Target, logging_exploration: float
) -> FirstSlotRows:
    """Each logged list's first-slot chances under the logging policy (the ranking, read
    back from the swap) and under the target, in the logged context at the logged time."""
    rows, swapped, unsupported = [], 0, 0.0
    for item in lists:
        ranked = ranked_before_swap(item.track_ids, item.propensities, logging_exploration)
        top = ranked[: len(item.propensities)]
        order = target.order(ranked, item.context, item.at)
        rows.append(
            FirstSlotRow(
                item.context,
                first_slot_distribution(top, logging_exploration),  # blend 0: the ranking
                first_slot_distribution(order, target.exploration),
                item.track_ids[0],
                item.propensities[0],
                float(item.first_finished),
            )
        )
        swapped += top[0] != item.track_ids[0]
        unsupported += unsupported_later(top, order)
    return FirstSlotRows(rows, swapped / len(lists), unsupported / len(lists))


def shadow_first_slot(
    lists: list[SimulatedList],
    rows: list[FirstSlotRow],
    listeners: SimulatedListeners,
    user_ids: list[str],
    seed: int,
) -> dict[str, float]:
    """The target's first-slot completion rate on the very contexts the logging policy
    met (what the estimators estimate): in each logged list, the same listener on the same
    day hears the target's first track, drawn ``SHADOW_DRAWS`` times from its exact
    distribution; nothing is fed back. An interval over listeners, as the truth's."""
    heard = []
    for n, (item, row) in enumerate(zip(lists, rows, strict=True)):
        tracks, p = list(row.target), np.array(list(row.target.values()))
        rng = np.random.default_rng([seed, 19, n])
        for _ in range(SHADOW_DRAWS):
            first = tracks[int(rng.choice(len(tracks), p=p / p.sum()))]
            outcome = listeners.listen(item.day, item.user_id, [first], rng)
            finished = not outcome.skipped[0] and not outcome.stopped
            heard.append({"user_id": item.user_id, "finished": finished})
    return _rate(heard, user_ids, seed, lambda row: row["finished"], lambda row: True)


def first_slot_rate(
    impressions: list[dict[str, Any]], user_ids: list[str], seed: int
) -> dict[str, float]:
    """The share of sessions whose first track finished, with a bootstrap interval over
    listeners (the simulator's: the same resamples for every policy)."""
    firsts = [row for row in impressions if row["position"] == 0]
    return _rate(firsts, user_ids, seed, lambda row: row["finished"], lambda row: True)


def session_rate(
    impressions: list[dict[str, Any]], user_ids: list[str], seed: int
) -> dict[str, float]:
    """The simulator's completion rate: tracks finished over tracks started."""
    return _rate(impressions, user_ids, seed, lambda row: row["finished"], lambda r: r["reached"])


def _rate(
    rows: list[dict[str, Any]], user_ids: list[str], seed: int, top: Any, bottom: Any
) -> dict[str, float]:
    index = {user: i for i, user in enumerate(user_ids)}
    numerator = np.zeros(len(user_ids))
    denominator = np.zeros(len(user_ids))
    for row in rows:
        numerator[index[row["user_id"]]] += bool(top(row))
        denominator[index[row["user_id"]]] += bool(bottom(row))
    resamples = np.random.default_rng([seed, 17]).integers(
        0, len(user_ids), size=(BOOTSTRAP, len(user_ids))
    )
    draws = numerator[resamples].sum(axis=1) / denominator[resamples].sum(axis=1)
    tail = (1 - LEVEL) / 2
    low, high = np.nanquantile(draws, [tail, 1 - tail])
    return {
        "value": float(numerator.sum() / denominator.sum()),
        "low": float(low),
        "high": float(high),
        "n": int(denominator.sum()),
    }


def _estimate(
    estimate: Estimate, truth: dict[str, float], shadow: dict[str, float]
) -> dict[str, Any]:
    return {
        **asdict(estimate),
        "covers_truth": estimate.covers(truth["value"]),
        "covers_truth_on_logged_contexts": estimate.covers(shadow["value"]),
    }


def format_text(data: dict[str, Any]) -> list[str]:
    """The figures as lines for a terminal."""
    first = data["first_slot_completion"]
    lines = [
        f"first-slot completion rate of the frozen bandit, from {first['logged_lists']:,}"
        f" lists logged by {LOGGING} (exploration {data['config']['logging_exploration']},"
        f" first slot swapped in {first['logging_swapped']:.1%}):",
        _truth_line("truth", first["truth"], "sessions of the frozen bandit"),
        _truth_line("on logged", first["truth_on_logged_contexts"], "its first track heard"),
    ]
    for e in [*first["estimates"], first["logging_mean"]]:
        covers = "covers" if e["covers_truth"] else "MISSES"
        shadow = "covers" if e["covers_truth_on_logged_contexts"] else "misses"
        lines.append(
            f"{e['estimator']:>9}: {e['value']:.4f} [{e['ci_low']:.4f}, {e['ci_high']:.4f}]"
            f" ess={e['effective_sample_size']:.0f} max_w={e['max_weight']:.1f}:"
            f" {covers} the truth, {shadow} the truth on logged contexts"
        )
    session = data["session_completion"]
    lines.append(
        "session completion rate (not identified from first-slot logs; the target puts"
        f" {session['unsupported_later_placements']:.0%} of its later placements where"
        " the logging policy never does):"
    )
    for name in (LOGGING, TARGET):
        rate = session[name]
        lines.append(f"{name:>15}: {rate['value']:.4f} [{rate['low']:.4f}, {rate['high']:.4f}]")
    return lines


def _truth_line(label: str, rate: dict[str, float], what: str) -> str:
    return (
        f"{label:>9}: {rate['value']:.4f} [{rate['low']:.4f}, {rate['high']:.4f}]"
        f" (simulated: {rate['n']:,} {what})"
    )
