"""The figure of BENCHMARKS.md's bandit-against-static section, from ``philomath simulate``
runs' ``figures.json`` (one per seed): per seed, each policy's daily skip rate with its 95%
interval (and the oracle yardstick's, dotted, where the run has one), and the bandit minus
static difference with its interval; the shift marked.

    .venv/bin/python bench/simulation_figure.py OUT.svg FIGURES.json [FIGURES.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _series(days: list[dict[str, Any]], measure: str = "skip_rate") -> tuple[list[float], ...]:
    return tuple([float(entry[measure][key]) for entry in days] for key in ("value", "low", "high"))


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    out, inputs = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    runs = [json.loads(path.read_text()) for path in inputs]
    fig, axes = plt.subplots(2, len(runs), figsize=(3.6 * len(runs), 5.6), squeeze=False)
    for column, data in enumerate(runs):
        config = data["config"]
        top, bottom = axes[0][column], axes[1][column]
        for name, run in data["policies"].items():
            days = [entry["day"] for entry in run["days"]]
            value, low, high = _series(run["days"])
            top.plot(days, value, marker="o", markersize=3, label=name)
            top.fill_between(days, low, high, alpha=0.2)
        if oracle := data.get("oracle"):  # the yardstick, dotted (runs that have one)
            days = [entry["day"] for entry in oracle["days"]]
            value, low, high = _series(oracle["days"])
            top.plot(days, value, color="black", linestyle=":", label=oracle["name"])
        for name, diff in data["against_first"].items():
            days = [entry["day"] for entry in diff]
            value, low, high = _series(diff)
            bottom.plot(days, value, marker="o", markersize=3, label=f"{name} - static")
            bottom.fill_between(days, low, high, alpha=0.2)
        bottom.axhline(0.0, color="black", linewidth=0.8)
        for axis in (top, bottom):
            if config["shift"]:
                axis.axvline(config["shift"]["day"] - 0.5, color="grey", linestyle="--")
            axis.set_xlabel("simulated day")
        top.set_title(f"seed {config['seed']}" + (" (tuning)" if config["seed"] == 0 else ""))
        top.set_ylabel("skip rate")
        bottom.set_ylabel("difference")
    axes[0][0].legend(fontsize=7)
    axes[1][0].legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=out.suffix.lstrip(".") or "svg")
    print(out)


if __name__ == "__main__":
    main()
