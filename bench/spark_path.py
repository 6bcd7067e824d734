"""The single-machine path timed step by step, next to a run of the Spark path.

    .venv/bin/python bench/spark_path.py --data-dir DIR [--factors 64 --iterations 15]
        [--per-user 100] [--list-users 4096] [--spark-report spark.json]

On the feeds under ``DIR/raw`` (``philomath data generate --out DIR/raw``), in a work folder of
its own (``DIR/work-single``): the ETL on DuckDB, the plays loaded as the users x tracks
matrix, iALS (``implicit``) with the hyper-parameters the Spark run used, and the overall
lists of the single-machine batch (``ModelLists.top``: the model's top-n without the tracks
each listener played) for ``--list-users`` listeners spread over the vocabulary, extrapolated
to all of them (``0``: every listener). With ``--spark-report`` (what ``philomath spark run
--json`` printed for the same feeds), prints both paths' step times side by side, with the
ratio Spark / single machine. Run each path in its own process under ``/usr/bin/time -v``
for its peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recommender.batch.promoted_model import ModelLists
from recommender.data.etl.run import run_etl
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.models.ials import IALSModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--list-users", type=int, default=4_096)
    parser.add_argument("--spark-report", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Ibis's deprecation notices about DuckDB 1.5+ calls
    work = args.data_dir / "work-single"
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    run_etl(args.data_dir / "raw", work, progress=False)
    seconds["etl"] = time.perf_counter() - started
    print(f"etl (DuckDB): {seconds['etl']:.1f} s", flush=True)

    started = time.perf_counter()
    plays = Interactions.from_unified(work / "unified")
    matrix = user_items_matrix(plays)
    load = time.perf_counter() - started
    print(
        f"load plays: {load:.1f} s, {matrix.shape[0]:,} x {matrix.shape[1]:,}, "
        f"{matrix.nnz:,} pairs",
        flush=True,
    )

    started = time.perf_counter()
    model = IALSModel(factors=args.factors, iterations=args.iterations, seed=args.seed)
    model.fit(matrix)
    seconds["train"] = load + time.perf_counter() - started
    print(f"train (implicit iALS, incl. load): {seconds['train']:.1f} s", flush=True)

    n_users = matrix.shape[0]
    sample = n_users if args.list_users <= 0 else min(args.list_users, n_users)
    users = np.linspace(0, n_users - 1, sample).astype(np.int64)
    lists = ModelLists(model, matrix)
    seen = plays.seen()
    started = time.perf_counter()
    for start in range(0, len(users), 2_048):
        batch = users[start : start + 2_048]
        lists.top(batch, args.per_user, seen.take(batch))
    measured = time.perf_counter() - started
    seconds["lists"] = measured * n_users / sample
    print(
        f"lists: {measured:.1f} s for {sample:,} listeners, {seconds['lists']:.1f} s for "
        f"all {n_users:,}" + (" (extrapolated)" if sample < n_users else ""),
        flush=True,
    )

    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if args.spark_report:
        spark = json.loads(args.spark_report.read_text())["timings"]
        spark_train = spark.get("train", 0.0) + spark.get("export", 0.0)
        rows = {"etl": spark.get("etl"), "train": spark_train, "lists": spark.get("lists")}
        print(f"{'step':8s}{'single s':>12s}{'spark s':>12s}{'spark/single':>14s}")
        for step, single in seconds.items():
            other = rows.get(step)
            ratio = f"{other / single:.1f}x" if other else "-"
            print(f"{step:8s}{single:12.1f}{other or float('nan'):12.1f}{ratio:>14s}")


if __name__ == "__main__":
    main()
