"""A simulation's figures: per day and policy, skip rate, completion rate and plays per
session with bootstrap confidence intervals over listeners (seeded), each policy against
the first one (paired over the same listeners), as JSON and as an HTML report."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from philomath.simulation.pooled import pooled_figures, summary_lines
from philomath.simulation.run import DayCounts, PolicyRun, SimulationConfig
from recommender.evaluation.report import inline_svg, new_figure

BOOTSTRAP = 1_000
LEVEL = 0.95
MEASURES = ("skip_rate", "completion_rate", "plays_per_session")


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float
    high: float


def _ratio(numerator: np.ndarray, denominator: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """sum(numerator)/sum(denominator) over each resample's listeners (rows: resamples)."""
    top = numerator[rows].sum(axis=-1).astype(np.float64)
    bottom = denominator[rows].sum(axis=-1).astype(np.float64)
    ratio: np.ndarray = np.divide(top, bottom, out=np.full_like(top, np.nan), where=bottom > 0)
    return ratio


def _parts(counts: DayCounts, measure: str) -> tuple[np.ndarray, np.ndarray]:
    if measure == "skip_rate":
        return counts.skipped, counts.started
    if measure == "completion_rate":
        return counts.finished, counts.started
    return counts.started, counts.sessions


def _estimate(point: float, draws: np.ndarray) -> Estimate:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return Estimate(float(point), float(low), float(high))


def _resamples(seed: int, day: int, n: int) -> np.ndarray:
    """Listener indices of each bootstrap resample: the same for every policy and measure."""
    return np.random.default_rng([seed, 11, day]).integers(0, n, size=(BOOTSTRAP, n))


def _day_entry(counts: DayCounts, day: int, rows: np.ndarray, everyone: np.ndarray) -> Any:
    entry: dict[str, Any] = {"day": day, "sessions": int(counts.sessions.sum())}
    for measure in MEASURES:
        top, bottom = _parts(counts, measure)
        point = float(_ratio(top, bottom, everyone)[0])
        entry[measure] = asdict(_estimate(point, _ratio(top, bottom, rows)))
    return entry


