"""``philomath evaluate --dataset lastfm-2k``: the Last.fm protocol from the command line.

``main(argv)`` parses its own arguments so the project CLI can delegate to it unchanged::

    main(["--data-dir", DIR, "--seed", "0", "--json"])

With ``--report PATH`` it also writes an HTML report with plots (``evaluation.report``) and
prints its path after the table (on stderr with ``--json``, so stdout stays JSON).
``philomath evaluate`` always asks for one, by default
``<PHILOMATH_DATA_DIR>/reports/lastfm-2k-seed<N>-<UTC time>.html`` (``default_report_path``).

Importing this module loads no numerical library (the online path's CLI may import it);
``main`` loads the protocol when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.errors import DataError

if TYPE_CHECKING:
    from recommender.evaluation.lastfm_protocol import LastfmRun

_COLUMNS = ("precision", "recall", "ndcg", "map")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the protocol and print a table (or JSON); 0 on success, 2 on bad input."""
    from recommender.evaluation.lastfm_protocol import DEFAULT_MODELS, MODELS, evaluate_lastfm

    parser = argparse.ArgumentParser(prog="philomath evaluate", description=__doc__)
    parser.add_argument("--dataset", default="lastfm-2k", choices=["lastfm-2k"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated, from: {', '.join(MODELS)}",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--report", type=Path, default=None, help="HTML report path")
    args = parser.parse_args(argv)
    labels = [label.strip() for label in args.models.split(",") if label.strip()]
    try:
        run = evaluate_lastfm(args.data_dir, args.seed, labels, k=args.k)
    except (DataError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(run.as_dict(), indent=2) if args.json else format_table(run))
    if args.report is not None:
        report = write_lastfm_report(args.report, run)
        print(f"report: {report}", file=sys.stderr if args.json else sys.stdout)
    return 0


def default_report_path(reports_dir: Path, seed: int, now: datetime | None = None) -> Path:
    stamp = f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}"
    return reports_dir / f"lastfm-2k-seed{seed}-{stamp}.html"


def write_lastfm_report(path: Path, run: LastfmRun) -> Path:
    """The run's HTML report (metrics by k, models side by side, segments)."""
    from recommender.evaluation.lastfm_protocol import BEST_MODEL
    from recommender.evaluation.report import EvaluationReport, write_report

    facts = {
        "dataset": "Last.fm HetRec 2011 (hetrec2011-lastfm-2k), artists as items",
        "protocol": "users with 5+ artists; 20% of each user's artists held out at random; "
        "training artists excluded from rankings; binary relevance",
        "seed": str(run.seed),
        "data": f"{run.users:,} users, {run.artists:,} artists, "
        f"{run.train_interactions:,} train / {run.test_interactions:,} test interactions",
    }
    labels = {result.label for result in run.results}
    return write_report(
        path,
        EvaluationReport(
            title=f"Last.fm 2k evaluation, seed {run.seed}",
            results=run.results,
            k=run.k,
            facts=facts,
            chosen=BEST_MODEL if BEST_MODEL in labels else None,
            baseline="popularity",
        ),
    )


def format_table(run: LastfmRun) -> str:
    """A plain-text table: one model per line, metrics at k, coverage, novelty, fit time."""
    k = run.k
    header = (
        f"{'model':<14}{'version':<16}"
        + "".join(f"{name[:4].upper() + '@' + str(k):>10}" for name in _COLUMNS)
        + f"{'coverage':>10}{'novelty':>9}{'pop.bias':>9}{'fit s':>9}"
    )
    lines = [
        f"Last.fm 2k, seed {run.seed}: {run.users} users, {run.artists} artists, "
        f"{run.train_interactions} train / {run.test_interactions} test interactions",
        header,
    ]
    for result in run.results:
        m = result.metrics
        lines.append(
            f"{result.label:<14}{result.version:<16}"
            + "".join(f"{m[f'{name}@{k}']:>10.4f}" for name in _COLUMNS)
            + f"{m['coverage']:>10.4f}{m['novelty']:>9.2f}{m['popularity_bias']:>9.3f}"
            + f"{result.fit_seconds:>9.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
