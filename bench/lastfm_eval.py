"""Last.fm HetRec 2011 benchmark: every model on seeds 0..2, as markdown for BENCHMARKS.md.

    .venv/bin/python bench/lastfm_eval.py --data-dir ../shared/data/lastfm-hetrec2011-2k \
        [--seeds 0 1 2] [--ease-full-seeds 0]

The reference EASE (``ease-full``: lambda 250, every artist) takes minutes to fit, so it runs
on the seeds named by ``--ease-full-seeds`` only; the best model's fit time is reported as a
ratio against it, both measured in this run on the same split.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path

from recommender.evaluation.lastfm_protocol import DEFAULT_MODELS, LastfmRun, evaluate_lastfm

METRICS = ("precision@10", "recall@10", "ndcg@10", "map@10", "coverage")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--ease-full-seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    args = parser.parse_args(argv)

    runs = []
    for seed in args.seeds:
        labels = [*args.models, *(["ease-full"] if seed in args.ease_full_seeds else [])]
        runs.append(evaluate_lastfm(args.data_dir, seed, labels, k=10))
    print(_environment())
    print(_per_seed_table(runs))
    print(_summary_table(runs))
    print(_fit_ratio(runs))
    return 0


def _environment() -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {platform.machine()}, "
        f"Python {platform.python_version()}\n- date: {now}\n"
    )


def _per_seed_table(runs: list[LastfmRun]) -> str:
    lines = [
        "| model | version | seed | P@10 | R@10 | NDCG@10 | MAP@10 | coverage | fit s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        for r in run.results:
            figures = " | ".join(f"{r.metrics[name]:.4f}" for name in METRICS)
            lines.append(
                f"| {r.label} | {r.version} | {run.seed} | {figures} | {r.fit_seconds:.1f} |"
            )
    return "\n".join(lines) + "\n"


def _summary_table(runs: list[LastfmRun]) -> str:
    """Per model: NDCG@10 mean, min and max over seeds, and the median fit time."""
    ndcg: dict[str, list[float]] = {}
    fits: dict[str, list[float]] = {}
    for run in runs:
        for r in run.results:
            ndcg.setdefault(r.label, []).append(r.metrics["ndcg@10"])
            fits.setdefault(r.label, []).append(r.fit_seconds)
    lines = [
        "| model | seeds | NDCG@10 mean | min | max | fit s (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, values in ndcg.items():
        lines.append(
            f"| {label} | {len(values)} | {statistics.fmean(values):.4f} | {min(values):.4f} "
            f"| {max(values):.4f} | {statistics.median(fits[label]):.1f} |"
        )
    return "\n".join(lines) + "\n"


def _fit_ratio(runs: list[LastfmRun]) -> str:
    """Each model's fit time over ease-full's, on the seeds where ease-full ran."""
    lines = []
    for run in runs:
        fit = {r.label: r.fit_seconds for r in run.results}
        if "ease-full" not in fit:
            continue
        ratios = ", ".join(
            f"{label} {seconds:.1f} s ({seconds / fit['ease-full']:.3f}x)"
            for label, seconds in fit.items()
            if label != "ease-full"
        )
        lines.append(f"- seed {run.seed}, ease-full {fit['ease-full']:.1f} s: {ratios}")
    return "\n".join(lines) or "- ease-full not run: no fit-time ratio"


if __name__ == "__main__":
    raise SystemExit(main())
