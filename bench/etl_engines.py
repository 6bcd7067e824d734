"""ETL wall time on each engine, on the same generated feeds, with a parity check.

    .venv/bin/python bench/etl_engines.py [--users 2000 --tracks 20000 --events 200000]
        [--runs 3] [--engines duckdb,pyspark]

Generates the feeds once (``--raw-dir``, default a temporary folder; the demo's ``var/`` is
left alone), then runs ``run_etl`` ``--runs`` times per engine, engines interleaved so both
see the same machine load, and prints the median and the fastest run. Spark's start-up is
timed apart: the first Spark run pays for it, later ones reuse the session. Checks that every
engine kept and quarantined the same row counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recommender.data.etl.engines import ENGINES, local_spark_session, spark_backend
from recommender.data.etl.run import EtlReport, run_etl
from recommender.data.generator.feeds import generate_feeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--raw-dir", type=Path)
    args = parser.parse_args()
    engines = args.engines.split(",")
    warnings.simplefilter("ignore")  # Ibis's deprecation notices about DuckDB 1.5+ calls

    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw_dir or Path(tmp) / "raw"
        generate_feeds(
            raw,
            users=args.users,
            tracks=args.tracks,
            events=args.events,
            seed=args.seed,
            progress=False,
        )
        backends: dict[str, Any] = {"duckdb": "duckdb"}
        if "pyspark" in engines:
            started = time.perf_counter()
            session = local_spark_session(cores=os.cpu_count() or 2)
            session.sparkContext.setLogLevel("ERROR")
            backends["pyspark"] = spark_backend(session)
            print(f"spark session start-up: {time.perf_counter() - started:.2f} s")
        seconds: dict[str, list[float]] = {engine: [] for engine in engines}
        reports: dict[str, EtlReport] = {}
        for run in range(args.runs):
            for engine in engines:
                work = Path(tmp) / f"{engine}-{run}"
                started = time.perf_counter()
                reports[engine] = run_etl(raw, work, progress=False, engine=backends[engine])
                seconds[engine].append(time.perf_counter() - started)

    first = reports[engines[0]]
    for engine, report in reports.items():
        same = (report.raw_rows, report.unified_rows, report.quarantined) == (
            first.raw_rows,
            first.unified_rows,
            first.quarantined,
        )
        if not same:
            sys.exit(f"{engine} disagrees with {engines[0]}: {report} vs {first}")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; feeds: {args.users} users, {args.tracks} tracks, "
        f"{args.events} events; unified rows {first.unified_rows}, "
        f"quarantined {first.quarantined_total}"
    )
    for engine, values in seconds.items():
        print(
            f"{engine:8s} median {statistics.median(values):6.2f} s  fastest {min(values):6.2f} s"
            f"  runs {[round(v, 2) for v in values]}"
        )


if __name__ == "__main__":
    main()