def figures(
    runs: list[PolicyRun], config: SimulationConfig, oracle: PolicyRun | None = None
) -> dict[str, Any]:
    """The per-day figures of every policy, and each policy minus the first, paired; the
    ``oracle``'s (``oracle.py``, a yardstick, not a policy) beside them when given."""
    per_policy: dict[str, list[dict[str, Any]]] = {run.name: [] for run in runs}
    against: dict[str, list[dict[str, Any]]] = {run.name: [] for run in runs[1:]}
    oracle_days: list[dict[str, Any]] = []
    everyone = np.arange(len(runs[0].days[0].sessions))[None, :]
    for day in range(config.days):
        rows = _resamples(config.seed, day, everyone.shape[1])
        base = runs[0].days[day]
        if oracle is not None:
            oracle_days.append(_day_entry(oracle.days[day], day, rows, everyone))
        for run in runs:
            counts = run.days[day]
            per_policy[run.name].append(_day_entry(counts, day, rows, everyone))
            if run is not runs[0]:
                diff: dict[str, Any] = {"day": day}
                for measure in MEASURES:
                    top, bottom = _parts(counts, measure)
                    base_top, base_bottom = _parts(base, measure)
                    point = float(
                        _ratio(top, bottom, everyone)[0]
                        - _ratio(base_top, base_bottom, everyone)[0]
                    )
                    draws = _ratio(top, bottom, rows) - _ratio(base_top, base_bottom, rows)
                    diff[measure] = asdict(_estimate(point, draws))
                against[run.name].append(diff)
    return {
        "config": {
            "days": config.days,
            "listeners": config.listeners,
            "tracks": config.tracks,
            "events": config.events,
            "policies": list(config.policies),
            "seed": config.seed,
            "shift": asdict(config.shift) if config.shift else None,
            "bootstrap": BOOTSTRAP,
            "level": LEVEL,
        },
        "policies": {
            run.name: {
                "days": per_policy[run.name],
                "events_published": run.events_published,
                "events_applied": run.events_applied,
                "impressions": len(run.impressions),
            }
            for run in runs
        },
        "against_first": against,
        "oracle": {"name": oracle.name, "days": oracle_days} if oracle is not None else None,
        # Over all days, paired per listener, and the recovery after a shift (``pooled``).
        "pooled": pooled_figures(runs, config, resamples=BOOTSTRAP, level=LEVEL, oracle=oracle),
    }


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def write_html(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path


def render_html(data: dict[str, Any]) -> str:
    config = data["config"]
    shift = config["shift"]
    facts = ", ".join(f"{k}={v}" for k, v in config.items() if k != "shift")
    shift_text = f"{shift['genre']} trends from day {shift['day']}" if shift else "no shift"
    sections = [
        f"<h1>Listener simulation</h1><p>{_e(facts)}; {_e(shift_text)}; "
        f"written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Intervals: {LEVEL:.0%} bootstrap "
        "over listeners.</p>",
        inline_svg(_by_day(data, shift)),
    ]
    for name, run in data["policies"].items():
        sections.append(f"<h2>{_e(name)}</h2>{_day_table(run['days'])}")
        sections.append(
            f"<p>events published {run['events_published']:,}, applied by the consumer "
            f"{run['events_applied']:,}; impressions logged {run['impressions']:,}</p>"
        )
    if oracle := data.get("oracle"):
        sections.append(
            f"<h2>{_e(oracle['name'])} (yardstick: each listener's best fits by true taste)"
            f"</h2>{_day_table(oracle['days'])}"
        )
    for name, days in data["against_first"].items():
        first = next(iter(data["policies"]))
        sections.append(f"<h2>{_e(name)} minus {_e(first)}</h2>{_day_table(days)}")
    if data.get("pooled"):
        lines = "".join(f"<li>{_e(line)}</li>" for line in summary_lines(data["pooled"]))
        sections.append(f"<h2>Pooled over days, paired per listener</h2><ul>{lines}</ul>")
    body = "\n".join(sections)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Listener simulation</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:right}"
        "</style></head><body>" + body + "</body></html>\n"
    )


def _day_table(days: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{m.replace('_', ' ')}</th>" for m in MEASURES)
    rows = []
    for entry in days:
        cells = "".join(
            f"<td>{entry[m]['value']:.4f} [{entry[m]['low']:.4f}, {entry[m]['high']:.4f}]</td>"
            for m in MEASURES
        )
        rows.append(f"<tr><td>{entry['day']}</td>{cells}</tr>")
    return f"<table><tr><th>day</th>{head}</tr>{''.join(rows)}</table>"


def _by_day(data: dict[str, Any], shift: dict[str, Any] | None) -> Any:
    fig, axes = new_figure(1, len(MEASURES), width=4.0 * len(MEASURES), height=3.2)
    for axis, measure in zip(axes, MEASURES, strict=True):
        runs = dict(data["policies"])
        if oracle := data.get("oracle"):
            runs[oracle["name"]] = oracle
        for name, run in runs.items():
            days = [entry["day"] for entry in run["days"]]
            values = [entry[measure]["value"] for entry in run["days"]]
            low = [entry[measure]["low"] for entry in run["days"]]
            high = [entry[measure]["high"] for entry in run["days"]]
            axis.plot(days, values, marker="o", label=name)
            axis.fill_between(days, low, high, alpha=0.2)
        if shift:
            axis.axvline(shift["day"] - 0.5, color="grey", linestyle="--", label="shift")
        axis.set_title(measure.replace("_", " "))
        axis.set_xlabel("simulated day")
    axes[0].legend(fontsize=7)
    return fig


def _e(text: object) -> str:
    return html.escape(str(text))
